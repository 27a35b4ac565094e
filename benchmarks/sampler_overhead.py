"""Per-step overhead of pixref's sampler loops against diffusers' scheduler ``.step()`` loops.

A trivial denoiser (``x0 = 0.9 x``, no model) isolates the sampling maths and
bookkeeping. pixref's Euler a (per-image seeded step noise from
`pixref.engine.noise.ImageNoise`) and DPM++ 2M run on the same sigmas as
diffusers' ``EulerAncestralDiscreteScheduler`` (seeded generator noise) and
``DPMSolverMultistepScheduler`` (dpmsolver++, order 2) in the same process,
best of several repeats.

    python benchmarks/sampler_overhead.py [--steps 30] [--size 1024] [--batch 1] [--repeats 7]

Reports milliseconds per step and the ratio pixref / diffusers (below 1:
pixref's loop is cheaper). A real UNet step costs 50-1000 ms, so either loop
is noise next to it; this guards against the loop becoming the bottleneck.
"""

from __future__ import annotations

import argparse
import time

import torch
from diffusers import DPMSolverMultistepScheduler, EulerAncestralDiscreteScheduler
from diffusers.utils import logging as diffusers_logging

from pixref.engine import samplers as S
from pixref.engine.noise import ImageNoise

CONFIG = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "timestep_spacing": "linspace",
}


def model(x_in: torch.Tensor) -> torch.Tensor:
    """A stand-in eps model: one cheap elementwise op instead of a UNet."""
    return x_in * 0.1


def denoise(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """What the engine's denoiser does around the UNet: scale in (c_in), eps -> x0."""
    return x - sigma * model(x / (sigma**2 + 1) ** 0.5)


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def pixref_loop(sampler: str, sigmas, shape, batch):
    spec = S.sampler_spec(sampler)

    def run():
        noise = ImageNoise(list(range(batch)), shape=shape, rng="CPU")
        x = noise.initial() * sigmas[0]
        spec.function(denoise, x, sigmas, noise=noise, **spec.knobs)

    return run


def diffusers_loop(sampler: str, sigmas, shape, batch):
    def run():
        if sampler == "Euler a":
            scheduler = EulerAncestralDiscreteScheduler.from_config(CONFIG)
        else:
            scheduler = DPMSolverMultistepScheduler.from_config(
                CONFIG, algorithm_type="dpmsolver++", solver_order=2
            )
        scheduler.set_timesteps(len(sigmas) - 1)
        scheduler.sigmas = sigmas.clone()
        generator = torch.Generator().manual_seed(0)
        x = torch.randn((batch, *shape), generator=generator) * sigmas[0]
        if sampler != "Euler a":
            x = x / (sigmas[0] ** 2 + 1) ** 0.5  # DPM-Solver steps in DDPM scale
        kwargs = {"generator": generator} if sampler == "Euler a" else {}
        for t in scheduler.timesteps:
            # a diffusers pipeline: scale the input, call the model, step
            eps = model(scheduler.scale_model_input(x, t))
            x = scheduler.step(eps, t, x, **kwargs).prev_sample

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--size", type=int, default=1024, help="image side in pixels")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    diffusers_logging.set_verbosity_error()
    shape = (4, args.size // 8, args.size // 8)
    model = S.ModelSigmas.from_alphas_cumprod(S.scaled_linear_alphas_cumprod())
    print(f"latent {args.batch}x{shape}, {args.steps} steps, 1 thread, best of {args.repeats}")
    print(f"{'sampler':<10} {'pixref ms/step':>15} {'diffusers ms/step':>18} {'ratio':>7}")
    for sampler in ("Euler a", "DPM++ 2M"):
        sigmas = S.sigmas_for(sampler, "Karras", args.steps, model)
        ours = _best(pixref_loop(sampler, sigmas, shape, args.batch), args.repeats)
        theirs = _best(diffusers_loop(sampler, sigmas, shape, args.batch), args.repeats)
        per_ours, per_theirs = 1000 * ours / args.steps, 1000 * theirs / args.steps
        print(f"{sampler:<10} {per_ours:>15.3f} {per_theirs:>18.3f} {ours / theirs:>7.2f}")


if __name__ == "__main__":
    main()
