"""Exponential: evenly spaced in log sigma."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def sigmas_exponential(n: int, sigma_min: float, sigma_max: float) -> Tensor:
    """``exp(linspace(ln sigma_max, ln sigma_min, n))``, then 0. Returns ``(n + 1,)`` float32."""
    sigmas = torch.linspace(math.log(sigma_max), math.log(sigma_min), n).exp()
    return torch.cat([sigmas, sigmas.new_zeros(1)])
