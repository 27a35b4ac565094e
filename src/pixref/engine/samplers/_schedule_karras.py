"""Karras: the rho-warped schedule of Karras et al. (2022), eq. 5."""

from __future__ import annotations

import torch
from torch import Tensor


def sigmas_karras(n: int, sigma_min: float, sigma_max: float, rho: float = 7.0) -> Tensor:
    """``(sigma_max^(1/rho) + ramp (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho``, then 0.

    ``ramp = linspace(0, 1, n)``; float32 as k-diffusion. Returns ``(n + 1,)``.

    >>> [round(s, 4) for s in sigmas_karras(3, 0.1, 10.0).tolist()]
    [10.0, 1.5111, 0.1, 0.0]
    """
    ramp = torch.linspace(0, 1, n)
    min_inv_rho = sigma_min ** (1 / rho)
    max_inv_rho = sigma_max ** (1 / rho)
    sigmas = (max_inv_rho + ramp * (min_inv_rho - max_inv_rho)) ** rho
    return torch.cat([sigmas, sigmas.new_zeros(1)])
