"""Toy denoisers with exact answers, and a plain noise source, for the sampler tests.

Data ~ N(mu, s^2) per element: the ideal denoiser is the posterior mean
E[x0 | x] = (s^2 x + sigma^2 mu) / (s^2 + sigma^2), and the probability-flow
ODE has the closed form x(sigma) = mu + (x(T) - mu) sqrt(s^2 + sigma^2) / sqrt(s^2 + T^2).
"""

from __future__ import annotations

import torch
from torch import Tensor

from pixref.engine.noise import BrownianTreeNoise

MU, STD = 0.5, 0.3


def gaussian_denoiser(mu: float = MU, s: float = STD):
    calls: list[float] = []

    def denoise(x: Tensor, sigma: Tensor) -> Tensor:
        calls.append(float(sigma))
        return (s**2 * x + sigma**2 * mu) / (s**2 + sigma**2)

    denoise.calls = calls  # type: ignore[attr-defined]
    return denoise


def exact_ode(x_t: Tensor, sigma_t: float, sigma: float, mu: float = MU, s: float = STD) -> Tensor:
    return mu + (x_t - mu) * ((s**2 + sigma**2) / (s**2 + sigma_t**2)) ** 0.5


class GeneratorNoise:
    """StepNoise over one CPU generator (what diffusers' schedulers draw from)."""

    def __init__(self, seed: int = 0, brownian_seeds: list[int] | None = None) -> None:
        self.generator = torch.Generator().manual_seed(seed)
        self.brownian_seeds = brownian_seeds or [seed]

    def step_like(self, x: Tensor) -> Tensor:
        return torch.randn(x.shape, generator=self.generator, dtype=x.dtype)

    def brownian(self, x: Tensor, sigmas: Tensor):
        return BrownianTreeNoise(x, sigmas, self.brownian_seeds, torch.device("cpu"))


def start(sigma: float, shape=(1, 1, 64, 64), seed: int = 1) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g) * (sigma**2 + STD**2) ** 0.5 + MU
