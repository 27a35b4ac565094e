"""No dithering: every pixel takes its nearest palette colour."""

from __future__ import annotations

import numpy as np

from pixref.pixel._map import nearest_index


def map_plain(lab: np.ndarray, palette_lab: np.ndarray, strength: float) -> np.ndarray:
    """``(H, W, 3)`` OKLab → ``(H, W)`` palette indices of the nearest colours."""
    del strength  # nothing to scale
    return nearest_index(lab.reshape(-1, 3), palette_lab).reshape(lab.shape[:2])
