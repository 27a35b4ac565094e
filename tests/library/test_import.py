import shutil

import pytest

from pixref.library import Query, import_folders, open_library

from .conftest import SAMPLES, infotext, png, unique_png


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def outputs(tmp_path):
    """A small A1111-like outputs folder: 3 generations, a plain image, a corrupt file."""
    root = tmp_path / "outputs" / "txt2img-images" / "2026-11-20"
    for i, cfg in enumerate((6, 7, 8)):
        _write(
            root / f"0000{i}-{100 + i}.png",
            png(color=(i, 1, 1), text={"parameters": infotext(cfg=cfg, seed=100 + i)}),
        )
    _write(root / "sketch-of-dragonfly.png", png(color=(9, 9, 9)))
    _write(root / "broken.png", png(color=(5, 5, 5))[:40])
    _write(root / "notes.txt", b"not an image")
    return tmp_path / "outputs"


def test_import_reads_parameters_dedups_and_is_incremental(lib, outputs, tmp_path):
    seen = []
    r = import_folders(lib, [outputs], on_file=lambda p, s: seen.append(s))
    assert len(r.added) == 4
    assert r.unchanged == 0 and r.duplicates == []
    assert [p.endswith("broken.png") for p, _ in r.skipped] == [True]
    assert r.no_metadata and r.no_metadata[0].endswith("sketch-of-dragonfly.png")
    assert sorted(seen) == ["added"] * 3 + ["no-metadata", "skipped"]
    hits = lib.search(Query(text="kitty", cfg=_rng(7, 8), sampler="euler a"))
    assert sorted(e.params.seed for e in hits) == [101, 102]
    e = hits[0]
    assert e.kind == "import" and e.generator == "A1111"
    assert e.infotext.startswith("a cute kitty wearing a hat\nNegative prompt: visible ears")
    assert e.path.read_bytes() == open(e.source_path, "rb").read()
    # the plain image is searchable by its file name
    assert [x.filename for x in lib.search(Query(text="dragonfly"))] == ["sketch-of-dragonfly.png"]

    again = import_folders(lib, [outputs])
    assert again.added == [] and again.unchanged == 5 and again.skipped == []

    # a copy elsewhere is a duplicate; a touched file is re-read but still a duplicate
    copy = _write(
        tmp_path / "elsewhere" / "copy.png",
        (outputs / "txt2img-images" / "2026-11-20" / "00000-100.png").read_bytes(),
    )
    third = import_folders(lib, [outputs, copy.parent])
    assert third.added == [] and len(third.duplicates) == 1 and third.unchanged == 5
    assert lib.count() == 4


def _rng(lo, hi):
    from pixref.library import Range

    return Range(lo, hi)


def test_import_with_link_keeps_files_in_place_and_tags(lib, outputs):
    r = import_folders(lib, [outputs], link=True, tags=["old-a1111"])
    entries = lib.search(Query(tags=("old-a1111",)))
    assert len(entries) == len(r.added) == 4
    assert all(e.linked and str(e.path).startswith(str(outputs.resolve())) for e in entries)
    assert not lib.files.images.exists() or not any(lib.files.images.rglob("*.png"))


def test_missing_folder_and_vanishing_files_are_reported_not_fatal(lib, outputs, tmp_path):
    folder = outputs / "txt2img-images" / "2026-11-20"

    def vanish(path, status):
        if folder.exists():
            shutil.rmtree(folder)  # the folder disappears after the first file

    r = import_folders(lib, [tmp_path / "nope", outputs], on_file=vanish)
    reasons = dict(r.skipped)
    assert reasons[str(tmp_path / "nope")] == "folder not found"
    assert sum(1 for v in reasons.values() if v == "vanished during import") == 4
    assert len(r.added) == 1
    assert lib.check().ok


def test_duplicates_inside_one_batch(lib, tmp_path):
    data = png(text={"parameters": infotext()})
    for name in ("a.png", "b.png", "c.png"):
        _write(tmp_path / "in" / name, data)
    r = import_folders(lib, [tmp_path / "in"])
    assert len(r.added) == 1 and len(r.duplicates) == 2
    assert lib.count() == 1


def test_import_skips_the_library_own_files(tmp_path):
    with open_library(tmp_path / "library.db") as lib:
        lib.add(unique_png())
        r = import_folders(lib, [tmp_path])
        assert r.added == [] and lib.count() == 1


def test_corrupt_and_foreign_files_get_reasons(lib, tmp_path):
    _write(tmp_path / "in" / "random.png", b"\x00" * 100)
    _write(tmp_path / "in" / "truncated.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 10)
    _write(tmp_path / "in" / "bad-infotext.png", png(text={"parameters": ""}))
    r = import_folders(lib, [tmp_path / "in"])
    reasons = {p.rsplit("/", 1)[1]: why for p, why in r.skipped}
    assert set(reasons) >= {"random.png", "truncated.jpg"}
    assert all(why for why in reasons.values())
    # skipped files are remembered: an unchanged corrupt file is not re-read
    assert import_folders(lib, [tmp_path / "in"]).skipped == []


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared metadata samples not present")
def test_real_samples_from_other_generators(lib, tmp_path):
    folder = tmp_path / "samples"
    folder.mkdir()
    for f in SAMPLES.glob("*.png"):
        shutil.copy(f, folder / f.name)
    r = import_folders(lib, [folder])
    assert r.skipped == [], r.skipped
    by_name = {e.filename: e for e in lib.search(Query(limit=None))}
    assert by_name["a1111_cropped.png"].generator == "A1111"
    assert by_name["comfyui_img2img_cropped.png"].generator == "ComfyUI"
    assert by_name["comfyui_img2img_cropped.png"].raw.get("workflow")  # graph kept
    assert by_name["invokeai_metadata_cropped.png"].generator == "InvokeAI"
    assert by_name["novelai_cropped.png"].generator == "NovelAI"
    assert by_name["fooocus_cropped.png"].generator == "Fooocus"
    assert lib.search(Query(generator="comfyui"))[0].filename == "comfyui_img2img_cropped.png"
    for e in by_name.values():
        if e.params is not None:
            assert e.infotext


def test_full_disk_stops_import_without_corrupting(lib, outputs, monkeypatch):
    import errno

    from pixref.library import LibraryError, _files

    real_replace = _files.os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # the second image finds the disk full
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(_files.os, "replace", replace)
    with pytest.raises(LibraryError, match="disk full"):
        import_folders(lib, [outputs])
    assert lib.count() == 0  # the batch never committed
    monkeypatch.setattr(_files.os, "replace", real_replace)
    assert lib.check(grace_s=0).ok  # and its first, written file was removed
    assert not any(p.is_file() for p in lib.files.images.rglob("*"))
    assert len(import_folders(lib, [outputs]).added) == 4  # nothing was remembered as done


def test_failed_flush_commits_nothing_and_removes_new_files(lib, outputs, monkeypatch):
    import errno

    from pixref.library import LibraryError, _files

    def flush_fails():
        raise _files.disk_error(OSError(errno.EIO, "I/O error"), "flushing image files to disk")

    monkeypatch.setattr(_files.FileStore, "flush_all", staticmethod(flush_fails))
    with pytest.raises(LibraryError, match="flushing image files"):
        import_folders(lib, [outputs])
    assert lib.count() == 0
    assert not any(p.is_file() for p in lib.files.images.rglob("*"))
