"""Shared steps of the palette extractors: unique colours with counts, lightness order."""

from __future__ import annotations

import numpy as np

from pixref.pixel._color import rgb8_to_oklab

#: Above this many distinct colours, colours are first pooled into 32³ bins (bin means,
#: weighted by count): k-means on the pooled set is as good and its cost stays bounded.
MAX_DISTINCT = 32768


def unique_colors(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct colours of ``(N, 3)`` uint8 pixels and how often each occurs."""
    keys = (pixels[:, 0].astype(np.int32) << 16) | (pixels[:, 1].astype(np.int32) << 8)
    keys |= pixels[:, 2]
    uniq, counts = np.unique(keys, return_counts=True)
    colors = np.stack([(uniq >> 16) & 255, (uniq >> 8) & 255, uniq & 255], axis=1)
    return colors.astype(np.uint8), counts


def pooled_colors(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Like `unique_colors`, pooled into 32³ bins when there are too many colours.

    Returns float32 colours (bin means, 0–255) and their counts.
    """
    colors, counts = unique_colors(pixels)
    if len(colors) <= MAX_DISTINCT:
        return colors.astype(np.float32), counts
    bins = (colors >> 3).astype(np.int32)
    key = (bins[:, 0] << 10) | (bins[:, 1] << 5) | bins[:, 2]
    _, inverse = np.unique(key, return_inverse=True)
    weight = np.bincount(inverse, weights=counts)
    means = np.stack(
        [np.bincount(inverse, weights=colors[:, c] * counts) / weight for c in range(3)], axis=1
    )
    return means.astype(np.float32), weight


def lightness_order(colors: np.ndarray) -> np.ndarray:
    """``(K, 3)`` uint8 colours, distinct, sorted dark → light by OKLab lightness."""
    colors, _ = unique_colors(colors)
    lab = rgb8_to_oklab(colors)
    return colors[np.lexsort((lab[:, 2], lab[:, 1], lab[:, 0]))]
