"""A model's 1000 training noise levels, and the t <-> sigma maps A1111's schedules use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor


def scaled_linear_alphas_cumprod(
    beta_start: float = 0.00085, beta_end: float = 0.012, num_timesteps: int = 1000
) -> Tensor:
    """alphas_cumprod of SD's "scaled linear" betas, as A1111 builds them.

    ldm/sgm compute ``linspace(sqrt(start), sqrt(end), n) ** 2`` and the
    cumulative product in float64, then store float32; A1111 reads that buffer.

    Returns
    -------
    alphas_cumprod : (num_timesteps,) float32 tensor
    """
    betas = np.linspace(beta_start**0.5, beta_end**0.5, num_timesteps, dtype=np.float64) ** 2
    return torch.tensor(np.cumprod(1.0 - betas), dtype=torch.float32)


@dataclass(frozen=True, kw_only=True, eq=False)
class ModelSigmas:
    """The discrete noise levels a model was trained on (k-diffusion's ``DiscreteSchedule``).

    Attributes
    ----------
    sigmas : (T,) float32 tensor
        ``sqrt((1 - alphas_cumprod) / alphas_cumprod)``, increasing with t (T = 1000).
    v_prediction : bool
        Whether the UNet predicts v (SD 2.x 768) rather than eps; for the denoiser.
    is_sdxl : bool
        Picks the SDXL "Align Your Steps" list.
    scheduler_config : mapping, optional
        The model's diffusers scheduler config, base of the DDIM/PLMS/UniPC samplers.
    """

    sigmas: Tensor
    v_prediction: bool = False
    is_sdxl: bool = False
    scheduler_config: Mapping[str, Any] | None = field(default=None, compare=False)

    @classmethod
    def from_alphas_cumprod(cls, alphas_cumprod: Tensor, **kwargs: Any) -> ModelSigmas:
        """Build from a ``(T,)`` alphas_cumprod; float32 maths as k-diffusion's wrappers."""
        ac = alphas_cumprod.float()
        return cls(sigmas=((1 - ac) / ac) ** 0.5, **kwargs)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, is_sdxl: bool = False) -> ModelSigmas:
        """Build from a diffusers scheduler config, with A1111's float64 beta maths.

        Understands ``trained_betas`` and ``beta_schedule`` "scaled_linear" (SD's
        ldm "linear") and "linear"; ``prediction_type`` "v_prediction" sets
        `v_prediction`. The config is kept (read-only) for the timestep samplers.
        """
        n = int(config.get("num_train_timesteps", 1000))
        start, end = config.get("beta_start", 0.00085), config.get("beta_end", 0.012)
        schedule = config.get("beta_schedule", "scaled_linear")
        if config.get("trained_betas") is not None:
            betas = np.asarray(config["trained_betas"], dtype=np.float64)
        elif schedule == "scaled_linear":
            betas = np.linspace(start**0.5, end**0.5, n, dtype=np.float64) ** 2
        elif schedule == "linear":
            betas = np.linspace(start, end, n, dtype=np.float64)
        else:
            raise ValueError(f"beta_schedule {schedule!r} is not one SD checkpoints use")
        ac = torch.tensor(np.cumprod(1.0 - betas), dtype=torch.float32)
        return cls.from_alphas_cumprod(
            ac,
            v_prediction=config.get("prediction_type") == "v_prediction",
            is_sdxl=is_sdxl,
            scheduler_config=dict(config),
        )

    @property
    def log_sigmas(self) -> Tensor:
        return self.sigmas.log()

    @property
    def sigma_min(self) -> float:
        return self.sigmas[0].item()

    @property
    def sigma_max(self) -> float:
        return self.sigmas[-1].item()

    @property
    def alphas_cumprod(self) -> Tensor:
        return 1 / (self.sigmas.double() ** 2 + 1)

    def sigma_to_t(self, sigma: Tensor) -> Tensor:
        """Fractional timestep of ``sigma``, interpolating linearly in log sigma (no quantising)."""
        log_sigmas = self.log_sigmas.to(sigma.device)
        log_sigma = sigma.log()
        dists = log_sigma - log_sigmas[:, None]
        low = dists.ge(0).cumsum(dim=0).argmax(dim=0).clamp(max=log_sigmas.shape[0] - 2)
        w = ((log_sigmas[low] - log_sigma) / (log_sigmas[low] - log_sigmas[low + 1])).clamp(0, 1)
        return ((1 - w) * low + w * (low + 1)).view(sigma.shape)

    def t_to_sigma(self, t: Tensor) -> Tensor:
        """Sigma at fractional timestep ``t``, interpolating linearly in log sigma."""
        t = t.float()
        log_sigmas = self.log_sigmas.to(t.device)
        low, high, w = t.floor().long(), t.ceil().long(), t.frac()
        return ((1 - w) * log_sigmas[low] + w * log_sigmas[high]).exp()

    def get_sigmas(self, n: int) -> Tensor:
        """k-diffusion's ``get_sigmas(n)``: ``t = linspace(T - 1, 0, n)`` to sigma, then 0."""
        t = torch.linspace(len(self.sigmas) - 1, 0, n)
        return torch.cat([self.t_to_sigma(t), t.new_zeros(1)])

    def timestep(self, sigma: Tensor) -> Tensor:
        """Nearest training timestep (integer) of ``sigma``, in log sigma."""
        dists = sigma.log() - self.log_sigmas.to(sigma.device)[:, None]
        return dists.abs().argmin(dim=0).view(sigma.shape)
