"""``pixref pose``: render, show, mirror, detect (the last without weights)."""

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from pixref.cli import app
from pixref.pose import read_pose, render_pose

runner = CliRunner()
COCO = "openpose_editor_coco18_hands_768x512.json"


def test_render_writes_the_annotator_image(poses_dir, tmp_path):
    out = tmp_path / "out" / "pose.png"
    result = runner.invoke(app, ["pose", "render", str(poses_dir / COCO), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    with Image.open(out) as image:
        pixels = np.asarray(image.convert("RGB"))
    assert (pixels == render_pose(read_pose(poses_dir / COCO))).all()


def test_render_size_and_parts(poses_dir, tmp_path):
    out = tmp_path / "small.png"
    args = ["pose", "render", str(poses_dir / COCO), "-o", str(out), "--size", "384x256"]
    assert runner.invoke(app, [*args, "--no-hands"]).exit_code == 0
    with Image.open(out) as image:
        assert image.size == (384, 256)
        pixels = np.asarray(image.convert("RGB"))
    assert not (pixels == (0, 0, 255)).all(axis=2).any()  # no blue hand dots
    pose = read_pose(poses_dir / COCO)
    assert (pixels == render_pose(pose, size=(384, 256), hands=False)).all()


def test_render_bad_size_is_a_usage_error(poses_dir, tmp_path):
    result = runner.invoke(
        app,
        ["pose", "render", str(poses_dir / COCO), "-o", str(tmp_path / "x.png"), "--size", "big"],
    )
    assert result.exit_code == 2 and "WIDTHxHEIGHT" in result.output


def test_show_json(poses_dir):
    name = "ultimate_editor_coco18_face_hands_720x1280.json"
    result = runner.invoke(app, ["pose", "show", str(poses_dir / name), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["width"], data["height"]) == (720, 1280)
    assert data["people"][0]["parts"]["face"] == {"points": 70, "present": 70}
    assert data["people"][0]["body_format"] == "coco18"


def test_show_text(poses_dir):
    result = runner.invoke(app, ["pose", "show", str(poses_dir / COCO), "--keypoints"])
    assert result.exit_code == 0
    assert "768x512, 1 people" in result.stdout and "body 12/18" in result.stdout
    assert "367.0" in result.stdout


def test_mirror_writes_json(poses_dir, tmp_path):
    out = tmp_path / "m.json"
    assert (
        runner.invoke(app, ["pose", "mirror", str(poses_dir / COCO), "-o", str(out)]).exit_code == 0
    )
    assert read_pose(out).people[0].body[1, 0] == 768 - 367


def test_malformed_file_is_one_line_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"people": [')
    result = runner.invoke(app, ["pose", "render", str(bad), "-o", str(tmp_path / "x.png")])
    assert result.exit_code == 1
    assert "error: bad.json is not valid JSON" in result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "x.png").exists()


def test_detect_without_weights_says_what_to_put_where(tmp_path):
    photo = tmp_path / "photo.png"
    Image.new("RGB", (8, 8)).save(photo)
    home = tmp_path / "home"
    out = tmp_path / "pose.json"
    result = runner.invoke(app, ["--home", str(home), "pose", "detect", str(photo), "-o", str(out)])
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert "body_pose_model.pth" in message and str(home / "models" / "openpose") in message
    assert "\n" not in message and not out.exists()


def test_detect_with_a_bad_weight_file_names_it(tmp_path):
    pytest.importorskip("torch")
    photo = tmp_path / "photo.png"
    Image.new("RGB", (8, 8)).save(photo)
    weights = tmp_path / "models" / "ControlNet" / "annotator" / "downloads" / "openpose"
    weights.mkdir(parents=True)
    (weights / "body_pose_model.pth").write_bytes(b"x")
    models = str(tmp_path / "models")
    args = ["pose", "detect", str(photo), "-o", str(tmp_path / "p.json"), "--models-dir", models]
    result = runner.invoke(app, [*args, "--no-hands", "--device", "cpu"])
    assert result.exit_code == 1 and result.stderr.startswith("error: cannot read weights")
    assert str(weights / "body_pose_model.pth") in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_detect_with_nobody_found_writes_nothing(openpose_models, tmp_path):
    """Random weights find nobody in noise: a clear refusal, no empty pose file."""
    photo = tmp_path / "photo.jpg"
    pixels = np.random.default_rng(3).integers(0, 256, (120, 80, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(photo)
    out = tmp_path / "out" / "pose.json"
    result = runner.invoke(
        app,
        ["pose", "detect", str(photo), "-o", str(out), "--models-dir", str(openpose_models),
         "--device", "cpu"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "no person found in photo.jpg" in result.stderr and "Traceback" not in result.output
    assert not out.exists()


def test_detect_writes_the_pose_and_its_image(tmp_path, monkeypatch):
    """What the detector found is written as JSON (normalised on request) and rendered."""
    import pixref.cli.pose as pose_cli
    from pixref.pose import Person, Pose

    body = np.zeros((18, 3))
    body[1], body[2] = (40, 30, 1), (30, 30, 1)
    found = Pose(width=80, height=120, people=(Person(body=body),))
    monkeypatch.setattr(pose_cli, "detect_pose", lambda photo, **options: found)
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (80, 120)).save(photo)
    out, png = tmp_path / "out" / "pose.json", tmp_path / "pose.png"
    result = runner.invoke(
        app, ["pose", "detect", str(photo), "-o", str(out), "--render", str(png), "--normalized"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [str(out), str(png)]
    assert result.stderr.strip() == "1 person found"
    data = json.loads(out.read_text())
    assert (data["canvas_width"], data["canvas_height"]) == (80, 120)
    assert data["normalized"] is True
    points = np.array(data["people"][0]["pose_keypoints_2d"]).reshape(18, 3)
    assert points[1].tolist() == [0.5, 0.25, 1.0] and points[2].tolist() == [0.375, 0.25, 1.0]
    with Image.open(png) as im:
        assert im.size == (80, 120) and im.mode == "RGB"
        assert im.getpixel((35, 30)) != (0, 0, 0)  # the neck-shoulder limb is drawn
    assert not list(out.parent.glob(".*.tmp"))  # written atomically, nothing left over
