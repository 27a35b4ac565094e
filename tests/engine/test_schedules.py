"""Schedule types and the name table against hand-computed values and A1111's arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from pixref.engine import samplers as S
from pixref.params import PixrefError

MODEL = S.ModelSigmas.from_alphas_cumprod(S.scaled_linear_alphas_cumprod())


def test_sd1_sigma_range_from_scaled_linear_betas():
    assert MODEL.sigma_min == pytest.approx(0.0292, abs=1e-4)
    assert MODEL.sigma_max == pytest.approx(14.6146, abs=1e-4)
    # by hand from the first beta: sigma_0 = sqrt(beta_0 / (1 - beta_0)), beta_0 = 0.00085;
    # float32 alphas_cumprod (as A1111 stores them) costs about 1e-5 relative
    assert MODEL.sigma_min == pytest.approx(math.sqrt(0.00085 / (1 - 0.00085)), rel=1e-4)


def test_karras_formula():
    got = S.sigmas_karras(5, 0.1, 10.0, rho=7.0)
    lo, hi = 0.1 ** (1 / 7), 10.0 ** (1 / 7)
    want = [(hi + r * (lo - hi)) ** 7 for r in (0, 0.25, 0.5, 0.75, 1)] + [0.0]
    assert got.tolist() == pytest.approx(want, rel=1e-5)


def test_exponential_and_polyexponential():
    want = [math.exp(math.log(10) + k / 3 * (math.log(0.1) - math.log(10))) for k in range(4)]
    assert S.sigmas_exponential(4, 0.1, 10.0).tolist() == pytest.approx([*want, 0.0], rel=1e-5)
    assert S.sigmas_polyexponential(4, 0.1, 10.0).tolist() == pytest.approx([*want, 0], rel=1e-5)
    ramp = [(1 - k / 3) ** 2 for k in range(4)]
    want2 = [math.exp(r * (math.log(10) - math.log(0.1)) + math.log(0.1)) for r in ramp]
    got = S.sigmas_polyexponential(4, 0.1, 10.0, rho=2.0)
    assert got.tolist() == pytest.approx([*want2, 0.0], rel=1e-5)


def test_t_sigma_maps_interpolate_log_sigma():
    assert MODEL.t_to_sigma(torch.tensor(10.0)).item() == pytest.approx(MODEL.sigmas[10].item())
    half = MODEL.t_to_sigma(torch.tensor(10.5)).item()
    assert half == pytest.approx(math.sqrt(MODEL.sigmas[10].item() * MODEL.sigmas[11].item()))
    t = torch.tensor([0.0, 3.25, 500.5, 999.0])
    torch.testing.assert_close(MODEL.sigma_to_t(MODEL.t_to_sigma(t)), t, atol=1e-3, rtol=0)


def test_uniform_normal_and_sgm_uniform():
    uniform = S.sigmas_for("Euler", "Uniform", 10, MODEL)
    want = MODEL.t_to_sigma(torch.linspace(999, 0, 10))
    torch.testing.assert_close(uniform, torch.cat([want, torch.zeros(1)]))
    normal = S.sigmas_for("Euler", "Normal", 10, MODEL)
    torch.testing.assert_close(normal, uniform, atol=1e-4, rtol=1e-4)
    sgm = S.sigmas_for("Euler", "SGM Uniform", 10, MODEL)
    want = MODEL.t_to_sigma(torch.linspace(999, 0, 11)[:-1])
    torch.testing.assert_close(sgm, torch.cat([want, torch.zeros(1)]), atol=1e-4, rtol=1e-4)


def test_kl_optimal_ends_at_sigma_min():
    got = S.sigmas_kl_optimal(4, 0.1, 10.0)
    want = [math.tan(i / 4 * math.atan(0.1) + (1 - i / 4) * math.atan(10.0)) for i in range(5)]
    assert got.tolist() == pytest.approx(want, rel=1e-5)


def test_align_your_steps():
    # A1111 uses the 11-entry list as is only when n == 11
    ten = S.sigmas_align_your_steps(11, 0.0292, 14.6146, sdxl=False)
    assert ten.tolist() == pytest.approx([*S._schedule_align_your_steps.AYS_SD15, 0.0], rel=1e-6)
    xl = S.sigmas_for(
        "Euler", "Align Your Steps", 11, S.ModelSigmas(sigmas=MODEL.sigmas, is_sdxl=True)
    )
    assert xl[3].item() == pytest.approx(2.181)
    twenty = S.sigmas_align_your_steps(20, 0.0292, 14.6146, sdxl=False)
    assert (
        len(twenty) == 21
        and twenty[0] == pytest.approx(14.615)
        and twenty[-2] == pytest.approx(0.029)
    )
    # log-linear: the point between list entries 0 and 1 is their geometric mean at 19 intervals
    x = 1 / 19 * 10  # position in the 10-interval list
    want = math.exp(math.log(14.615) + x * (math.log(6.475) - math.log(14.615)))
    assert twenty[1].item() == pytest.approx(want, rel=1e-5)


def test_simple_and_ddim_pick_training_sigmas():
    simple = S.sigmas_for("Euler", "Simple", 4, MODEL)
    want = [MODEL.sigmas[i].item() for i in (999, 749, 499, 249)]
    assert simple.tolist() == pytest.approx([*want, 0.0])
    ddim = S.sigmas_for("Euler", "DDIM", 30, MODEL)
    assert len(ddim) == 32 and ddim[-1] == 0  # 31 sigmas: 1, 34, ..., 991
    assert ddim[0].item() == pytest.approx(MODEL.sigmas[991].item())
    assert ddim[-2].item() == pytest.approx(MODEL.sigmas[1].item())


def test_beta_schedule_is_symmetric_for_equal_parameters():
    got = S.sigmas_beta(3, 0.1, 10.0)
    assert got.tolist() == pytest.approx([10.0, 5.05, 0.1, 0.0], rel=1e-5)


def test_discard_penultimate_sigma():
    dpm2 = S.sigmas_for("DPM2", "Karras", 10, MODEL)
    full = S.sigmas_karras(11, MODEL.sigma_min, MODEL.sigma_max)
    assert len(dpm2) == 11
    torch.testing.assert_close(dpm2, torch.cat([full[:-2], full[-1:]]))
    assert len(S.sigmas_for("DPM++ 3M SDE", "Automatic", 10, MODEL)) == 11


@pytest.mark.parametrize(
    ("sampler", "schedule"),
    [("DPM++ 2M", "Karras"), ("Euler a", "Uniform"), ("DPM++ 2M SDE", "Exponential"),
     ("DPM2 a", "Karras"), ("LMS", "Uniform"), ("DDIM", "DDIM"), ("Restart", "Karras")],
)  # fmt: skip
def test_automatic_resolves_per_sampler(sampler, schedule):
    assert S.resolve_schedule(sampler, "Automatic") == schedule


def test_aliases_and_every_schedule_runs():
    torch.testing.assert_close(
        S.sigmas_for("k_euler_a", "karras", 8, MODEL),
        S.sigmas_for("Euler a", "Karras", 8, MODEL),
    )
    for label in S.SCHEDULE_FUNCTIONS:
        sigmas = S.sigmas_for("Euler", label, 8, MODEL)
        assert (sigmas[:-1] > 0).all() and (sigmas[:-1].diff() < 0).all(), label


@pytest.mark.parametrize(
    ("sampler", "schedule", "steps", "match"),
    [("Eulr", "Karras", 20, "Euler a"), ("Euler", "Karras2", 20, "Align Your Steps"),
     ("DPM fast", "Karras", 20, "not supported"), ("Euler", "Karras", 0, "steps")],
)  # fmt: skip
def test_bad_names_list_the_valid_ones(sampler, schedule, steps, match):
    with pytest.raises(S.SamplerError, match=match) as info:
        S.sigmas_for(sampler, schedule, steps, MODEL)
    assert isinstance(info.value, PixrefError) and "\n" not in str(info.value)


@pytest.mark.parametrize(("strength", "steps_run"), [(0.75, 16), (0.5, 11), (1.0, 20), (0.0, 1)])
def test_img2img_runs_t_enc_plus_one_steps(strength, steps_run):
    plan = S.img2img_sigmas("Euler", "Automatic", 20, strength, MODEL)
    assert len(plan.sigmas) - 1 == steps_run
    full = S.sigmas_for("Euler", "Automatic", 20, MODEL)
    torch.testing.assert_close(plan.sigmas, full[20 - (steps_run - 1) - 1 :])
    assert plan.noise_sigma == plan.sigmas[0]


def test_lcm_sigmas_are_its_50_timesteps():
    lcm = S.LcmModelSigmas.from_model(MODEL)
    assert len(lcm.sigmas) == 50
    assert lcm.sigmas[0] == MODEL.sigmas[19] and lcm.sigmas[-1] == MODEL.sigmas[999]
    assert lcm.sigma_to_t(lcm.sigmas[3:4]).tolist() == [79]
    sigmas = S.sigmas_for("LCM", "Automatic", 4, MODEL)
    assert sigmas[0].item() == pytest.approx(MODEL.sigma_max) and sigmas[-2] == pytest.approx(
        MODEL.sigmas[19].item()
    )


def test_noise_scale_and_ensd_flags():
    sigma = torch.tensor(10.0)
    assert S.noise_scale("Euler", sigma) == sigma
    assert S.noise_scale("DDIM", sigma).item() == pytest.approx(math.sqrt(101))
    assert S.records_ensd("Euler a") and not S.records_ensd("Euler a", eta=0)
    assert not S.records_ensd("DPM++ 2M") and not S.records_ensd("DPM++ SDE")
    assert S.sampler_knobs("DPM++ 2M SDE Heun", eta=0.5) == {"solver_type": "heun", "eta": 0.5}
    assert S.sampler_knobs("DPM++ 2M", eta=0.5) == {}


def test_ddim_sigmas_are_a1111_timesteps():
    sigmas = S.sigmas_for("DDIM", "Karras", 20, MODEL)  # timestep samplers ignore the type
    timesteps = MODEL.timestep(sigmas[:-1]).tolist()
    assert timesteps == list(np.arange(0, 1000, 50)[::-1] + 1)


def test_model_sigmas_from_a_diffusers_config():
    config = {
        "num_train_timesteps": 1000,
        "beta_start": 0.00085,
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "prediction_type": "v_prediction",
    }
    model = S.ModelSigmas.from_config(config)
    assert torch.equal(model.sigmas, MODEL.sigmas) and model.v_prediction
    assert model.scheduler_config == config
    betas = 1 - MODEL.alphas_cumprod / torch.cat([torch.ones(1), MODEL.alphas_cumprod[:-1]])
    rebuilt = S.ModelSigmas.from_config({"trained_betas": betas.tolist()})
    torch.testing.assert_close(rebuilt.sigmas, MODEL.sigmas)
