"""Seeds and noise: A1111's semantics, checked against plain torch draws and hand computations."""

from __future__ import annotations

import math

import pytest
import torch

from pixref.engine import samplers as S
from pixref.engine.noise import (
    ImageNoise,
    NoiseError,
    batch_seeds,
    paste_center,
    resolve_seed,
    slerp,
)
from tests.engine.toys import gaussian_denoiser

SHAPE = (4, 8, 8)
MODEL = S.ModelSigmas.from_alphas_cumprod(S.scaled_linear_alphas_cumprod())


def randn(seed, shape=SHAPE):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def test_random_seed_is_resolved_and_returned():
    for value in (-1, None, "", "abc"):
        seed = resolve_seed(value)
        assert 0 <= seed < 4294967294
    assert resolve_seed(1882829984) == 1882829984
    assert resolve_seed("42") == 42
    assert len({resolve_seed(-1) for _ in range(5)}) > 1


def test_batch_seeds_increase_only_without_variation():
    assert batch_seeds(10, 100, 0.0, 3) == ([10, 11, 12], [100, 101, 102])
    assert batch_seeds(10, 100, 0.4, 3) == ([10, 10, 10], [100, 101, 102])


def test_initial_noise_is_each_seeds_generator_draw():
    noise = ImageNoise([5, 6], shape=SHAPE, rng="CPU")
    x = noise.initial()
    assert x.shape == (2, *SHAPE) and x.dtype == torch.float32
    torch.testing.assert_close(x[0], randn(5), rtol=0, atol=0)
    torch.testing.assert_close(x[1], randn(6), rtol=0, atol=0)
    # the stream continues into the step noise
    g = torch.Generator().manual_seed(5)
    torch.randn(SHAPE, generator=g)
    torch.testing.assert_close(noise.step_like(x)[0], torch.randn(SHAPE, generator=g))


def test_same_parameters_same_noise():
    def make():
        n = ImageNoise([1, 2], [7, 8], 0.3, SHAPE, seed_resize_from=(48, 80), ensd=31337)
        x = n.initial()
        return x, n.step_like(x), n.step_like(x)

    for a, b in zip(make(), make(), strict=True):
        assert torch.equal(a, b)


def test_batch_equals_singles():
    kw = {"subseed_strength": 0.25, "shape": SHAPE, "ensd": 31337}
    batch = ImageNoise([3, 4, 5], [9, 10, 11], **kw)
    xb = batch.initial()
    steps_b = [batch.step_like(xb) for _ in range(2)]
    for i, (seed, sub) in enumerate([(3, 9), (4, 10), (5, 11)]):
        single = ImageNoise([seed], [sub], **kw)
        xs = single.initial()
        torch.testing.assert_close(xs[0], xb[i], rtol=0, atol=0)
        for step in steps_b:
            torch.testing.assert_close(single.step_like(xs)[0], step[i], rtol=0, atol=0)


def test_euler_a_batch_equals_singles_end_to_end():
    sigmas = S.sigmas_for("Euler a", "Automatic", 6, MODEL)

    def run(seeds):
        noise = ImageNoise(seeds, shape=SHAPE)
        x = noise.initial() * sigmas[0]
        return S.sample_euler_ancestral(gaussian_denoiser(), x, sigmas, noise=noise)

    batch = run([11, 12])
    torch.testing.assert_close(batch[1], run([12])[0], rtol=0, atol=0)


def test_variation_strength_0_and_1():
    base = ImageNoise([5], [9], 0.0, SHAPE).initial()[0]
    torch.testing.assert_close(base, randn(5), rtol=0, atol=0)
    full = ImageNoise([5], [9], 1.0, SHAPE).initial()[0]
    torch.testing.assert_close(full, randn(9), atol=1e-5, rtol=1e-5)


def test_slerp_by_hand():
    low, high = randn(1, (2, 3, 2)), randn(2, (2, 3, 2))
    v = 0.3
    want = torch.empty_like(low)
    for c in range(2):
        for col in range(2):
            a, b = low[c, :, col], high[c, :, col]
            cos = float((a / a.norm()) @ (b / b.norm()))
            om = math.acos(cos)
            want[c, :, col] = (
                math.sin((1 - v) * om) / math.sin(om) * a + math.sin(v * om) / math.sin(om) * b
            )
    torch.testing.assert_close(slerp(v, low, high), want, atol=1e-5, rtol=1e-5)


def test_slerp_near_parallel_takes_a1111s_swapped_linear_branch():
    low = randn(1, (2, 3, 2))
    high = low * 1.5  # same direction: mean cosine 1 > 0.9995
    torch.testing.assert_close(slerp(0.25, low, high), 0.25 * low + 0.75 * high)


def test_seed_resize_pastes_the_centre():
    # latent 8x8, noise made as for 32x32 px -> 4x4, pasted at rows/cols 2..5
    x = ImageNoise([5], shape=SHAPE, seed_resize_from=(32, 32)).initial()[0]
    small = randn(5, (4, 4, 4))
    full = randn(5)  # the image's own generator, first draw
    torch.testing.assert_close(x[:, 2:6, 2:6], small, rtol=0, atol=0)
    mask = torch.ones(SHAPE, dtype=torch.bool)
    mask[:, 2:6, 2:6] = False
    torch.testing.assert_close(x[mask], full[mask], rtol=0, atol=0)
    # noise as for 128x96 px (16 wide, 12 tall) is centre-cropped
    x = ImageNoise([5], shape=SHAPE, seed_resize_from=(128, 96)).initial()[0]
    torch.testing.assert_close(x, randn(5, (4, 12, 16))[:, 2:10, 4:12], rtol=0, atol=0)


def test_paste_center_wider_than_tall():
    into = torch.zeros(1, 4, 4)
    out = paste_center(torch.ones(1, 2, 6), into)
    assert out[0].tolist() == [[0] * 4, [1] * 4, [1] * 4, [0] * 4]


def test_ensd_reseeds_step_noise_after_the_initial_noise():
    plain = ImageNoise([5], shape=SHAPE)
    delta = ImageNoise([5], shape=SHAPE, ensd=31337)
    x_plain, x_delta = plain.initial(), delta.initial()
    torch.testing.assert_close(x_plain, x_delta, rtol=0, atol=0)  # initial noise unchanged
    torch.testing.assert_close(delta.step_like(x_delta)[0], randn(5 + 31337), rtol=0, atol=0)


@pytest.mark.parametrize(("sampler", "changes"), [("Euler a", True), ("DPM2 a", True),
                                                  ("Euler", False), ("DPM++ 2M", False),
                                                  ("DPM++ 2M SDE", False)])  # fmt: skip
def test_ensd_only_matters_where_a1111_applies_it(sampler, changes):
    spec = S.sampler_spec(sampler)
    sigmas = S.sigmas_for(sampler, "Automatic", 5, MODEL)

    def run(ensd):
        noise = ImageNoise([5], shape=SHAPE, ensd=ensd)
        x = noise.initial() * sigmas[0]
        return spec.function(gaussian_denoiser(), x, sigmas, noise=noise, **spec.knobs)

    assert (not torch.equal(run(0), run(31337))) == changes
    assert S.records_ensd(sampler) == changes


def test_brownian_noise_is_seeded_per_image_and_unit_variance():
    sigmas = S.sigmas_for("DPM++ 2M SDE", "Automatic", 8, MODEL)
    x = torch.zeros(2, 4, 32, 32)
    batch = ImageNoise([3, 4], shape=(4, 32, 32)).brownian(x, sigmas)
    single = ImageNoise([4], shape=(4, 32, 32)).brownian(x[:1], sigmas)
    w = batch(sigmas[0], sigmas[1])
    torch.testing.assert_close(w[1], single(sigmas[0], sigmas[1])[0], rtol=0, atol=0)
    assert w.std().item() == pytest.approx(1.0, abs=0.05)
    again = ImageNoise([3, 4], shape=(4, 32, 32)).brownian(x, sigmas)
    torch.testing.assert_close(again(sigmas[0], sigmas[1]), w, rtol=0, atol=0)


def test_rng_choices():
    assert ImageNoise([1], shape=SHAPE, rng="GPU").rng_used == "CPU"  # no CUDA here
    assert ImageNoise([1], shape=SHAPE, rng="CPU").rng_used == "CPU"
    with pytest.raises(NoiseError, match='"GPU", "CPU"'):
        ImageNoise([1], shape=SHAPE, rng="NV")
    with pytest.raises(NoiseError, match="subseed_strength"):
        ImageNoise([1], [2], 1.5, SHAPE)
