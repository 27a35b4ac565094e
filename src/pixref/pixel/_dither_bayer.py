"""Ordered (Bayer) dithering in OKLab lightness."""

from __future__ import annotations

import numpy as np

from pixref.pixel._map import nearest_index, palette_spacing


def bayer_matrix(n: int) -> np.ndarray:
    """The ``n × n`` Bayer index matrix (n a power of 2), values 0 – n²−1.

    Examples
    --------
    >>> bayer_matrix(2).tolist()
    [[0, 2], [3, 1]]
    """
    m = np.zeros((1, 1), dtype=np.int64)
    while m.shape[0] < n:
        m = np.block([[4 * m, 4 * m + 2], [4 * m + 3, 4 * m + 1]])
    return m


def map_bayer(lab: np.ndarray, palette_lab: np.ndarray, strength: float, *, n: int):
    """Nearest colour after a tiled Bayer threshold offset on lightness.

    The offset spans ``strength`` × the palette's typical colour spacing, so a
    strength of 1 dithers between neighbouring palette colours and no further.
    """
    rows, cols = lab.shape[:2]
    threshold = (bayer_matrix(n) + 0.5) / (n * n) - 0.5  # −0.5 … 0.5, mean 0
    tiled = np.tile(threshold, (rows // n + 1, cols // n + 1))[:rows, :cols]
    shifted = lab.copy()
    shifted[..., 0] += (strength * palette_spacing(palette_lab) * tiled).astype(np.float32)
    return nearest_index(shifted.reshape(-1, 3), palette_lab).reshape(rows, cols)
