"""``pixref txt2img | img2img | inpaint`` end to end on a tiny diffusers-folder model."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from pixref.cli import app
from pixref.metadata import read_metadata

runner = CliRunner()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from tests.engine import tiny

    return tiny.build("sd1", tmp_path_factory.mktemp("cli") / "sd1").diffusers_dir


def run(home, *args):
    return runner.invoke(app, ["--home", str(home), *args])


def test_txt2img_writes_png_with_infotext_and_logs_it(tmp_path, model_dir):
    out = tmp_path / "cat.png"
    args = ["--model", str(model_dir), "--steps", "3", "--size", "64x64", "--seed", "42"]
    result = run(
        tmp_path / "home", "txt2img", "a cat", "-n", "dog", "--cfg", "7", "-o", str(out), *args
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    meta = read_metadata(out)
    p = meta.params
    assert (p.prompt, p.negative_prompt, p.seed, p.steps, p.cfg_scale) == ("a cat", "dog", 42, 3, 7)
    assert meta.infotext.endswith(f"Model: {model_dir.name}, Version: {p.version}")
    listed = run(tmp_path / "home", "log", "list", "--json")
    entries = json.loads(listed.stdout)
    assert len(entries) == 1 and entries[0]["seed"] == 42


def test_from_an_earlier_image_reproduces_it(tmp_path, model_dir):
    home = tmp_path / "home"
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    args = ["--model", str(model_dir), "--steps", "3", "--size", "64x64"]
    assert run(home, "txt2img", "a fox", "--seed", "7", "-o", str(first), *args).exit_code == 0
    again = run(home, "txt2img", "--from", str(first), "--model", str(model_dir), "-o", str(second))
    assert again.exit_code == 0
    assert np.array_equal(np.asarray(Image.open(first)), np.asarray(Image.open(second)))


def test_outputs_folder_named_as_a1111(tmp_path, model_dir):
    home = tmp_path / "home"
    result = run(home, "txt2img", "a fox", "--seed", "11", "--batch-size", "2",
                 "--model", str(model_dir), "--steps", "2", "--size", "64x64")  # fmt: skip
    assert result.exit_code == 0, result.output
    names = [line.rsplit("/", 1)[-1] for line in result.stdout.split()]
    assert names == ["00000-11.png", "00001-12.png"]
    assert "txt2img-images" in result.stdout


def test_img2img_and_inpaint(tmp_path, model_dir):
    home = tmp_path / "home"
    init, mask = tmp_path / "init.png", tmp_path / "mask.png"
    Image.new("RGB", (64, 64), (30, 160, 90)).save(init)
    m = Image.new("L", (64, 64), 0)
    m.paste(255, (20, 20, 44, 44))
    m.save(mask)
    common = ["--model", str(model_dir), "--steps", "4", "--seed", "3"]
    out = tmp_path / "i2i.png"
    result = run(home, "img2img", str(init), "a fox", "--denoise", "0.5", "-o", str(out), *common)
    assert result.exit_code == 0, result.output
    assert read_metadata(out).params.denoising_strength == 0.5
    out = tmp_path / "inp.png"
    result = run(home, "inpaint", str(init), str(mask), "a fox", "-o", str(out),
                 "--masked-content", "fill", *common)  # fmt: skip
    assert result.exit_code == 0, result.output
    p = read_metadata(out).params
    assert p.inpaint.masked_content == "fill" and p.inpaint.mask_blur == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sampler", "Euler z"], "Euler a"),
        (["--model", "no-such-model"], "no-such-model"),
        (["--size", "big"], "WIDTHxHEIGHT"),
    ],
)
def test_bad_input_is_one_clean_line(tmp_path, model_dir, args, message):
    base = ["txt2img", "a cat", "--steps", "2", "--model", str(model_dir)]
    result = run(tmp_path / "home", *base, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not list(tmp_path.glob("home/outputs/**/*.png"))


def test_refiner_and_hires_flags_and_from_restores_them(tmp_path, tmp_path_factory):
    import shutil

    from tests.engine import tiny

    home = tmp_path / "home"
    checkpoints = home / "models" / "Stable-diffusion"
    checkpoints.mkdir(parents=True)
    built = tmp_path_factory.mktemp("pair")
    shutil.copytree(tiny.build("sd1", built / "b", seed=0).diffusers_dir, checkpoints / "base")
    refiner = tiny.build("sd1", built / "r", seed=1).diffusers_dir
    shutil.copytree(refiner, checkpoints / "pixrefiner")
    first, again = tmp_path / "first.png", tmp_path / "again.png"
    args = ["--model", "base", "--steps", "4", "--seed", "8", "--size", "64x64",
            "--refiner", "pixrefiner", "--refiner-switch", "0.5",
            "--hires-scale", "1.5", "--hires-steps", "2", "--hires-denoise", "0.6"]  # fmt: skip
    result = run(home, "txt2img", "a fox", "-o", str(first), *args)
    assert result.exit_code == 0, result.output
    p = read_metadata(first).params
    assert p.refiner == "pixrefiner" and p.refiner_switch_at == 0.5  # a folder has no hash
    assert (p.hires.upscale, p.hires.steps, p.denoising_strength) == (1.5, 2, 0.6)
    assert Image.open(first).size == (96, 96)
    result = run(home, "txt2img", "--from", str(first), "-o", str(again))
    assert result.exit_code == 0, result.output
    assert np.array_equal(np.asarray(Image.open(first)), np.asarray(Image.open(again)))


def test_controlnet_with_an_openpose_json(tmp_path, tmp_path_factory, shared_data):
    import shutil

    from tests.engine import tiny

    home = tmp_path / "home"
    checkpoints = home / "models" / "Stable-diffusion"
    checkpoints.mkdir(parents=True)
    built = tmp_path_factory.mktemp("cn-cli")
    shutil.copytree(tiny.build("sd1", built / "b").diffusers_dir, checkpoints / "base")
    net = tiny.build_controlnet("sd1", built / "cn").diffusers_dir
    shutil.copytree(net, home / "models" / "ControlNet" / "tiny_openpose")
    pose = shared_data / "poses" / "openpose_editor_coco18_hands_768x512.json"
    out, plain = tmp_path / "posed.png", tmp_path / "plain.png"
    common = ["--model", "base", "--steps", "3", "--seed", "4", "--size", "64x64"]
    result = run(home, "txt2img", "a dancer", "-o", str(out), *common, "--controlnet",
                 "tiny_openpose", "--pose", str(pose), "--control-weight", "0.6",
                 "--control-mode", "prompt")  # fmt: skip
    assert result.exit_code == 0, result.output
    (unit,) = read_metadata(out).params.controlnets
    assert (unit.model, unit.weight, unit.control_mode) == (
        "tiny_openpose", 0.6, "My prompt is more important",
    )  # fmt: skip
    assert run(home, "txt2img", "a dancer", "-o", str(plain), *common).exit_code == 0
    assert not np.array_equal(np.asarray(Image.open(out)), np.asarray(Image.open(plain)))
    again = run(home, "txt2img", "--from", str(out), "-o", str(tmp_path / "again.png"))
    assert again.exit_code == 0 and "need --control-image again" in again.stderr
    missing = run(home, "txt2img", "x", *common, "--controlnet", "tiny_openpose")
    assert missing.exit_code == 2 and "--control-image" in missing.output
