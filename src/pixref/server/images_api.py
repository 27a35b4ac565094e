"""``/api/images``: library images and thumbnails, served by library id only.

No route takes a path: the id is an integer looked up in the library, and the file
served is the one its row names (the content-addressed copy, or the original file
of a ``--link`` import). The bytes are the stored file's, so a PNG keeps its
infotext.

Caching: the ETag is the image's SHA-256. A URL carrying ``v`` equal to the start of
that hash (as ``image_url``/``thumbnail_url`` in library responses do) names those
bytes for good and is ``immutable``; without it (or for a linked file, which may
change where it lies) clients revalidate and get ``304 Not Modified``.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, Response

from pixref.library import Entry
from pixref.server._errors import API_ERROR_RESPONSES, NotFound
from pixref.server._library_models import DEFAULT_THUMBNAIL, MAX_ID, ThumbnailSize, image_version
from pixref.server._state import ServerState, State

router = APIRouter(prefix="/api/images", tags=["images"], responses=API_ERROR_RESPONSES)
EntryId = Annotated[int, Path(ge=1, le=MAX_ID, description="A library entry id.")]
Version = Annotated[
    str | None,
    Query(
        max_length=64,
        description="The start of the image's SHA-256 (from `image_url`): makes the "
        "response cacheable for good.",
    ),
]

MEDIA_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".bmp": "image/bmp",
}
IMMUTABLE = "private, max-age=31536000, immutable"
REVALIDATE = "private, no-cache"
IMAGE_RESPONSES: dict[int | str, dict] = {
    200: {"content": {t: {} for t in sorted(set(MEDIA_TYPES.values()))}},
    304: {"description": "Not modified (the If-None-Match ETag still holds)."},
    404: {"description": "No such entry, or its image file is gone."},
}


def _entry(state: ServerState, entry_id: int) -> Entry:
    with state.library.read() as lib:
        entry = lib.get(entry_id)
    if not entry.path.is_file():
        raise NotFound(
            f"the image of entry {entry.id} is missing; `pixref log check` finds such entries"
        )
    return entry


def _etag(entry: Entry, suffix: str = "") -> str:
    if entry.linked:  # a linked file may change where it lies: tag what is there now
        st = entry.path.stat()
        return f'W/"{entry.image_hash[:16]}-{st.st_size}-{st.st_mtime_ns}{suffix}"'
    return f'"{entry.image_hash}{suffix}"'


def _cache_control(entry: Entry, v: str | None) -> str:
    if v and not entry.linked and v == image_version(entry.image_hash):
        return IMMUTABLE
    return REVALIDATE


def _not_modified(request: Request, etag: str) -> bool:
    given = request.headers.get("if-none-match")
    if not given:
        return False
    tags = {t.strip() for t in given.split(",")}
    return "*" in tags or etag in tags or etag.removeprefix("W/") in tags


def _download_name(entry: Entry) -> str:
    name = re.sub(r"[^\w.\- ]", "_", entry.filename).strip(" .")
    return (
        name
        if name and name.lower().endswith(entry.path.suffix.lower())
        else (f"pixref-{entry.id}{entry.path.suffix}")
    )


def _serve(request: Request, entry: Entry, path, etag: str, v: str | None, name: str) -> Response:
    headers = {
        "etag": etag,
        "cache-control": _cache_control(entry, v),
        "x-content-type-options": "nosniff",
    }
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    media_type = MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return FileResponse(
        path,
        media_type=media_type,
        headers=headers,
        filename=name,
        content_disposition_type="inline",
    )


@router.get(
    "/{entry_id:int}",
    summary="An entry's image file",
    response_class=FileResponse,
    responses=IMAGE_RESPONSES,
)
def get_image(entry_id: EntryId, request: Request, state: State, v: Version = None) -> Response:
    """The image bytes exactly as stored (a PNG keeps its A1111 infotext), with their
    media type; ``If-None-Match`` with the ETag answers 304."""
    entry = _entry(state, entry_id)
    return _serve(request, entry, entry.path, _etag(entry), v, _download_name(entry))


@router.get(
    "/{entry_id:int}/thumbnail",
    summary="An entry's thumbnail",
    response_class=FileResponse,
    responses={**IMAGE_RESPONSES, 200: {"content": {"image/png": {}}}},
)
def get_thumbnail(
    entry_id: EntryId,
    request: Request,
    state: State,
    size: Annotated[
        ThumbnailSize, Query(description="Longest side in pixels.")
    ] = DEFAULT_THUMBNAIL,
    v: Version = None,
) -> Response:
    """A PNG thumbnail made by the library (nearest-neighbour, so pixel art stays crisp;
    never larger than the image), cached on disk after the first request."""
    entry = _entry(state, entry_id)
    with state.library.read() as lib:
        path = lib.thumbnail(entry.id, int(size))
    name = f"pixref-{entry.id}-{int(size)}.png"
    return _serve(request, entry, path, _etag(entry, f"-{int(size)}"), v, name)
