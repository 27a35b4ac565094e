"""DDIM: the training sigmas at DDIM's "uniform" timesteps 1, 1 + T//n, ... (reversed)."""

from __future__ import annotations

import torch
from torch import Tensor

from pixref.engine.samplers._model_sigmas import ModelSigmas


def sigmas_ddim(n: int, sigma_min: float, sigma_max: float, model: ModelSigmas) -> Tensor:
    """Every ``T // n``-th training sigma from index 1, reversed, then 0.

    May give more than n steps (n = 30: step 33 over 1..991 -> 31 sigmas + 0),
    exactly as A1111's ``ddim_scheduler``. Returns ``(k + 1,)`` float32.
    """
    ss = max(len(model.sigmas) // n, 1)
    sigmas = [float(model.sigmas[x]) for x in range(1, len(model.sigmas), ss)][::-1]
    return torch.tensor([*sigmas, 0.0], dtype=torch.float32)
