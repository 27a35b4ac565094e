"""DPM++ 2M SDE: the second-order multistep SDE solver (midpoint or Heun correction)."""

from __future__ import annotations

import torch
from torch import Tensor

from pixref.engine.samplers._common import Denoise, OnStep, StepNoise

SOLVER_TYPES = ("midpoint", "heun")


@torch.no_grad()
def sample_dpmpp_2m_sde(
    denoise: Denoise,
    x: Tensor,
    sigmas: Tensor,
    *,
    noise: StepNoise,
    on_step: OnStep | None = None,
    eta: float = 1.0,
    s_noise: float = 1.0,
    solver_type: str = "midpoint",
) -> Tensor:
    """SDE-DPM-Solver++(2M) of Lu et al. (2022b), "DPM-Solver++", §4 / Appendix (eq. for SDE 2M).

    Exact integration of the linear part of the reverse SDE in lambda = -log
    sigma with ``eta * h`` of injected noise, plus a multistep correction from
    the previous x0 estimate: ``"midpoint"`` (A1111 "DPM++ 2M SDE") or
    ``"heun"`` ("DPM++ 2M SDE Heun"). The step to sigma 0 returns x0. Noise
    comes from ``noise.brownian(x, sigmas)``. Other parameters as
    `sample_euler_ancestral`.
    """
    if solver_type not in SOLVER_TYPES:
        raise ValueError(f"solver_type must be one of {SOLVER_TYPES}, got {solver_type!r}")
    brownian = noise.brownian(x, sigmas)
    old_denoised, h_last = None, None
    for i in range(len(sigmas) - 1):
        denoised = denoise(x, sigmas[i])
        if on_step is not None:
            on_step(i, x, sigmas[i], denoised)
        if sigmas[i + 1] == 0:
            x, h = denoised, None
        else:
            h = sigmas[i].log() - sigmas[i + 1].log()
            eta_h = eta * h
            phi_1 = (-h - eta_h).expm1().neg()
            x = sigmas[i + 1] / sigmas[i] * (-eta_h).exp() * x + phi_1 * denoised
            if old_denoised is not None:
                r = h_last / h
                if solver_type == "heun":
                    x = x + (phi_1 / (-h - eta_h) + 1) * (1 / r) * (denoised - old_denoised)
                else:
                    x = x + 0.5 * phi_1 * (1 / r) * (denoised - old_denoised)
            if eta:
                scale = sigmas[i + 1] * (-2 * eta_h).expm1().neg().sqrt() * s_noise
                x = x + brownian(sigmas[i], sigmas[i + 1]) * scale
        old_denoised, h_last = denoised, h
    return x
