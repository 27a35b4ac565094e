"""Reading and writing images for the pixel stage (the only module here that touches files).

Reading accepts whatever Pillow opens (PNG including 16-bit and palette mode, JPEG
including CMYK, WebP, GIF first frame, BMP …) and returns the array contract:
``(H, W, 3)`` or ``(H, W, 4)`` uint8 sRGB. Writing is atomic: a reader sees the old
file or the new one, never half of one.
"""

from __future__ import annotations

import io
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, PngImagePlugin, UnidentifiedImageError

from pixref._atomic import write_bytes_atomic
from pixref.pixel._aseprite import encode_aseprite
from pixref.pixel._draw_grid import draw_grid
from pixref.pixel._errors import PixelError
from pixref.pixel._grid_comb import Grid
from pixref.pixel._image import MAX_PIXELS
from pixref.pixel._indexed import IndexedImage

#: PNG text-chunk key holding the JSON settings a file was made with.
SETTINGS_KEY = "pixref"


def read_image(path: str | os.PathLike[str], *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read an image file as ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA uint8.

    RGBA is returned only when the file has transparency. 16-bit images are reduced
    to 8 bits, CMYK and palette images converted to RGB(A).

    Raises
    ------
    PixelError
        If the file is missing, not an image, empty, or larger than ``max_pixels``
        (checked before decoding, so a huge file never fills memory).
    """
    path = Path(path)
    try:
        return _decode(path, f"input {str(path)!r}", max_pixels)
    except FileNotFoundError:
        raise PixelError(f"input {str(path)!r} does not exist") from None


def decode_image(data: bytes, *, name: str = "image", max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """`read_image` for encoded bytes (an upload); ``name`` is used in error messages."""
    return _decode(io.BytesIO(data), f"{name!r}", max_pixels)


def _decode(file: Path | io.BytesIO, what: str, max_pixels: int) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(file)
    except Image.DecompressionBombError:
        raise PixelError(
            f"{what} is larger than the limit of {max_pixels} pixels; downscale it first"
        ) from None
    except (UnidentifiedImageError, IsADirectoryError):
        raise PixelError(f"{what} is not an image pixref can read") from None
    with im:
        cols, rows = im.size
        if cols * rows == 0:
            raise PixelError(f"{what} is empty ({cols}×{rows} pixels)")
        if cols * rows > max_pixels:
            raise PixelError(
                f"{what} is {cols}×{rows} = {cols * rows} pixels, above the "
                f"limit of {max_pixels}; downscale it first"
            )
        try:
            return _to_array(im)
        except (OSError, SyntaxError, ValueError) as exc:
            raise PixelError(f"{what} is damaged: {exc}") from None


def _to_array(im: Image.Image) -> np.ndarray:
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        # Pillow converts 16-bit greyscale to 8 bits by clipping, not scaling.
        values = np.asarray(im, dtype=np.uint32)
        top = 65535 if im.mode.startswith("I;16") or values.max() > 255 else 255
        grey = (values * 255 + top // 2) // top
        return np.repeat(grey.astype(np.uint8)[..., None], 3, axis=2)
    has_alpha = im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info
    rgb = im.convert("RGBA" if has_alpha else "RGB")
    return np.asarray(rgb).copy()


def _png_info(settings: dict[str, Any] | None) -> PngImagePlugin.PngInfo | None:
    if settings is None:
        return None
    info = PngImagePlugin.PngInfo()
    info.add_itxt(SETTINGS_KEY, json.dumps(settings, sort_keys=True))
    return info


def _encode(image: Image.Image, **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=False, **{k: v for k, v in params.items() if v})
    return buffer.getvalue()


def settings_record(
    command: str, source: str, settings: dict[str, Any], *, tool: str
) -> dict[str, Any]:
    """The JSON record a pixelized or snapped PNG carries: tool (``"pixref 0.1.0"``),
    command, source file name and settings."""
    return {"tool": tool, "command": command, "source": source, **settings}


def indexed_to_pil(image: IndexedImage) -> Image.Image:
    """A Pillow ``P`` image with the palette in order and index 0 transparent if any."""
    entries = image.entries()
    pil = Image.fromarray(image.indices, "P")
    pil.putpalette(entries[:, :3].tobytes(), "RGB")
    if image.transparent:
        pil.info["transparency"] = 0
    return pil


def write_indexed_png(
    path: str | os.PathLike[str],
    image: IndexedImage,
    *,
    settings: dict[str, Any] | None = None,
) -> Path:
    """Write an indexed PNG (colour type 3) at 1×, palette order kept.

    Transparency is index 0 via a one-entry tRNS chunk; there is no semi-transparency.
    ``settings`` (e.g. ``PixelizeSettings.to_dict()``) go into an iTXt chunk under
    the key ``pixref`` so the result can be reproduced.
    """
    return write_bytes_atomic(Path(path), encode_indexed_png(image, settings=settings))


def encode_indexed_png(image: IndexedImage, *, settings: dict[str, Any] | None = None) -> bytes:
    """The bytes `write_indexed_png` writes."""
    transparency = 0 if image.transparent else None
    return _encode(
        indexed_to_pil(image), pnginfo=_png_info(settings), transparency=transparency, bits=8
    )


def encode_rgba_png(image: np.ndarray, *, settings: dict[str, Any] | None = None) -> bytes:
    """The bytes `write_rgba_png` writes."""
    mode = "RGBA" if image.shape[2] == 4 else "RGB"
    return _encode(Image.fromarray(image, mode), pnginfo=_png_info(settings))


def enlarge(image: IndexedImage, scale: int) -> IndexedImage:
    """``image`` enlarged ``scale`` times by nearest neighbour (a preview)."""
    if scale < 1:
        raise PixelError(f"`preview scale` must be 1 or more, got {scale}")
    return IndexedImage(
        np.repeat(np.repeat(image.indices, scale, axis=0), scale, axis=1),
        image.palette,
        image.transparent,
    )


def write_rgba_png(
    path: str | os.PathLike[str], image: np.ndarray, *, settings: dict[str, Any] | None = None
) -> Path:
    """Write an ``(H, W, 3|4)`` uint8 array as a truecolour PNG."""
    return write_bytes_atomic(Path(path), encode_rgba_png(image, settings=settings))


def write_preview(path: str | os.PathLike[str], image: IndexedImage, scale: int) -> Path:
    """Write an indexed PNG enlarged ``scale`` times by nearest neighbour."""
    return write_indexed_png(path, enlarge(image, scale))


def write_aseprite(path: str | os.PathLike[str], image: IndexedImage) -> Path:
    """Write an indexed ``.aseprite`` file (one frame, one layer)."""
    return write_bytes_atomic(Path(path), encode_aseprite(image))


def read_settings(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The pixref settings stored in a PNG written by pixref, or None."""
    with Image.open(path) as im:
        text = im.info.get(SETTINGS_KEY)
    return json.loads(text) if text else None


def write_grid_preview(path: str | os.PathLike[str], image: np.ndarray, grid: Grid) -> Path:
    """Write the input with the detected grid drawn over it (for checking detection)."""
    return write_rgba_png(path, draw_grid(image, grid))
