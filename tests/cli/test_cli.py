"""The command line: help everywhere, info, paths, and errors without tracebacks."""

import json

import pytest
from PIL import Image
from typer.main import get_command
from typer.testing import CliRunner

from pixref import __version__
from pixref.cli import app
from pixref.metadata import save_png
from pixref.params import GenerationParams

runner = CliRunner()


def _all_command_paths(command, prefix=()):
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from _all_command_paths(sub, (*prefix, name))


def test_every_command_is_listed():
    paths = {" ".join(p) for p in _all_command_paths(get_command(app))}
    assert {"info", "paths", "txt2img", "log search", "pixelize", "pose render"} <= paths


@pytest.mark.parametrize("path", list(_all_command_paths(get_command(app))))
def test_every_command_has_help(path):
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout


def test_usage_errors_are_not_reported_as_bugs():
    result = runner.invoke(app, ["txt2img", "x", "--size", "big"])
    assert result.exit_code == 2
    assert "WIDTHxHEIGHT" in result.output and "internal error" not in result.output


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.stdout


def test_paths_follow_home_option_and_env(tmp_path, monkeypatch):
    result = runner.invoke(app, ["--home", str(tmp_path / "h"), "paths", "--json"])
    data = json.loads(result.stdout)
    assert data["home"] == str(tmp_path / "h")
    assert data["models"] == str(tmp_path / "h" / "models")
    assert data["library"].startswith(str(tmp_path / "h"))
    monkeypatch.setenv("PIXREF_HOME", str(tmp_path / "env"))
    result = runner.invoke(app, ["paths", "--json"])
    assert json.loads(result.stdout)["outputs"] == str(tmp_path / "env" / "outputs")


@pytest.fixture
def generated(tmp_path):
    params = GenerationParams(
        prompt="tiny fairy, [blurry]", negative_prompt="text", seed=7, steps=12, cfg_scale=6.5,
        sampler="DPM++ 2M", schedule_type="Karras", width=32, height=16, model="px",
    )  # fmt: skip
    return params, save_png(Image.new("RGB", (32, 16)), tmp_path / "gen.png", params)


def test_info_prints_infotext_like_png_info(generated):
    params, path = generated
    result = runner.invoke(app, ["info", str(path)])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "tiny fairy, [blurry]",
        "Negative prompt: text",
        "Steps: 12, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 6.5, Seed: 7, "
        "Size: 32x16, Model: px",
    ]


def test_info_json_record(generated):
    _, path = generated
    result = runner.invoke(app, ["info", "--json", str(path)])
    record = json.loads(result.stdout)
    assert {k: record[k] for k in ("generator", "prompt", "seed", "steps", "cfg_scale")} == {
        "generator": "A1111",
        "prompt": "tiny fairy, [blurry]",
        "seed": 7,
        "steps": 12,
        "cfg_scale": 6.5,
    }
    assert (record["sampler"], record["schedule_type"], record["width"], record["height"]) == (
        "DPM++ 2M",
        "Karras",
        32,
        16,
    )
    assert record["model"] == "px" and record["negative_prompt"] == "text"
    assert isinstance(record["extra"], dict)


def test_info_bad_files_exit_1_without_traceback(tmp_path, generated):
    _, good = generated
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"nope")
    result = runner.invoke(app, ["info", str(bad), str(tmp_path / "missing.png"), str(good)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.count("error:") == 2
    assert "Seed: 7" in result.stdout  # the good file is still shown


def test_info_no_metadata(tmp_path):
    path = tmp_path / "plain.png"
    Image.new("RGB", (3, 3)).save(path)
    result = runner.invoke(app, ["info", str(path)])
    assert result.exit_code == 0
    assert "no generation parameters found" in result.stderr
    assert result.stdout == ""
