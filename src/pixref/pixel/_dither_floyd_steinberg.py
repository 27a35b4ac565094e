"""Floyd–Steinberg error diffusion in OKLab."""

from __future__ import annotations

import numpy as np


def map_floyd_steinberg(lab: np.ndarray, palette_lab: np.ndarray, strength: float):
    """Nearest colour with the quantization error diffused 7/16, 3/16, 5/16, 1/16.

    Error diffusion is sequential by nature, so this is a plain loop over rows
    and pixels: about 0.3 s for 128 × 128. Pillow has Floyd–Steinberg, but only
    with RGB distances, and pixref maps colours in OKLab.
    """
    rows, cols = lab.shape[:2]
    work = lab.astype(np.float64)  # a copy; errors accumulate here
    pal = palette_lab.astype(np.float64)
    out = np.empty((rows, cols), dtype=np.intp)
    for y in range(rows):
        for x in range(cols):
            value = work[y, x]
            index = int(((pal - value) ** 2).sum(axis=1).argmin())
            out[y, x] = index
            error = (value - pal[index]) * strength
            if x + 1 < cols:
                work[y, x + 1] += error * (7 / 16)
            if y + 1 < rows:
                if x > 0:
                    work[y + 1, x - 1] += error * (3 / 16)
                work[y + 1, x] += error * (5 / 16)
                if x + 1 < cols:
                    work[y + 1, x + 1] += error * (1 / 16)
    return out
