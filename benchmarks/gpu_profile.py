"""Where an SDXL 1024² image's time goes in pixref (encode, loop, decode), with a CUDA profile.

python benchmarks/gpu_profile.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from benchmarks.gpu_speed import PROMPT, _build  # noqa: E402


def main() -> None:
    from pixref.engine import _generate, generate
    from pixref.params import GenerationParams

    models = _build("sdxl")
    params = GenerationParams(prompt=PROMPT, steps=20, sampler="Euler a", seed=1, width=1024,
                              height=1024)  # fmt: skip
    generate(params, models)
    timings = {}
    for name in ("_to_images",):
        original = getattr(_generate, name)

        def timed(*a, _original=original, _name=name, **k):
            torch.cuda.synchronize()
            start = time.perf_counter()
            out = _original(*a, **k)
            torch.cuda.synchronize()
            timings[_name] = time.perf_counter() - start
            return out

        setattr(_generate, name, timed)
    torch.cuda.synchronize()
    start = time.perf_counter()
    generate(params, models)
    torch.cuda.synchronize()
    total = time.perf_counter() - start
    print(f"total {total:.3f}s, decode {timings['_to_images']:.3f}s", flush=True)
    activities = [torch.profiler.ProfilerActivity.CPU, torch.profiler.ProfilerActivity.CUDA]
    with torch.profiler.profile(activities=activities) as prof:
        generate(params.replace(steps=5), models)
    print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=25), flush=True)
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=15), flush=True)


if __name__ == "__main__":
    main()
