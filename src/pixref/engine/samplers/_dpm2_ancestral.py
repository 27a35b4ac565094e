"""DPM2 a: the DPM2 midpoint step to sigma_down, then fresh noise."""

from __future__ import annotations

import torch
from torch import Tensor

from pixref.engine.samplers._common import Denoise, OnStep, StepNoise, ancestral_step, to_d


@torch.no_grad()
def sample_dpm_2_ancestral(
    denoise: Denoise,
    x: Tensor,
    sigmas: Tensor,
    *,
    noise: StepNoise,
    on_step: OnStep | None = None,
    eta: float = 1.0,
    s_noise: float = 1.0,
) -> Tensor:
    """Ancestral sampling with DPM-Solver-2 midpoint steps (Lu et al. 2022, Algorithm 1).

    As `sample_dpm_2` down to ``sigma_down``, then ``sigma_up`` of noise
    (`sample_euler_ancestral`). When ``sigma_down`` is 0 the step is Euler and,
    as in k-diffusion, no noise is drawn. Parameters as `sample_euler_ancestral`.
    """
    for i in range(len(sigmas) - 1):
        denoised = denoise(x, sigmas[i])
        sigma_down, sigma_up = ancestral_step(sigmas[i], sigmas[i + 1], eta)
        if on_step is not None:
            on_step(i, x, sigmas[i], denoised)
        d = to_d(x, sigmas[i], denoised)
        if sigma_down == 0:
            # Euler method
            x = x + d * (sigma_down - sigmas[i])
        else:
            sigma_mid = sigmas[i].log().lerp(sigma_down.log(), 0.5).exp()
            x_2 = x + d * (sigma_mid - sigmas[i])
            d_2 = to_d(x_2, sigma_mid, denoise(x_2, sigma_mid))
            x = x + d_2 * (sigma_down - sigmas[i])
            x = x + noise.step_like(x) * s_noise * sigma_up
    return x
