"""Normal and SGM Uniform: evenly spaced fractional timesteps from t(sigma_max) to t(sigma_min)."""

from __future__ import annotations

import torch
from torch import Tensor

from pixref.engine.samplers._model_sigmas import ModelSigmas


def sigmas_normal(
    n: int, sigma_min: float, sigma_max: float, model: ModelSigmas, *, sgm: bool = False
) -> Tensor:
    """A1111's ``normal_scheduler``: ``t_to_sigma(linspace(t(s_max), t(s_min), n))``, then 0.

    With ``sgm=True`` (SGM Uniform) the linspace has n + 1 points and drops the
    last, as Stability's sgm sampling does. Returns ``(n + 1,)`` float32.
    """
    start = model.sigma_to_t(torch.tensor(sigma_max))
    end = model.sigma_to_t(torch.tensor(sigma_min))
    t = (
        torch.linspace(start.item(), end.item(), n + 1)[:-1]
        if sgm
        else torch.linspace(start.item(), end.item(), n)
    )
    return torch.cat([model.t_to_sigma(t), t.new_zeros(1)])


def sigmas_sgm_uniform(n: int, sigma_min: float, sigma_max: float, model: ModelSigmas) -> Tensor:
    """SGM Uniform: `sigmas_normal` with ``sgm=True``."""
    return sigmas_normal(n, sigma_min, sigma_max, model, sgm=True)
