"""Writing PNGs that carry their generation parameters as A1111 does."""

from __future__ import annotations

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


def save_png(
    image: Image.Image | np.ndarray,
    path: str | os.PathLike[str],
    params: GenerationParams | None = None,
    *,
    infotext: str | None = None,
    extra_text: dict[str, str] | None = None,
) -> Path:
    """Save ``image`` as a PNG with the A1111 ``parameters`` chunk, atomically.

    Parameters
    ----------
    image : PIL image or (H, W, 3|4) uint8 ndarray
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
    path = Path(path)
    with atomic_path(path) as tmp:
        image.save(tmp, format="PNG", pnginfo=info)
    return path
