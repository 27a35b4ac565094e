"""DPM++ 2M: the second-order multistep DPM-Solver++."""

from __future__ import annotations

import torch
from torch import Tensor

from pixref.engine.samplers._common import Denoise, OnStep, StepNoise


@torch.no_grad()
def sample_dpmpp_2m(
    denoise: Denoise,
    x: Tensor,
    sigmas: Tensor,
    *,
    noise: StepNoise,
    on_step: OnStep | None = None,
) -> Tensor:
    """DPM-Solver++(2M) of Lu et al. (2022b), "DPM-Solver++", Algorithm 2.

    Data-prediction exponential integrator in lambda = -log sigma; from the
    second step the previous x0 estimate gives a first-order correction
    weighted by the step ratio r = h_last / h. The first step and the step to
    sigma 0 are first order (DPM-Solver++(1) = DDIM). ``noise`` is unused.
    Parameters and returns as `sample_euler`.
    """
    old_denoised = None
    for i in range(len(sigmas) - 1):
        denoised = denoise(x, sigmas[i])
        if on_step is not None:
            on_step(i, x, sigmas[i], denoised)
        t, t_next = -sigmas[i].log(), -sigmas[i + 1].log()
        h = t_next - t
        if old_denoised is None or sigmas[i + 1] == 0:
            denoised_d = denoised
        else:
            r = (t - (-sigmas[i - 1].log())) / h
            denoised_d = (1 + 1 / (2 * r)) * denoised - (1 / (2 * r)) * old_denoised
        # sigma_next / sigma = exp(-h); at sigma_next = 0 this gives x = denoised_d
        x = ((-t_next).exp() / (-t).exp()) * x - (-h).expm1() * denoised_d
        old_denoised = denoised
    return x
