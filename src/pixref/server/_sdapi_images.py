"""Images over A1111's API: base64 in (checked), PNG base64 out, and live previews.

A1111 clients send images as base64 strings, sometimes as ``data:image/...;base64,``
URLs; pixref refuses anything that is not an image, or is larger than the server
allows, with a one-line 400 before any work is queued.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from pixref.params import PixrefError


class BadImage(PixrefError):
    """An uploaded image that cannot be used (not base64, not an image, too large)."""


@dataclass(frozen=True)
class Upload:
    """A decoded upload: the image (pixels loaded) and the bytes it came as."""

    image: Image.Image
    data: bytes


def decode_image(text: Any, field: str, max_pixels: int) -> Upload:
    """Decode a base64 image (optionally a ``data:`` URL) sent in request ``field``.

    Raises
    ------
    BadImage
        Not a string, not base64, not an image, or over ``max_pixels`` pixels.
    """
    if not isinstance(text, str) or not text.strip():
        raise BadImage(f"`{field}` must be a base64-encoded image, got {type(text).__name__}")
    text = text.strip()
    if text.startswith(("http://", "https://")):
        raise BadImage(f"`{field}`: image URLs are not fetched; send the image as base64")
    if text.startswith("data:"):
        _, _, text = text.partition(",")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadImage(
            f"`{field}` is not valid base64; send the image file's bytes as base64"
        ) from None
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError):
        raise BadImage(
            f"`{field}` is not an image pixref can read (PNG, JPEG, WebP, ...)"
        ) from None
    width, height = image.size
    if width * height > max_pixels:
        raise BadImage(
            f"`{field}` is {width}x{height} pixels, over the server's limit of {max_pixels} "
            "pixels; send a smaller image"
        )
    try:
        image.load()
    except (OSError, ValueError) as exc:
        raise BadImage(f"`{field}` is a damaged image ({exc})") from None
    return Upload(image, data)


def file_base64(path: Path) -> str:
    """A saved PNG as base64 text: the very file, ``parameters`` chunk included."""
    return base64.b64encode(path.read_bytes()).decode("ascii")


def png_base64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


# Latent -> RGB: one 4x3 matrix per latent family (rows: latent channels; columns: R, G, B),
# applied to the model-scale latents, as A1111's "Approx cheap" live preview does.
# SD 1.x/2.x: keturn's factors, Hugging Face forum "Decoding latents to RGB without upscaling":
# https://discuss.huggingface.co/t/decoding-latents-to-rgb-without-upscaling/23204/2
_SD1_TO_RGB = np.array(
    [[0.298, 0.207, 0.208], [0.187, 0.286, 0.173], [-0.158, 0.189, 0.264],
     [-0.184, -0.271, -0.473]],
    dtype=np.float32,
)  # fmt: skip
# SDXL: the factors A1111 v1.10 uses for SDXL (modules/sd_vae_approx.py, cheap_approximation).
_SDXL_TO_RGB = np.array(
    [[0.3448, 0.4168, 0.4395], [-0.1953, -0.0290, 0.0250], [0.1074, 0.0886, -0.0163],
     [-0.3730, -0.2499, -0.2088]],
    dtype=np.float32,
)  # fmt: skip


def latent_preview(latents: Any, arch: str | None) -> Image.Image | None:
    """A cheap RGB preview of denoised latents ``(B, 4, h, w)``: one pixel per latent cell.

    A batch becomes a grid (as A1111's ``show_progress_grid``). None when the
    latents are not 4-channel (nothing to approximate).
    """
    array = np.asarray(latents.detach().float().cpu()) if hasattr(latents, "detach") else latents
    array = np.asarray(array, dtype=np.float32)
    if array.ndim == 3:
        array = array[None]
    if array.ndim != 4 or array.shape[1] != 4:
        return None
    factors = _SDXL_TO_RGB if (arch or "").startswith("sdxl") else _SD1_TO_RGB
    rgb = np.einsum("bchw,cr->bhwr", array, factors)  # -1..1, as the VAE's output
    pixels = np.clip((rgb + 1) * 127.5, 0, 255).round().astype(np.uint8)
    return _grid([Image.fromarray(p) for p in pixels])


def _grid(images: list[Image.Image]) -> Image.Image:
    cols = math.ceil(math.sqrt(len(images)))
    rows = math.ceil(len(images) / cols)
    w, h = images[0].size
    sheet = Image.new("RGB", (cols * w, rows * h))
    for i, image in enumerate(images):
        sheet.paste(image, ((i % cols) * w, (i // cols) * h))
    return sheet
