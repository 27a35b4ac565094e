"""GPU sampling speed: pixref's loop against diffusers' pipeline, eager and compiled.

Builds full-size SD 1.5 and SDXL architectures from pixref's shipped configs with
random weights (speed does not depend on weight values), fp16, on the GPU, and
reports it/s for 20 steps of Euler a at CFG 7 (one image: a CFG step is one UNet
call on a batch of two) at 512² and 1024²:

- diffusers ``StableDiffusionPipeline`` / ``StableDiffusionXLPipeline``, eager;
- pixref ``generate``, eager;
- both again with the UNet under ``torch.compile`` (channels-last), same process.

    python benchmarks/gpu_speed.py [--budget 420] [--out results.json]

Each configuration stops being measured once ``--budget`` seconds have gone, so the
script fits a short lease; what was skipped is printed. Needs CUDA.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

STEPS = 20  # lowered by --smoke
PROMPT, NEGATIVE = "pixel art knight, castle, dusk", "blurry"


DEVICE, DTYPE = "cuda", torch.float16


def _build(arch: str):
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import (
        CLIPTextConfig,
        CLIPTextModel,
        CLIPTextModelWithProjection,
    )

    from pixref.engine.models import Arch, Models, alphas_cumprod_from_config, builtin_config_dir

    folder = builtin_config_dir(arch)
    load = lambda sub, name="config.json": json.loads((folder / sub / name).read_text())  # noqa: E731
    with torch.device(DEVICE):
        unet = UNet2DConditionModel.from_config(load("unet")).to(DTYPE).eval()
        vae = AutoencoderKL.from_config(load("vae")).to(DTYPE).eval()
        encoders = [CLIPTextModel(CLIPTextConfig(**load("text_encoder"))).to(DTYPE).eval()]
        if arch == "sdxl":
            config = CLIPTextConfig(**load("text_encoder_2"))
            encoders.append(CLIPTextModelWithProjection(config).to(DTYPE).eval())
    scheduler = load("scheduler", "scheduler_config.json")
    return Models(
        arch=Arch(arch), unet=unet, vae=vae, text_encoders=tuple(encoders), tokenizers=(),
        prediction_type="epsilon", alphas_cumprod=alphas_cumprod_from_config(scheduler),
        is_inpainting=False, name=f"random-{arch}", short_hash=None, path=folder,
        dtype=DTYPE, device=torch.device(DEVICE), scheduler_config=scheduler,
    )  # fmt: skip


def _pipeline(models, tokenizer_dir: Path):
    from diffusers import (
        EulerAncestralDiscreteScheduler,
        StableDiffusionPipeline,
        StableDiffusionXLPipeline,
    )

    from benchmarks.engine_overhead import _tokenizer

    tokenizer = _tokenizer(tokenizer_dir)
    scheduler = EulerAncestralDiscreteScheduler.from_config(
        models.scheduler_config, timestep_spacing="linspace"
    )
    common = {"vae": models.vae, "unet": models.unet, "scheduler": scheduler}
    if str(models.arch) == "sdxl":
        pipe = StableDiffusionXLPipeline(
            text_encoder=models.text_encoders[0], text_encoder_2=models.text_encoders[1],
            tokenizer=tokenizer, tokenizer_2=tokenizer, **common,
        )  # fmt: skip
    else:
        pipe = StableDiffusionPipeline(
            text_encoder=models.text_encoders[0], tokenizer=tokenizer, safety_checker=None,
            feature_extractor=None, requires_safety_checker=False, **common,
        )  # fmt: skip
    pipe.set_progress_bar_config(disable=True)
    return pipe


def _sync() -> None:
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def _its(run, repeats: int = 3) -> float:
    """Sampling steps per second, from the fastest of ``repeats`` timed images."""
    best = float("inf")
    for _ in range(repeats):
        _sync()
        start = time.perf_counter()
        run()
        _sync()
        best = min(best, time.perf_counter() - start)
    return STEPS / best


def _measure(arch: str, size: int, compiled: bool, deadline: float, results: list) -> None:
    from pixref.engine import generate
    from pixref.params import GenerationParams

    models = _build(arch)
    if compiled:
        models.unet.to(memory_format=torch.channels_last)
        models.unet.forward = torch.compile(models.unet.forward, fullgraph=False)
    params = GenerationParams(
        prompt=PROMPT, negative_prompt=NEGATIVE, steps=STEPS, sampler="Euler a", cfg_scale=7,
        seed=1, width=size, height=size,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        pipe = _pipeline(models, Path(tmp))

        def run_diffusers():
            generator = torch.Generator(DEVICE).manual_seed(1)
            pipe(PROMPT, negative_prompt=NEGATIVE, num_inference_steps=STEPS, guidance_scale=7,
                 height=size, width=size, generator=generator)  # fmt: skip

        for name, run in (
            ("diffusers", run_diffusers),
            ("pixref", lambda: generate(params, models)),
        ):
            if time.monotonic() > deadline:
                print(f"skipped {arch} {size} {name} compiled={compiled}: out of time", flush=True)
                continue
            warm = time.perf_counter()
            run()  # warm-up (and compilation)
            warm = time.perf_counter() - warm
            its = _its(run)
            row = {"arch": arch, "size": size, "impl": name, "compiled": compiled,
                   "it_per_s": round(its, 2), "warmup_s": round(warm, 1)}  # fmt: skip
            results.append(row)
            print(json.dumps(row), flush=True)
    if DEVICE == "cuda":
        torch.cuda.empty_cache()
    torch._dynamo.reset()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=420)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--smoke", action="store_true", help="CPU, float32, 64 px: check the code")
    args = parser.parse_args()
    global DEVICE, DTYPE, STEPS
    plan = [("sd1", 512, False), ("sdxl", 1024, False), ("sd1", 512, True), ("sdxl", 1024, True)]
    if args.smoke:
        DEVICE, DTYPE, STEPS = "cpu", torch.float32, 2
        plan = [("sd1", 64, False)]
    deadline = time.monotonic() + args.budget
    name = torch.cuda.get_device_name() if DEVICE == "cuda" else "cpu"
    print(name, torch.__version__, flush=True)
    results: list = []
    for arch, size, compiled in plan:
        if time.monotonic() > deadline:
            print(f"skipped {arch} {size} compiled={compiled}: out of time", flush=True)
            continue
        _measure(arch, size, compiled, deadline, results)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
