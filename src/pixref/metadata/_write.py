"""Writing PNGs that carry their generation parameters as A1111 does."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from pixref import __version__
from pixref._atomic import atomic_path
from pixref.infotext import format_infotext
from pixref.params import GenerationParams, PixrefError

#: What pixref writes as A1111's ``Version`` key.
VERSION_TAG = f"pixref-{__version__}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def encode_png(
    image: Image.Image | np.ndarray,
    params: GenerationParams | None = None,
    *,
    infotext: str | None = None,
    extra_text: dict[str, str] | None = None,
) -> bytes:
    """``image`` as PNG file bytes with the A1111 ``parameters`` chunk (see `save_png`).

    A Ray actor encodes its images with this, so the driver writes the very bytes
    a local run would have written.
    """
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim not in (2, 3):
            raise PixrefError(
                f"`image` must be an (H, W[, C]) uint8 array, got {image.dtype} {image.shape}"
            )
        image = Image.fromarray(image)
    if infotext is None and params is not None:
        infotext = format_infotext(params)
    info = PngInfo()
    if infotext:
        info.add_text("parameters", infotext)
    for key, value in (extra_text or {}).items():
        info.add_text(key, value)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def save_png(
    image: Image.Image | np.ndarray | bytes,
    path: str | os.PathLike[str],
    params: GenerationParams | None = None,
    *,
    infotext: str | None = None,
    extra_text: dict[str, str] | None = None,
) -> Path:
    """Save ``image`` as a PNG with the A1111 ``parameters`` chunk, atomically.

    Parameters
    ----------
    image : PIL image, (H, W, 3|4) uint8 ndarray, or PNG bytes
        PNG bytes (from `encode_png`) are written as they are.
    path : path
        Destination; written through a temporary file and renamed, so a reader
        never sees half a file.
    params : GenerationParams, optional
        Written as A1111 infotext in the ``parameters`` text chunk (tEXt, or
        iTXt when the text is not Latin-1, as Pillow and A1111 do).
    infotext : str, optional
        Text to write instead of formatting ``params``.
    extra_text : dict, optional
        More text chunks, e.g. ``{"pixref": json}``.
    """
    if isinstance(image, bytes):
        if not image.startswith(PNG_SIGNATURE):
            raise PixrefError("`image` bytes are not a PNG file")
        data = image
    else:
        data = encode_png(image, params, infotext=infotext, extra_text=extra_text)
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path
