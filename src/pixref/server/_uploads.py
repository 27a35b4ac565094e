"""Images a request brings: uploads (checked before decoding) and library entries by id.

Every route that takes an image reads it here, so every one refuses the same way:
an empty or non-image upload, or one above ``max_image_pixels``, is a one-line 400
before any job is queued; an unknown library id is a 404.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Annotated

from fastapi import UploadFile
from PIL import Image, UnidentifiedImageError
from pydantic import Field

from pixref.params import PixrefError
from pixref.server._errors import NotFound

#: A library entry id as requests give it: within SQLite's 64-bit integers, and within
#: 2**53 so that the bound survives JSON Schema's floating-point numbers exactly.
LibraryId = Annotated[int, Field(ge=1, le=2**53)]
#: A seed as A1111 takes it: -1 (random) or 0 to 2³² − 1.
Seed = Annotated[int, Field(ge=-1, le=2**32 - 1)]


class UploadError(PixrefError):
    """An uploaded file that is empty, not what the field expects, or too large."""


@dataclass(frozen=True)
class SourceImage:
    """An image a request names: its encoded bytes, a file name, its size, and its
    library id when it came from (or is already in) the library."""

    data: bytes
    name: str
    width: int
    height: int
    library_id: int | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols), for the stages' size checks before decoding."""
        return self.height, self.width

    @property
    def stem(self) -> str:
        return self.name.rsplit(".", 1)[0] or "image"


async def read_upload(upload: UploadFile, *, field: str) -> bytes:
    """The bytes of an uploaded file; `UploadError` when it is empty."""
    data = await upload.read()
    if not data:
        raise UploadError(f"`{field}` upload {upload.filename or ''!r} is empty")
    return data


def probe_image(data: bytes, *, name: str, field: str, max_pixels: int) -> tuple[int, int, str]:
    """``(width, height, format)`` of encoded image bytes, read from the header only.

    Raises
    ------
    UploadError
        When Pillow cannot identify it, or it holds more than ``max_pixels`` pixels.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                width, height, fmt = im.width, im.height, (im.format or "").lower()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise UploadError(
            f"`{field}` upload {name!r} is not an image pixref can read (PNG, JPEG, WebP, ...)"
        ) from None
    if width * height == 0:
        raise UploadError(f"`{field}` upload {name!r} is empty ({width}×{height} pixels)")
    if width * height > max_pixels:
        raise UploadError(
            f"`{field}` image {name!r} is {width}×{height} = {width * height} pixels, above "
            f"the server's limit of {max_pixels}; downscale it first"
        )
    return width, height, fmt


async def source_image(
    upload: UploadFile | None,
    image_id: int | None,
    *,
    max_pixels: int,
    field: str = "image",
) -> SourceImage:
    """The image a request names, by upload or by library id (exactly one of them)."""
    if (upload is None) == (image_id is None):
        raise UploadError(f"give exactly one of `{field}` (an upload) or `{field}_id`")
    if upload is not None:
        data = await read_upload(upload, field=field)
        name = upload.filename or "upload.png"
        width, height, _ = probe_image(data, name=name, field=field, max_pixels=max_pixels)
        return SourceImage(data, name, width, height)
    assert image_id is not None
    data, name = library_image(image_id)
    width, height, _ = probe_image(data, name=name, field=f"{field}_id", max_pixels=max_pixels)
    return SourceImage(data, name, width, height, image_id)


def library_image(image_id: int) -> tuple[bytes, str]:
    """The bytes and file name of library entry ``image_id``; `NotFound` otherwise."""
    entry = library_entry(image_id)
    try:
        return entry.path.read_bytes(), entry.filename
    except OSError:
        raise NotFound(
            f"library entry {image_id}'s image file is missing; `pixref log check --repair`"
        ) from None


def library_entry(image_id: int):
    """Library entry ``image_id``; `NotFound` when there is none."""
    from pixref.library import LibraryError, open_library

    try:
        with open_library() as lib:
            return lib.get(image_id)
    except LibraryError as exc:
        if "no library entry" in str(exc):
            raise NotFound(f"no library entry {image_id}") from None
        raise


def check_library_id(image_id: int) -> None:
    """`NotFound` unless library entry ``image_id`` exists."""
    library_entry(image_id)
