"""Euler a: Euler steps to sigma_down, then fresh noise up to sigma_next."""

from __future__ import annotations

import torch
from torch import Tensor

from pixref.engine.samplers._common import Denoise, OnStep, StepNoise, ancestral_step, to_d


@torch.no_grad()
def sample_euler_ancestral(
    denoise: Denoise,
    x: Tensor,
    sigmas: Tensor,
    *,
    noise: StepNoise,
    on_step: OnStep | None = None,
    eta: float = 1.0,
    s_noise: float = 1.0,
) -> Tensor:
    """Ancestral sampling with Euler steps (k-diffusion's ``sample_euler_ancestral``).

    Each step goes deterministically to ``sigma_down`` along the probability-flow
    ODE (Karras et al. 2022, eq. 3) and adds ``sigma_up`` of fresh noise, the
    sigma-space form of DDPM ancestral sampling (Ho et al. 2020; Song et al.
    2021 eq. 16 with ``eta``).

    Parameters
    ----------
    denoise, x, sigmas, on_step
        As `sample_euler`.
    noise : StepNoise
        ``noise.step_like(x)`` is drawn once per step that ends above sigma 0;
        A1111 continues each image's seeded generator here.
    eta : float
        Ancestral noise scale; A1111's "Eta" (``eta_ancestral``, default 1).
    s_noise : float
        Multiplier on the added noise.

    Returns
    -------
    x : (B, C, H, W) float32 tensor
    """
    for i in range(len(sigmas) - 1):
        denoised = denoise(x, sigmas[i])
        sigma_down, sigma_up = ancestral_step(sigmas[i], sigmas[i + 1], eta)
        if on_step is not None:
            on_step(i, x, sigmas[i], denoised)
        # Euler method
        x = x + to_d(x, sigmas[i], denoised) * (sigma_down - sigmas[i])
        if sigmas[i + 1] > 0:
            x = x + noise.step_like(x) * s_noise * sigma_up
    return x
