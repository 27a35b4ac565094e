"""Palette extraction by k-means in OKLab (deterministic)."""

from __future__ import annotations

import numpy as np

from pixref.pixel._color import oklab_to_rgb8, srgb2oklab
from pixref.pixel._quantize_common import lightness_order, pooled_colors


def palette_kmeans(pixels: np.ndarray, n_colors: int) -> np.ndarray:
    """``n_colors`` k-means centroids of ``(N, 3)`` uint8 pixels, clustered in OKLab.

    Distinct colours are clustered with their counts as weights (same result as
    clustering every pixel, far fewer points); ``random_state=0`` makes the
    k-means++ start, and so the palette, deterministic.

    Returns
    -------
    (K, 3) uint8 array, K <= n_colors, dark → light.
    """
    # Imported here: scikit-learn takes ~0.5 s to import, and it pulls in scipy.stats,
    # which breaks when a caller blocks torch with sys.modules["torch"] = None.
    from sklearn.cluster import KMeans

    colors, counts = pooled_colors(pixels)
    if len(colors) <= n_colors:
        return lightness_order(np.rint(colors).astype(np.uint8))
    lab = srgb2oklab(colors / 255)
    km = KMeans(n_clusters=n_colors, n_init=1, random_state=0, max_iter=100)
    km.fit(lab, sample_weight=counts)
    return lightness_order(oklab_to_rgb8(km.cluster_centers_.astype(np.float32)))
