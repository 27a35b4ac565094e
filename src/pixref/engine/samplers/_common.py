"""Shared pieces of the sigma-space samplers: the model contract and two tiny formulas.

Every sampler works in the variance-exploding parameterisation of Karras et al.
(2022): ``x = x0 + sigma * eps``, with a denoiser ``denoise(x, sigma) -> x0``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import torch
from torch import Tensor

#: ``denoise(x, sigma) -> x0``: x is ``(B, C, H, W)`` float32, sigma a 0-d tensor.
Denoise = Callable[[Tensor, Tensor], Tensor]
#: ``on_step(i, x, sigma, denoised)`` after each sampler step; raising stops the run.
OnStep = Callable[[int, Tensor, Tensor, Tensor], None]
#: ``brownian(sigma, sigma_next) -> Tensor`` shaped like x, unit variance.
BrownianNoise = Callable[[Tensor, Tensor], Tensor]


class StepNoise(Protocol):
    """Where samplers get randomness from (`pixref.engine.noise.ImageNoise` is one).

    ``step_like(x)`` gives fresh standard-normal noise shaped like ``x`` (one
    stream per image); ``brownian(x, sigmas)`` gives a Brownian-tree noise
    sampler over the run's sigma range, called as ``(sigma, sigma_next)``.
    """

    def step_like(self, x: Tensor) -> Tensor: ...

    def brownian(self, x: Tensor, sigmas: Tensor) -> BrownianNoise: ...


def to_d(x: Tensor, sigma: Tensor, denoised: Tensor) -> Tensor:
    """The probability-flow ODE derivative dx/dsigma = (x - x0) / sigma (Karras eq. 3)."""
    return (x - denoised) / sigma


def ancestral_step(sigma: Tensor, sigma_next: Tensor, eta: float = 1.0) -> tuple[Tensor, Tensor]:
    """Split a step sigma -> sigma_next into a deterministic part and fresh noise.

    Returns ``(sigma_down, sigma_up)`` with ``sigma_down**2 + sigma_up**2 ==
    sigma_next**2``; ``eta`` scales the ancestral (DDPM-like) noise, 0 gives an
    ODE step (Song et al. 2021, eq. 16, in sigma form).
    """
    if not eta:
        return sigma_next, torch.zeros_like(sigma_next)
    var = sigma_next**2 * (sigma**2 - sigma_next**2) / sigma**2
    sigma_up = torch.minimum(sigma_next, eta * var**0.5)
    sigma_down = (sigma_next**2 - sigma_up**2) ** 0.5
    return sigma_down, sigma_up
