"""`generate(per_image=...)`: one batch whose images have their own seeds, variation seeds
and CFG scales, each equal to the single generation with those values."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from pixref.engine import ControlInput, GenerationError, ImageOverrides, generate, load_models
from pixref.params import ControlNetUnit, GenerationParams, Hires

BASE = GenerationParams(
    prompt="pixel knight, (armor:1.2)",
    negative_prompt="blurry",
    steps=4,
    sampler="Euler",
    seed=1234,
    width=64,
    height=64,
)
SEEDS, CFGS = [5, 9, 2], [3, 7, 11]
#: Batched UNet matmuls may round differently from batch-1 ones on CPU (the existing
#: "batch == single" and sweep tests allow the same): at most 1 level of uint8.
TOLERANCE = 1


@pytest.fixture(scope="module")
def sd1(tmp_path_factory):
    from tests.engine import tiny

    built = tiny.build("sd1", tmp_path_factory.mktemp("per-image") / "sd1")
    return load_models(
        built.single_file, config_dir=built.config_dir, device="cpu", use_cache=False
    )


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def overrides(seeds, cfgs, variation_seeds=None):
    subs = variation_seeds or [None] * len(seeds)
    return [
        ImageOverrides(seed=s, variation_seed=v, cfg_scale=c)
        for s, v, c in zip(seeds, subs, cfgs, strict=True)
    ]


def assert_equals_singles(batch, params, models, per_image, **kwargs):
    assert len(batch.images) == len(per_image)
    for image, q, text, o in zip(
        batch.images, batch.params, batch.infotexts, per_image, strict=True
    ):
        single_params = params.replace(
            seed=o.seed, variation_seed=o.variation_seed, cfg_scale=o.cfg_scale, batch_size=1
        )
        single = generate(single_params, models, **kwargs)
        diff = np.abs(pixels(image) - pixels(single.images[0])).max()
        assert diff <= TOLERANCE, (o, diff)
        assert q == single.params[0] and text == single.infotexts[0]
        assert (q.seed, q.cfg_scale) == (o.seed, o.cfg_scale)
        assert f"Seed: {o.seed}," in text and f"CFG scale: {o.cfg_scale}," in text


@pytest.mark.parametrize("sampler", ["Euler", "Euler a", "DPM++ 2M SDE"])
def test_per_image_seeds_and_cfgs_equal_single_generations(sd1, sampler):
    # Euler: start noise; Euler a: per-image step noise; 2M SDE: per-image Brownian trees.
    params = BASE.replace(sampler=sampler, batch_size=3)
    per_image = overrides(SEEDS, CFGS)
    batch = generate(params, sd1, per_image=per_image)
    assert [q.seed for q in batch.params] == SEEDS
    assert [q.cfg_scale for q in batch.params] == CFGS
    assert_equals_singles(batch, params, sd1, per_image)
    images = [pixels(i) for i in batch.images]
    assert not np.array_equal(images[0], images[1])


def test_per_image_variation_seeds(sd1):
    params = BASE.replace(variation_strength=0.4, batch_size=3)
    per_image = overrides([5, 5, 9], [7, 7, 4], variation_seeds=[11, 30, 11])
    batch = generate(params, sd1, per_image=per_image)
    assert [q.variation_seed for q in batch.params] == [11, 30, 11]
    assert all("Variation seed strength: 0.4" in t for t in batch.infotexts)
    assert_equals_singles(batch, params, sd1, per_image)


def test_shared_cfg_and_cfg_one_in_a_batch(sd1):
    # One CFG for all takes the plain float path; CFG 1 next to others runs with the negative.
    for cfgs in ([6, 6], [1, 8]):
        params = BASE.replace(batch_size=2)
        per_image = overrides([3, 4], cfgs)
        assert_equals_singles(generate(params, sd1, per_image=per_image), params, sd1, per_image)


def test_per_image_cfg_in_hires_pass_and_refiner(tmp_path_factory, sd1):
    from tests.engine import tiny

    other = tiny.build("sd1", tmp_path_factory.mktemp("per-image-ref") / "r", seed=1)
    refiner = load_models(other.single_file, config_dir=other.config_dir, device="cpu")
    hires = Hires(upscale=1.5, steps=3, upscaler="Latent")
    params = BASE.replace(batch_size=2, denoising_strength=0.6, hires=hires, refiner_switch_at=0.5)
    per_image = overrides([5, 9], [3, 11])
    batch = generate(params, sd1, per_image=per_image, refiner=refiner)
    assert batch.images[0].size == (96, 96) and all("Refiner:" in t for t in batch.infotexts)
    assert_equals_singles(batch, params, sd1, per_image, refiner=refiner)


def test_per_image_cfg_with_controlnet_more_important(sd1):
    from tests.engine.test_controlnet import _random_controlnet

    pose = Image.new("RGB", (64, 64))
    ImageDraw.Draw(pose).line((10, 5, 50, 60), fill=(255, 0, 85), width=5)
    unit = ControlNetUnit(control_mode="ControlNet is more important")
    controls = [ControlInput(_random_controlnet(sd1.unet, 1), pose, unit)]
    params = BASE.replace(batch_size=2)
    per_image = overrides([5, 9], [3, 11])
    batch = generate(params, sd1, per_image=per_image, controlnets=controls)
    assert_equals_singles(batch, params, sd1, per_image, controlnets=controls)


@pytest.mark.parametrize(
    ("change", "per_image", "match"),
    [
        ({"batch_size": 3}, overrides([1, 2], [7, 7]), "one entry per image.*got 2 entries"),
        ({"batch_size": 1}, overrides([1, 2], [7, 7]), "`batch_size` 1"),
        ({"batch_size": 2, "batch_count": 2}, overrides([1, 2], [7, 7]), "`batch_count` 2"),
        ({"batch_size": 2}, overrides([1, 2], [7, -1]), r"per_image\[1\].cfg_scale"),
        ({"batch_size": 1}, [(1, None, 7)], r"per_image\[0\]` must be an ImageOverrides"),
    ],
)
def test_bad_per_image_values_are_refused(sd1, change, per_image, match):
    with pytest.raises(GenerationError, match=match) as info:
        generate(BASE.replace(**change), sd1, per_image=per_image)
    assert "\n" not in str(info.value)
