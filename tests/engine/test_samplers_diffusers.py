"""Hand-written samplers against diffusers' matching schedulers, same sigmas, same noise.

diffusers' schedulers are an independent implementation of the same papers;
each is run on explicit sigmas (``set_timesteps(sigmas=...)`` where it exists,
else its sigma arrays replaced after ``set_timesteps``) with the toy denoiser.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("diffusers")
from diffusers import (  # noqa: E402
    DPMSolverMultistepScheduler,
    EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler,
    HeunDiscreteScheduler,
    KDPM2DiscreteScheduler,
    LMSDiscreteScheduler,
)

from pixref.engine import samplers as S  # noqa: E402
from tests.engine.toys import GeneratorNoise, gaussian_denoiser, start  # noqa: E402

CONFIG = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "timestep_spacing": "linspace",
}
MODEL = S.ModelSigmas.from_alphas_cumprod(S.scaled_linear_alphas_cumprod())
SIGMAS = S.sigmas_karras(12, MODEL.sigma_min, MODEL.sigma_max)


def _eps(denoise, x, sigma):
    return (x - denoise(x, sigma)) / sigma


def _run_k(scheduler, sigmas, x, *, seed=None, **step_kwargs):
    """A diffusers k-space loop: x stays x0 + sigma eps; eps from the toy denoiser."""
    denoise = gaussian_denoiser()
    if seed is not None:
        step_kwargs["generator"] = torch.Generator().manual_seed(seed)
    for t in scheduler.timesteps:
        sigma = _current_sigma(scheduler, t)
        eps = _eps(denoise, x, sigma)
        x = scheduler.step(eps, t, x, **step_kwargs).prev_sample
    return x


def _current_sigma(scheduler, t):
    if scheduler.step_index is None:
        scheduler._init_step_index(t)
    if getattr(scheduler, "state_in_first_order", True):
        return scheduler.sigmas[scheduler.step_index]
    # KDPM2's second stage evaluates at the interpolated sigma, Heun's at the next sigma
    if hasattr(scheduler, "sigmas_interpol"):
        return scheduler.sigmas_interpol[scheduler.step_index]
    return scheduler.sigmas[scheduler.step_index]


def _close(a, b, atol=2e-5):
    torch.testing.assert_close(a, b, atol=atol, rtol=1e-5)


def test_euler_matches_euler_discrete():
    scheduler = EulerDiscreteScheduler.from_config(CONFIG)
    scheduler.set_timesteps(sigmas=SIGMAS.tolist())
    _close(scheduler.sigmas, SIGMAS, atol=1e-6)
    x = start(float(SIGMAS[0]))
    ours = S.sample_euler(gaussian_denoiser(), x, SIGMAS, noise=GeneratorNoise())
    _close(ours, _run_k(scheduler, SIGMAS, x))


def test_euler_ancestral_matches_with_the_same_noise():
    scheduler = EulerAncestralDiscreteScheduler.from_config(CONFIG)
    scheduler.set_timesteps(len(SIGMAS) - 1)
    scheduler.sigmas = SIGMAS.clone()
    x = start(float(SIGMAS[0]))
    ours = S.sample_euler_ancestral(gaussian_denoiser(), x, SIGMAS, noise=GeneratorNoise(7))
    _close(ours, _run_k(scheduler, SIGMAS, x, seed=7))


def test_heun_matches_heun_discrete():
    scheduler = HeunDiscreteScheduler.from_config(CONFIG)
    scheduler.set_timesteps(len(SIGMAS) - 1)
    scheduler.sigmas = torch.cat([SIGMAS[:1], SIGMAS[1:-1].repeat_interleave(2), SIGMAS[-1:]])
    x = start(float(SIGMAS[0]))
    denoise = gaussian_denoiser()
    ours = S.sample_heun(denoise, x, SIGMAS, noise=GeneratorNoise())
    assert len(denoise.calls) == 2 * (len(SIGMAS) - 1) - 1
    _close(ours, _run_k(scheduler, SIGMAS, x))


def test_dpm2_matches_kdpm2_discrete():
    scheduler = KDPM2DiscreteScheduler.from_config(CONFIG)
    scheduler.set_timesteps(len(SIGMAS) - 1)
    interpol = SIGMAS.log().lerp(SIGMAS.roll(1).log(), 0.5).exp()
    scheduler.sigmas = torch.cat([SIGMAS[:1], SIGMAS[1:].repeat_interleave(2), SIGMAS[-1:]])
    scheduler.sigmas_interpol = torch.cat(
        [interpol[:1], interpol[1:].repeat_interleave(2), interpol[-1:]]
    )
    x = start(float(SIGMAS[0]))
    ours = S.sample_dpm_2(gaussian_denoiser(), x, SIGMAS, noise=GeneratorNoise())
    _close(ours, _run_k(scheduler, SIGMAS, x))


def test_lms_matches_lms_discrete():
    scheduler = LMSDiscreteScheduler.from_config(CONFIG)
    scheduler.set_timesteps(len(SIGMAS) - 1)
    scheduler.sigmas = SIGMAS.clone()
    x = start(float(SIGMAS[0]))
    ours = S.sample_lms(gaussian_denoiser(), x, SIGMAS, noise=GeneratorNoise())
    _close(ours, _run_k(scheduler, SIGMAS, x, order=4), atol=1e-4)


def test_lms_coefficients_integrate_the_lagrange_basis():
    from scipy import integrate

    sig = np.array([10.0, 6.0, 3.5, 2.0, 1.1, 0.0])
    for j in range(4):

        def basis(tau, j=j):
            return np.prod(
                [(tau - sig[3 - k]) / (sig[3 - j] - sig[3 - k]) for k in range(4) if k != j]
            )

        want = integrate.quad(basis, sig[3], sig[4], epsrel=1e-10)[0]
        assert S._lms.lms_coefficient(4, sig, 3, j) == pytest.approx(want, rel=1e-9)


def test_dpmpp_2m_matches_dpm_solver_multistep():
    scheduler = DPMSolverMultistepScheduler.from_config(
        CONFIG, algorithm_type="dpmsolver++", solver_order=2, lower_order_final=True
    )
    scheduler.set_timesteps(len(SIGMAS) - 1)
    scheduler.sigmas = SIGMAS.clone()
    x = start(float(SIGMAS[0]))
    ours = S.sample_dpmpp_2m(gaussian_denoiser(), x, SIGMAS, noise=GeneratorNoise())
    # diffusers' DPM-Solver steps in DDPM scale: x_vp = x / sqrt(1 + sigma^2)
    denoise = gaussian_denoiser()
    x_vp = x / (SIGMAS[0] ** 2 + 1) ** 0.5
    for i, t in enumerate(scheduler.timesteps):
        sigma = SIGMAS[i]
        x_k = x_vp * (sigma**2 + 1) ** 0.5
        x_vp = scheduler.step(_eps(denoise, x_k, sigma), t, x_vp).prev_sample
    _close(ours, x_vp, atol=5e-5)
