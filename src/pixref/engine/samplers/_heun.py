"""Heun: second-order (trapezoidal) steps along the probability-flow ODE."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from pixref.engine.samplers._common import Denoise, OnStep, StepNoise, to_d
from pixref.engine.samplers._euler import churn_gamma


@torch.no_grad()
def sample_heun(
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
    """Heun steps of Karras et al. (2022), "Elucidating the Design Space...", Algorithm 2.

    Two model calls per step (an Euler predictor, then the average slope),
    except the last step to sigma 0, which is a plain Euler step (Algorithm 2,
    line 9). Parameters and returns as `sample_euler`.
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
        dt = sigmas[i + 1] - sigma_hat
        if sigmas[i + 1] == 0:
            # Euler method: the slope at sigma 0 is undefined
            x = x + d * dt
        else:
            # Heun's method
            x_2 = x + d * dt
            d_2 = to_d(x_2, sigmas[i + 1], denoise(x_2, sigmas[i + 1]))
            x = x + (d + d_2) / 2 * dt
    return x
