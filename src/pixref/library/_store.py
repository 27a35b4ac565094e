"""The SQLite side of the library: connection, pragmas, transactions, error mapping.

`SQLiteStore` is the one place that knows the database engine. `Library` speaks to
it through `read`/`write`/`fetch*`, plain SQL against the schema in `_schema`, so a
server database could replace it by implementing the same few methods.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pixref.library import _schema
from pixref.library._errors import LibraryError

#: Said once per process when SQLite lacks FTS5.
_fts_warned = False


def map_error(exc: sqlite3.Error, where: Path | str) -> LibraryError:
    """A one-line `LibraryError` for a database failure, saying what to do."""
    msg = str(exc)
    low = msg.lower()
    if "locked" in low or "busy" in low:
        return LibraryError(
            f"the library {where} is busy (locked by another pixref process); "
            "wait for it to finish and try again"
        )
    if "disk is full" in low or "disk i/o" in low:
        return LibraryError(
            f"could not write the library {where}: {msg}; free some disk space and try again "
            "(nothing was changed)"
        )
    if "readonly" in low or "read-only" in low:
        return LibraryError(f"the library {where} is read-only; check its permissions")
    if "not a database" in low or "malformed" in low:
        return LibraryError(
            f"{where} is not a usable pixref library ({msg}); move it aside to start a new one"
        )
    if "no such module: fts5" in low:
        return LibraryError(
            f"the library {where} uses full-text search but this Python's SQLite lacks FTS5; "
            "open it with a Python whose sqlite3 has FTS5"
        )
    if "unable to open" in low:
        return LibraryError(
            f"cannot open the library {where}; check the folder exists and is writable"
        )
    return LibraryError(f"library database error in {where}: {msg}")


class SQLiteStore:
    """One connection to a library database, migrated on open.

    Parameters
    ----------
    path : Path
        Database file (created with its folder if missing).
    timeout : float
        Seconds to wait for another process's write lock before failing.
    fts : bool or None
        Use FTS5 (None: whenever SQLite has it). False forces the plain search.
    """

    def __init__(self, path: Path, *, timeout: float = 5.0, fts: bool | None = None) -> None:
        self.path = path
        self.warnings: list[str] = []
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LibraryError(f"cannot create the folder {path.parent}: {exc.strerror}") from None
        try:
            self.db = sqlite3.connect(
                path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise map_error(exc, path) from None
        try:
            self._setup(fts)
        except sqlite3.Error as exc:
            self.db.close()
            raise map_error(exc, path) from None
        except BaseException:
            self.db.close()
            raise

    def _setup(self, fts: bool | None) -> None:
        global _fts_warned
        db = self.db
        db.row_factory = sqlite3.Row
        names = _schema.applied(db)
        _schema.check_version(names, str(self.path))
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            self.warnings.append(f"the library could not switch to WAL mode (got {mode})")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA synchronous = NORMAL")
        _schema.migrate(db, str(self.path))
        available = _schema.fts_available(db)
        self.fts = bool(available if fts is None else (fts and available))
        if self.fts and not _schema.has_fts(db):
            with self.write():
                _schema.ensure_fts(db)
        if not self.fts and _schema.has_fts(db) and not available:
            raise LibraryError(
                f"the library {self.path} uses full-text search but this Python's SQLite "
                "lacks FTS5; open it with a Python whose sqlite3 has FTS5"
            )
        if not available and not _fts_warned:
            _fts_warned = True
            self.warnings.append(
                "this Python's SQLite has no FTS5: library search falls back to a slower "
                "plain text scan"
            )

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: all or nothing, serialised across processes."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise map_error(exc, self.path) from None
        try:
            yield self.db
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise map_error(exc, self.path) from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def fetchall(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.OperationalError as exc:
            if "fts5: syntax error" in str(exc) or "unterminated string" in str(exc):
                raise LibraryError(f"search text is not valid FTS5 syntax: {exc}") from None
            raise map_error(exc, self.path) from None
        except sqlite3.Error as exc:
            raise map_error(exc, self.path) from None

    def fetchone(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = self.fetchall(sql, args)
        return rows[0] if rows else None
