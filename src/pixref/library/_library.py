"""`Library`: the generation log — image files plus their rows, written crash-safely.

This module is longer than the house's 400 lines because it is the single façade
every stage records through; the SQL engine lives in `_store`, files in `_files`,
query building in `_query`, import in `_import`, comparison in `_compare`.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pixref.library._entry import (
    Entry,
    Kind,
    Relation,
    loras_of,
    normalize_tag,
    params_columns,
)
from pixref.library._errors import EntryNotFound, LibraryError
from pixref.library._files import FileStore, disk_error, sha256_bytes
from pixref.library._query import Query, build_sql, fts_expressions
from pixref.library._store import SQLiteStore, map_error
from pixref.params import GenerationParams, PixrefError

#: SQLite's largest integer: no id (or seed) can lie beyond it.
MAX_ID = 2**63 - 1

_FORMAT_EXT = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp", "GIF": ".gif", "BMP": ".bmp"}


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_from_timestamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def image_info(data: bytes, name: str = "image") -> tuple[int, int, str]:
    """``(width, height, ext)`` read from the image header; LibraryError if not an image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            width, height = im.size
            fmt = im.format or ""
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise LibraryError(f"{name} is not a readable image ({exc})") from None
    return width, height, _FORMAT_EXT.get(fmt, ".png")


@dataclass
class CheckReport:
    """What `Library.check` found (and, with ``repair``, fixed)."""

    entries: int = 0
    missing: list[tuple[int, str]] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    restored: list[int] = field(default_factory=list)
    removed_rows: list[int] = field(default_factory=list)
    removed_files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.orphans


class Library:
    """An open generation library (database + image folder).

    Use `open_library` (or ``Library(path)``) and close it, or use it as a context
    manager. Several processes may open the same library at once: writes are
    serialised by SQLite (WAL mode) and wait up to ``timeout`` seconds for each other.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, timeout: float = 5.0, fts: bool | None = None
    ) -> None:
        self.path = Path(path)
        self.store = SQLiteStore(self.path, timeout=timeout, fts=fts)
        self.files = FileStore(self.path.with_name(self.path.stem + "-files"))
        self.warnings: tuple[str, ...] = tuple(self.store.warnings)

    @property
    def fts(self) -> bool:
        return self.store.fts

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing

    def add(
        self,
        image: str | os.PathLike[str] | bytes,
        *,
        params: GenerationParams | None = None,
        infotext: str | None = None,
        kind: str = Kind.generation,
        generator: str | None = "pixref",
        parents: Mapping[int, str] | Sequence[tuple[int, str]] = (),
        sweep: tuple[int, Mapping[str, Any]] | None = None,
        source_path: str | None = None,
        filename: str | None = None,
        tags: Iterable[str] = (),
        note: str = "",
        rating: int = 0,
        keep: bool = False,
        created_utc: str | None = None,
        raw: Mapping[str, str] | None = None,
        link: bool = False,
    ) -> Entry:
        """Record one image; return its new `Entry`.

        The image (a path or encoded bytes) is copied under its SHA-256 name and
        renamed into place *before* the row is committed (``link=True`` keeps a path
        where it is instead). ``parents`` maps parent ids to a `Relation`;
        ``sweep`` is ``(sweep_id, {axis: value})`` from `new_sweep`. When
        ``infotext`` is None and ``params`` is given, it is formatted A1111's way.
        """
        if isinstance(image, bytes):
            data = image
            name = filename or "image"
            src_path: Path | None = None
        else:
            src_path = Path(image)
            name = src_path.name
            try:
                data = src_path.read_bytes()
            except OSError as exc:
                raise LibraryError(f"cannot read {src_path}: {exc.strerror or exc}") from None
        if infotext is None and params is not None:
            infotext = _format_infotext(params)
        if link and src_path is None:
            raise LibraryError("`link` needs an image path, not bytes")
        row, file, created = self._prepare(
            data,
            name,
            link_path=src_path if link else None,
            params=params,
            infotext=infotext,
            kind=kind,
            generator=generator,
            source_path=source_path,
            filename=filename or name,
            note=note,
            rating=rating,
            keep=keep,
            created_utc=created_utc,
            raw=raw,
        )
        try:
            with self.store.write() as db:
                entry_id = self._insert(db, row, params, tags, parents, sweep)
        except BaseException:
            if created:
                self._drop_unreferenced(file)
            raise
        return self.get(entry_id)

    def _prepare(
        self,
        data: bytes,
        name: str,
        *,
        link_path: Path | None,
        params: GenerationParams | None,
        infotext: str | None,
        kind: str,
        generator: str | None,
        source_path: str | None,
        filename: str,
        note: str = "",
        rating: int = 0,
        keep: bool = False,
        created_utc: str | None = None,
        raw: Mapping[str, str] | None = None,
        image_hash: str | None = None,
        sync: bool = True,
    ) -> tuple[dict[str, Any], str, bool]:
        """Check the image, put its file in place; return ``(row, file, created)``."""
        # Validate everything before the file is written.
        kind = _check_kind(kind)
        rating = _check_rating(rating)
        width, height, ext = image_info(data, name)
        image_hash = image_hash or sha256_bytes(data)
        if link_path is not None:
            file, created = str(link_path.resolve()), False
        else:
            file, created = self.files.put(data, image_hash, ext, sync=sync)
        row = {
            "image_hash": image_hash,
            "file": file,
            "linked": int(link_path is not None),
            "bytes": len(data),
            "width": width,
            "height": height,
            "kind": kind,
            "generator": generator,
            "source_path": source_path,
            "filename": filename,
            "created_utc": created_utc or utc_now(),
            "added_utc": utc_now(),
            "infotext": infotext,
            "raw_json": json.dumps(dict(raw), ensure_ascii=False) if raw else None,
            "note": note,
            "rating": rating,
            "keep": int(keep),
            **params_columns(params),
        }
        return row, file, created

    def _insert(
        self,
        db: sqlite3.Connection,
        row: dict[str, Any],
        params: GenerationParams | None,
        tags: Iterable[str],
        parents: Mapping[int, str] | Sequence[tuple[int, str]],
        sweep: tuple[int, Mapping[str, Any]] | None,
    ) -> int:
        tag_list = sorted({normalize_tag(t) for t in tags})
        row = {**row, "tags": "\n".join(tag_list)}
        cols = ", ".join(row)
        cur = db.execute(
            f"INSERT INTO entries ({cols}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
        entry_id = int(cur.lastrowid or 0)
        db.executemany(
            "INSERT INTO entry_tags (entry_id, tag) VALUES (?, ?)",
            [(entry_id, t) for t in tag_list],
        )
        if params is not None:
            db.executemany(
                "INSERT OR IGNORE INTO entry_loras (entry_id, name) VALUES (?, ?)",
                [(entry_id, n) for n in loras_of(params)],
            )
        pairs = parents.items() if isinstance(parents, Mapping) else parents
        for parent_id, relation in pairs:
            self._require_id(db, parent_id, "parent")
            db.execute(
                "INSERT OR IGNORE INTO links (child_id, parent_id, relation) VALUES (?, ?, ?)",
                (entry_id, int(parent_id), _check_relation(relation)),
            )
        if sweep is not None:
            sweep_id, values = sweep
            if not db.execute("SELECT 1 FROM sweeps WHERE id = ?", (sweep_id,)).fetchone():
                raise LibraryError(f"sweep {sweep_id} does not exist; create it with new_sweep()")
            db.execute(
                "INSERT INTO sweep_cells (sweep_id, entry_id, axis_values_json) VALUES (?, ?, ?)",
                (sweep_id, entry_id, json.dumps(dict(values), ensure_ascii=False)),
            )
        return entry_id

    def _require_id(self, db: sqlite3.Connection, entry_id: int, what: str = "") -> None:
        entry_id = int(entry_id)
        found = (
            0 < entry_id <= MAX_ID
            and db.execute("SELECT 1 FROM entries WHERE id = ?", (entry_id,)).fetchone()
        )
        if not found:
            if what:
                raise LibraryError(f"{what} entry {entry_id} does not exist in the library")
            raise EntryNotFound(f"no library entry {entry_id}; `pixref log list` shows the ids")

    def _drop_unreferenced(self, file: str) -> None:
        try:
            row = self.store.db.execute(
                "SELECT 1 FROM entries WHERE file = ? AND linked = 0 LIMIT 1", (file,)
            ).fetchone()
        except sqlite3.Error:
            return  # leave it: `log check --repair` removes unreferenced files
        if row is None:
            self.files.remove(file)

    def new_sweep(self, name: str = "", axes: Sequence[Mapping[str, Any]] | None = None) -> int:
        """Create a sweep (an X/Y/Z run) that cells join via ``add(..., sweep=(id, values))``."""
        with self.store.write() as db:
            cur = db.execute(
                "INSERT INTO sweeps (name, axes_json, created_utc) VALUES (?, ?, ?)",
                (name, json.dumps(list(axes or []), ensure_ascii=False), utc_now()),
            )
            return int(cur.lastrowid or 0)

    def tag(self, ids: Iterable[int], add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        """Add and remove tags (lower-cased, spaces collapsed) on entries."""
        ids = list(ids)
        add_t = {normalize_tag(t) for t in add}
        remove_t = {normalize_tag(t) for t in remove}
        with self.store.write() as db:
            for entry_id in ids:
                self._require_id(db, entry_id)
                db.executemany(
                    "INSERT OR IGNORE INTO entry_tags (entry_id, tag) VALUES (?, ?)",
                    [(entry_id, t) for t in add_t],
                )
                db.executemany(
                    "DELETE FROM entry_tags WHERE entry_id = ? AND tag = ?",
                    [(entry_id, t) for t in remove_t],
                )
                tags = [
                    r[0]
                    for r in db.execute(
                        "SELECT tag FROM entry_tags WHERE entry_id = ? ORDER BY tag", (entry_id,)
                    )
                ]
                db.execute("UPDATE entries SET tags = ? WHERE id = ?", ("\n".join(tags), entry_id))

    def _update(self, ids: Iterable[int], column: str, value: Any) -> None:
        with self.store.write() as db:
            for entry_id in ids:
                self._require_id(db, entry_id)
                db.execute(f"UPDATE entries SET {column} = ? WHERE id = ?", (value, entry_id))

    def set_note(self, entry_id: int, note: str) -> None:
        self._update([entry_id], "note", note)

    def rate(self, ids: Iterable[int], rating: int) -> None:
        self._update(ids, "rating", _check_rating(rating))

    def set_keep(self, ids: Iterable[int], keep: bool = True) -> None:
        self._update(ids, "keep", int(keep))

    def trash(self, ids: Iterable[int]) -> None:
        """Move entries to the trash (hidden from list/search; `restore` brings them back)."""
        self._update(ids, "deleted_utc", utc_now())

    def restore(self, ids: Iterable[int] | None = None) -> list[int]:
        """Bring entries back from the trash (all of it when ``ids`` is None)."""
        if ids is None:
            ids = [
                r[0]
                for r in self.store.fetchall("SELECT id FROM entries WHERE deleted_utc IS NOT NULL")
            ]
        ids = list(ids)
        self._update(ids, "deleted_utc", None)
        return ids

    def purge(self, ids: Iterable[int] | None = None) -> list[int]:
        """Delete trashed entries for good (rows first, then their now-unused files)."""
        if ids is None:
            ids = [
                r[0]
                for r in self.store.fetchall("SELECT id FROM entries WHERE deleted_utc IS NOT NULL")
            ]
        ids = list(ids)
        files: list[str] = []
        with self.store.write() as db:
            for entry_id in ids:
                row = None
                if 0 < entry_id <= MAX_ID:
                    row = db.execute(
                        "SELECT file, linked, deleted_utc FROM entries WHERE id = ?", (entry_id,)
                    ).fetchone()
                if row is None:
                    raise EntryNotFound(f"entry {entry_id} does not exist in the library")
                if row["deleted_utc"] is None:
                    raise LibraryError(
                        f"entry {entry_id} is not in the trash; `pixref log rm` it first"
                    )
                db.execute("DELETE FROM entries WHERE id = ?", (entry_id,))
                if not row["linked"]:
                    files.append(row["file"])
        for file in files:
            self._drop_unreferenced(file)
        return ids

    # ------------------------------------------------------------------ reading

    def get(self, entry_id: int | str) -> Entry:
        """The entry with this id (``12`` or ``"#12"``); LibraryError if there is none."""
        entry_id = parse_id(entry_id)
        row = None
        if 0 < entry_id <= MAX_ID:
            row = self.store.fetchone("SELECT * FROM entries WHERE id = ?", (entry_id,))
        if row is None:
            raise EntryNotFound(f"no library entry {entry_id}; `pixref log list` shows the ids")
        return self._entry(row)

    def search(self, query: Query | None = None) -> list[Entry]:
        """Entries matching ``query`` (default: the newest 50)."""
        q = query or Query()
        sql, args = build_sql(q, fts=self.fts, common_text=self._common_text(q))
        return [self._entry(r) for r in self.store.fetchall(sql, args)]

    #: Above this many FTS matches a search walks entries newest first (see build_sql).
    COMMON_MATCHES = 2000

    def _common_text(self, q: Query) -> bool:
        if not (self.fts and q.text.strip()) or q.raw:
            return False
        positive, _ = fts_expressions(q.text)
        if positive is None:
            return True
        row = self.store.fetchone(
            "SELECT count(*) FROM (SELECT 1 FROM entries_fts WHERE entries_fts MATCH ? LIMIT ?)",
            (positive, self.COMMON_MATCHES),
        )
        return bool(row and row[0] >= self.COMMON_MATCHES)

    def count(self, query: Query | None = None) -> int:
        q = query or Query()
        from dataclasses import replace

        sql, args = build_sql(replace(q, limit=None, order="newest"), fts=self.fts, columns="1")
        row = self.store.fetchone(f"SELECT count(*) FROM ({sql})", args)
        return int(row[0]) if row else 0

    def find_hash(self, image_hash: str) -> int | None:
        row = self.store.fetchone(
            "SELECT id FROM entries WHERE image_hash = ? ORDER BY id LIMIT 1", (image_hash,)
        )
        return int(row[0]) if row else None

    def params_for(self, ref: int | str) -> GenerationParams:
        """The parameters of entry ``ref``, for the engine's ``--from ID``."""
        entry = self.get(ref)
        if entry.params is None:
            raise LibraryError(
                f"entry {entry.id} has no generation parameters (imported without metadata)"
            )
        return entry.params

    def parents(self, entry_id: int) -> list[tuple[str, int]]:
        rows = self.store.fetchall(
            "SELECT relation, parent_id FROM links WHERE child_id = ? ORDER BY parent_id",
            (entry_id,),
        )
        return [(r[0], int(r[1])) for r in rows]

    def children(self, entry_id: int) -> list[tuple[str, int]]:
        rows = self.store.fetchall(
            "SELECT relation, child_id FROM links WHERE parent_id = ? ORDER BY child_id",
            (entry_id,),
        )
        return [(r[0], int(r[1])) for r in rows]

    def sweep_of(self, entry_id: int) -> dict[str, Any] | None:
        """``{"id", "name", "axes", "values", "cells"}`` of the sweep holding this entry."""
        row = self.store.fetchone(
            "SELECT sweep_id, axis_values_json FROM sweep_cells WHERE entry_id = ? LIMIT 1",
            (entry_id,),
        )
        if row is None:
            return None
        found = self.sweep(int(row[0]))
        return None if found is None else {**found, "values": json.loads(row[1])}

    def sweep(self, sweep_id: int) -> dict[str, Any] | None:
        """``{"id", "name", "axes", "cells"}`` of a sweep (cells: ``(entry id, values)``)."""
        row = self.store.fetchone(
            "SELECT id, name, axes_json FROM sweeps WHERE id = ?", (sweep_id,)
        )
        if row is None:
            return None
        cells = self.store.fetchall(
            "SELECT entry_id, axis_values_json FROM sweep_cells WHERE sweep_id = ?"
            " ORDER BY entry_id",
            (sweep_id,),
        )
        return {
            "id": int(row[0]),
            "name": row[1],
            "axes": json.loads(row[2]),
            "cells": [(int(c[0]), json.loads(c[1])) for c in cells],
        }

    def thumbnail(self, entry_id: int, size: int = 256) -> Path:
        entry = self.get(entry_id)
        return self.files.thumbnail(entry.path, entry.image_hash, size)

    def _entry(self, row: sqlite3.Row) -> Entry:
        params = None
        if row["params_json"]:
            try:
                params = GenerationParams.from_dict(json.loads(row["params_json"]))
            except (PixrefError, ValueError, TypeError):
                params = None
        return Entry(
            id=int(row["id"]),
            image_hash=row["image_hash"],
            path=self.files.resolve(row["file"], bool(row["linked"])),
            linked=bool(row["linked"]),
            bytes=int(row["bytes"]),
            width=int(row["width"]),
            height=int(row["height"]),
            kind=row["kind"],
            generator=row["generator"],
            source_path=row["source_path"],
            filename=row["filename"],
            created_utc=row["created_utc"],
            added_utc=row["added_utc"],
            params=params,
            infotext=row["infotext"],
            raw=json.loads(row["raw_json"]) if row["raw_json"] else {},
            tags=tuple(row["tags"].split("\n")) if row["tags"] else (),
            note=row["note"],
            rating=int(row["rating"]),
            keep=bool(row["keep"]),
            deleted_utc=row["deleted_utc"],
        )

    # ------------------------------------------------------------------ checking

    def check(self, repair: bool = False, *, grace_s: float = 60.0) -> CheckReport:
        """Find rows whose image is missing and image files no row uses.

        With ``repair``: a missing image is copied back from its import source when
        that file still has the same hash, otherwise its row is deleted; unused
        files and leftover temporary files are deleted, except those younger than
        ``grace_s`` seconds, which may belong to another process's write in progress.
        """
        report = CheckReport()
        rows = self.store.fetchall("SELECT id, file, linked, image_hash, source_path FROM entries")
        report.entries = len(rows)
        referenced: set[Path] = set()
        for r in rows:
            path = self.files.resolve(r["file"], bool(r["linked"]))
            if not r["linked"]:
                referenced.add(path)
            if not path.is_file():
                report.missing.append((int(r["id"]), str(path)))
        for path in self.files.walk():
            if path not in referenced:
                report.orphans.append(str(path))
        if not repair:
            return report
        by_id = {int(r["id"]): r for r in rows}
        lost: list[int] = []
        for entry_id, _path in report.missing:
            r = by_id[entry_id]
            src = Path(r["source_path"]) if r["source_path"] else None
            if not r["linked"] and src is not None and src.is_file():
                try:
                    data = src.read_bytes()
                except OSError:
                    data = b""
                if data and sha256_bytes(data) == r["image_hash"]:
                    ext = Path(r["file"]).suffix
                    self.files.put(data, r["image_hash"], ext)
                    report.restored.append(entry_id)
                    continue
            lost.append(entry_id)
        if lost:
            with self.store.write() as db:
                db.executemany("DELETE FROM entries WHERE id = ?", [(i,) for i in lost])
            report.removed_rows = lost
        for orphan in report.orphans:
            p = Path(orphan)
            if _age(p) < grace_s:
                continue
            try:
                p.unlink(missing_ok=True)
            except OSError as exc:
                raise disk_error(exc, f"removing {p}") from None
            report.removed_files.append(orphan)
        return report


def _age(p: Path) -> float:
    try:
        return datetime.now().timestamp() - p.stat().st_mtime
    except OSError:
        return 1e9


def _check_kind(kind: str) -> str:
    try:
        return str(Kind(kind))
    except ValueError:
        kinds = ", ".join(k.value for k in Kind)
        raise LibraryError(f"`kind` must be one of {kinds}, got {kind!r}") from None


def _check_relation(relation: str) -> str:
    try:
        return str(Relation(relation))
    except ValueError:
        names = ", ".join(r.value for r in Relation)
        raise LibraryError(f"`relation` must be one of {names}, got {relation!r}") from None


def _check_rating(rating: int) -> int:
    if not isinstance(rating, int) or not 0 <= rating <= 5:
        raise LibraryError(f"`rating` must be a whole number from 0 to 5, got {rating!r}")
    return rating


def parse_id(ref: int | str) -> int:
    """``12``, ``"12"`` or ``"#12"`` → 12; LibraryError otherwise."""
    if isinstance(ref, int) and not isinstance(ref, bool):
        return ref
    text = str(ref).strip().lstrip("#")
    if not text.isdigit():
        raise LibraryError(f"library id must be a number like 12 or #12, got {ref!r}")
    return int(text)


def _format_infotext(params: GenerationParams) -> str | None:
    try:
        from pixref.infotext import format_infotext
    except ImportError:  # infotext not available in this build
        return None
    return format_infotext(params)


def open_library(
    path: str | os.PathLike[str] | None = None, *, timeout: float = 5.0, fts: bool | None = None
) -> Library:
    """Open (creating and migrating as needed) the library at ``path``.

    ``path`` defaults to the data home's ``library.db`` (`pixref.home.paths`).
    """
    if path is None:
        from pixref.home import paths

        path = paths().library
    try:
        return Library(path, timeout=timeout, fts=fts)
    except sqlite3.Error as exc:
        raise map_error(exc, Path(path)) from None
