"""Downscale by the per-channel median of each cell."""

from __future__ import annotations

import numpy as np

from pixref.pixel._cells import cell_samples


def downscale_median(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Each output pixel is the per-channel median of its cell (robust to thin outliers)."""
    samples = cell_samples(image, shape)
    return np.median(samples, axis=2).round().astype(np.uint8)
