"""DPM++ 2S a: DPM-Solver++(2S) single-step to sigma_down, then fresh noise."""

from __future__ import annotations

import torch
from torch import Tensor

from pixref.engine.samplers._common import Denoise, OnStep, StepNoise, ancestral_step, to_d


@torch.no_grad()
def sample_dpmpp_2s_ancestral(
    denoise: Denoise,
    x: Tensor,
    sigmas: Tensor,
    *,
    noise: StepNoise,
    on_step: OnStep | None = None,
    eta: float = 1.0,
    s_noise: float = 1.0,
) -> Tensor:
    """Ancestral sampling with DPM-Solver++(2S) steps (Lu et al. 2022b, Algorithm 1, r = 1/2).

    In lambda = -log sigma: an intermediate point at ``s = t + h/2`` and a
    data-prediction update from it to ``sigma_down``, then ``sigma_up`` of
    noise while ``sigma_next > 0``. Parameters as `sample_euler_ancestral`.
    """
    for i in range(len(sigmas) - 1):
        denoised = denoise(x, sigmas[i])
        sigma_down, sigma_up = ancestral_step(sigmas[i], sigmas[i + 1], eta)
        if on_step is not None:
            on_step(i, x, sigmas[i], denoised)
        if sigma_down == 0:
            # Euler method
            x = x + to_d(x, sigmas[i], denoised) * (sigma_down - sigmas[i])
        else:
            t, t_next = -sigmas[i].log(), -sigma_down.log()
            h = t_next - t
            s = t + h / 2
            x_2 = ((-s).exp() / (-t).exp()) * x - (-h / 2).expm1() * denoised
            denoised_2 = denoise(x_2, (-s).exp())
            x = ((-t_next).exp() / (-t).exp()) * x - (-h).expm1() * denoised_2
        if sigmas[i + 1] > 0:
            x = x + noise.step_like(x) * s_noise * sigma_up
    return x
