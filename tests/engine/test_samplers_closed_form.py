"""Samplers against closed forms on Gaussian data, where the exact answers are known.

With data ~ N(MU, STD^2) the ideal denoiser is linear and the probability-flow
ODE is solved exactly (`toys.exact_ode`): ODE samplers (and SDE samplers with
eta = 0) must converge to it at their order; stochastic samplers must return
samples distributed as the data.
"""

from __future__ import annotations

import pytest
import torch

from pixref.engine import samplers as S
from tests.engine.toys import MU, STD, GeneratorNoise, exact_ode, gaussian_denoiser, start

MODEL = S.ModelSigmas.from_alphas_cumprod(S.scaled_linear_alphas_cumprod())

# (sampler, knobs, convergence order)
ODE_CASES = {
    "euler": (S.sample_euler, {}, 1),
    "euler_a_eta0": (S.sample_euler_ancestral, {"eta": 0}, 1),
    "heun": (S.sample_heun, {}, 2),
    "dpm2": (S.sample_dpm_2, {}, 2),
    "dpm2_a_eta0": (S.sample_dpm_2_ancestral, {"eta": 0}, 2),
    "dpmpp_2s_a_eta0": (S.sample_dpmpp_2s_ancestral, {"eta": 0}, 2),
    "dpmpp_2m": (S.sample_dpmpp_2m, {}, 2),
    "dpmpp_sde_eta0": (S.sample_dpmpp_sde, {"eta": 0}, 2),
    "dpmpp_2m_sde_eta0": (S.sample_dpmpp_2m_sde, {"eta": 0}, 2),
    "dpmpp_2m_sde_heun_eta0": (S.sample_dpmpp_2m_sde, {"eta": 0, "solver_type": "heun"}, 2),
    "dpmpp_3m_sde_eta0": (S.sample_dpmpp_3m_sde, {"eta": 0}, 2),
}


def _error(fn, knobs, n):
    """Max error after n exponential steps; the last step (to 0) returns x0 in all of them."""
    sigmas = S.sigmas_exponential(n, MODEL.sigma_min, MODEL.sigma_max)
    x = start(float(sigmas[0]))
    out = fn(gaussian_denoiser(), x, sigmas, noise=GeneratorNoise(), **knobs)
    at_min = exact_ode(x, float(sigmas[0]), float(sigmas[-2]))
    want = gaussian_denoiser()(at_min, sigmas[-2])
    return (out - want).abs().max().item()


@pytest.mark.parametrize("name", ODE_CASES)
def test_ode_samplers_converge_to_the_exact_solution_at_their_order(name):
    fn, knobs, order = ODE_CASES[name]
    coarse, fine = _error(fn, knobs, 20), _error(fn, knobs, 40)
    assert fine < (0.05 if order == 1 else 4e-3)
    # halving the step divides the error by about 2**order
    assert coarse / fine > (1.7 if order == 1 else 3.4)


def test_sde_eta0_equals_its_ode_counterpart():
    sigmas = S.sigmas_karras(15, MODEL.sigma_min, MODEL.sigma_max)
    x = start(float(sigmas[0]))
    kw = {"noise": GeneratorNoise()}
    two_m = S.sample_dpmpp_2m(gaussian_denoiser(), x, sigmas, **kw)
    two_m_sde = S.sample_dpmpp_2m_sde(gaussian_denoiser(), x, sigmas, eta=0, **kw)
    torch.testing.assert_close(two_m, two_m_sde, atol=1e-5, rtol=1e-5)
    euler = S.sample_euler(gaussian_denoiser(), x, sigmas, **kw)
    euler_a = S.sample_euler_ancestral(gaussian_denoiser(), x, sigmas, eta=0, **kw)
    torch.testing.assert_close(euler, euler_a)


def test_lms_converges():
    errors = []
    for n in (20, 40):
        sigmas = S.sigmas_exponential(n, MODEL.sigma_min, MODEL.sigma_max)
        x = start(float(sigmas[0]))
        out = S.sample_lms(gaussian_denoiser(), x, sigmas, noise=GeneratorNoise())
        errors.append((out - exact_ode(x, float(sigmas[0]), 0.0)).abs().max().item())
    assert errors[1] < 1e-2 and errors[0] > errors[1]


STOCHASTIC = {
    "euler_a": (S.sample_euler_ancestral, 300),
    "dpm2_a": (S.sample_dpm_2_ancestral, 30),
    "dpmpp_2s_a": (S.sample_dpmpp_2s_ancestral, 30),
    "dpmpp_sde": (S.sample_dpmpp_sde, 30),
    "dpmpp_2m_sde": (S.sample_dpmpp_2m_sde, 30),
    "dpmpp_3m_sde": (S.sample_dpmpp_3m_sde, 30),
    "restart": (S.sample_restart, 30),
}


@pytest.mark.parametrize("name", STOCHASTIC)
def test_stochastic_samplers_sample_the_data_distribution(name):
    fn, n = STOCHASTIC[name]
    sigmas = S.sigmas_karras(n, MODEL.sigma_min, MODEL.sigma_max)
    x = start(float(sigmas[0]), shape=(1, 1, 128, 128))
    out = fn(gaussian_denoiser(), x, sigmas, noise=GeneratorNoise(3))
    assert out.mean().item() == pytest.approx(MU, abs=0.01)  # 4 standard errors
    assert out.std().item() == pytest.approx(STD, abs=0.01)


def test_lcm_with_the_exact_consistency_function():
    """Song et al. (2023): f(x, sigma) = ODE solution at 0; one step is exact."""

    def consistency(x, sigma):
        return exact_ode(x, float(sigma), 0.0)

    sigmas = torch.tensor([14.6146, 0.0])
    x = start(14.6146)
    one = S.sample_lcm(consistency, x, sigmas, noise=GeneratorNoise())
    torch.testing.assert_close(one, exact_ode(x, 14.6146, 0.0))
    sigmas = S.sigmas_for("LCM", "Automatic", 4, MODEL)
    x = start(float(sigmas[0]), shape=(1, 1, 128, 128))
    out = S.sample_lcm(consistency, x, sigmas, noise=GeneratorNoise(5))
    assert out.mean().item() == pytest.approx(MU, abs=0.01)
    assert out.std().item() == pytest.approx(STD, abs=0.01)


def test_restart_plan_matches_a1111():
    """< 20 steps: plain Heun; 20-35: 9-step restart once from sigma 2 down to ~0.1."""
    sigmas = S.sigmas_karras(10, MODEL.sigma_min, MODEL.sigma_max)
    assert len(S._restart.restart_plan(sigmas)) == 10
    sigmas = S.sigmas_karras(20, MODEL.sigma_min, MODEL.sigma_max)
    plan = S._restart.restart_plan(sigmas)
    # 20 - 9 = 11 main steps, plus one restart of 9 steps
    assert len(plan) == 11 + 9
    jumps = [i for i in range(1, len(plan)) if plan[i][0] > plan[i - 1][1]]
    assert len(jumps) == 1
    assert float(plan[jumps[0]][0]) == pytest.approx(2.0, rel=0.25)


def test_on_step_sees_every_step_and_can_stop_the_run():
    sigmas = S.sigmas_karras(6, MODEL.sigma_min, MODEL.sigma_max)
    seen = []
    S.sample_heun(
        gaussian_denoiser(), start(14.6), sigmas, noise=GeneratorNoise(),
        on_step=lambda i, x, sigma, den: seen.append((i, float(sigma))),
    )  # fmt: skip
    assert [i for i, _ in seen] == list(range(6))
    assert [s for _, s in seen] == pytest.approx(sigmas[:-1].tolist())

    class Stop(Exception):
        pass

    def stop_at_2(i, x, sigma, denoised):
        if i == 2:
            raise Stop

    denoise = gaussian_denoiser()
    with pytest.raises(Stop):
        S.sample_dpmpp_2m(denoise, start(14.6), sigmas, noise=GeneratorNoise(), on_step=stop_at_2)
    assert len(denoise.calls) == 3


def test_samplers_keep_float32_and_shape():
    sigmas = S.sigmas_karras(4, MODEL.sigma_min, MODEL.sigma_max)
    x = start(float(sigmas[0]), shape=(2, 4, 8, 8))
    for spec in S.SAMPLER_SPECS.values():
        extra = {"model": MODEL} if spec.timesteps else {}
        run_sigmas = S.sigmas_for(spec.label, "Automatic", 4, MODEL)
        out = spec.function(
            gaussian_denoiser(), x * run_sigmas[0] / sigmas[0], run_sigmas,
            noise=GeneratorNoise(brownian_seeds=[1, 2]), **spec.knobs, **extra,
        )  # fmt: skip
        assert out.shape == x.shape and out.dtype == torch.float32, spec.label
        assert torch.isfinite(out).all(), spec.label
