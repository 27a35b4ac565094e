"""DPM2: a DPM-Solver-2 style midpoint step in log sigma."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from pixref.engine.samplers._common import Denoise, OnStep, StepNoise, to_d
from pixref.engine.samplers._euler import churn_gamma


@torch.no_grad()
def sample_dpm_2(
    denoise: Denoise,
    x: Tensor,
    sigmas: Tensor,
    *,
    noise: StepNoise,
    on_step: OnStep | None = None,
    s_churn: float = 0.0,
    s_tmin: float = 0.0,
    s_tmax: float = math.inf,
    s_noise: float = 1.0,
) -> Tensor:
    """Midpoint steps inspired by DPM-Solver-2 (Lu et al. 2022, Algorithm 1) and Karras Algorithm 2.

    The slope is re-evaluated at the geometric mean of the step's two sigmas
    (the midpoint in log sigma, i.e. in DPM-Solver's lambda) and applied over
    the whole step; the last step to sigma 0 is Euler. A1111 runs it with the
    penultimate sigma discarded. Parameters and returns as `sample_euler`.
    """
    n = len(sigmas) - 1
    for i in range(n):
        gamma = churn_gamma(sigmas[i], n, s_churn, s_tmin, s_tmax)
        sigma_hat = sigmas[i] * (gamma + 1)
        if gamma > 0:
            eps = noise.step_like(x) * s_noise
            x = x + eps * (sigma_hat**2 - sigmas[i] ** 2) ** 0.5
        denoised = denoise(x, sigma_hat)
        d = to_d(x, sigma_hat, denoised)
        if on_step is not None:
            on_step(i, x, sigmas[i], denoised)
        if sigmas[i + 1] == 0:
            # Euler method
            x = x + d * (sigmas[i + 1] - sigma_hat)
        else:
            sigma_mid = sigma_hat.log().lerp(sigmas[i + 1].log(), 0.5).exp()
            x_2 = x + d * (sigma_mid - sigma_hat)
            d_2 = to_d(x_2, sigma_mid, denoise(x_2, sigma_mid))
            x = x + d_2 * (sigmas[i + 1] - sigma_hat)
    return x
