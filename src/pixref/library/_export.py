"""Export: entries' image files (metadata intact) with a manifest in CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pixref.library._entry import Entry
from pixref.library._errors import LibraryError
from pixref.library._files import copy_file

#: The columns of ``manifest.csv``, in order (``manifest.json`` has every summary field).
MANIFEST_COLUMNS = (
    "id",
    "export_file",
    "created_utc",
    "kind",
    "generator",
    "width",
    "height",
    "prompt",
    "negative_prompt",
    "model",
    "sampler",
    "schedule_type",
    "cfg_scale",
    "steps",
    "seed",
    "rating",
    "keep",
    "tags",
    "note",
    "infotext",
)


def export_name(entry: Entry) -> str:
    """``000012-<original file name>``: the entry's file name inside an export."""
    if not entry.filename:
        return f"{entry.id:06d}{entry.path.suffix}"
    name = entry.filename.replace("/", "_").replace("\\", "_")  # a name, never a path
    return f"{entry.id:06d}-{name}"


def manifest(entries: Iterable[Entry]) -> list[dict[str, Any]]:
    """One manifest row per entry: its summary, export file name and infotext.

    Raises `LibraryError` when an entry's image file is missing.
    """
    rows = []
    for e in entries:
        if not e.path.is_file():
            raise LibraryError(f"the image of entry {e.id} is missing; run `pixref log check`")
        rows.append({**e.summary(), "export_file": export_name(e), "infotext": e.infotext or ""})
    return rows


def manifest_files(rows: list[dict[str, Any]]) -> dict[str, bytes]:
    """``{"manifest.json": ..., "manifest.csv": ...}`` for these manifest rows."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({**r, "tags": "; ".join(r["tags"])})
    return {
        "manifest.json": json.dumps(rows, ensure_ascii=False, indent=2).encode(),
        "manifest.csv": buf.getvalue().encode(),
    }


def export_entries(entries: Iterable[Entry], out: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Copy the entries' files into folder ``out`` with both manifests; return the rows."""
    from pixref._atomic import write_bytes_atomic

    out = Path(out)
    entries = list(entries)
    rows = manifest(entries)
    for e, row in zip(entries, rows, strict=True):
        copy_file(e.path, out / row["export_file"])
    for name, data in manifest_files(rows).items():
        write_bytes_atomic(out / name, data)
    return rows
