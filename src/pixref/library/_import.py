"""Import existing output folders (A1111, ComfyUI, InvokeAI, Fooocus, any images).

Incremental: each source file's size and modification time are remembered in
``import_sources``; a later run reads only files that are new or changed. Files are
de-duplicated by SHA-256. Nothing about one file can stop the import: unreadable,
corrupt or vanished files are reported with a reason.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixref.library._entry import Kind
from pixref.library._errors import LibraryError
from pixref.library._files import IMAGE_EXTS, TMP_PREFIX, sha256_bytes
from pixref.library._library import Library, utc_from_timestamp

#: Rows committed per transaction: large enough to be fast, small enough that an
#: interrupted import keeps most of its work.
BATCH = 250


@dataclass
class ImportReport:
    """What an import did, file by file where it matters."""

    added: list[int] = field(default_factory=list)
    unchanged: int = 0
    duplicates: list[tuple[str, int]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    no_metadata: list[str] = field(default_factory=list)
    stopped: bool = False

    @property
    def seen(self) -> int:
        return len(self.added) + self.unchanged + len(self.duplicates) + len(self.skipped)


def find_images(
    folders: Iterable[str | os.PathLike[str]],
    report: ImportReport,
    exclude: Path | None = None,
) -> list[Path]:
    """Every image file under ``folders`` (sorted per folder); problems go to ``report``."""
    out: list[Path] = []
    excluded = exclude.resolve() if exclude else None
    for folder in folders:
        root = Path(folder).expanduser()
        if root.is_file():
            out.append(root.resolve())
            continue
        if not root.is_dir():
            report.skipped.append((str(root), "folder not found"))
            continue
        found: list[Path] = []

        def onerror(exc: OSError, root: Path = root) -> None:
            where = str(exc.filename or root)
            report.skipped.append((where, f"cannot list folder: {exc.strerror}"))

        for dirpath, dirnames, filenames in os.walk(root.resolve(), onerror=onerror):
            d = Path(dirpath)
            if excluded is not None and (d == excluded or excluded in d.parents):
                dirnames[:] = []
                continue
            dirnames[:] = sorted(n for n in dirnames if not n.startswith("."))
            for name in filenames:
                if name.startswith(TMP_PREFIX) or name.startswith("."):
                    continue
                if os.path.splitext(name)[1].lower() in IMAGE_EXTS:
                    found.append(d / name)
        out.extend(sorted(found))
    return out


def _read(path: Path) -> tuple[Any, Any]:
    from pixref.metadata import MetadataError, read_metadata

    try:
        return read_metadata(path), None
    except MetadataError as exc:
        return None, str(exc)


def import_folders(
    lib: Library,
    folders: Iterable[str | os.PathLike[str]],
    *,
    link: bool = False,
    tags: Iterable[str] = (),
    on_total: Callable[[int], None] | None = None,
    on_file: Callable[[Path, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    commit: Callable[[Callable[[Library], None]], None] | None = None,
) -> ImportReport:
    """Import every image under ``folders`` into ``lib``; return an `ImportReport`.

    ``link=True`` records files where they are instead of copying them.
    ``on_total(n)`` is called once the folders are listed, ``on_file(path, status)``
    after each file is read (status: added, unchanged, duplicate, skipped,
    no-metadata; provisional, as a batch commits later: the report is final).
    ``should_stop()`` is asked before each file: when true, the files read so far
    are committed and the report comes back with ``stopped=True``.
    ``commit(write)`` runs each batch's ``write(library)``; by default on ``lib``
    in this thread (the server passes its single writer, so all its database
    writes go through one connection).
    """
    report = ImportReport()
    paths = find_images(folders, report, exclude=lib.files.root)
    if on_total:
        on_total(len(paths))
    known = {
        r[0]: (r[1], r[2])
        for r in lib.store.fetchall("SELECT path, size, mtime_ns FROM import_sources")
    }
    tag_list = list(tags)
    pending: list[dict[str, Any]] = []

    def note(path: Path, status: str) -> None:
        if on_file:
            on_file(path, status)

    def flush(items: list[dict[str, Any]]) -> None:
        if commit is None:
            _commit(lib, items, tag_list, report)
        else:
            commit(lambda writer: _commit(writer, items, tag_list, report))

    try:
        for path in paths:
            if should_stop is not None and should_stop():
                report.stopped = True
                break
            key = str(path)
            try:
                st = path.stat()
            except OSError:
                report.skipped.append((key, "vanished during import"))
                note(path, "skipped")
                continue
            if known.get(key) == (st.st_size, st.st_mtime_ns):
                report.unchanged += 1
                note(path, "unchanged")
                continue
            item = _prepare_one(lib, path, st, link, report)
            if item is None or ("row" not in item and "duplicate_of" not in item):
                note(path, "skipped")
            elif "duplicate_of" in item:
                note(path, "duplicate")
            else:
                note(path, "added" if item["params"] is not None else "no-metadata")
            if item is None:
                continue
            pending.append(item)
            if len(pending) >= BATCH:
                flush(pending)
                pending = []
        if pending:
            flush(pending)
    except BaseException:
        # Stopped (disk full, Ctrl-C, ...): files of the uncommitted batch go again.
        for item in pending:
            if item.get("created"):
                lib._drop_unreferenced(item["file"])
        raise
    return report


def _prepare_one(
    lib: Library, path: Path, st: os.stat_result, link: bool, report: ImportReport
) -> dict[str, Any] | None:
    key = str(path)
    source = {"path": key, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        report.skipped.append((key, "vanished during import"))
        return None
    except OSError as exc:
        report.skipped.append((key, f"cannot read: {exc.strerror}"))
        return {"source": {**source, "status": "error", "reason": str(exc.strerror)}}
    image_hash = sha256_bytes(data)
    existing = lib.find_hash(image_hash)
    if existing is not None:
        return {
            "source": {**source, "status": "duplicate", "image_hash": image_hash},
            "duplicate_of": existing,
        }
    meta, error = _read(path)
    if meta is None:
        report.skipped.append((key, error or "unreadable"))
        return {"source": {**source, "status": "error", "reason": error or "unreadable"}}
    raw = dict(getattr(meta, "raw", {}) or {})
    if meta.infotext is not None and raw == {"parameters": meta.infotext}:
        raw = {}  # the infotext column already holds it
    try:
        row, file, created = lib._prepare(
            data,
            path.name,
            link_path=path if link else None,
            params=meta.params,
            infotext=meta.infotext,
            kind=Kind.import_,
            generator=meta.generator,
            source_path=key,
            filename=path.name,
            created_utc=utc_from_timestamp(st.st_mtime),
            raw=raw or None,
            image_hash=image_hash,
            sync=False,  # one flush per batch in _commit, before its rows
        )
    except LibraryError as exc:
        if "disk full" in str(exc) or "permission denied" in str(exc):
            raise
        report.skipped.append((key, str(exc)))
        return {"source": {**source, "status": "error", "reason": str(exc)}}
    return {
        "source": {**source, "status": "added", "image_hash": image_hash},
        "row": row,
        "params": meta.params,
        "file": file,
        "created": created,
    }


def _commit(
    lib: Library,
    items: list[dict[str, Any]],
    tags: list[str],
    report: ImportReport,
) -> None:
    added: list[tuple[int, dict[str, Any]]] = []
    dups: list[tuple[str, int]] = []
    try:
        if any(item.get("created") for item in items):
            lib.files.flush_all()  # the batch's files are on disk before its rows
        with lib.store.write() as db:
            batch_hashes: dict[str, int] = {}
            for item in items:
                src = item["source"]
                entry_id = item.get("duplicate_of")
                if "row" in item:
                    h = item["row"]["image_hash"]
                    # Re-checked under the write lock: another process may have imported it.
                    entry_id = batch_hashes.get(h)
                    if entry_id is None:
                        hit = db.execute(
                            "SELECT id FROM entries WHERE image_hash = ? LIMIT 1", (h,)
                        ).fetchone()
                        entry_id = int(hit[0]) if hit else None
                    if entry_id is None:
                        entry_id = lib._insert(db, item["row"], item["params"], tags, (), None)
                        batch_hashes[h] = entry_id
                        added.append((entry_id, item))
                    else:
                        src = {**src, "status": "duplicate"}
                        dups.append((src["path"], entry_id))
                elif entry_id is not None:
                    dups.append((src["path"], entry_id))
                db.execute(
                    "INSERT OR REPLACE INTO import_sources"
                    " (path, size, mtime_ns, image_hash, entry_id, status, reason)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        src["path"],
                        src["size"],
                        src["mtime_ns"],
                        src.get("image_hash"),
                        entry_id,
                        src["status"],
                        src.get("reason", ""),
                    ),
                )
    except BaseException:
        for item in items:
            if item.get("created"):
                lib._drop_unreferenced(item["file"])
        raise
    for entry_id, item in added:
        report.added.append(entry_id)
        if item["params"] is None:
            report.no_metadata.append(item["source"]["path"])
    report.duplicates.extend(dups)


def sources_summary(lib: Library) -> dict[str, int]:
    """How many remembered source files are in each import status."""
    rows = lib.store.fetchall("SELECT status, count(*) FROM import_sources GROUP BY status")
    return {r[0]: int(r[1]) for r in rows}


__all__ = ["ImportReport", "find_images", "import_folders", "sources_summary"]
