"""Euler: first-order steps along the probability-flow ODE, optionally with churn."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from pixref.engine.samplers._common import Denoise, OnStep, StepNoise, to_d


def churn_gamma(sigma: Tensor, n: int, s_churn: float, s_tmin: float, s_tmax: float) -> float:
    """Karras et al. (2022) Algorithm 2 gamma_i: extra noise, capped at sqrt(2) - 1."""
    if s_churn > 0 and s_tmin <= sigma <= s_tmax:
        return min(s_churn / n, math.sqrt(2) - 1)
    return 0.0


@torch.no_grad()
def sample_euler(
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
    """Euler steps of Karras et al. (2022), "Elucidating the Design Space...", Algorithm 2.

    Parameters
    ----------
    denoise : callable
        ``denoise(x, sigma) -> x0``.
    x : (B, C, H, W) float32 tensor
        Latent at ``sigmas[0]`` (noise times ``sigmas[0]`` for txt2img).
    sigmas : (n + 1,) float32 tensor
        Decreasing noise levels, usually ending in 0.
    noise : StepNoise
        Source of churn noise; drawn only when ``s_churn > 0`` (as k-diffusion).
    on_step : callable, optional
        ``on_step(i, x, sigma, denoised)`` after each step's model call.
    s_churn, s_tmin, s_tmax, s_noise : float
        Algorithm 2's stochasticity knobs; the defaults give the plain ODE solver.

    Returns
    -------
    x : (B, C, H, W) float32 tensor
        The sample at ``sigmas[-1]``.
    """
    n = len(sigmas) - 1
    for i in range(n):
        gamma = churn_gamma(sigmas[i], n, s_churn, s_tmin, s_tmax)
        sigma_hat = sigmas[i] * (gamma + 1)
        if gamma > 0:
            eps = noise.step_like(x) * s_noise
            x = x + eps * (sigma_hat**2 - sigmas[i] ** 2) ** 0.5
        denoised = denoise(x, sigma_hat)
        if on_step is not None:
            on_step(i, x, sigmas[i], denoised)
        # Euler method
        x = x + to_d(x, sigma_hat, denoised) * (sigmas[i + 1] - sigma_hat)
    return x
