"""LMS: the linear multistep (Adams–Bashforth) method in sigma."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from pixref.engine.samplers._common import Denoise, OnStep, StepNoise, to_d


def lms_coefficient(order: int, sigmas: np.ndarray, i: int, j: int) -> float:
    """Integral over [sigma_i, sigma_{i+1}] of the Lagrange basis polynomial of sigma_{i-j}.

    Exact polynomial integration in float64 (k-diffusion uses ``scipy.integrate.quad``,
    which is exact for these degree < 4 polynomials up to rounding).
    """
    nodes = [sigmas[i - k] for k in range(order) if k != j]
    basis = np.polynomial.Polynomial([1.0])
    for node in nodes:
        basis = basis * np.polynomial.Polynomial([-node, 1.0])
    for node in nodes:
        basis = basis / (sigmas[i - j] - node)
    antiderivative = basis.integ()
    return float(antiderivative(sigmas[i + 1]) - antiderivative(sigmas[i]))


@torch.no_grad()
def sample_lms(
    denoise: Denoise,
    x: Tensor,
    sigmas: Tensor,
    *,
    noise: StepNoise,
    on_step: OnStep | None = None,
    order: int = 4,
) -> Tensor:
    """Linear multistep sampling, as in Karras et al. (2022) §3 and k-diffusion's ``sample_lms``.

    The ODE slope dx/dsigma from the last ``order`` steps is fitted by a
    Lagrange polynomial in sigma and integrated exactly over the next step
    (Adams–Bashforth with variable step sizes); early steps use the history
    they have. ``noise`` is unused. Parameters and returns as `sample_euler`.
    """
    sigmas_64 = sigmas.detach().cpu().double().numpy()
    ds: list[Tensor] = []
    for i in range(len(sigmas) - 1):
        denoised = denoise(x, sigmas[i])
        ds = [*ds, to_d(x, sigmas[i], denoised)][-order:]
        if on_step is not None:
            on_step(i, x, sigmas[i], denoised)
        cur_order = min(i + 1, order)
        coeffs = [lms_coefficient(cur_order, sigmas_64, i, j) for j in range(cur_order)]
        x = x + sum(c * d for c, d in zip(coeffs, reversed(ds), strict=True))
    return x
