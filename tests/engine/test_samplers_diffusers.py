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


def test_dpmpp_sde_matches_dpm_solver_sde_with_the_same_brownian_tree():
    """DPMSolverSDEScheduler has its own copy of k-diffusion's Brownian tree: same seed, path."""
    from diffusers import DPMSolverSDEScheduler

    scheduler = DPMSolverSDEScheduler.from_config(
        CONFIG, use_karras_sigmas=True, noise_sampler_seed=42
    )
    scheduler.set_timesteps(8)
    sigmas = torch.cat([scheduler.sigmas[:1], scheduler.sigmas[1::2]])
    x = start(float(sigmas[0]))
    noise = GeneratorNoise(brownian_seeds=[42])
    ours = S.sample_dpmpp_sde(gaussian_denoiser(), x, sigmas, noise=noise)
    denoise, theirs = gaussian_denoiser(), x.clone()
    for t in scheduler.timesteps:
        if scheduler.step_index is None:
            scheduler._init_step_index(t)
        first = scheduler.state_in_first_order
        sigma = scheduler.sigmas[scheduler.step_index] if first else scheduler.mid_point_sigma
        theirs = scheduler.step(_eps(denoise, theirs, sigma), t, theirs).prev_sample
    _close(ours, theirs)


def test_ddim_eta0_is_euler_over_its_timesteps():
    """DDIM (eta 0) is the Euler method in k-diffusion scale (Karras et al. 2022, §3)."""
    sigmas = S.sigmas_for("DDIM", "Automatic", 10, MODEL)
    assert len(sigmas) == 11 and sigmas[-1] == 0
    x = start(float(sigmas[0]))
    out = S.sample_ddim(gaussian_denoiser(), x, sigmas, noise=GeneratorNoise(), model=MODEL)
    # A1111's loop stops at the lowest timestep (t = 1) and hands back the DDPM-scale latent
    euler = S.sample_euler(gaussian_denoiser(), x, sigmas[:-1], noise=GeneratorNoise())
    _close(out * (sigmas[-2] ** 2 + 1) ** 0.5, euler, atol=1e-4)


def _plms_reference(x_vp, timesteps, denoise):
    """Liu et al. (2022) PLMS in DDPM scale, as A1111's ``plms`` loop: the independent oracle."""
    ac = MODEL.alphas_cumprod

    def eps(x, t):
        sigma = MODEL.sigmas[t]
        x_k = x * (sigma**2 + 1) ** 0.5
        return _eps(denoise, x_k, sigma)

    def ddim_step(x, e, t, t_prev):  # Song et al. (2021) eq. 12, eta 0
        a, a_prev = ac[t].item(), ac[t_prev].item()
        x0 = (x - (1 - a) ** 0.5 * e) / a**0.5
        return a_prev**0.5 * x0 + (1 - a_prev) ** 0.5 * e

    old = []
    for t, t_prev in zip(timesteps[:-1], timesteps[1:], strict=True):
        e = eps(x_vp, t)
        if not old:  # pseudo improved Euler
            e_prime = (e + eps(ddim_step(x_vp, e, t, t_prev), t_prev)) / 2
        elif len(old) == 1:
            e_prime = (3 * e - old[-1]) / 2
        elif len(old) == 2:
            e_prime = (23 * e - 16 * old[-1] + 5 * old[-2]) / 12
        else:
            e_prime = (55 * e - 59 * old[-1] + 37 * old[-2] - 9 * old[-3]) / 24
        x_vp = ddim_step(x_vp, e_prime, t, t_prev)
        old = [*old, e][-3:]
    return x_vp


@pytest.mark.parametrize("steps", [1, 2, 7, 20])
def test_plms_matches_the_pseudo_linear_multistep_equations(steps):
    sigmas = S.sigmas_for("PLMS", "Automatic", steps, MODEL)
    timesteps = MODEL.timestep(sigmas[:-1]).tolist()
    assert timesteps == [t + 1 for t in range(0, 1000, 1000 // steps)][::-1]
    x = start(float(sigmas[0]))
    ours = S.sample_plms(gaussian_denoiser(), x, sigmas, noise=GeneratorNoise(), model=MODEL)
    want = _plms_reference(x / (sigmas[0] ** 2 + 1) ** 0.5, timesteps, gaussian_denoiser())
    _close(ours, want, atol=1e-5)


def test_unipc_matches_its_native_diffusers_loop():
    from diffusers import UniPCMultistepScheduler

    native = UniPCMultistepScheduler.from_config(
        S._diffusers.base_config(MODEL),
        solver_type="bh1",
        solver_order=3,
        lower_order_final=True,
        timestep_spacing="linspace",
        final_sigmas_type="sigma_min",
    )
    native.set_timesteps(12)
    sigmas = native.sigmas.clone()
    x = start(float(sigmas[0]))
    ours = S.sample_unipc(gaussian_denoiser(), x, sigmas, noise=GeneratorNoise(), model=MODEL)
    denoise, x_vp = gaussian_denoiser(), x / (sigmas[0] ** 2 + 1) ** 0.5
    for i, t in enumerate(native.timesteps):
        x_k = x_vp * (sigmas[i] ** 2 + 1) ** 0.5
        x_vp = native.step(_eps(denoise, x_k, sigmas[i]), t, x_vp).prev_sample
    _close(ours, x_vp, atol=1e-5)


def test_unipc_is_high_order_on_small_steps():
    from tests.engine.toys import exact_ode

    errors = []
    for steps in (10, 20):
        sigmas = S.sigmas_karras(steps, MODEL.sigma_min, MODEL.sigma_max)[:-1]
        x = start(float(sigmas[0]))
        out = S.sample_unipc(gaussian_denoiser(), x, sigmas, noise=GeneratorNoise(), model=MODEL)
        want = exact_ode(x, float(sigmas[0]), float(sigmas[-1])) / (sigmas[-1] ** 2 + 1) ** 0.5
        errors.append((out - want).abs().max().item())
    assert errors[1] < 5e-3 and errors[0] / errors[1] > 3.5


def test_unipc_sigmas_are_a1111_time_uniform():
    sigmas = S.sigmas_for("UniPC", "Karras", 20, MODEL)  # the schedule type is ignored
    assert len(sigmas) == 21
    assert sigmas[0] == pytest.approx(MODEL.sigma_max) and sigmas[-1] == pytest.approx(
        MODEL.sigma_min
    )


def test_ddim_img2img_starts_one_timestep_above_its_first_call():
    plan = S.img2img_sigmas("DDIM", "Automatic", 20, 0.5, MODEL)
    # t_enc = 10: noise to timestep 501, model calls at 451 ... 1
    assert MODEL.timestep(plan.noise_sigma).item() == 501
    assert MODEL.timestep(plan.sigmas[0]).item() == 451
    assert len(plan.sigmas) == 11 and plan.sigmas[-1] == 0
    x0 = torch.zeros(1, 1, 2, 2)
    noise = torch.ones(1, 1, 2, 2)
    x_vp = S._diffusers.to_vp(plan.start(x0, noise), plan.sigmas[0])
    a = MODEL.alphas_cumprod[501].float()
    _close(x_vp, x0 * a.sqrt() + noise * (1 - a).sqrt(), atol=1e-6)
