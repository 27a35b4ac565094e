"""Library schema and migrations (house style: llm / sqlite-utils).

Migrations are plain functions appended to `MIGRATIONS` in order; the table
``_pixref_migrations(name, applied_at)`` records which ran. Each migration and its
record share one transaction. Shipped migrations are never edited: a change is a
new ``m00N_<what>`` function. The FTS5 index is not a migration because whether it
can exist depends on the Python build, not on the schema version: `ensure_fts`
creates it (and its triggers) on open wherever SQLite has FTS5.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

from pixref.library._errors import LibraryError

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append(fn)
    return fn


SCHEMA = """
CREATE TABLE entries (
    id INTEGER PRIMARY KEY,
    image_hash TEXT NOT NULL,
    file TEXT NOT NULL,
    linked INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    kind TEXT NOT NULL COLLATE NOCASE,
    generator TEXT COLLATE NOCASE,
    source_path TEXT,
    filename TEXT NOT NULL DEFAULT '',
    created_utc TEXT NOT NULL,
    added_utc TEXT NOT NULL,
    prompt TEXT NOT NULL DEFAULT '',
    negative_prompt TEXT NOT NULL DEFAULT '',
    model TEXT COLLATE NOCASE,
    model_hash TEXT COLLATE NOCASE,
    sampler TEXT COLLATE NOCASE,
    schedule_type TEXT COLLATE NOCASE,
    cfg_scale REAL,
    steps INTEGER,
    seed INTEGER,
    gen_width INTEGER,
    gen_height INTEGER,
    has_controlnet INTEGER NOT NULL DEFAULT 0,
    params_json TEXT,
    infotext TEXT,
    raw_json TEXT,
    note TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    rating INTEGER NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5),
    keep INTEGER NOT NULL DEFAULT 0,
    deleted_utc TEXT
);
CREATE INDEX entries_created ON entries(created_utc, id);
CREATE INDEX entries_hash ON entries(image_hash);
CREATE INDEX entries_sampler ON entries(sampler);
CREATE INDEX entries_model ON entries(model);
CREATE INDEX entries_model_hash ON entries(model_hash);
CREATE INDEX entries_kind ON entries(kind);
CREATE INDEX entries_seed ON entries(seed);
CREATE INDEX entries_cfg ON entries(cfg_scale);
CREATE INDEX entries_steps ON entries(steps);
CREATE INDEX entries_prompt ON entries(prompt);

CREATE TABLE entry_tags (
    entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (entry_id, tag)
) WITHOUT ROWID;
CREATE INDEX entry_tags_tag ON entry_tags(tag);

CREATE TABLE entry_loras (
    entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (entry_id, name)
) WITHOUT ROWID;
CREATE INDEX entry_loras_name ON entry_loras(name);

CREATE TABLE links (
    child_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    parent_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    relation TEXT NOT NULL,
    detail_json TEXT,
    PRIMARY KEY (child_id, parent_id, relation)
) WITHOUT ROWID;
CREATE INDEX links_parent ON links(parent_id);

CREATE TABLE sweeps (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    axes_json TEXT NOT NULL DEFAULT '[]',
    created_utc TEXT NOT NULL
);
CREATE TABLE sweep_cells (
    sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
    entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    axis_values_json TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (sweep_id, entry_id)
) WITHOUT ROWID;
CREATE INDEX sweep_cells_entry ON sweep_cells(entry_id);

CREATE TABLE import_sources (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    image_hash TEXT,
    entry_id INTEGER,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
);
"""

#: The FTS5 index over the searchable text, kept in sync by triggers (sqlite-utils).
FTS_COLUMNS = ("prompt", "negative_prompt", "note", "tags", "filename")

FTS_SCHEMA = f"""
CREATE VIRTUAL TABLE entries_fts USING fts5(
    {", ".join(FTS_COLUMNS)}, content='entries', content_rowid='id'
);
CREATE TRIGGER entries_ai AFTER INSERT ON entries BEGIN
    INSERT INTO entries_fts(rowid, {", ".join(FTS_COLUMNS)})
    VALUES (new.id, {", ".join("new." + c for c in FTS_COLUMNS)});
END;
CREATE TRIGGER entries_ad AFTER DELETE ON entries BEGIN
    INSERT INTO entries_fts(entries_fts, rowid, {", ".join(FTS_COLUMNS)})
    VALUES ('delete', old.id, {", ".join("old." + c for c in FTS_COLUMNS)});
END;
CREATE TRIGGER entries_au AFTER UPDATE OF {", ".join(FTS_COLUMNS)} ON entries BEGIN
    INSERT INTO entries_fts(entries_fts, rowid, {", ".join(FTS_COLUMNS)})
    VALUES ('delete', old.id, {", ".join("old." + c for c in FTS_COLUMNS)});
    INSERT INTO entries_fts(rowid, {", ".join(FTS_COLUMNS)})
    VALUES (new.id, {", ".join("new." + c for c in FTS_COLUMNS)});
END;
"""


def statements(script: str) -> list[str]:
    """Split a SQL script into statements (trigger bodies kept whole)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def _run(db: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT first; run statement by statement to stay in our
    # transaction.
    for stmt in statements(script):
        db.execute(stmt)


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    _run(db, SCHEMA)


def fts_available(db: sqlite3.Connection) -> bool:
    """True when this SQLite build can create FTS5 tables."""
    try:
        db.execute("CREATE VIRTUAL TABLE temp._pixref_fts_probe USING fts5(x)")
        db.execute("DROP TABLE temp._pixref_fts_probe")
    except sqlite3.OperationalError:
        return False
    return True


def has_fts(db: sqlite3.Connection) -> bool:
    row = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'entries_fts'"
    ).fetchone()
    return row is not None


def ensure_fts(db: sqlite3.Connection) -> None:
    """Create and back-fill the FTS index and its triggers if missing (in a transaction)."""
    if has_fts(db):
        return
    _run(db, FTS_SCHEMA)
    db.execute("INSERT INTO entries_fts(entries_fts) VALUES ('rebuild')")


def applied(db: sqlite3.Connection) -> list[str]:
    db.execute(
        "CREATE TABLE IF NOT EXISTS _pixref_migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
    )
    return [r[0] for r in db.execute("SELECT name FROM _pixref_migrations ORDER BY rowid")]


def check_version(names: list[str], where: str) -> None:
    known = {m.__name__ for m in MIGRATIONS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise LibraryError(
            f"the library {where} was written by a newer pixref (schema step "
            f"{unknown[-1]!r} is unknown here); upgrade pixref to open it"
        )


def migrate(db: sqlite3.Connection, where: str = "") -> list[str]:
    """Apply pending migrations, each in its own IMMEDIATE transaction; return their names.

    ``db`` must be in autocommit mode (``isolation_level=None``). Safe when several
    processes open the same library at once: the pending list is re-read under the
    write lock.
    """
    done: list[str] = []
    for fn in MIGRATIONS:
        if fn.__name__ in applied(db):
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            names = applied(db)
            check_version(names, where)
            if fn.__name__ not in names:
                fn(db)
                db.execute(
                    "INSERT INTO _pixref_migrations (name, applied_at) VALUES (?, ?)",
                    (fn.__name__, datetime.now(UTC).isoformat(timespec="seconds")),
                )
                db.execute(f"PRAGMA user_version = {MIGRATIONS.index(fn) + 1}")
                done.append(fn.__name__)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return done
