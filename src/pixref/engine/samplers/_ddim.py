"""DDIM through diffusers' ``DDIMScheduler``, walked over A1111's timesteps."""

from __future__ import annotations

import torch
from torch import Tensor

from pixref.engine.samplers._common import Denoise, OnStep, StepNoise
from pixref.engine.samplers._diffusers import configured_scheduler, eps_of, from_vp, to_vp
from pixref.engine.samplers._model_sigmas import ModelSigmas


@torch.no_grad()
def sample_ddim(
    denoise: Denoise,
    x: Tensor,
    sigmas: Tensor,
    *,
    noise: StepNoise,
    model: ModelSigmas,
    on_step: OnStep | None = None,
    eta: float = 0.0,
) -> Tensor:
    """DDIM of Song, Meng & Ermon (2021), eq. 12, as A1111's own ``ddim`` loop runs it.

    ``sigmas`` are the training sigmas at A1111's timesteps (`sigmas_for` gives
    ``range(0, T, T // steps) + 1``, reversed, then 0). As A1111, the trailing 0
    is not a step: the walk goes timestep to timestep, each a
    ``DDIMScheduler.step``, and ends at the lowest (t = 1). ``x`` is in
    k-diffusion scale at ``sigmas[0]``; ``model`` gives the training sigmas and
    scheduler config; ``noise`` is drawn only when ``eta > 0`` ("Eta DDIM").
    Returns the DDPM-scale ``(B, C, H, W)`` latent at the last timestep, the
    one A1111 decodes.
    """
    timesteps = model.timestep(sigmas[sigmas > 0]).tolist()
    if len(timesteps) < 2:
        return to_vp(x, sigmas[0])
    scheduler = configured_scheduler(
        _ddim_cls(),
        model,
        set_alpha_to_one=False,
        steps_offset=1,
        timestep_spacing="leading",
        clip_sample=False,
        thresholding=False,
    )
    # DDIM steps to t - T // num_inference_steps; A1111's spacing is T // steps.
    scheduler.set_timesteps(scheduler.config.num_train_timesteps // (timesteps[0] - timesteps[1]))
    x_vp = to_vp(x, sigmas[0])
    for i, t in enumerate(timesteps[:-1]):
        sigma = model.sigmas[t].to(x.device)
        x = from_vp(x_vp, sigma)
        denoised = denoise(x, sigma)
        if on_step is not None:
            on_step(i, x, sigma, denoised)
        variance_noise = noise.step_like(x) if eta > 0 else None
        out = scheduler.step(
            eps_of(x, sigma, denoised), t, x_vp, eta=eta, variance_noise=variance_noise
        )
        x_vp = out.prev_sample
    return x_vp


def _ddim_cls() -> type:
    from diffusers import DDIMScheduler

    return DDIMScheduler
