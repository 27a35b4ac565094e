"""DPM++ 3M SDE: the third-order multistep SDE solver."""

from __future__ import annotations

import torch
from torch import Tensor

from pixref.engine.samplers._common import Denoise, OnStep, StepNoise


@torch.no_grad()
def sample_dpmpp_3m_sde(
    denoise: Denoise,
    x: Tensor,
    sigmas: Tensor,
    *,
    noise: StepNoise,
    on_step: OnStep | None = None,
    eta: float = 1.0,
    s_noise: float = 1.0,
) -> Tensor:
    """SDE-DPM-Solver++(3M): Lu et al. (2022b) multistep solver, third order, with SDE noise.

    With ``h_eta = h (1 + eta)`` the linear part is integrated exactly; the
    first and second divided differences of the last three x0 estimates give
    the phi_2 / phi_3 corrections (exponential Adams–Bashforth, Hochbruck &
    Ostermann 2010). Early steps drop to 1st/2nd order; the step to sigma 0
    returns x0. Noise from ``noise.brownian(x, sigmas)``. Parameters as
    `sample_euler_ancestral`.
    """
    brownian = noise.brownian(x, sigmas)
    denoised_1, denoised_2, h_1, h_2 = None, None, None, None
    for i in range(len(sigmas) - 1):
        denoised = denoise(x, sigmas[i])
        if on_step is not None:
            on_step(i, x, sigmas[i], denoised)
        h = None
        if sigmas[i + 1] == 0:
            x = denoised
        else:
            h = sigmas[i].log() - sigmas[i + 1].log()
            h_eta = h * (eta + 1)
            x = torch.exp(-h_eta) * x + (-h_eta).expm1().neg() * denoised
            phi_2 = h_eta.neg().expm1() / h_eta + 1
            if h_2 is not None:
                r0, r1 = h_1 / h, h_2 / h
                d1_0 = (denoised - denoised_1) / r0
                d1_1 = (denoised_1 - denoised_2) / r1
                d1 = d1_0 + (d1_0 - d1_1) * r0 / (r0 + r1)
                d2 = (d1_0 - d1_1) / (r0 + r1)
                x = x + phi_2 * d1 - (phi_2 / h_eta - 0.5) * d2
            elif h_1 is not None:
                x = x + phi_2 * (denoised - denoised_1) / (h_1 / h)
            if eta:
                scale = sigmas[i + 1] * (-2 * h * eta).expm1().neg().sqrt() * s_noise
                x = x + brownian(sigmas[i], sigmas[i + 1]) * scale
        denoised_1, denoised_2, h_1, h_2 = denoised, denoised_1, h, h_1
    return x
