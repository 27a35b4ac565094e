"""Downscale by taking each cell's centre pixel (nearest neighbour)."""

from __future__ import annotations

import numpy as np

from pixref.pixel._cells import cell_centres


def downscale_nearest(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Each output pixel is the source pixel at its cell's centre. ``(H, W, C)`` → ``shape``."""
    rows = cell_centres(image.shape[0], shape[0])
    cols = cell_centres(image.shape[1], shape[1])
    return image[rows[:, None], cols[None, :]]
