"""``pixref mockup ...`` and ``pixref img2img --mockup`` through typer's CliRunner."""

import json
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from pixref.cli import app
from pixref.infotext import format_infotext
from pixref.library import open_library
from pixref.mockup.io import read_document, render_file
from tests.stand_in_engine import install_stand_in_engine


def run(home, *args):
    return CliRunner().invoke(app, ["--home", str(home), *map(str, args)])


def test_build_a_mockup_step_by_step(tmp_path, workdir):
    home, doc = tmp_path / "home", workdir / "new.pixmock.json"
    r = run(home, "mockup", "new", "--size", "64x48", "-o", doc, "--background", "#ffffff")
    assert (r.exit_code, r.stdout, r.stderr) == (0, f"{doc}\n", "")
    r = run(home, "mockup", "add", doc, workdir / "a.png", "--at", "4,2", "--scale", "0.5",
            "--rotate", "10", "--blend", "Multiply", "--opacity", "0.9")  # fmt: skip
    assert (r.exit_code, r.stdout) == (0, "a\n")
    r = run(home, "mockup", "add", doc, "color:#ff0000", "--size", "8x8", "--name", "[dot]")
    assert (r.exit_code, r.stdout) == (0, "[dot]\n")  # escaped, not eaten as markup
    assert run(home, "mockup", "add", doc, workdir / "a.png").stdout == "a 2\n"  # unique names
    assert (
        run(home, "mockup", "mask", doc, "a", "--ellipse", "0,0,50,40", "--feather", "3").exit_code
        == 0
    )
    assert (
        run(home, "mockup", "mask", doc, "a", "--rect", "0,0,10,10", "--op", "subtract").exit_code
        == 0
    )
    assert (
        run(
            home, "mockup", "mask", doc, "a 2", "--stroke", "0,0,20,20,40,0", "--width", "6"
        ).exit_code
        == 0
    )
    assert (
        run(home, "mockup", "mask", doc, "a 2", "--image", workdir / "m.png", "--invert").exit_code
        == 0
    )
    r = run(home, "mockup", "adjust", doc, "a", "--hue", "30", "--levels", "0.1,0.9,1.2",
            "--balance", "0.1,0,-0.1", "--hide")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert run(home, "mockup", "move", doc, "[dot]", "--by", "3,4", "--flip-x").exit_code == 0
    assert run(home, "mockup", "order", doc, "[dot]", "--to", "bottom").exit_code == 0
    d = read_document(doc)
    assert [x.name for x in d.walk()] == ["[dot]", "a", "a 2"]
    a = d.find("a")
    assert a.source.path == "a.png" and a.transform.scale == (0.5, 0.5) and not a.visible
    assert a.blend.value == "multiply" and a.adjust.hue == 30 and a.adjust.levels.gamma == 1.2
    assert [m.shape.value for m in a.mask] == ["ellipse", "rect"]
    assert [m.shape.value for m in d.find("a 2").mask] == ["stroke", "image"]
    dot = d.find("[dot]")
    assert (dot.transform.x, dot.transform.y, dot.transform.flip_x) == (3, 4, True)
    shown = run(home, "mockup", "show", doc)
    assert shown.exit_code == 0
    lines = shown.stdout.splitlines()
    assert lines[0] == "64x48, background #ffffff, bicubic resampling"
    assert lines[1].split()[:2] == ["3", "a"] and "[dot]" in lines[3]  # top first
    assert "(hidden)" in lines[2]
    assert json.loads(run(home, "mockup", "show", doc, "--json").stdout)["width"] == 64


def test_render_export_import(tmp_path, workdir):
    home, doc = tmp_path / "home", workdir / "fairy.pixmock.json"
    out = workdir / "flat.png"
    r = run(home, "mockup", "render", doc, "-o", out)
    assert (r.exit_code, r.stdout) == (0, f"{out}\n") and "logged as #1" in r.stderr
    _, expected = render_file(doc)
    np.testing.assert_array_equal(np.asarray(Image.open(out)), expected)
    # The document rides along in the PNG, so the render says how it was made.
    embedded = json.loads(Image.open(out).text["pixref-mockup"])
    assert embedded["format"] == "pixref-mockup" and len(embedded["layers"]) == 5
    with open_library(home / "library.db") as lib:
        assert lib.get(1).kind == "mockup"
    for suffix in (".psd", ".ora"):
        target = workdir / f"fairy{suffix}"
        r = run(home, "mockup", "export", doc, target)
        assert (r.exit_code, r.stdout) == (0, f"{target}\n"), r.stderr
        back = workdir / f"back{suffix}.pixmock.json"
        r = run(home, "mockup", "import", target, "-o", back)
        assert (r.exit_code, r.stdout, r.stderr) == (0, f"{back}\n", "")
        _, again = render_file(back)
        assert np.abs(again.astype(int) - expected).max() <= 1
        r = run(home, "mockup", "import", target, "-o", back)
        assert r.exit_code == 1 and "already exists; pass --force" in r.stderr


def test_render_links_library_sources_as_parents(tmp_path, workdir):
    home = tmp_path / "home"
    home.mkdir()
    with open_library(home / "library.db") as lib:
        gen = lib.add(workdir / "b.png").id
        photo = lib.add(workdir / "a.png").id
    doc = workdir / "lib.pixmock.json"
    assert run(home, "mockup", "new", "--size", "40x40", "-o", doc).exit_code == 0
    assert run(home, "mockup", "add", doc, f"#{gen}").stdout == f"#{gen}\n"
    assert (
        run(home, "mockup", "add", doc, workdir / "a.png").exit_code == 0
    )  # a path, in the library
    r = run(home, "mockup", "render", doc, "-o", workdir / "lib.png")
    assert r.exit_code == 0, r.stderr
    with open_library(home / "library.db") as lib:
        assert lib.get(3).kind == "mockup"
        assert sorted(lib.children(gen) + lib.children(photo)) == [("mockup_layer", 3)] * 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "{doc}", "missing.png"], "SOURCE 'missing.png' is neither an image file"),
        (["mask", "{doc}", "nope", "--rect", "0,0,1,1"], "no layer 'nope' in the mockup"),
        (["adjust", "{doc}", "arm", "--opacity", "2"], "`opacity` must be between 0 and 1"),
        (["render", "{dir}/none.pixmock.json", "-o", "{dir}/x.png"], "does not exist"),
        (["export", "{doc}", "{dir}/x.tif"], "speak .ora and .psd"),
    ],
)  # fmt: skip
def test_errors_are_one_red_line(tmp_path, workdir, args, message):
    doc = workdir / "fairy.pixmock.json"
    args = [a.format(doc=doc, dir=workdir) for a in args]
    r = run(tmp_path / "home", "mockup", *args)
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.startswith("error: ") and message in r.stderr
    assert r.stderr.count("\n") == 1


def test_deleted_source_is_reported(tmp_path, workdir):
    (workdir / "b.png").unlink()
    r = run(
        tmp_path / "home",
        "mockup",
        "render",
        workdir / "fairy.pixmock.json",
        "-o",
        workdir / "x.png",
    )
    assert r.exit_code == 1
    assert "layer 'leaf': source file `b.png` is missing" in r.stderr


def test_usage_errors_exit_2(tmp_path, workdir):
    doc = workdir / "fairy.pixmock.json"
    r = run(tmp_path, "mockup", "mask", doc, "arm", "--rect", "1,2,3")
    assert r.exit_code == 2 and "expects 4 numbers" in r.stderr
    r = run(tmp_path, "mockup", "mask", doc, "arm")
    assert r.exit_code == 2 and "exactly one of" in r.stderr


@pytest.fixture
def fake_engine(monkeypatch):
    calls = []

    def generate(params, models, init_image=None, mask=None, on_step=None, **extra_networks):
        calls.append((params, init_image))
        images = [Image.new("RGB", (8, 8), (9, 9, 9))]
        return SimpleNamespace(
            images=images, params=[params], warnings=(), infotexts=[format_infotext(params)]
        )

    install_stand_in_engine(monkeypatch, generate)
    return calls


def test_img2img_from_a_mockup_records_it_as_parent(tmp_path, workdir, fake_engine):
    home, doc = tmp_path / "home", workdir / "fairy.pixmock.json"
    out = tmp_path / "gen.png"
    r = run(home, "img2img", "--mockup", doc, "a fairy, pixel art", "--seed", "5", "-o", out)
    assert r.exit_code == 0, r.stderr
    assert r.stdout == f"{out}\n"
    params, init = fake_engine[0]
    assert params.prompt == "a fairy, pixel art" and (params.width, params.height) == (96, 64)
    _, expected = render_file(doc)
    np.testing.assert_array_equal(np.asarray(init), expected)
    with open_library(home / "library.db") as lib:
        assert lib.get(1).kind == "mockup" and lib.get(2).kind == "generation"
        assert lib.children(1) == [("img2img", 2)]
    r = run(home, "img2img", workdir / "a.png", "x", "--mockup", doc)
    assert r.exit_code == 2 and "not both" in r.stderr
    r = run(home, "img2img")
    assert r.exit_code == 2
