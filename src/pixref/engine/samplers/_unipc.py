"""UniPC through diffusers' ``UniPCMultistepScheduler`` (bh1, order 3, lower_order_final)."""

from __future__ import annotations

import torch
from torch import Tensor

from pixref.engine.samplers._common import Denoise, OnStep, StepNoise
from pixref.engine.samplers._diffusers import configured_scheduler, eps_of, from_vp, to_vp
from pixref.engine.samplers._model_sigmas import ModelSigmas


@torch.no_grad()
def sample_unipc(
    denoise: Denoise,
    x: Tensor,
    sigmas: Tensor,
    *,
    noise: StepNoise,
    model: ModelSigmas,
    on_step: OnStep | None = None,
    order: int = 3,
    variant: str = "bh1",
) -> Tensor:
    """UniPC of Zhao et al. (2023), "UniPC: A Unified Predictor-Corrector Framework", x0 form.

    A1111 settings: variant bh1, order 3, lower-order final steps.
    ``sigmas`` (n + 1 values) are the noise levels to visit; `sigmas_for`
    gives A1111's "time uniform" ones, ``t = linspace(T - 1, 0, n + 1)``,
    ending at sigma_min rather than 0. The scheduler's own sigmas and
    timesteps are replaced by these after ``set_timesteps`` (run state, not
    config). Approximate parity: A1111's UniPC interpolates log alpha in
    continuous time, diffusers rounds timesteps. Returns the DDPM-scale latent
    at ``sigmas[-1]`` as `sample_ddim`; ``noise`` is unused.
    """
    n = len(sigmas) - 1
    scheduler = configured_scheduler(
        _unipc_cls(),
        model,
        solver_type=variant,
        solver_order=order,
        lower_order_final=True,
        predict_x0=True,
        timestep_spacing="linspace",
        final_sigmas_type="zero" if sigmas[-1] == 0 else "sigma_min",
    )
    scheduler.set_timesteps(n, device=x.device)
    scheduler.sigmas = sigmas.to(device=x.device, dtype=torch.float32)
    scheduler.timesteps = model.sigma_to_t(sigmas[:-1].cpu()).round().long().to(x.device)
    x_vp = to_vp(x, sigmas[0])
    for i in range(n):
        x = from_vp(x_vp, sigmas[i])
        denoised = denoise(x, sigmas[i])
        if on_step is not None:
            on_step(i, x, sigmas[i], denoised)
        eps = eps_of(x, sigmas[i], denoised)
        x_vp = scheduler.step(eps, scheduler.timesteps[i], x_vp).prev_sample
    return x_vp


def _unipc_cls() -> type:
    from diffusers import UniPCMultistepScheduler

    return UniPCMultistepScheduler
