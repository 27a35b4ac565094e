"""Downscale by the mean of each cell (box filter), with Pillow's resampler."""

from __future__ import annotations

import numpy as np
from PIL import Image


def downscale_box(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Each output pixel is the mean of its cell (fractional cells weighted by area).

    Pillow's BOX resize does exactly this in C, alpha-weighted for RGBA.
    """
    mode = "RGBA" if image.shape[2] == 4 else "RGB"
    resized = Image.fromarray(image, mode).resize((shape[1], shape[0]), Image.Resampling.BOX)
    return np.asarray(resized)
