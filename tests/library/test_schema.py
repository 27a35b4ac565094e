import sqlite3
import subprocess
import sys

import pytest

from pixref.library import LibraryError, _schema, _store, open_library

ENTRY_COLUMNS = [
    "id",
    "image_hash",
    "file",
    "linked",
    "bytes",
    "width",
    "height",
    "kind",
    "generator",
    "source_path",
    "filename",
    "created_utc",
    "added_utc",
    "prompt",
    "negative_prompt",
    "model",
    "model_hash",
    "sampler",
    "schedule_type",
    "cfg_scale",
    "steps",
    "seed",
    "gen_width",
    "gen_height",
    "has_controlnet",
    "params_json",
    "infotext",
    "raw_json",
    "note",
    "tags",
    "rating",
    "keep",
    "deleted_utc",
]


def test_blank_database_gets_exact_schema(tmp_path):
    path = tmp_path / "library.db"
    open_library(path).close()
    db = sqlite3.connect(path)
    cols = [r[1] for r in db.execute("PRAGMA table_info(entries)")]
    assert cols == ENTRY_COLUMNS
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {
        "entries",
        "entry_tags",
        "entry_loras",
        "links",
        "sweeps",
        "sweep_cells",
        "import_sources",
        "_pixref_migrations",
        "entries_fts",
    } <= tables
    triggers = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert triggers == {"entries_ai", "entries_ad", "entries_au"}
    fts_sql = db.execute("SELECT sql FROM sqlite_master WHERE name='entries_fts'").fetchone()[0]
    assert "content='entries'" in fts_sql and "fts5" in fts_sql
    assert [r[0] for r in db.execute("SELECT name FROM _pixref_migrations")] == ["m001_initial"]
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(_schema.MIGRATIONS)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_open_twice_is_idempotent_and_foreign_keys_on(tmp_path):
    path = tmp_path / "library.db"
    open_library(path).close()
    with open_library(path) as lib:
        assert lib.store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        names = [r[0] for r in lib.store.db.execute("SELECT name FROM _pixref_migrations")]
    assert names == ["m001_initial"]


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "library.db"
    open_library(path).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO _pixref_migrations VALUES ('m002_from_the_future', 'x')")
    db.commit()
    db.close()
    with pytest.raises(LibraryError, match="newer pixref.*m002_from_the_future"):
        open_library(path)


def test_not_a_database_is_refused(tmp_path):
    path = tmp_path / "library.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(LibraryError, match="not a usable pixref library"):
        open_library(path)


def test_statements_keeps_trigger_bodies_whole():
    stmts = _schema.statements(_schema.FTS_SCHEMA)
    assert len(stmts) == 4
    assert stmts[1].startswith("CREATE TRIGGER entries_ai") and stmts[1].endswith("END;")


def test_failed_migration_leaves_nothing(tmp_path, monkeypatch):
    def m002_broken(db):
        db.execute("CREATE TABLE half (x)")
        raise sqlite3.OperationalError("boom")

    monkeypatch.setattr(_schema, "MIGRATIONS", [*_schema.MIGRATIONS, m002_broken])
    path = tmp_path / "library.db"
    with pytest.raises(LibraryError, match="boom"):
        open_library(path)
    db = sqlite3.connect(path)
    assert db.execute("SELECT name FROM sqlite_master WHERE name='half'").fetchone() is None
    assert [r[0] for r in db.execute("SELECT name FROM _pixref_migrations")] == ["m001_initial"]


def test_plain_search_fallback_is_announced_once(tmp_path, monkeypatch):
    monkeypatch.setattr(_schema, "fts_available", lambda db: False)
    monkeypatch.setattr(_store, "_fts_warned", False)
    first = open_library(tmp_path / "a.db")
    second = open_library(tmp_path / "b.db")
    assert not first.fts
    assert any("FTS5" in w for w in first.warnings)
    assert second.warnings == ()
    tables = {r[0] for r in first.store.db.execute("SELECT name FROM sqlite_master")}
    assert "entries_fts" not in tables
    first.close()
    second.close()


def test_fts_library_without_fts5_is_refused_clearly(tmp_path, monkeypatch):
    open_library(tmp_path / "library.db").close()
    monkeypatch.setattr(_schema, "fts_available", lambda db: False)
    with pytest.raises(LibraryError, match="lacks FTS5"):
        open_library(tmp_path / "library.db")


def test_plain_library_gains_fts_when_available(tmp_path, monkeypatch):
    from pixref.library import Query

    from .conftest import params, png

    with monkeypatch.context() as m:
        m.setattr(_schema, "fts_available", lambda db: False)
        with open_library(tmp_path / "library.db") as lib:
            lib.add(png(), params=params(prompt="dragonfly fairy"))
            assert [e.id for e in lib.search(Query(text="dragonfly"))] == [1]
    with open_library(tmp_path / "library.db") as lib:
        assert lib.fts
        assert [e.id for e in lib.search(Query(text="fairy"))] == [1]


def test_package_is_torch_free():
    code = "import sys; sys.modules['torch'] = None; import pixref.library, pixref.cli.library"
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": "src", "PATH": ""},
        cwd=_root(),
    )
    assert r.returncode == 0, r.stderr


def _root():
    from pathlib import Path

    return Path(__file__).resolve().parents[2]
