"""A sweep with batching against one separate txt2img run per cell, in one process.

Builds the tiny SD 1.x model of the test suite (random weights) and, in a private
data home, times the same cells three ways, alternating, ``--repeats`` rounds:

- ``sweep, batched``: `pixref.sweep.run_sweep` of ``--axes`` (default
  ``seed=1-4 cfg=3,4,5,6``, a 4x4 grid) with ``--batch-size`` (default 4: cells that
  differ only by seed, variation seed or CFG share an engine call), saving and
  logging each cell;
- ``sweep, one by one``: the same with batch size 1 (one engine call per cell; what
  a CFG-only sweep got before cells of any seed and CFG could batch);
- ``N x txt2img``: ``pixref txt2img`` invoked once per cell through typer's CliRunner
  (models stay in the engine's cache between runs, as in one process).

    python benchmarks/sweep_batching.py [--size 128] [--steps 10] [--repeats 3]
    python benchmarks/sweep_batching.py --axes "cfg=1-16"          # a CFG-only sweep
    python benchmarks/sweep_batching.py --axes "seed=3,17,40,9" "cfg=3-9 (+2)" --batch-size 8
    python benchmarks/sweep_batching.py --arch sd15 --size 512 --steps 20 --device cuda

``--arch sd15`` builds the full-size SD 1.5 architecture from pixref's shipped
config with random weights (GPU only in practice). Goal (issue 8): batched >= 1.5x
faster than 16 separate txt2img runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _model(arch: str, root: Path) -> Path:
    if arch == "tiny":
        from tests.engine import tiny

        return tiny.build("sd1", root / "sd1").diffusers_dir
    import shutil

    import torch
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from pixref.engine.models import builtin_config_dir

    # The shipped SD 1.5 config folder plus random weights makes a diffusers folder.
    folder = root / "sd15"
    config = builtin_config_dir("sd1")
    shutil.copytree(config, folder)
    torch.manual_seed(0)
    unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(config / "unet"))
    vae = AutoencoderKL.from_config(AutoencoderKL.load_config(config / "vae"))
    text = CLIPTextModel(CLIPTextConfig.from_pretrained(config / "text_encoder"))
    for name, module in (("unet", unet), ("vae", vae), ("text_encoder", text)):
        module.save_pretrained(folder / name)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=("tiny", "sd15"), default="tiny")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads [torch's]")
    parser.add_argument("--axes", nargs="+", default=["seed=1-4", "cfg=3,4,5,6"],
                        help="axis specs, X then Y then Z [seed=1-4 cfg=3,4,5,6]")  # fmt: skip
    parser.add_argument("--batch-size", type=int, default=4, help="sweep batch size [4]")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    root = Path(tempfile.mkdtemp(prefix="pixref-sweep-bench-"))
    os.environ["PIXREF_HOME"] = str(root / "home")
    from typer.testing import CliRunner

    from pixref.cli import app
    from pixref.params import GenerationParams
    from pixref.sweep import plan_sweep, run_sweep

    model = _model(args.arch, root)
    size = f"{args.size}x{args.size}"
    base = GenerationParams(prompt="a pixel art fox, full body", negative_prompt="blurry",
                            steps=args.steps, width=args.size, height=args.size,
                            model=str(model))  # fmt: skip
    plan = plan_sweep(base, args.axes)
    cells = len(plan.cells)
    calls = len(plan.batches(args.batch_size))
    runner = CliRunner()

    def sweep(batch: int, tag: str) -> None:
        run_sweep(plan, root / f"{tag}.png", batch_size=batch, device=args.device)

    def separate(tag: str) -> None:
        for cell in plan.cells:
            q = cell.params
            out = root / tag / f"{cell.name}.png"
            result = runner.invoke(app, [
                "txt2img", q.prompt, "-n", q.negative_prompt, "--model", str(model),
                "--steps", str(q.steps), "--size", size, "--seed", str(q.seed),
                "--cfg", str(q.cfg_scale), "--device", args.device, "--quiet", "-o", str(out),
            ])  # fmt: skip
            assert result.exit_code == 0, result.output

    sweep(args.batch_size, "warmup")  # load the model and fill caches
    separate_name = f"{cells} x txt2img"
    times: dict[str, list[float]] = {"sweep, batched": [], "sweep, one by one": [],
                                     separate_name: []}  # fmt: skip
    for r in range(args.repeats):
        for name, fn in (
            ("sweep, batched", lambda r=r: sweep(args.batch_size, f"b{r}")),
            ("sweep, one by one", lambda r=r: sweep(1, f"o{r}")),
            (separate_name, lambda r=r: separate(f"t{r}")),
        ):
            _sync(args.device)
            start = time.perf_counter()
            fn()
            _sync(args.device)
            times[name].append(time.perf_counter() - start)

    batched = statistics.median(times["sweep, batched"])
    fastest = min(times["sweep, batched"])
    threads = args.threads or "default"
    print(f"{args.arch} {size}, {args.steps} steps Euler a, axes {' x '.join(args.axes)}: "
          f"{cells} images, batched in {calls} engine calls (batch size {args.batch_size}), "
          f"device {args.device}, threads {threads}, {args.repeats} rounds")  # fmt: skip
    for name, values in times.items():
        median, best = statistics.median(values), min(values)
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {name:18s} median {median:7.2f} s ({median / batched:.2f}x)  "
              f"best {best:7.2f} s ({best / fastest:.2f}x)  runs: {runs}")  # fmt: skip


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


if __name__ == "__main__":
    main()
