"""The progress file beside a jobs file: what each finished line made, for ``--resume``.

Append-only JSON lines, each flushed and fsynced: ``start`` names the files a line
is about to write (before any is written), ``done`` follows once they and their
library rows are in place. A line with ``start`` and no ``done`` was cut short:
its files are completed (all written: log the missing rows) or removed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUFFIX = ".done"


def journal_path(jobs: str | os.PathLike[str]) -> Path:
    """``JOBS.jsonl.done`` beside ``JOBS.jsonl``."""
    jobs = Path(jobs)
    return jobs.with_name(jobs.name + SUFFIX)


@dataclass
class JournalState:
    """Per job key: the paths a finished line made (and its entry ids); the lines begun."""

    done: dict[str, dict[str, Any]] = field(default_factory=dict)
    started: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.done and not self.started


class Journal:
    """Append records to the progress file at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._healed = False

    def read(self) -> JournalState:
        """What the file records; a torn last record (a crash mid-write) is ignored."""
        state = JournalState()
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return state
        for raw in text.splitlines():
            try:
                record = json.loads(raw)
                key = record["key"]
            except (ValueError, KeyError, TypeError):
                continue
            if record.get("event") == "done":
                state.done[key] = record
                state.started.pop(key, None)
            elif record.get("event") == "start" and key not in state.done:
                state.started[key] = record
        return state

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)

    def start(self, line: int, key: str, paths: list[Path]) -> None:
        self._append({"event": "start", "line": line, "key": key, "paths": _strs(paths)})

    def done(self, line: int, key: str, paths: list[Path], entries: list[int | None]) -> None:
        record = {"event": "done", "line": line, "key": key, "paths": _strs(paths)}
        self._append({**record, "entries": list(entries)})

    def _append(self, record: dict[str, Any]) -> None:
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        if not self._healed:  # a torn last record must not swallow the next one
            self._healed = True
            try:
                with open(self.path, "rb") as f:
                    f.seek(-1, os.SEEK_END)
                    torn = f.read(1) != b"\n"
            except OSError:  # missing or empty
                torn = False
            data = b"\n" + data if torn else data
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)


def _strs(paths: list[Path]) -> list[str]:
    return [str(p) for p in paths]
