"""DPM++ SDE: the stochastic DPM-Solver++ single-step method with Brownian-tree noise."""

from __future__ import annotations

import torch
from torch import Tensor

from pixref.engine.samplers._common import Denoise, OnStep, StepNoise, ancestral_step, to_d


@torch.no_grad()
def sample_dpmpp_sde(
    denoise: Denoise,
    x: Tensor,
    sigmas: Tensor,
    *,
    noise: StepNoise,
    on_step: OnStep | None = None,
    eta: float = 1.0,
    s_noise: float = 1.0,
    r: float = 0.5,
) -> Tensor:
    """DPM-Solver++ (Lu et al. 2022b) single-step, two stages, with ancestral SDE noise.

    Each stage is a data-prediction step in lambda = -log sigma split by
    `ancestral_step` into a deterministic part and Brownian increments (Song
    et al. 2021 reverse SDE), so the path is one Brownian motion per image:
    step counts change the image smoothly. The intermediate point sits at
    fraction ``r`` of the step. Parameters as `sample_euler_ancestral`; noise
    comes from ``noise.brownian(x, sigmas)``.
    """
    brownian = noise.brownian(x, sigmas)
    fac = 1 / (2 * r)
    for i in range(len(sigmas) - 1):
        denoised = denoise(x, sigmas[i])
        if on_step is not None:
            on_step(i, x, sigmas[i], denoised)
        if sigmas[i + 1] == 0:
            # Euler method
            x = x + to_d(x, sigmas[i], denoised) * (sigmas[i + 1] - sigmas[i])
            continue
        t, t_next = -sigmas[i].log(), -sigmas[i + 1].log()
        s = t + (t_next - t) * r
        sigma_s = (-s).exp()
        # Step 1: to the intermediate noise level
        sd, su = ancestral_step((-t).exp(), sigma_s, eta)
        s_ = -sd.log()
        x_2 = ((-s_).exp() / (-t).exp()) * x - (t - s_).expm1() * denoised
        x_2 = x_2 + brownian((-t).exp(), sigma_s) * s_noise * su
        denoised_2 = denoise(x_2, sigma_s)
        # Step 2: the whole step with the blended x0 estimate
        sd, su = ancestral_step((-t).exp(), (-t_next).exp(), eta)
        t_next_ = -sd.log()
        denoised_d = (1 - fac) * denoised + fac * denoised_2
        x = ((-t_next_).exp() / (-t).exp()) * x - (t - t_next_).expm1() * denoised_d
        x = x + brownian((-t).exp(), (-t_next).exp()) * s_noise * su
    return x
