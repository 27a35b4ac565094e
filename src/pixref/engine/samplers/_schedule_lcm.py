"""LCM's own noise levels: 50 of the 1000 training timesteps (A1111's ``LCMCompVisDenoiser``)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from pixref.engine.samplers._model_sigmas import ModelSigmas

#: LCM was distilled on 50 "original" timesteps: 19, 39, ..., 999.
LCM_ORIGINAL_STEPS = 50


@dataclass(frozen=True, kw_only=True, eq=False)
class LcmModelSigmas(ModelSigmas):
    """The model sigmas at LCM's 50 original timesteps; t maps to the real timestep.

    ``sigma_to_t`` snaps to the nearest of the 50 and returns its real
    timestep (``idx * skip + skip - 1``); ``t_to_sigma`` inverts that with
    log-sigma interpolation, as A1111 does.
    """

    skip_steps: int = 20

    @classmethod
    def from_model(cls, model: ModelSigmas, original_steps: int = LCM_ORIGINAL_STEPS):
        skip = len(model.sigmas) // original_steps
        # A1111: valid[49 - x] = alphas_cumprod[999 - 20 x], i.e. timesteps 19, 39, ..., 999
        picked = model.sigmas[skip - 1 + skip * torch.arange(original_steps)]
        return cls(
            sigmas=picked,
            v_prediction=model.v_prediction,
            is_sdxl=model.is_sdxl,
            scheduler_config=model.scheduler_config,
            skip_steps=skip,
        )

    def sigma_to_t(self, sigma: Tensor) -> Tensor:
        dists = sigma.log() - self.log_sigmas.to(sigma.device)[:, None]
        idx = dists.abs().argmin(dim=0).view(sigma.shape)
        return idx * self.skip_steps + (self.skip_steps - 1)

    def t_to_sigma(self, t: Tensor) -> Tensor:
        last = len(self.sigmas) - 1
        t = ((t - (self.skip_steps - 1)) / self.skip_steps).float().clamp(0, last)
        return super().t_to_sigma(t)

    def get_sigmas(self, n: int) -> Tensor:
        """LCM's uniform schedule: linspace(t(sigma_max), t(sigma_min), n) to sigma, then 0."""
        start = self.sigma_to_t(self.sigmas[-1]).item()
        end = self.sigma_to_t(self.sigmas[0]).item()
        t = torch.linspace(start, end, n)
        return torch.cat([self.t_to_sigma(t), t.new_zeros(1)])
