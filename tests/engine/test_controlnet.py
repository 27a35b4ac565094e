"""ControlNet units in the one loop, on a tiny SD 1.x model with a tiny random ControlNet."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from diffusers import ControlNetModel
from PIL import Image, ImageDraw

from pixref.engine import ControlInput, ControlNetError, generate, load_models
from pixref.params import ControlNetUnit, GenerationParams

BASE = GenerationParams(prompt="a dancer", steps=4, sampler="Euler", seed=21, width=64, height=64)


def _random_controlnet(unet, seed: int) -> ControlNetModel:
    torch.manual_seed(seed)
    net = ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=(8, 8, 8, 8))
    # from_unet zero-initialises the output convolutions (a fresh ControlNet does nothing);
    # random ones make the residuals, and so every test below, able to fail.
    for module in [*net.controlnet_down_blocks, net.controlnet_mid_block]:
        torch.nn.init.normal_(module.weight, std=0.5)
    return net.eval()


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from tests.engine import tiny

    built = tiny.build("sd1", tmp_path_factory.mktemp("cn") / "sd1")
    models = load_models(built.single_file, config_dir=built.config_dir, device="cpu")
    pose = Image.new("RGB", (96, 96))
    ImageDraw.Draw(pose).line((20, 10, 70, 90), fill=(255, 0, 85), width=6)
    return models, _random_controlnet(models.unet, 1), _random_controlnet(models.unet, 2), pose


def pixels(result):
    return np.asarray(result.images[0], dtype=np.int16)


def run(models, *units):
    return generate(BASE, models, controlnets=list(units))


def test_weight_zero_equals_no_controlnet_and_weight_one_changes(setup):
    models, net, _, pose = setup
    plain = run(models)
    zero = run(models, ControlInput(net, pose, ControlNetUnit(weight=0)))
    one = run(models, ControlInput(net, pose, ControlNetUnit(weight=1)))
    assert np.array_equal(pixels(zero), pixels(plain))
    assert np.abs(pixels(one) - pixels(plain)).mean() > 1
    assert 'ControlNet 0: "Module: none, Model: None, Weight: 1,' in one.infotexts[0]


def test_guidance_range_limits_the_steps_it_acts_on(setup):
    models, net, _, pose = setup
    calls = []
    handle = net.register_forward_hook(lambda *_: calls.append(1))
    try:
        run(models, ControlInput(net, pose, ControlNetUnit(guidance_start=0.5, guidance_end=1.0)))
    finally:
        handle.remove()
    assert len(calls) == 2  # progress 0.5 and 0.75 of four Euler steps


def test_two_units_combine(setup):
    models, a, b, pose = setup
    only_a = run(models, ControlInput(a, pose))
    a_and_silent_b = run(
        models, ControlInput(a, pose), ControlInput(b, pose, ControlNetUnit(weight=0))
    )
    both = run(models, ControlInput(a, pose), ControlInput(b, pose))
    assert np.array_equal(pixels(only_a), pixels(a_and_silent_b))
    assert not np.array_equal(pixels(both), pixels(only_a))
    assert "ControlNet 1: " in both.infotexts[0]


def test_control_modes_differ(setup):
    models, net, _, pose = setup
    results = {
        mode: pixels(run(models, ControlInput(net, pose, ControlNetUnit(control_mode=mode))))
        for mode in ("Balanced", "My prompt is more important", "ControlNet is more important")
    }
    values = list(results.values())
    assert not np.array_equal(values[0], values[1]) and not np.array_equal(values[0], values[2])


def test_controlnet_of_another_family_is_refused(setup):
    models, net, _, pose = setup
    other = ControlNetModel(
        block_out_channels=(8, 16), down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        cross_attention_dim=1024, layers_per_block=1, norm_num_groups=4,
        attention_head_dim=2, conditioning_embedding_out_channels=(8, 8, 8, 8),
    )  # fmt: skip
    with pytest.raises(ControlNetError, match="another model family"):
        run(models, ControlInput(other, pose))
    with pytest.raises(ControlNetError, match="control mode"):
        run(models, ControlInput(net, pose, ControlNetUnit(control_mode="Loud")))
