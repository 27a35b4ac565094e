"""The server's connections to the library: a pool of readers and one writer.

SQLite in WAL mode lets readers work beside a writer, but one connection must not
be shared by threads at the same time (a read would land inside another thread's
write transaction). So each request thread borrows a reader from a pool, and every
write the server makes — annotations, trash, import batches — runs on one writer
connection, one at a time (datasette's single write thread, here a lock, since our
writes come from threads already). Writes in this process then never wait for each
other's SQLite lock; other processes (the CLI) are waited for by the busy timeout.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from pixref.home import paths
from pixref.library import Library, open_library

log = logging.getLogger("pixref.server")
T = TypeVar("T")


class LibraryAccess:
    """Readers on demand (kept for reuse) and one serialised writer, opened lazily.

    Parameters
    ----------
    path : Path, optional
        The library database; by default the data home's ``library.db``, looked up
        when the library is first used (not when the app is built).
    timeout : float
        Seconds a connection waits for another process's write lock.
    max_idle : int
        Readers kept open between requests; more are opened under load and closed after.
    """

    def __init__(
        self, path: Path | None = None, *, timeout: float = 15.0, max_idle: int = 32
    ) -> None:
        self.path = path
        self.timeout = timeout
        self.max_idle = max_idle
        self._lock = threading.Lock()
        self._idle: list[Library] = []
        self._epoch = 0  # bumped by close(): readers borrowed before it are not kept
        self._write_lock = threading.Lock()
        self._writer: Library | None = None
        self._warned = False

    def _open(self) -> Library:
        with self._lock:
            if self.path is None:
                self.path = paths().library
        lib = open_library(self.path, timeout=self.timeout)
        if not self._warned:
            self._warned = True
            for warning in lib.warnings:
                log.warning("library: %s", warning)
        return lib

    @contextmanager
    def read(self) -> Iterator[Library]:
        """Borrow a reader for the length of the ``with`` block (one thread at a time)."""
        with self._lock:
            epoch = self._epoch
            lib = self._idle.pop() if self._idle else None
        if lib is None:
            lib = self._open()
        try:
            yield lib
        finally:
            with self._lock:
                keep = epoch == self._epoch and len(self._idle) < self.max_idle
                if keep:
                    self._idle.append(lib)
            if not keep:
                lib.close()

    def write(self, fn: Callable[[Library], T]) -> T:
        """Run ``fn(writer)`` on the one writer connection, after any write before it."""
        with self._write_lock:
            if self._writer is None:
                self._writer = self._open()
            return fn(self._writer)

    def close(self) -> None:
        """Close the idle readers and the writer (at shutdown). Readers in use close when
        returned; a later request opens connections again (an app may be started twice)."""
        with self._lock:
            self._epoch += 1
            idle, self._idle = self._idle, []
        for lib in idle:
            lib.close()
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
