"""Simple: every (T/n)-th training sigma from the top (ComfyUI's "simple")."""

from __future__ import annotations

import torch
from torch import Tensor

from pixref.engine.samplers._model_sigmas import ModelSigmas


def sigmas_simple(n: int, sigma_min: float, sigma_max: float, model: ModelSigmas) -> Tensor:
    """``model.sigmas[-(1 + int(x * T / n))]`` for x = 0..n-1, then 0. Returns ``(n + 1,)``."""
    ss = len(model.sigmas) / n
    sigmas = [float(model.sigmas[-(1 + int(x * ss))]) for x in range(n)]
    return torch.tensor([*sigmas, 0.0], dtype=torch.float32)
