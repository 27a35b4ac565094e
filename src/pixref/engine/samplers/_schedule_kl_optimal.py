"""KL Optimal: the schedule of Sabour et al. (2024), "Align Your Steps", eq. for KL-optimal."""

from __future__ import annotations

import torch
from torch import Tensor


def sigmas_kl_optimal(n: int, sigma_min: float, sigma_max: float) -> Tensor:
    """``tan(i/n atan(sigma_min) + (1 - i/n) atan(sigma_max))`` for i = 0..n.

    As A1111, no 0 is appended: the run ends at ``sigma_min``. Returns ``(n + 1,)`` float32.
    """
    alpha_min = torch.arctan(torch.tensor(sigma_min, dtype=torch.float32))
    alpha_max = torch.arctan(torch.tensor(sigma_max, dtype=torch.float32))
    i = torch.arange(n + 1)
    return torch.tan(i / n * alpha_min + (1.0 - i / n) * alpha_max)
