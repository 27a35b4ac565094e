"""What the stage routes answer with: images by library id and URL (or inline), and jobs.

CPU work (pixelize, snap, render, export, import) runs as a job on the queue's pool;
a route awaits it (``?wait=true``, the default) or answers 202 with the job at once
(``?wait=false``), whose result `GET /api/jobs/{id}/result` gives later.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from pixref.params import PixrefError
from pixref.server._errors import Conflict
from pixref.server._jobs import Job, JobContext, JobState

#: Where a library image is served (the library API's route).
IMAGE_URL = "/api/images/{id}"

WaitQuery = Field(True, description="Wait for the job; false answers 202 with the job at once.")


def image_url(entry_id: int | None) -> str | None:
    return None if entry_id is None else IMAGE_URL.format(id=entry_id)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class ImageData(BaseModel):
    """An image sent inline as base64 PNG (previews, contact sheets, grids)."""

    width: int
    height: int
    png_base64: str


class StoredImage(BaseModel):
    """An image the server wrote and logged in the library."""

    image_id: int | None = Field(
        description="Library entry id; null when the library could not log it (see warnings)."
    )
    url: str | None = Field(description="`/api/images/{id}`: the image file.")
    width: int
    height: int
    png_base64: str | None = Field(None, description="With `?inline=true`: the PNG itself.")


def stored_image(
    data: bytes, width: int, height: int, entry_id: int | None, *, inline: bool
) -> StoredImage:
    return StoredImage(
        image_id=entry_id,
        url=image_url(entry_id),
        width=width,
        height=height,
        png_base64=b64(data) if inline else None,
    )


class JobAccepted(BaseModel):
    """A job queued by a request with ``?wait=false``."""

    job: dict[str, Any] = Field(description="The job's summary, as `GET /api/jobs/{id}`.")
    result_url: str = Field(description="Where the result is once the job is done.")


def accepted(job: Job) -> JSONResponse:
    body = JobAccepted(job=job.summary(), result_url=f"/api/jobs/{job.id}/result")
    return JSONResponse(body.model_dump(), status_code=202)


#: The ``?wait=`` switch of routes that run a job (`run_job`).
Wait = Annotated[bool, Query(description="Wait for the job; false answers 202 with the job.")]


async def run_job(
    state: Any,
    kind: str,
    fn: Callable[[JobContext], Any],
    *,
    title: str,
    wait: bool,
    on_device: bool = False,
    params: Any = None,
) -> Any:
    """Queue ``fn`` and, with ``wait``, await it and return its result (or raise its error)."""
    job = state.jobs.submit(kind, fn, title=title, on_device=on_device, params=params)
    if not wait:
        return accepted(job)
    await state.jobs.wait(job)
    return job_result(job)


def job_result(job: Job) -> Any:
    """A finished job's result; its `PixrefError` raised again when it failed."""
    if job.state == JobState.done:
        return job.result
    if job.state == JobState.failed:
        if job.exception is not None:
            raise job.exception
        raise RuntimeError(job.error)  # a bug: the app answers 500
    if job.state == JobState.cancelled:
        raise Conflict(f"job {job.id} was cancelled")
    raise Conflict(f"job {job.id} is {job.state}; its result comes when it is done")


# outputs -----------------------------------------------------------------------------------

_lock = threading.Lock()
_reserved: set[Path] = set()


def slug(text: str, default: str = "image") -> str:
    """A file-name-safe form of ``text`` (letters, digits, ``._-``), at most 40 characters."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:40] or default


@contextmanager
def new_output(folder: str, stem: str) -> Iterator[Path]:
    """A fresh ``outputs/<folder>/DATE/NNNNN-<stem>.png`` path, A1111's counter style;
    two jobs running at once never get the same one."""
    from pixref.home import paths
    from pixref.library import next_counter

    where = paths().outputs / folder / date.today().isoformat()
    where.mkdir(parents=True, exist_ok=True)
    with _lock:
        counter = next_counter(where)
        taken = {p.name[:5] for p in _reserved if p.parent == where}
        while f"{counter:05d}" in taken:
            counter += 1
        path = where / f"{counter:05d}-{slug(stem)}.png"
        _reserved.add(path)
    try:
        yield path
    finally:
        with _lock:
            _reserved.discard(path)


def save_derived(
    pngs: list[tuple[bytes, str]], *, source: bytes, source_id: int | None, kind: str, folder: str
) -> tuple[list[int | None], int | None, list[str]]:
    """Write each ``(png, stem)`` to ``outputs/<folder>/DATE/`` and log it as the CLI does
    (`record_derived`: linked to its source when the source is in the library).

    Returns the entry ids (None where not logged), the source's library id, and
    warnings; a library problem never fails the request, the files are written.
    """
    from pixref._atomic import write_bytes_atomic
    from pixref.library import find_image, open_library, record_derived

    paths = []
    for png, stem in pngs:
        with new_output(folder, stem) as path:
            paths.append(write_bytes_atomic(path, png))
    ids: list[int | None] = [None] * len(paths)
    try:
        with open_library() as lib:
            if source_id is None:
                source_id = find_image(lib, source)
            for i, path in enumerate(paths):
                ids[i] = record_derived(lib, path, source=source, kind=kind).id
    except PixrefError as exc:
        return ids, source_id, [f"not logged in the library: {exc}"]
    return ids, source_id, []
