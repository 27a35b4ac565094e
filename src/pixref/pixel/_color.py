"""Range converters and sRGB <-> OKLab / OKLCh.

Hand-written because none of pixref's dependencies (numpy, scipy, Pillow,
scikit-learn) provides OKLab; the matrices are Björn Ottosson's reference values
("A perceptual color space for image processing", 2020).
"""

from __future__ import annotations

import numpy as np

_LMS_FROM_LINEAR = np.array(
    [
        [0.4122214708, 0.5363325363, 0.0514459929],
        [0.2119034982, 0.6806995451, 0.1073969566],
        [0.0883024619, 0.2817188376, 0.6299787005],
    ],
    dtype=np.float32,
)
_LAB_FROM_LMS = np.array(
    [
        [0.2104542553, 0.7936177850, -0.0040720468],
        [1.9779984951, -2.4285922050, 0.4505937099],
        [0.0259040371, 0.7827717662, -0.8086757660],
    ],
    dtype=np.float32,
)
_LMS_FROM_LAB = np.linalg.inv(_LAB_FROM_LMS.astype(np.float64)).astype(np.float32)
_LINEAR_FROM_LMS = np.linalg.inv(_LMS_FROM_LINEAR.astype(np.float64)).astype(np.float32)


def to_float01(image: np.ndarray) -> np.ndarray:
    """Convert uint8 0–255 values to float32 0–1 (any shape)."""
    return np.asarray(image, dtype=np.float32) * np.float32(1 / 255)


def to_uint8(values: np.ndarray) -> np.ndarray:
    """Convert float 0–1 values to uint8 0–255, rounding and clipping (any shape)."""
    return np.clip(np.rint(np.asarray(values) * 255.0), 0, 255).astype(np.uint8)


def _srgb2linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _linear2srgb(lin: np.ndarray) -> np.ndarray:
    lin = np.clip(lin, 0.0, 1.0)
    return np.where(lin <= 0.0031308, lin * 12.92, 1.055 * lin ** (1 / 2.4) - 0.055)


def srgb2oklab(rgb: np.ndarray) -> np.ndarray:
    """Convert sRGB to OKLab.

    Parameters
    ----------
    rgb : (..., 3) float32 array
        sRGB values, 0–1.

    Returns
    -------
    (..., 3) float32 array
        L (0–1), a, b (about −0.4–0.4).

    Examples
    --------
    >>> srgb2oklab(np.array([1.0, 1.0, 1.0], np.float32)).round(3).tolist()
    [1.0, 0.0, 0.0]
    """
    lms = _srgb2linear(np.asarray(rgb, np.float32)) @ _LMS_FROM_LINEAR.T
    return (np.cbrt(lms) @ _LAB_FROM_LMS.T).astype(np.float32)


def oklab2srgb(lab: np.ndarray) -> np.ndarray:
    """Convert OKLab to sRGB, clipping out-of-gamut values.

    Parameters
    ----------
    lab : (..., 3) float32 array
        OKLab values.

    Returns
    -------
    (..., 3) float32 array
        sRGB values, 0–1.
    """
    lms = (np.asarray(lab, np.float32) @ _LMS_FROM_LAB.T) ** 3
    return _linear2srgb(lms @ _LINEAR_FROM_LMS.T).astype(np.float32)


def oklab2oklch(lab: np.ndarray) -> np.ndarray:
    """OKLab (..., 3) → OKLCh (..., 3): lightness, chroma, hue in radians."""
    lab = np.asarray(lab, np.float32)
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    hue = np.arctan2(lab[..., 2], lab[..., 1])
    return np.stack([lab[..., 0], chroma, hue], axis=-1).astype(np.float32)


def oklch2oklab(lch: np.ndarray) -> np.ndarray:
    """OKLCh (..., 3), hue in radians → OKLab (..., 3)."""
    lch = np.asarray(lch, np.float32)
    a = lch[..., 1] * np.cos(lch[..., 2])
    b = lch[..., 1] * np.sin(lch[..., 2])
    return np.stack([lch[..., 0], a, b], axis=-1).astype(np.float32)


def rgb8_to_oklab(colors: np.ndarray) -> np.ndarray:
    """uint8 sRGB colours (..., 3) → OKLab (..., 3) float32."""
    return srgb2oklab(to_float01(colors))


def oklab_to_rgb8(lab: np.ndarray) -> np.ndarray:
    """OKLab (..., 3) → uint8 sRGB colours (..., 3)."""
    return to_uint8(oklab2srgb(lab))
