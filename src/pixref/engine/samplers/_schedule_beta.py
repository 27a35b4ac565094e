"""Beta: sigmas at quantiles of a Beta distribution (Lee et al. 2024, "Beta Sampling...")."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def sigmas_beta(
    n: int, sigma_min: float, sigma_max: float, alpha: float = 0.6, beta: float = 0.6
) -> Tensor:
    """``sigma_min + ppf_Beta(1 - linspace(0, 1, n); alpha, beta) (sigma_max - sigma_min)``, then 0.

    Linear in sigma between the model's ends, as A1111's ``beta_scheduler``
    (defaults ``beta_dist_alpha`` = ``beta_dist_beta`` = 0.6). Needs scipy.
    Returns ``(n + 1,)`` float32.
    """
    from scipy import stats  # only this schedule needs scipy

    quantiles = [stats.beta.ppf(q, alpha, beta) for q in 1 - np.linspace(0, 1, n)]
    sigmas = [sigma_min + q * (sigma_max - sigma_min) for q in quantiles]
    return torch.tensor([*sigmas, 0.0], dtype=torch.float32)
