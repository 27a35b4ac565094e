import errno
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pixref.library import Kind, LibraryError, Query, Relation, _files, open_library

from .conftest import params, png, unique_png

ROOT = Path(__file__).resolve().parents[2]


def _count(lib):
    return lib.store.db.execute("SELECT count(*) FROM entries").fetchone()[0]


def _image_files(lib):
    if not lib.files.images.exists():
        return []
    return sorted(p for p in lib.files.images.rglob("*") if p.is_file())


def test_add_writes_content_addressed_file_and_row(lib):
    data = png()
    e = lib.add(data, params=params(), tags=["Fairy", " big  hat "], note="nice arm")
    assert e.id == 1 and e.kind == "generation" and e.generator == "pixref"
    assert e.path.read_bytes() == data
    assert e.path.name == f"{e.image_hash}.png" and e.path.parent.name == e.image_hash[:2]
    assert (e.width, e.height) == (8, 8)
    assert e.params == params()
    assert e.tags == ("big hat", "fairy")
    assert e.note == "nice arm"
    assert lib.get("#1") == e


def test_add_from_path_and_link(lib, tmp_path):
    src = tmp_path / "out" / "00001-123.png"
    src.parent.mkdir()
    src.write_bytes(unique_png())
    copied = lib.add(src, params=params(seed=1))
    linked = lib.add(src, params=params(seed=2), link=True)
    assert copied.path != src and copied.path.read_bytes() == src.read_bytes()
    assert linked.path == src.resolve() and linked.linked
    assert copied.filename == "00001-123.png"


def test_identical_images_share_one_file_and_purge_keeps_it_while_used(lib):
    data = png()
    a = lib.add(data, params=params(seed=1))
    b = lib.add(data, params=params(seed=2))
    assert a.path == b.path and len(_image_files(lib)) == 1
    lib.trash([a.id])
    lib.purge([a.id])
    assert b.path.exists()
    lib.trash([b.id])
    lib.purge()
    assert not b.path.exists() and _count(lib) == 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"kind": "sketch"}, "`kind` must be one of"),
        ({"rating": 6}, "`rating` must be a whole number from 0 to 5"),
        ({"parents": {42: "img2img"}}, "parent entry 42 does not exist"),
        ({"parents": {1: "cousin"}}, "`relation` must be one of"),
        ({"sweep": (9, {"cfg": 7})}, "sweep 9 does not exist"),
        ({"tags": ["  "]}, "tag must not be empty"),
    ],
)
def test_bad_add_leaves_no_row_and_no_new_file(lib, kwargs, match):
    lib.add(png(), params=params())
    before = _image_files(lib)
    with pytest.raises(Exception, match=match):
        lib.add(unique_png(), params=params(), **kwargs)
    assert _count(lib) == 1
    assert _image_files(lib) == before


def test_not_an_image_is_refused(lib, tmp_path):
    bad = tmp_path / "x.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(LibraryError, match="not a readable image"):
        lib.add(bad)
    with pytest.raises(LibraryError, match="cannot read"):
        lib.add(tmp_path / "missing.png")
    assert _count(lib) == 0 and _image_files(lib) == []


def test_annotations_trash_and_restore(lib):
    a = lib.add(unique_png(), params=params(seed=1))
    b = lib.add(unique_png(), params=params(seed=2))
    lib.tag([a.id, b.id], add=["fairy", "hat"])
    lib.tag([b.id], remove=["hat"])
    lib.set_note(a.id, "left wing")
    lib.rate([a.id], 4)
    lib.set_keep([a.id])
    a, b = lib.get(a.id), lib.get(b.id)
    assert a.tags == ("fairy", "hat") and b.tags == ("fairy",)
    assert (a.note, a.rating, a.keep) == ("left wing", 4, True)
    assert [e.id for e in lib.search(Query(text="wing"))] == [a.id]
    lib.trash([a.id])
    assert [e.id for e in lib.search()] == [b.id]
    assert [e.id for e in lib.search(Query(trash=True))] == [a.id]
    with pytest.raises(LibraryError, match="not in the trash"):
        lib.purge([b.id])
    assert lib.restore() == [a.id]
    assert [e.id for e in lib.search()] == [b.id, a.id]
    with pytest.raises(LibraryError, match="no library entry 99"):
        lib.set_note(99, "x")
    with pytest.raises(LibraryError, match="must be a number"):
        lib.get("abc")


def test_lineage_and_sweep(lib):
    base = lib.add(unique_png(), params=params())
    child = lib.add(
        unique_png(), params=params(denoising_strength=0.5), parents={base.id: Relation.img2img}
    )
    pix = lib.add(
        unique_png(size=(4, 4)), kind=Kind.pixelized, parents=[(child.id, Relation.pixelized_from)]
    )
    sweep = lib.new_sweep("cfg sweep", [{"axis": "CFG scale", "values": [6, 7]}])
    cells = [
        lib.add(
            unique_png(),
            params=params(cfg_scale=c),
            kind=Kind.sweep_cell,
            sweep=(sweep, {"CFG scale": c}),
        )
        for c in (6, 7)
    ]
    assert lib.parents(child.id) == [("img2img", base.id)]
    assert lib.children(child.id) == [("pixelized_from", pix.id)]
    s = lib.sweep_of(cells[1].id)
    assert s["name"] == "cfg sweep" and s["values"] == {"CFG scale": 7}
    assert [c[0] for c in s["cells"]] == [c.id for c in cells]
    assert lib.sweep_of(base.id) is None
    assert lib.params_for(child.id).denoising_strength == 0.5
    with pytest.raises(LibraryError, match="no generation parameters"):
        lib.params_for(pix.id)


def test_full_disk_while_writing_the_image(lib, monkeypatch):
    lib.add(png(), params=params())

    def no_space(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_files.os, "fsync", no_space)
    with pytest.raises(LibraryError, match="disk full.*free some space"):
        lib.add(unique_png(), params=params())
    assert _count(lib) == 1
    assert len(_image_files(lib)) == 1  # no temp file left behind


def test_full_database_keeps_library_intact(lib):
    lib.add(png(), params=params())
    db = lib.store.db
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(LibraryError, match="free some disk space"):
        for _ in range(50):  # the first insert that needs a new page fails
            lib.add(unique_png(), params=params(prompt="x" * 3000))
    n = _count(lib)
    assert len(_image_files(lib)) == n  # the failed add removed its file
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert lib.check().ok


def test_locked_database_fails_with_a_clear_message(tmp_path):
    path = tmp_path / "library.db"
    open_library(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with open_library(path, timeout=0.05) as lib:
            assert lib.search() == []  # readers are not blocked (WAL)
            with pytest.raises(LibraryError, match="busy.*try again"):
                lib.add(png(), params=params())
            assert _image_files(lib) == []
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_check_finds_and_repairs_both_kinds_of_orphan(lib, tmp_path):
    src = tmp_path / "source.png"
    src.write_bytes(unique_png())
    restorable = lib.add(src, source_path=str(src))
    lost = lib.add(unique_png(), params=params())
    kept = lib.add(unique_png(), params=params(seed=3))
    restorable.path.unlink()
    lost.path.unlink()
    stray = lib.files.images / "ab" / ("ab" * 32 + ".png")
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"x")
    report = lib.check()
    assert sorted(i for i, _ in report.missing) == [restorable.id, lost.id]
    assert report.orphans == [str(stray)]
    assert not report.ok
    young = lib.check(repair=True)  # the stray file is too young to be removed
    assert young.removed_files == [] and stray.exists()
    assert young.restored == [restorable.id] and young.removed_rows == [lost.id]
    report = lib.check(repair=True, grace_s=0)
    assert report.removed_files == [str(stray)]
    assert lib.check().ok
    assert restorable.path.read_bytes() == src.read_bytes()
    assert [e.id for e in lib.search()] == [kept.id, restorable.id]


def test_crash_between_file_and_row_leaves_only_a_removable_file(tmp_path):
    path = tmp_path / "library.db"
    code = textwrap.dedent(f"""
        import os, io
        from PIL import Image
        from pixref.library import open_library, _library
        lib = open_library({str(path)!r})
        def crash(*a, **k):
            os._exit(3)   # killed after the file was renamed into place
        _library.Library._insert = crash
        buf = io.BytesIO(); Image.new("RGB", (4, 4), (1, 2, 3)).save(buf, "PNG")
        lib.add(buf.getvalue())
    """)
    r = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
    )
    assert r.returncode == 3, r.stderr
    with open_library(path) as lib:
        assert _count(lib) == 0
        report = lib.check()
        assert len(report.orphans) == 1 and report.missing == []
        lib.check(repair=True, grace_s=0)
        assert lib.check().ok and _image_files(lib) == []


def test_several_processes_write_at_once(tmp_path):
    path = tmp_path / "library.db"
    open_library(path).close()
    code = textwrap.dedent("""
        import io, sys
        from PIL import Image
        from pixref.library import open_library
        worker = int(sys.argv[2])
        with open_library(sys.argv[1], timeout=30) as lib:
            for i in range(25):
                buf = io.BytesIO()
                Image.new("RGB", (4, 4), (worker, i, 9)).save(buf, "PNG")
                lib.add(buf.getvalue(), tags=[f"w{worker}"])
                lib.search()
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path), str(w)],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(3)
    ]
    for p in procs:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    with open_library(path) as lib:
        assert _count(lib) == 75
        assert lib.count(Query(tags=("w1",))) == 25
        assert lib.check().ok


def test_thumbnail_is_cached_and_pixel_crisp(lib):
    from PIL import Image

    e = lib.add(png(color=(10, 200, 30), size=(600, 300)))
    thumb = lib.thumbnail(e.id, size=128)
    with Image.open(thumb) as im:
        assert im.size == (128, 64)
        assert set(im.get_flattened_data()) == {(10, 200, 30, 255)}  # nearest: no new colours
    mtime = thumb.stat().st_mtime_ns
    assert lib.thumbnail(e.id, size=128) == thumb and thumb.stat().st_mtime_ns == mtime


def test_open_library_defaults_to_the_data_home(tmp_path, monkeypatch):
    from pixref.home import set_home

    set_home(tmp_path / "home")
    try:
        with open_library() as lib:
            assert lib.path == tmp_path / "home" / "library.db"
    finally:
        set_home(None)
