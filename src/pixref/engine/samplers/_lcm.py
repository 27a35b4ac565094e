"""LCM: latent consistency model sampling (one x0 jump per step, then re-noise)."""

from __future__ import annotations

import torch
from torch import Tensor

from pixref.engine.samplers._common import Denoise, OnStep, StepNoise


@torch.no_grad()
def sample_lcm(
    denoise: Denoise,
    x: Tensor,
    sigmas: Tensor,
    *,
    noise: StepNoise,
    on_step: OnStep | None = None,
) -> Tensor:
    """Multistep consistency sampling of Song et al. (2023), Algorithm 1; Luo et al. (2023) LCM.

    The consistency model maps any noisy point straight to x0; each step
    takes that x0 and, unless the next sigma is 0, noises it back up to
    ``sigmas[i + 1]`` with fresh per-image noise. ``denoise`` must include
    LCM's boundary-condition scalings (c_skip, c_out) as A1111's
    ``LCMCompVisDenoiser`` does. Parameters as `sample_euler`.
    """
    for i in range(len(sigmas) - 1):
        denoised = denoise(x, sigmas[i])
        if on_step is not None:
            on_step(i, x, sigmas[i], denoised)
        x = denoised
        if sigmas[i + 1] > 0:
            x = x + sigmas[i + 1] * noise.step_like(x)
    return x
