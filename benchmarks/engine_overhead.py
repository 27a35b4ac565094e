"""pixref's denoising loop against diffusers' own pipeline, same components, same settings.

Builds the tiny SD 1.x model of the test suite (random weights; speed does not
depend on weight values), loads it through pixref's real loading path, then times
one image of 20 Euler steps at CFG 7 both ways in the same process:

- diffusers: ``StableDiffusionPipeline`` with the same UNet, VAE and text encoder,
  and ``EulerDiscreteScheduler`` with A1111-like linspace spacing;
- pixref: ``pixref.engine.generate`` (its own Euler over the same UNet).

    python benchmarks/engine_overhead.py [--size 256] [--repeats 7]

Goal (issue 5): pixref within 3% of diffusers per image.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _tokenizer(folder: Path):
    """transformers' CLIPTokenizer over pixref's shipped CLIP vocabulary."""
    from transformers import CLIPTokenizer

    from pixref.prompt import clip_tokenizer

    vocab = clip_tokenizer().vocab
    merges = [(a, b) for a, b in (tuple(line.split()) for line in _merge_lines()) if a and b]
    (folder / "vocab.json").write_text(json.dumps(vocab))
    lines = ["#version: 0.2"] + [f"{a} {b}" for a, b in merges]
    (folder / "merges.txt").write_text("\n".join(lines) + "\n")
    return CLIPTokenizer(
        str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77
    )


def _merge_lines():
    import gzip
    import importlib.resources

    data = importlib.resources.files("pixref.prompt").joinpath("data", "clip_bpe_merges.txt.gz")
    return gzip.decompress(data.read_bytes()).decode("utf-8").splitlines()[1:48895]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)

    from diffusers import EulerDiscreteScheduler, StableDiffusionPipeline

    from pixref.engine import generate, load_models
    from pixref.params import GenerationParams
    from tests.engine import tiny

    with tempfile.TemporaryDirectory() as tmp:
        built = tiny.build("sd1", Path(tmp) / "sd1")
        models = load_models(built.single_file, config_dir=built.config_dir, device="cpu")
        scheduler = EulerDiscreteScheduler.from_config(
            models.scheduler_config, timestep_spacing="linspace"
        )
        pipe = StableDiffusionPipeline(
            vae=models.vae, text_encoder=models.text_encoders[0], tokenizer=_tokenizer(Path(tmp)),
            unet=models.unet, scheduler=scheduler, safety_checker=None, feature_extractor=None,
            requires_safety_checker=False,
        )  # fmt: skip
        pipe.set_progress_bar_config(disable=True)
        prompt, negative = "pixel art knight, castle, dusk", "blurry"
        params = GenerationParams(
            prompt=prompt, negative_prompt=negative, steps=20, sampler="Euler", cfg_scale=7,
            seed=1, width=args.size, height=args.size,
        )  # fmt: skip

        def run_diffusers():
            generator = torch.Generator().manual_seed(1)
            pipe(prompt, negative_prompt=negative, num_inference_steps=20, guidance_scale=7,
                 height=args.size, width=args.size, generator=generator)  # fmt: skip

        def run_pixref():
            generate(params, models)

        timings = {"diffusers": [], "pixref": []}
        run_diffusers(), run_pixref()  # warm-up: allocator, caches
        for _ in range(args.repeats):  # interleaved, so drift in machine load hits both
            for name, func in (("diffusers", run_diffusers), ("pixref", run_pixref)):
                start = time.perf_counter()
                func()
                timings[name].append(time.perf_counter() - start)
    d, p = (statistics.median(timings[k]) for k in ("diffusers", "pixref"))
    print(f"{args.size}x{args.size}, 20 Euler steps, CFG 7, 1 thread, median of {args.repeats}")
    print(f"diffusers StableDiffusionPipeline: {d * 1000:8.1f} ms/image")
    print(f"pixref generate:                   {p * 1000:8.1f} ms/image")
    print(f"ratio pixref / diffusers: {p / d:.3f} (goal <= 1.03)")


if __name__ == "__main__":
    main()
