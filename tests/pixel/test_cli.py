import json

import numpy as np
import pytest
from PIL import Image
from pixel_helpers import load_sprite, upscale_nearest
from typer.testing import CliRunner

from pixref.cli import app

runner = CliRunner()


def _err(result) -> str:
    # rich wraps long lines at the terminal width; compare the words.
    return " ".join(result.stderr.split())


@pytest.fixture
def reference(tmp_path, rng):
    base = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    path = tmp_path / "ref.png"
    Image.fromarray(np.repeat(np.repeat(base, 8, 0), 8, 1)).save(path)
    return path


def test_pixelize_writes_indexed_png_preview_aseprite_and_palette(tmp_path, reference):
    out = tmp_path / "out.png"
    result = runner.invoke(
        app,
        ["pixelize", str(reference), "-o", str(out), "--width", "32", "--colors", "8",
         "--preview-scale", "4", "--aseprite", "--export-palette", str(tmp_path / "p.gpl")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert str(out) in result.stdout
    assert "32x32, 8 colours" in _err(result)
    with Image.open(out) as im:
        assert im.mode == "P" and im.size == (32, 32)
        assert json.loads(im.info["pixref"])["width"] == 32
    assert (tmp_path / "out_x4.png").exists() and (tmp_path / "out.aseprite").exists()
    assert (tmp_path / "p.gpl").read_text().startswith("GIMP Palette")


def test_pixelize_variants_write_each_size_and_a_contact_sheet(tmp_path, reference):
    result = runner.invoke(
        app, ["pixelize", str(reference), "-o", str(tmp_path / "v.png"), "--widths", "16,32",
              "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [d["width"] for d in data[:2]] == [16, 32]
    assert (tmp_path / "v_16x16.png").exists() and (tmp_path / "v_sheet.png").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--colors", "0"], "`colors` must be between 1 and 256"),
        (["--width", "5000"], "larger than the source"),
        (["--palette", "nosuch"], "unknown palette"),
        (["--width", "10", "--height", "10"], "only one of"),
    ],
)
def test_pixelize_bad_settings_exit_1_with_one_line(tmp_path, reference, args, message):
    result = runner.invoke(app, ["pixelize", str(reference), "-o", str(tmp_path / "o.png"), *args])
    assert result.exit_code == 1
    assert message in _err(result)
    assert "Traceback" not in result.output
    assert not (tmp_path / "o.png").exists()


def test_pixelize_non_image_input(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_text("hello")
    result = runner.invoke(app, ["pixelize", str(bad), "-o", str(tmp_path / "o.png")])
    assert result.exit_code == 1 and "not an image" in _err(result)


def test_snap_recovers_sprite_and_reports_the_grid(tmp_path):
    sprite = load_sprite("grafxkid_twiggy_idle_32x32.png")
    src = tmp_path / "big.png"
    Image.fromarray(upscale_nearest(sprite, 6)).save(src)
    out = tmp_path / "s.png"
    result = runner.invoke(
        app, ["snap", str(src), "-o", str(out), "--grid-preview", str(tmp_path / "g.png"),
              "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["pitch"] == [6.0, 6.0] and (report["width"], report["height"]) == (160, 32)
    back = np.asarray(Image.open(out).convert("RGBA"))
    opaque = sprite[..., 3] >= 128
    assert np.array_equal(back[..., 3] >= 128, opaque)
    assert np.array_equal(back[opaque, :3], sprite[opaque, :3])
    assert (tmp_path / "g.png").exists()


def test_snap_without_a_grid_says_so(tmp_path):
    sprite = load_sprite("spd_sprites_rat.png")
    src = tmp_path / "native.png"
    Image.fromarray(sprite).save(src)
    result = runner.invoke(app, ["snap", str(src), "-o", str(tmp_path / "s.png")])
    assert result.exit_code == 1 and "no pixel grid" in _err(result)
    forced = runner.invoke(
        app, ["snap", str(src), "-o", str(tmp_path / "s.png"), "--pixel-size", "1"]
    )
    assert forced.exit_code == 0, forced.output


def test_palette_commands(tmp_path, reference):
    shown = runner.invoke(app, ["palette", "show", "game-boy"])
    assert shown.exit_code == 0 and shown.stdout.split() == ["0f380f", "306230", "8bac0f",
                                                              "9bbc0f"]  # fmt: skip
    converted = runner.invoke(app, ["palette", "convert", "game-boy", str(tmp_path / "gb.ase")])
    assert converted.exit_code == 0
    again = runner.invoke(app, ["palette", "show", str(tmp_path / "gb.ase"), "--json"])
    assert json.loads(again.stdout)["colors"][0] == "0f380f"
    extracted = runner.invoke(
        app, ["palette", "extract", str(reference), "-o", str(tmp_path / "e.hex"), "--colors", "4"]
    )
    assert extracted.exit_code == 0
    assert len((tmp_path / "e.hex").read_text().split()) == 4
    listed = runner.invoke(app, ["palette", "list"])
    assert "endesga-32" in listed.stdout
    bad = tmp_path / "bad.gpl"
    bad.write_text("nope")
    broken = runner.invoke(app, ["palette", "show", str(bad)])
    assert broken.exit_code == 1 and "GIMP Palette" in _err(broken)


def test_snap_with_colours_writes_that_many_plus_transparent(tmp_path):
    sprite = load_sprite("crawl_nellie.png")  # 37 colours and transparency
    src = tmp_path / "big.png"
    Image.fromarray(upscale_nearest(sprite, 5)).save(src)
    out = tmp_path / "s.png"
    result = runner.invoke(app, ["snap", str(src), "-o", str(out), "--colors", "4"])
    assert result.exit_code == 0, result.output
    with Image.open(out) as im:
        assert im.mode == "P" and im.info.get("transparency") == 0
        used = set(np.unique(np.asarray(im)).tolist())
    assert 0 in used and len(used) == 5


def test_pixelize_and_snap_are_logged_with_their_source(tmp_path):
    import json as _json

    from pixref.library import open_library

    home = tmp_path / "home"
    source = tmp_path / "ref.png"
    Image.fromarray(
        np.kron(np.arange(64, dtype=np.uint8).reshape(8, 8), np.ones((8, 8), np.uint8))
    ).convert("RGB").save(source)
    with open_library(home / "library.db") as lib:
        source_id = lib.add(source, kind="import").id
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "--home",
            str(home),
            "pixelize",
            str(source),
            "-o",
            str(tmp_path / "p.png"),
            "--width",
            "8",
        ],
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        [
            "--home",
            str(home),
            "snap",
            str(source),
            "-o",
            str(tmp_path / "s.png"),
            "--pixel-size",
            "8",
        ],
    )
    assert r.exit_code == 0, r.output
    listed = _json.loads(runner.invoke(app, ["--home", str(home), "log", "list", "--json"]).stdout)
    kinds = {e["kind"] for e in listed}
    assert {"pixelized", "snapped"} <= kinds
    shown = runner.invoke(app, ["--home", str(home), "log", "show", str(source_id)])
    assert "pixelized_from" in shown.stdout and "snapped_from" in shown.stdout
