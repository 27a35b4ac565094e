"""The one denoising loop on tiny random-weight models: txt2img, img2img, inpainting, seeds."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pixref.engine import GenerationError, Interrupted, generate, load_models
from pixref.engine.samplers import SamplerError
from pixref.infotext import format_infotext, parse_infotext
from pixref.params import GenerationParams, Inpaint

BASE = GenerationParams(
    prompt="pixel knight, (armor:1.2)",
    negative_prompt="blurry",
    steps=4,
    sampler="Euler",
    seed=1234,
    width=64,
    height=64,
)


@pytest.fixture(scope="module")
def sd1(tiny_models_module):
    return tiny_models_module


@pytest.fixture(scope="module")
def tiny_models_module(tmp_path_factory):
    from tests.engine import tiny

    built = tiny.build("sd1", tmp_path_factory.mktemp("gen") / "sd1")
    return load_models(
        built.single_file, config_dir=built.config_dir, device="cpu", use_cache=False
    )


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


class CallCounter:
    """Counts UNet forward calls (one per batched cond + uncond evaluation)."""

    def __init__(self, models):
        self.unet, self.calls = models.unet, 0

    def __enter__(self):
        self.handle = self.unet.register_forward_hook(lambda *_: self._count())
        return self

    def _count(self):
        self.calls += 1

    def __exit__(self, *exc):
        self.handle.remove()


def test_same_parameters_same_pixels(sd1):
    a = generate(BASE, sd1).images[0]
    b = generate(BASE, sd1).images[0]
    assert a.size == (64, 64)
    assert np.array_equal(pixels(a), pixels(b))
    c = generate(BASE.replace(seed=1235), sd1).images[0]
    assert not np.array_equal(pixels(a), pixels(c))


def test_infotext_records_the_run_and_reproduces_it(sd1):
    result = generate(BASE.replace(sampler="DPM++ 2M", seed=-1), sd1)
    params, text = result.params[0], result.infotexts[0]
    assert params.seed != -1  # the random seed is recorded
    assert text == format_infotext(params)
    assert "Schedule type: Karras" in text  # resolved as A1111 writes it
    assert f"Model hash: {sd1.short_hash}" in text and "Version: pixref-" in text
    again = generate(parse_infotext(text), sd1).images[0]
    assert np.array_equal(pixels(again), pixels(result.images[0]))


def test_batch_seeds_increment_and_equal_single_runs(sd1):
    for sampler in ("Euler", "Euler a"):  # ancestral: step noise continues each image's stream
        batch = generate(BASE.replace(sampler=sampler, batch_size=2, batch_count=2), sd1)
        assert [p.seed for p in batch.params] == [1234, 1235, 1236, 1237]
        single = generate(BASE.replace(sampler=sampler, seed=1235), sd1).images[0]
        assert np.abs(pixels(batch.images[1]) - pixels(single)).max() <= 1


def test_variation_strength_ends(sd1):
    base = generate(BASE, sd1).images[0]
    other = generate(BASE.replace(seed=999), sd1).images[0]
    zero = generate(BASE.replace(variation_seed=999, variation_strength=0.0), sd1)
    one = generate(BASE.replace(variation_seed=999, variation_strength=1.0), sd1)
    half = generate(BASE.replace(variation_seed=999, variation_strength=0.5), sd1)
    assert np.array_equal(pixels(zero.images[0]), pixels(base))
    assert np.abs(pixels(one.images[0]) - pixels(other)).max() <= 1
    assert not np.array_equal(pixels(half.images[0]), pixels(base))
    assert "Variation seed: 999, Variation seed strength: 0.5" in half.infotexts[0]
    assert "Variation seed" not in zero.infotexts[0]


def test_variation_keeps_seed_in_batch(sd1):
    result = generate(BASE.replace(variation_seed=7, variation_strength=0.3, batch_size=2), sd1)
    assert [p.seed for p in result.params] == [1234, 1234]
    assert [p.variation_seed for p in result.params] == [7, 8]


@pytest.mark.parametrize(
    ("steps", "strength", "expected"), [(20, 0.75, 16), (20, 0.5, 11), (10, 1.0, 10)]
)
def test_img2img_runs_a1111_step_count(sd1, steps, strength, expected):
    init = Image.new("RGB", (64, 64), (200, 120, 40))
    params = BASE.replace(steps=steps, denoising_strength=strength)
    with CallCounter(sd1) as counter:
        result = generate(params, sd1, init_image=init)
    assert counter.calls == expected  # Euler: one batched (cond + uncond) call per step
    assert "Denoising strength: " + str(strength) in result.infotexts[0]


def test_img2img_low_strength_stays_close_to_init(sd1):
    init = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), np.uint8))
    near = generate(BASE.replace(denoising_strength=0.05, steps=20), sd1, init_image=init)
    far = generate(BASE.replace(denoising_strength=1.0, steps=20), sd1, init_image=init)
    diff_near = np.abs(pixels(near.images[0]) - pixels(init)).mean()
    diff_far = np.abs(pixels(far.images[0]) - pixels(init)).mean()
    assert diff_near < diff_far


@pytest.mark.parametrize("content", ["original", "fill", "latent noise", "latent nothing"])
@pytest.mark.parametrize("only_masked", [False, True])
def test_inpainting_keeps_unmasked_pixels(sd1, content, only_masked):
    rng = np.random.default_rng(1)
    init = Image.fromarray(rng.integers(0, 256, (64, 64, 3), np.uint8))
    mask = np.zeros((64, 64), np.uint8)
    mask[24:40, 24:40] = 255
    settings = Inpaint(mask_blur=2, masked_content=content, only_masked=only_masked, padding=4)
    params = BASE.replace(denoising_strength=0.9, inpaint=settings)
    out = generate(params, sd1, init_image=init, mask=Image.fromarray(mask)).images[0]
    # A1111's overlay: beyond the blurred edge the original pixels come back exactly.
    far = np.ones((64, 64), bool)
    far[18:46, 18:46] = False
    assert np.array_equal(pixels(out)[far], pixels(init)[far])
    assert not np.array_equal(pixels(out)[28:36, 28:36], pixels(init)[28:36, 28:36])


def test_inpainting_checkpoint_gets_mask_channels(tiny_inpainting):
    models = load_models(
        tiny_inpainting.single_file, config_dir=tiny_inpainting.config_dir, device="cpu"
    )
    assert models.is_inpainting
    init = Image.new("RGB", (64, 64), (90, 90, 200))
    mask = Image.new("L", (64, 64), 0)
    mask.paste(255, (16, 16, 48, 48))
    params = BASE.replace(denoising_strength=1.0, inpaint=Inpaint())
    assert generate(params, models, init_image=init, mask=mask).images[0].size == (64, 64)
    assert generate(BASE, models).images[0].size == (64, 64)  # txt2img on an inpainting model


def test_prompt_editing_switches_conditioning(sd1):
    plain = generate(BASE.replace(prompt="a cat"), sd1).images[0]
    edited = generate(BASE.replace(prompt="[a cat:a dog:2]"), sd1).images[0]
    dog = generate(BASE.replace(prompt="a dog"), sd1).images[0]
    assert not np.array_equal(pixels(edited), pixels(plain))
    assert not np.array_equal(pixels(edited), pixels(dog))


def test_size_not_multiple_of_8_is_rounded_and_said(sd1):
    result = generate(BASE.replace(width=70, height=66), sd1)
    assert result.images[0].size == (64, 64)
    assert "not a multiple of 8" in result.warnings[0]


def test_progress_and_interruption(sd1):
    events = []
    generate(BASE, sd1, on_step=events.append)
    assert [e.step for e in events] == [1, 2, 3, 4] and events[0].total == 4
    with pytest.raises(Interrupted):
        generate(BASE, sd1, should_stop=lambda: True)


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"steps": 0}, GenerationError, "steps"),
        ({"cfg_scale": -1}, GenerationError, "cfg_scale"),
        ({"sampler": "Euler z"}, SamplerError, "Euler a"),
        ({"schedule_type": "Wobbly"}, SamplerError, "Karras"),
        ({"width": 4}, GenerationError, "size"),
    ],
)
def test_bad_parameters_are_clear_errors(sd1, change, error, match):
    with pytest.raises(error, match=match) as info:
        generate(BASE.replace(**change), sd1)
    assert "\n" not in str(info.value)


def test_img2img_needs_strength(sd1):
    with pytest.raises(GenerationError, match="denoising_strength"):
        generate(BASE, sd1, init_image=Image.new("RGB", (64, 64)))


@pytest.mark.parametrize("arch", ["sd2", "sdxl", "sdxl-refiner"])
def test_other_architectures_generate_and_reproduce(tmp_path_factory, arch):
    from tests.engine import tiny

    built = tiny.build(arch, tmp_path_factory.mktemp(arch) / arch)
    models = load_models(built.single_file, config_dir=built.config_dir, device="cpu")
    params = BASE.replace(sampler="DPM++ 2M", negative_prompt="")
    first = generate(params, models)
    again = generate(parse_infotext(first.infotexts[0]), models)
    assert first.images[0].size == (64, 64)
    assert np.array_equal(pixels(first.images[0]), pixels(again.images[0]))
    assert not np.array_equal(
        pixels(first.images[0]), pixels(generate(params.replace(seed=5), models).images[0])
    )


def test_ckpt_refused_from_the_cli_without_the_flag(tmp_path):
    from typer.testing import CliRunner

    from pixref.cli import app

    ckpt = tmp_path / "old.ckpt"
    ckpt.write_bytes(b"not really a pickle")
    result = CliRunner().invoke(
        app, ["--home", str(tmp_path), "txt2img", "x", "--model", str(ckpt)]
    )
    assert result.exit_code == 1
    assert "--allow-unsafe-pickle" in result.stderr and "Traceback" not in result.output
