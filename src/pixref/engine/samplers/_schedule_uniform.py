"""Uniform: evenly spaced training timesteps (k-diffusion ``DiscreteSchedule.get_sigmas``)."""

from __future__ import annotations

from torch import Tensor

from pixref.engine.samplers._model_sigmas import ModelSigmas


def sigmas_uniform(n: int, sigma_min: float, sigma_max: float, model: ModelSigmas) -> Tensor:
    """``t = linspace(T - 1, 0, n)`` mapped to sigma in log space, then 0.

    Ignores ``sigma_min``/``sigma_max`` (A1111 does too). Returns ``(n + 1,)`` float32.
    """
    return model.get_sigmas(n)
