"""Palette extraction by median cut (Pillow's implementation)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from pixref.pixel._quantize_common import lightness_order


def palette_median_cut(pixels: np.ndarray, n_colors: int) -> np.ndarray:
    """Median-cut palette of ``(N, 3)`` uint8 pixels, via Pillow's ``quantize``.

    Returns
    -------
    (K, 3) uint8 array, K <= n_colors, dark → light.
    """
    strip = Image.fromarray(pixels.reshape(1, -1, 3), "RGB")
    quantized = strip.quantize(n_colors, method=Image.Quantize.MEDIANCUT)
    used = np.unique(np.asarray(quantized))
    palette = np.array(quantized.getpalette()[: 3 * 256], dtype=np.uint8).reshape(-1, 3)
    return lightness_order(palette[used])
