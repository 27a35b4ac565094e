"""Nearest palette colour in OKLab."""

from __future__ import annotations

import numpy as np

_CHUNK = 65536


def nearest_index(lab: np.ndarray, palette_lab: np.ndarray) -> np.ndarray:
    """Index of the nearest palette colour for each colour (squared OKLab distance).

    Parameters
    ----------
    lab : (N, 3) float32 array
    palette_lab : (K, 3) float32 array

    Returns
    -------
    (N,) intp array, 0 – K−1. Ties go to the lower index.
    """
    out = np.empty(len(lab), dtype=np.intp)
    p2 = (palette_lab**2).sum(axis=1)
    for start in range(0, len(lab), _CHUNK):
        chunk = lab[start : start + _CHUNK]
        # |x - p|² = |x|² - 2 x·p + |p|²; |x|² is the same for every p of one x.
        out[start : start + _CHUNK] = (p2 - 2 * chunk @ palette_lab.T).argmin(axis=1)
    return out


def palette_spacing(palette_lab: np.ndarray) -> float:
    """Median distance from each palette colour to its nearest other colour (OKLab)."""
    if len(palette_lab) < 2:
        return 0.0
    d = np.sqrt(((palette_lab[:, None] - palette_lab[None]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    return float(np.median(d.min(axis=1)))
