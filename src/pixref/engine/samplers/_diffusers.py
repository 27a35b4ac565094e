"""The one place pixref builds diffusers schedulers (DDIM, PLMS, UniPC), and VP-space helpers.

The timestep samplers step in DDPM ("variance preserving") space,
``x_vp = x / sqrt(1 + sigma**2)``, with the model's eps; pixref's loop keeps the
k-diffusion space ``x = x0 + sigma * eps`` and a denoiser returning x0, so the
samplers convert at each step.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from pixref.engine.samplers._model_sigmas import ModelSigmas


def base_config(model: ModelSigmas) -> dict[str, Any]:
    """The model's diffusers scheduler config, or one rebuilt from its training sigmas."""
    if model.scheduler_config is not None:
        return dict(model.scheduler_config)
    ac = model.alphas_cumprod
    betas = 1 - ac / torch.cat([ac.new_ones(1), ac[:-1]])
    return {
        "num_train_timesteps": len(ac),
        "trained_betas": betas.tolist(),
        "prediction_type": "epsilon",
    }


def configured_scheduler(cls: type, model: ModelSigmas, **overrides: Any) -> Any:
    """``cls.from_config(base, **overrides)``: a fresh scheduler; no config is ever mutated.

    The model output pixref feeds is always eps, whatever the checkpoint predicts
    (the denoiser already turned v into x0), hence ``prediction_type="epsilon"``.
    """
    return cls.from_config(base_config(model), prediction_type="epsilon", **overrides)


def to_vp(x: Tensor, sigma: Tensor) -> Tensor:
    return x / (sigma**2 + 1) ** 0.5


def from_vp(x_vp: Tensor, sigma: Tensor) -> Tensor:
    return x_vp * (sigma**2 + 1) ** 0.5


def eps_of(x: Tensor, sigma: Tensor, denoised: Tensor) -> Tensor:
    """eps = (x - x0) / sigma, the same in both spaces."""
    return (x - denoised) / sigma
