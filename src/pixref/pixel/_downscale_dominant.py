"""Downscale to each cell's dominant colour (k-centroid with k = 2)."""

from __future__ import annotations

import numpy as np

from pixref.pixel._cells import by_row_chunks


def downscale_dominant(image: np.ndarray, shape: tuple[int, int], *, iterations: int = 4):
    """Each output pixel is the mean of the larger of two colour clusters in its cell.

    Astropulse's K-Centroid (as used by PixelOE's ``k_centroid``) runs k-means with
    k = 2 per tile and keeps the dominant cluster; this is the same idea, batched
    over all cells at once in numpy (a per-cell scikit-learn call would take seconds).
    Clusters start at the darkest and brightest pixel of the cell.
    """
    return by_row_chunks(lambda s: _dominant(s, iterations), image, shape)


def _dominant(samples: np.ndarray, iterations: int) -> np.ndarray:
    # (rows, cols, C, n): samples last, so the per-cell reductions run over long rows.
    samples = np.ascontiguousarray(samples.transpose(0, 1, 3, 2))
    samples = samples.astype(np.float32)
    n = samples.shape[3]
    luma = np.einsum("rckn,k->rcn", samples[:, :, :3], np.array([0.299, 0.587, 0.114], "f4"))
    pick = np.stack([luma.argmin(axis=2), luma.argmax(axis=2)], axis=2)  # (r, c, 2)
    centres = np.take_along_axis(samples, pick[:, :, None, :], axis=3)  # (r, c, C, 2)
    total = samples.sum(axis=3)  # (r, c, C)
    for _ in range(iterations):
        # Nearer to centre 1 than centre 0 <=> on centre 1's side of the bisecting plane.
        direction = centres[..., 1] - centres[..., 0]
        midpoint = (centres[..., 1] + centres[..., 0]) / 2
        proj = np.einsum("rckn,rck->rcn", samples, direction)
        second = proj > (midpoint * direction).sum(axis=2, keepdims=True)  # (r, c, n)
        count1 = second.sum(axis=2).astype(np.float32)[..., None]  # (r, c, 1)
        sum1 = np.einsum("rckn,rcn->rck", samples, second.astype(np.float32))
        new = np.stack(
            [(total - sum1) / np.maximum(n - count1, 1), sum1 / np.maximum(count1, 1)], axis=3
        )
        empty = np.stack([count1 == n, count1 == 0], axis=3)  # (r, c, 1, 2)
        centres = np.where(empty, centres, new)
    dominant = (count1[..., 0] > n / 2).astype(np.intp)  # (r, c)
    out = np.take_along_axis(centres, dominant[:, :, None, None], axis=3)[..., 0]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
