"""PLMS through diffusers' ``PNDMScheduler`` (PLMS steps only), over A1111's timesteps."""

from __future__ import annotations

import torch
from torch import Tensor

from pixref.engine.samplers._common import Denoise, OnStep, StepNoise
from pixref.engine.samplers._diffusers import configured_scheduler, eps_of, from_vp, to_vp
from pixref.engine.samplers._model_sigmas import ModelSigmas


@torch.no_grad()
def sample_plms(
    denoise: Denoise,
    x: Tensor,
    sigmas: Tensor,
    *,
    noise: StepNoise,
    model: ModelSigmas,
    on_step: OnStep | None = None,
) -> Tensor:
    """Pseudo linear multistep of Liu et al. (2022), "Pseudo Numerical Methods...", as A1111.

    The first step is a pseudo improved-Euler step (two model calls), later
    steps use Adams–Bashforth of order 2, 3, then 4 on eps. Driven through
    ``PNDMScheduler(skip_prk_steps=True)``: its second call re-does the first
    step with the averaged eps, which is why the first timestep pair is fed
    twice. Timesteps, ``sigmas`` and the returned DDPM-scale latent as
    `sample_ddim`; ``noise`` is unused.
    """
    timesteps = model.timestep(sigmas[sigmas > 0]).tolist()
    if len(timesteps) < 2:
        return to_vp(x, sigmas[0])
    scheduler = configured_scheduler(
        _pndm_cls(), model, skip_prk_steps=True, set_alpha_to_one=False, steps_offset=1
    )
    scheduler.set_timesteps(scheduler.config.num_train_timesteps // (timesteps[0] - timesteps[1]))
    x_vp = to_vp(x, sigmas[0])
    calls = [timesteps[0], *timesteps[1:-1]]
    calls.insert(1, timesteps[1])
    for i, t in enumerate(calls):
        sigma = model.sigmas[t].to(x.device)
        x = from_vp(x_vp, sigma)
        denoised = denoise(x, sigma)
        if on_step is not None and i != 1:
            on_step(i - (i > 1), x, sigma, denoised)
        x_vp = scheduler.step(eps_of(x, sigma, denoised), t, x_vp).prev_sample
    return x_vp


def _pndm_cls() -> type:
    from diffusers import PNDMScheduler

    return PNDMScheduler
