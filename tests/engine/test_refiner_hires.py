"""Refiner switch and hires fix on tiny models: A1111's step counts, sizes and infotext keys."""

from __future__ import annotations

import pytest

from pixref.engine import generate, load_models
from pixref.engine._hires import HiresError
from pixref.engine._refiner import RefinerError
from pixref.infotext import parse_infotext
from pixref.params import GenerationParams, Hires

BASE = GenerationParams(prompt="a fairy", steps=20, sampler="Euler a", seed=3, width=64, height=64)


def _load(built):
    return load_models(built.single_file, config_dir=built.config_dir, device="cpu")


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    from tests.engine import tiny

    root = tmp_path_factory.mktemp("refiner")
    base = _load(tiny.build("sd1", root / "base", seed=0))
    other = tiny.build("sd1", root / "other", seed=1)
    other.single_file = other.single_file.rename(
        other.single_file.with_name("anythingV3.safetensors")
    )
    return base, _load(other)


class Calls:
    def __init__(self, *unets):
        self.counts = [0] * len(unets)
        self.handles = [
            unet.register_forward_hook(lambda *_, i=i: self._count(i))
            for i, unet in enumerate(unets)
        ]

    def _count(self, i):
        self.counts[i] += 1

    def close(self):
        for handle in self.handles:
            handle.remove()


def counted(base, refiner, params):
    calls = Calls(base.unet, refiner.unet)
    try:
        result = generate(params, base, refiner=refiner)
    finally:
        calls.close()
    return calls.counts, result


@pytest.mark.parametrize(
    ("sampler", "schedule", "switch_at", "expected"),
    [
        # A1111 >= 1.8 switches by noise level (a1111-compat.md section 5).
        ("Euler a", "Automatic", 0.33, [7, 13]),
        ("Euler a", "Automatic", 0.8, [16, 4]),
        ("Euler", "Karras", 0.33, [7, 13]),
        ("Euler", "Karras", 0.8, [12, 8]),
    ],
)
def test_refiner_takes_over_where_a1111_does(pair, sampler, schedule, switch_at, expected):
    base, refiner = pair
    params = BASE.replace(sampler=sampler, schedule_type=schedule, refiner_switch_at=switch_at)
    counts, result = counted(base, refiner, params)
    assert counts == expected
    text = result.infotexts[0]
    assert f"Refiner: anythingV3 [{refiner.short_hash}], Refiner switch at: {switch_at}" in text
    assert parse_infotext(text).refiner_switch_at == switch_at


def test_no_switch_no_refiner_keys(pair):
    base, refiner = pair
    counts, result = counted(base, refiner, BASE.replace(refiner_switch_at=1.0))
    assert counts == [20, 0]
    assert "Refiner" not in result.infotexts[0]


def test_old_infotexts_switch_by_steps(pair):
    base, refiner = pair
    params = BASE.replace(sampler="Euler", schedule_type="Karras", refiner_switch_at=0.5)
    assert counted(base, refiner, params)[0] != [10, 10]
    assert counted(base, refiner, params.replace(version="v1.7.0"))[0] == [10, 10]


def test_sdxl_base_to_refiner(tmp_path_factory):
    from tests.engine import tiny

    root = tmp_path_factory.mktemp("xl")
    base = _load(tiny.build("sdxl", root / "base"))
    refiner = _load(tiny.build("sdxl-refiner", root / "refiner"))
    params = BASE.replace(steps=6, sampler="DPM++ 2M", refiner_switch_at=0.5)
    counts, result = counted(base, refiner, params)
    assert counts[0] > 0 and counts[1] > 0 and sum(counts) == 6
    assert result.images[0].size == (64, 64)


def test_refiner_of_another_family_is_refused(pair, tmp_path_factory):
    from tests.engine import tiny

    base, _ = pair
    xl = _load(tiny.build("sdxl", tmp_path_factory.mktemp("xl2") / "xl"))
    with pytest.raises(RefinerError, match="same model family"):
        generate(BASE.replace(refiner_switch_at=0.5), base, refiner=xl)


def test_hires_fix_second_pass(pair):
    base, _ = pair
    hires = Hires(upscale=2, steps=6, upscaler="Latent")
    params = BASE.replace(steps=4, sampler="Euler", denoising_strength=0.5, hires=hires)
    calls = Calls(base.unet)
    try:
        result = generate(params, base)
    finally:
        calls.close()
    assert result.images[0].size == (128, 128)
    # First pass 4 steps, then A1111's img2img count: int(0.5 * 6) + 1 = 4.
    assert calls.counts == [4 + 4]
    text = result.infotexts[0]
    assert "Size: 64x64" in text
    assert (
        "Denoising strength: 0.5, Hires upscale: 2, Hires steps: 6, Hires upscaler: Latent" in text
    )


@pytest.mark.parametrize(
    ("hires", "size"),
    [
        (Hires(upscale=1.5, upscaler="Lanczos"), (96, 96)),
        (Hires(upscale=None, resize=(128, 96), upscaler="Latent (nearest)"), (128, 96)),
        (Hires(upscale=None, resize=(96, 0), upscaler="Nearest"), (96, 96)),
    ],
)
def test_hires_sizes_and_upscalers(pair, hires, size):
    base, _ = pair
    params = BASE.replace(steps=2, sampler="Euler", denoising_strength=0.5, hires=hires)
    assert generate(params, base).images[0].size == size


def test_hires_upscaler_needing_weights_is_refused(pair):
    base, _ = pair
    params = BASE.replace(steps=2, hires=Hires(upscaler="R-ESRGAN 4x+"))
    with pytest.raises(HiresError, match="R-ESRGAN"):
        generate(params, base)
