"""Checks and helpers shared by every array function: the array contract and alpha."""

from __future__ import annotations

import numpy as np

from pixref.pixel._errors import PixelError

#: Largest image (in pixels) the pixel stage accepts: 64 megapixels, e.g. 8192 × 8192.
#: Above it pixref refuses instead of exhausting memory (a few float32 copies of a
#: 64 MP image already take about 3 GB).
MAX_PIXELS = 64 * 1024 * 1024


def check_image(image: np.ndarray, *, name: str = "image", min_side: int = 2) -> np.ndarray:
    """Validate an ``(H, W, 3|4)`` uint8 image and return it as an ndarray.

    Raises
    ------
    PixelError
        If the dtype, shape or size breaks the array contract.
    """
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise PixelError(f"`{name}` must be uint8 sRGB 0–255, got dtype {image.dtype}")
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise PixelError(f"`{name}` must have shape (H, W, 3) or (H, W, 4), got {image.shape}")
    rows, cols = image.shape[:2]
    if rows < min_side or cols < min_side:
        raise PixelError(
            f"`{name}` is {cols}×{rows} pixels; it needs at least {min_side} pixels per side"
        )
    if rows * cols > MAX_PIXELS:
        raise PixelError(
            f"`{name}` is {cols}×{rows} = {rows * cols} pixels, above the limit of "
            f"{MAX_PIXELS}; downscale it first"
        )
    return image


def opaque_mask(image: np.ndarray, *, alpha_threshold: int = 128) -> np.ndarray:
    """Boolean ``(H, W)`` mask of pixels whose alpha is at least ``alpha_threshold``.

    RGB images are fully opaque.
    """
    if image.shape[-1] == 3:
        return np.ones(image.shape[:2], dtype=bool)
    return image[..., 3] >= alpha_threshold


def rgb_of(image: np.ndarray) -> np.ndarray:
    """The ``(H, W, 3)`` colour channels of an RGB or RGBA image (a view)."""
    return image[..., :3]
