"""Range and alpha conversions between uint8 sRGB at the edges and float32 premultiplied inside.

Every range change in the package goes through these named converters.
"""

from __future__ import annotations

import numpy as np


def to_float01(image: np.ndarray) -> np.ndarray:
    """uint8 0–255 → float32 0–1.

    Parameters
    ----------
    image : (...) uint8 ndarray

    Returns
    -------
    out : (...) float32 ndarray, 0–1
    """
    return np.multiply(image, np.float32(1 / 255), dtype=np.float32)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """float 0–1 → uint8 0–255, clipped and rounded to nearest.

    Parameters
    ----------
    image : (...) float ndarray, nominally 0–1

    Returns
    -------
    out : (...) uint8 ndarray

    Examples
    --------
    >>> to_uint8(np.array([0.0, 0.5, 1.2])).tolist()
    [0, 128, 255]
    """
    scaled = np.multiply(image, 255.0, dtype=np.float32)
    np.clip(scaled, 0.0, 255.0, out=scaled)
    np.add(scaled, 0.5, out=scaled)
    return scaled.astype(np.uint8)  # already 0–255: truncation after +0.5 is rounding


def rgba2premul(rgba: np.ndarray) -> np.ndarray:
    """Straight-alpha uint8 RGBA → premultiplied float32 RGBA.

    Parameters
    ----------
    rgba : (H, W, 4) uint8 ndarray
        sRGB, straight (unassociated) alpha, 0–255.

    Returns
    -------
    premul : (H, W, 4) float32 ndarray
        Colour multiplied by alpha, all channels 0–1.
    """
    out = to_float01(rgba)
    out[..., :3] *= out[..., 3:4]
    return out


def premul2rgba(premul: np.ndarray) -> np.ndarray:
    """Premultiplied float RGBA → straight-alpha uint8 RGBA (colour 0 where alpha is 0).

    Parameters
    ----------
    premul : (H, W, 4) float ndarray, 0–1

    Returns
    -------
    rgba : (H, W, 4) uint8 ndarray
    """
    premul = np.asarray(premul, dtype=np.float32)
    out = np.empty(premul.shape, np.uint8)
    # In strips of whole pixels: contiguous temporaries that stay in cache (a 4096² canvas
    # converted in one go spends most of its time faulting in fresh memory).
    for r0 in range(0, premul.shape[0], 64):
        block = premul[r0 : r0 + 64]
        alpha = block[..., 3:4]
        if alpha.min() >= 1.0:  # opaque: premultiplied is straight
            out[r0 : r0 + 64] = to_uint8(block)
            continue
        straight = block / np.where(alpha > 0, alpha, np.float32(1))
        straight[..., 3:4] = alpha
        out[r0 : r0 + 64] = to_uint8(straight)
    return out


def unpremultiply(premul: np.ndarray) -> np.ndarray:
    """Premultiplied float RGBA → straight float RGBA; colour 0 where alpha is 0.

    Parameters
    ----------
    premul : (H, W, 4) float ndarray, 0–1

    Returns
    -------
    straight : (H, W, 4) float32 ndarray, 0–1
    """
    out = np.array(premul, dtype=np.float32, copy=True)
    alpha = out[..., 3:4]
    safe = np.where(alpha > 0, alpha, np.float32(1))
    out[..., :3] /= safe
    np.clip(out, 0.0, 1.0, out=out)
    return out
