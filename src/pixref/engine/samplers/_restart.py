"""Restart: Heun ODE steps with periodic jumps back up in noise (A1111's "Restart")."""

from __future__ import annotations

import torch
from torch import Tensor

from pixref.engine.samplers._common import Denoise, OnStep, StepNoise, to_d
from pixref.engine.samplers._schedule_karras import sigmas_karras


def restart_plan(sigmas: Tensor) -> list[tuple[Tensor, Tensor]]:
    """The (sigma, sigma_next) pairs A1111's ``restart_sampler`` walks for these sigmas.

    With 20 or more steps A1111 rebuilds a shorter Karras schedule between the
    given ends and spends the saved steps restarting from sigma 2 back down to
    about 0.1 (9 steps once; from 36 steps, steps // 4 twice); fewer steps run
    the plain Heun path.
    """
    steps = len(sigmas) - 1
    restarts: dict[float, tuple[int, int, float]] = {}
    if steps >= 20:
        restart_steps, restart_times = (steps // 4, 2) if steps >= 36 else (9, 1)
        n = steps - restart_steps * restart_times
        sigmas = sigmas_karras(n, sigmas[-2].item(), sigmas[0].item()).to(sigmas.device)
        restarts = {0.1: (restart_steps + 1, restart_times, 2.0)}
    at = {int(torch.argmin((sigmas - k).abs())): v for k, v in restarts.items()}
    plan = []
    for i in range(len(sigmas) - 1):
        plan.append((sigmas[i], sigmas[i + 1]))
        if i + 1 in at:
            restart_steps, restart_times, restart_max = at[i + 1]
            max_idx = int(torch.argmin((sigmas - restart_max).abs()))
            if max_idx < i + 1:
                lo, hi = sigmas[i + 1].item(), sigmas[max_idx].item()
                up = sigmas_karras(restart_steps, lo, hi).to(sigmas.device)[:-1]
                plan.extend(list(zip(up[:-1], up[1:], strict=True)) * restart_times)
    return plan


@torch.no_grad()
def sample_restart(
    denoise: Denoise,
    x: Tensor,
    sigmas: Tensor,
    *,
    noise: StepNoise,
    on_step: OnStep | None = None,
    s_noise: float = 1.0,
) -> Tensor:
    """Restart sampling of Xu et al. (2023), "Restart Sampling for Improving Generative Processes".

    Heun steps (Karras Algorithm 2; Euler into sigma 0) along `restart_plan`;
    whenever the plan jumps back up from ``last`` to a higher sigma, fresh
    noise of std ``sqrt(sigma**2 - last**2)`` is added (the restart forward
    process, Xu et al. Algorithm 1). ``on_step`` counts every Heun step, so a
    run has more steps than ``len(sigmas) - 1``. Parameters as `sample_euler`.
    """
    last = None
    for i, (sigma, sigma_next) in enumerate(restart_plan(sigmas)):
        if last is not None and last < sigma:
            x = x + noise.step_like(x) * s_noise * (sigma**2 - last**2) ** 0.5
        denoised = denoise(x, sigma)
        d = to_d(x, sigma, denoised)
        if on_step is not None:
            on_step(i, x, sigma, denoised)
        if sigma_next == 0:
            x = x + d * (sigma_next - sigma)
        else:
            x_2 = x + d * (sigma_next - sigma)
            d_2 = to_d(x_2, sigma_next, denoise(x_2, sigma_next))
            x = x + (d + d_2) / 2 * (sigma_next - sigma)
        last = sigma_next
    return x
