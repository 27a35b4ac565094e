import json

import pytest
from typer.testing import CliRunner

from pixref.cli import app
from pixref.library import Relation, open_library

from .conftest import infotext, params, png, unique_png


@pytest.fixture
def home(tmp_path):
    with open_library(tmp_path / "library.db") as lib:
        a = lib.add(unique_png(), params=params(prompt="a cute [kitty:dog:10] hat"), tags=["fairy"])
        lib.add(
            unique_png(),
            params=params(prompt="a cute [kitty:dog:10] hat", cfg_scale=8),
            parents={a.id: Relation.img2img},
        )
        lib.add(unique_png(), params=params(prompt="dragonfly", sampler="DPM++ 2M"))
    return tmp_path


def run(home, *args):
    return CliRunner().invoke(app, ["--home", str(home), "log", *args])


def test_list_table_and_json(home):
    r = run(home, "list")
    assert r.exit_code == 0, r.stderr
    assert "[kitty:dog:10]" in r.stdout and "🐶" not in r.stdout  # no markup or emoji
    r = run(home, "list", "--json")
    assert [e["id"] for e in json.loads(r.stdout)] == [3, 2, 1]


def test_search_with_filters(home):
    r = run(
        home,
        "search",
        "kitty hat",
        "--sampler",
        "Euler a",
        "--cfg",
        "6..8",
        "--tag",
        "fairy",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    assert [e["id"] for e in json.loads(r.stdout)] == [1]
    r = run(home, "search", "nothing-like-this")
    assert r.exit_code == 0 and r.stdout == "" and "no entries match" in r.stderr


def test_bad_range_is_one_line_error(home):
    r = run(home, "list", "--cfg", "high")
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr.strip().startswith("error: `cfg` must be a number or a range like 6..8")
    assert "Traceback" not in r.stderr


def test_show_unknown_id(home):
    r = run(home, "show", "99")
    assert r.exit_code == 1 and "no library entry 99" in r.stderr


def test_show_and_annotations(home):
    assert run(home, "tag", "1", "2", "big hat").exit_code == 0
    assert run(home, "note", "1", "use the [left] arm").exit_code == 0
    assert run(home, "rate", "1", "4").exit_code == 0
    assert run(home, "keep", "1").exit_code == 0
    r = run(home, "show", "1")
    assert r.exit_code == 0, r.stderr
    assert "use the [left] arm" in r.stdout and "big hat, fairy" in r.stdout
    assert "child:   #2 (img2img)" in r.stdout
    assert "Steps: 20, Sampler: Euler a" in r.stdout  # the infotext
    data = json.loads(run(home, "show", "1", "--json").stdout)
    assert (data["rating"], data["keep"], data["tags"]) == (4, True, ["big hat", "fairy"])
    assert data["children"] == [{"relation": "img2img", "id": 2}]
    r = run(home, "rate", "1", "9")
    assert r.exit_code == 1 and "from 0 to 5" in r.stderr
    r = run(home, "tag", "1")
    assert r.exit_code == 1 and "give entry ids then tags" in r.stderr


def test_rm_restore_purge(home):
    assert run(home, "rm", "3").exit_code == 0
    assert [e["id"] for e in json.loads(run(home, "list", "--json").stdout)] == [2, 1]
    assert [e["id"] for e in json.loads(run(home, "list", "--trash", "--json").stdout)] == [3]
    assert run(home, "restore").exit_code == 0
    assert len(json.loads(run(home, "list", "--json").stdout)) == 3
    run(home, "rm", "3")
    r = run(home, "rm", "--purge")
    assert r.exit_code == 0 and "deleted 1" in r.stderr
    assert run(home, "show", "3").exit_code == 1


def test_diff_similar_recall_tree(home):
    r = run(home, "diff", "1", "2")
    assert r.exit_code == 0 and "cfg_scale" in r.stdout
    assert json.loads(run(home, "diff", "1", "3", "--json").stdout)["prompt"] == (
        "[-a cute [kitty:dog:10] hat-] {+dragonfly+}"
    )
    r = run(home, "similar", "1", "--json")
    assert json.loads(r.stdout) == {"cfg_scale": [{"id": 2, "value": 8}]}
    r = run(home, "recall", "1")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("a cute [kitty:dog:10] hat\nNegative prompt: visible ears\n")
    assert "pixref txt2img 'a cute [kitty:dog:10] hat' -n 'visible ears' --steps 20" in r.stdout
    data = json.loads(run(home, "recall", "2", "--json").stdout)
    assert data["params"]["cfg_scale"] == 8 and "--cfg 8" in data["command"]
    r = run(home, "tree", "2")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0].startswith("#1 generation") and "img2img #2 generation ←" in lines[1]


def test_import_export_check(home, tmp_path):
    src = tmp_path / "a1111" / "outputs"
    src.mkdir(parents=True)
    (src / "00001-5.png").write_bytes(png(color=(1, 2, 3), text={"parameters": infotext(seed=5)}))
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nxx")
    r = run(home, "import", str(src), "--quiet")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("added 1, unchanged 0, duplicates 0, skipped 1")
    assert "skipped" in r.stderr and "broken.png" in r.stderr
    r = run(home, "import", str(src), "--json")
    assert json.loads(r.stdout)["unchanged"] == 2
    r = run(home, "import", str(tmp_path / "missing"))
    assert r.exit_code == 1 and "folder not found" in r.stderr

    out = tmp_path / "export"
    r = run(home, "export", "--query", "kitty", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest) == 3 and all((out / m["export_file"]).is_file() for m in manifest)
    assert (out / "manifest.csv").read_text().splitlines()[0].startswith("id,export_file,")
    r = run(home, "export", "-o", str(out))
    assert r.exit_code == 1 and "give entry ids or a filter" in r.stderr

    assert run(home, "check").exit_code == 0
    with open_library(home / "library.db") as lib:
        lib.get(1).path.unlink()
    r = run(home, "check")
    assert r.exit_code == 1 and "missing image of #1" in r.stderr
    r = run(home, "check", "--repair")
    assert r.exit_code == 0 and "removed 1 rows" in r.stdout
    assert run(home, "check").exit_code == 0
