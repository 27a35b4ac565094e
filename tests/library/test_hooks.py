"""The engine CLI records what it makes (with a stand-in engine: no torch, no model)."""

import json
from types import SimpleNamespace

import pytest
from PIL import Image
from typer.testing import CliRunner

from pixref.cli import app
from pixref.infotext import format_infotext
from pixref.library import open_library
from tests.stand_in_engine import install_stand_in_engine


@pytest.fixture
def fake_engine(monkeypatch):
    calls = []

    def generate(params, models, init_image=None, mask=None, on_step=None, **extra_networks):
        calls.append(params)
        qs = [params.replace(seed=params.seed + i) for i in range(2)]
        images = [Image.new("RGB", (8, 8), (len(calls), i, 0)) for i in range(2)]
        return SimpleNamespace(
            images=images, params=qs, warnings=(), infotexts=[format_infotext(q) for q in qs]
        )

    install_stand_in_engine(monkeypatch, generate)
    return calls


def run(home, *args):
    return CliRunner().invoke(app, ["--home", str(home), *args])


def test_generations_are_logged_with_lineage(tmp_path, fake_engine):
    out = tmp_path / "out"
    r = run(tmp_path, "txt2img", "a cute kitty wearing a hat", "--seed", "100", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    assert "logged as #1" in r.stderr and "logged as #2" in r.stderr
    first = r.stdout.split()[0]
    r = run(tmp_path, "img2img", first, "kitty, pixel art", "--seed", "7", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    r = run(
        tmp_path,
        "txt2img",
        "--from",
        "#1",
        "--variation-seed",
        "5",
        "--variation-strength",
        "0.3",
        "-o",
        str(out),
    )
    assert r.exit_code == 0, r.stderr
    assert fake_engine[-1].prompt == "a cute kitty wearing a hat" and fake_engine[-1].seed == 100
    with open_library(tmp_path / "library.db") as lib:
        assert lib.count() == 6
        e1 = lib.get(1)
        assert e1.params.seed == 100 and e1.source_path == first and e1.kind == "generation"
        assert e1.infotext == format_infotext(e1.params)
        assert lib.children(1) == [
            ("img2img", 3),
            ("img2img", 4),
            ("variation_of", 5),
            ("variation_of", 6),
        ]
    shown = json.loads(run(tmp_path, "log", "show", "3", "--json").stdout)
    assert shown["parents"] == [{"relation": "img2img", "id": 1}]


def test_library_problem_does_not_lose_the_image(tmp_path, fake_engine):
    (tmp_path / "library.db").write_bytes(b"not a database at all" * 50)
    r = run(tmp_path, "txt2img", "kitty", "--seed", "1", "-o", str(tmp_path / "o"))
    assert r.exit_code == 0, r.stderr
    assert "not logged in the library" in r.stderr
    assert len(r.stdout.split()) == 2 and all(p.endswith(".png") for p in r.stdout.split())


def test_from_unknown_library_id_is_an_error(tmp_path, fake_engine):
    r = run(tmp_path, "txt2img", "--from", "42")
    assert r.exit_code == 1 and "no library entry 42" in r.stderr
