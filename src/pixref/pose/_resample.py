"""Resizing as the OpenPose annotator's ``smart_resize`` does it, without OpenCV.

The annotator resizes images and network maps with ``cv2.resize``: area averaging
(``INTER_AREA``) when the result is smaller (``(h' + w') / (h + w) < 1``), else
8-tap Lanczos (``INTER_LANCZOS4``). Both are linear and separable, so each axis is a
``(n_out, n_in)`` weight matrix here, with OpenCV's pixel-centre alignment
(``src = (dst + 0.5) * n_in / n_out - 0.5``) and edge pixels repeated beyond the
border. Chained resizes (upsample the network output, crop the padding, resize to
the photo) compose into one matrix per axis.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse


def lanczos4_matrix(n_in: int, n_out: int) -> np.ndarray:
    """OpenCV ``INTER_LANCZOS4`` weights along one axis, ``(n_out, n_in)`` float64.

    >>> lanczos4_matrix(4, 8).sum(axis=1).round(12).tolist() == [1.0] * 8
    True
    """
    scale = n_in / n_out
    src = (np.arange(n_out) + 0.5) * scale - 0.5
    base = np.floor(src).astype(int)
    frac = src - base
    taps = np.arange(-3, 5)  # 8 taps: base - 3 .. base + 4
    dist = frac[:, None] - taps[None, :]
    weights = np.sinc(dist) * np.sinc(dist / 4)
    weights[frac < np.finfo(np.float32).eps] = (taps == 0).astype(float)  # exactly on a pixel
    weights /= weights.sum(axis=1, keepdims=True)
    cols = np.clip(base[:, None] + taps[None, :], 0, n_in - 1)  # edge pixels repeat
    rows = np.repeat(np.arange(n_out), len(taps))
    matrix = np.zeros((n_out, n_in))
    np.add.at(matrix, (rows, cols.ravel()), weights.ravel())
    return matrix


def area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """OpenCV ``INTER_AREA`` weights along one axis (shrinking), ``(n_out, n_in)`` float64.

    Output pixel ``i`` averages source pixels over ``[i * s, (i + 1) * s)``,
    ``s = n_in / n_out``, weighting each by its overlap.

    >>> area_matrix(4, 2).tolist()
    [[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]]
    """
    scale = n_in / n_out
    edges = np.arange(n_in + 1)
    start = np.arange(n_out)[:, None] * scale
    overlap = np.minimum(edges[1:], start + scale) - np.maximum(edges[:-1], start)
    matrix = np.clip(overlap, 0, None)
    return matrix / matrix.sum(axis=1, keepdims=True)


def resize_matrix(n_in: int, n_out: int, *, shrink: bool) -> np.ndarray:
    """Area weights when ``shrink`` (the whole image gets smaller), else Lanczos-4."""
    return area_matrix(n_in, n_out) if shrink else lanczos4_matrix(n_in, n_out)


def is_shrink(shape_in: tuple[int, int], shape_out: tuple[int, int]) -> bool:
    """The annotator's rule: ``(rows' + cols') / (rows + cols) < 1``."""
    return (shape_out[0] + shape_out[1]) / (shape_in[0] + shape_in[1]) < 1


def resize_image(image: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Resize an ``(H, W, C)`` uint8 image to ``(rows, cols, C)`` uint8 (rounded, clipped).

    Parameters
    ----------
    image : ndarray, shape (H, W, C), uint8
    rows, cols : int
        Output size in pixels.
    """
    height, width, channels = image.shape
    shrink = is_shrink((height, width), (rows, cols))
    # Sparse matrices: shrinking a 4000-pixel photo to 184 rows touches ~24 pixels a row.
    along_rows = sparse.csr_matrix(resize_matrix(height, rows, shrink=shrink))
    along_cols = sparse.csr_matrix(resize_matrix(width, cols, shrink=shrink))
    out = along_rows @ image.reshape(height, -1).astype(np.float64)
    out = out.reshape(rows, width, channels).transpose(1, 0, 2).reshape(width, -1)
    out = (along_cols @ out).reshape(cols, rows, channels).transpose(1, 0, 2)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def map_matrices(
    net_shape: tuple[int, int],
    stride: int,
    valid: tuple[int, int],
    out_shape: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis matrices taking network maps to output pixels, as the annotator chains them.

    The maps are upsampled ``stride`` times (Lanczos-4), cropped to the ``valid``
    (unpadded) rows and columns, then resized to ``out_shape``.

    Parameters
    ----------
    net_shape : (int, int)
        Rows and columns of the network's output maps.
    stride : int
        The network's output stride (8).
    valid : (int, int)
        Rows and columns of the network input before padding, in pixels.
    out_shape : (int, int)
        Rows and columns wanted, in pixels.

    Returns
    -------
    along_rows : ndarray, shape (out_shape[0], net_shape[0])
    along_cols : ndarray, shape (out_shape[1], net_shape[1])
    """
    shrink = is_shrink(valid, out_shape)
    matrices = []
    for n_net, n_valid, n_out in zip(net_shape, valid, out_shape, strict=True):
        up = lanczos4_matrix(n_net, n_net * stride)[:n_valid]
        matrices.append(resize_matrix(n_valid, n_out, shrink=shrink) @ up)
    return matrices[0], matrices[1]


def apply_matrices(maps: np.ndarray, along_rows: np.ndarray, along_cols: np.ndarray) -> np.ndarray:
    """Resample ``(C, h, w)`` maps with per-axis matrices to ``(C, H, W)`` float64."""
    return along_rows @ (maps.astype(np.float64) @ along_cols.T)


def scaled_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """``(rows, cols)`` of an image scaled by ``scale``, truncated as the annotator does."""
    return int(height * scale), int(width * scale)


def padded(size: int, stride: int) -> int:
    """``size`` rounded up to a multiple of ``stride``."""
    return math.ceil(size / stride) * stride
