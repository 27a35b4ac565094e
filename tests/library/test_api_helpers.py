"""Library functions the server shares with the CLI: parse_query, sweep/parent filters,
recall, lineage, export rows, EntryNotFound, and import's stop and commit hooks."""

import pytest

from pixref.library import (
    EntryNotFound,
    LibraryError,
    Range,
    Relation,
    export_entries,
    import_folders,
    lineage,
    parse_query,
    recall,
)

from .conftest import infotext, params, png, unique_png


def test_parse_query_reads_text_filters():
    q = parse_query(
        "kitty",
        cfg="6..8",
        steps="20..",
        seed="..99",
        size="512x768",
        rating="4..",
        kind="Import",
        since="2026-11-01",
        until="2026-11-20T14:30",
        tags=["fairy", " "],
        sampler="",
    )
    assert (q.cfg, q.steps, q.seed) == (Range(6.0, 8.0), Range(20, None), Range(None, 99))
    assert (q.width, q.height, q.rating) == (Range(512, 512), Range(768, 768), Range(4, None))
    assert (q.kind, q.tags, q.sampler) == ("import", ("fairy",), None)
    assert parse_query(width="500..600").width == Range(500, 600)


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"cfg": "high"}, "`cfg` must be a number"),
        ({"seed": "1.5"}, "`seed` must be a whole number"),
        ({"seed": "99999999999999999999"}, "`seed` must lie within"),
        ({"size": "big"}, "`size` must look like 512x768"),
        ({"kind": "photo"}, "`kind` must be one of generation, import"),
        ({"since": "yesterday"}, "`since` must be a date like 2026-11-20"),
        ({"until": "2026-11-20 14:30"}, "`until` must be a date"),
        ({"order": "random"}, "`order` must be one of newest, oldest, rank, rating"),
        ({"steps": "30..20"}, "range '30..20' is empty"),
    ],
)
def test_parse_query_names_the_bad_filter(kw, match):
    with pytest.raises(LibraryError, match=match):
        parse_query(**kw)


@pytest.fixture
def family(lib):
    """#1 → img2img #2 → pixelized #4; #1 → variation #3; #5, #6 a sweep; #7 unrelated."""
    a = lib.add(unique_png(), params=params(prompt="a fox"))
    b = lib.add(unique_png(), params=params(prompt="a fox", cfg_scale=8), parents={a.id: "img2img"})
    lib.add(unique_png(), params=params(prompt="a fox", seed=9), parents={a.id: "variation_of"})
    lib.add(unique_png(), kind="pixelized", parents={b.id: Relation.pixelized_from})
    sweep = lib.new_sweep("cfg", [{"axis": "CFG scale", "values": [5, 9]}])
    for cfg in (5, 9):
        lib.add(
            unique_png(),
            params=params(prompt="an owl", cfg_scale=cfg),
            kind="sweep_cell",
            sweep=(sweep, {"CFG scale": cfg}),
        )
    lib.add(unique_png(), params=params(prompt="a frog"))
    return lib, sweep


def test_sweep_and_parent_filters(family):
    lib, sweep = family
    assert [e.id for e in lib.search(parse_query(sweep=sweep))] == [6, 5]
    assert [e.id for e in lib.search(parse_query(sweep=sweep + 1))] == []
    assert [e.id for e in lib.search(parse_query(parent=1, order="oldest"))] == [2, 3]
    assert [e.id for e in lib.search(parse_query("fox", parent=1, cfg="8"))] == [2]
    assert lib.count(parse_query(parent=2)) == 1


def test_lineage_from_any_member(family):
    lib, _ = family
    root = lineage(lib, 4)
    assert (root.entry.id, root.relation) == (1, None)
    kids = [(c.entry.id, c.relation) for c in root.children]
    assert kids == [(2, "img2img"), (3, "variation_of")]
    grandkids = [(c.entry.id, c.relation) for c in root.children[0].children]
    assert grandkids == [(4, "pixelized_from")]
    assert lineage(lib, 7).children == ()


def test_recall_formats_missing_infotext(family):
    lib, _ = family
    r = recall(lib, 2)
    assert r.id == 2 and r.params.cfg_scale == 8
    assert r.infotext.startswith("a fox\nNegative prompt: visible ears\nSteps: 20")
    assert "--cfg 8" in r.command and r.from_command == "pixref txt2img --from 2"
    with pytest.raises(LibraryError, match="entry 4 has no generation parameters"):
        recall(lib, 4)


@pytest.mark.parametrize("ref", [99, 2**63 - 1, 2**64, 0, -3, "#99"])
def test_unknown_ids_are_entry_not_found(lib, ref):
    lib.add(unique_png())
    with pytest.raises(EntryNotFound):
        lib.get(ref)
    with pytest.raises(EntryNotFound):
        lib.tag([ref] if isinstance(ref, int) else [99], add=["x"])


def test_export_rows_and_files(family, tmp_path):
    lib, _ = family
    rows = export_entries([lib.get(1), lib.get(4)], tmp_path / "out")
    assert [r["export_file"] for r in rows] == ["000001-image", "000004-image"]
    assert (tmp_path / "out" / "000001-image").read_bytes() == lib.get(1).path.read_bytes()
    assert (tmp_path / "out" / "manifest.csv").read_text().startswith("id,export_file,")


def test_import_stops_when_asked_and_commits_through_the_given_writer(lib, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(5):
        (src / f"{i:05d}-{i}.png").write_bytes(
            png(color=(i, 9, 9), text={"parameters": infotext(seed=i)})
        )
    seen, writes = [], []

    def commit(write):
        writes.append(write)
        write(lib)

    report = import_folders(
        lib,
        [src],
        on_file=lambda p, s: seen.append(s),
        should_stop=lambda: len(seen) >= 3,
        commit=commit,
    )
    assert report.stopped and len(report.added) == 3 and len(writes) == 1
    assert lib.count() == 3
    again = import_folders(lib, [src])
    assert not again.stopped and len(again.added) == 2 and again.unchanged == 3
