"""Polyexponential: log sigma along a polynomial ramp (k-diffusion's polyexponential)."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def sigmas_polyexponential(n: int, sigma_min: float, sigma_max: float, rho: float = 1.0) -> Tensor:
    """``exp(ramp^rho (ln sigma_max - ln sigma_min) + ln sigma_min)``, ramp 1 -> 0, then 0.

    With A1111's default rho = 1 this equals the exponential schedule. Returns ``(n + 1,)``.
    """
    ramp = torch.linspace(1, 0, n) ** rho
    sigmas = torch.exp(ramp * (math.log(sigma_max) - math.log(sigma_min)) + math.log(sigma_min))
    return torch.cat([sigmas, sigmas.new_zeros(1)])
