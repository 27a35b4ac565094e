"""Colour adjustment in OKLCh: brightness, contrast, saturation, hue, gamma."""

from __future__ import annotations

import math

import numpy as np

from pixref.pixel._color import oklab2oklch, oklab2srgb, oklch2oklab, srgb2oklab, to_float01
from pixref.pixel._color import to_uint8 as _to_uint8


def adjust_colors(
    image: np.ndarray,
    *,
    brightness: float = 0.0,
    contrast: float = 1.0,
    saturation: float = 1.0,
    hue_shift: float = 0.0,
    gamma: float = 1.0,
) -> np.ndarray:
    """Adjust colours perceptually, in OKLCh.

    Lightness L (0–1) becomes ``((L ** (1 / gamma)) - 0.5) * contrast + 0.5 + brightness``;
    chroma is multiplied by ``saturation``; hue is rotated by ``hue_shift`` degrees.
    Alpha is kept as is.

    Parameters
    ----------
    image : (H, W, 3|4) uint8 array
        sRGB(A) image, 0–255.
    brightness : float
        Added to OKLab lightness, −1–1 (0 keeps it).
    contrast : float
        Lightness contrast factor around mid grey (1 keeps it).
    saturation : float
        Chroma factor (0 gives grey, 1 keeps it).
    hue_shift : float
        Hue rotation in degrees.
    gamma : float
        Lightness gamma, > 0 (above 1 brightens mid tones).

    Returns
    -------
    (H, W, 3|4) uint8 array
        The adjusted image; the input itself when every setting is neutral.

    Examples
    --------
    >>> grey = np.full((1, 1, 3), 128, np.uint8)
    >>> adjust_colors(grey, saturation=0.0).tolist()
    [[[128, 128, 128]]]
    """
    if (brightness, contrast, saturation, hue_shift, gamma) == (0.0, 1.0, 1.0, 0.0, 1.0):
        return image
    lch = oklab2oklch(srgb2oklab(to_float01(image[..., :3])))
    lightness = np.clip(lch[..., 0], 0.0, 1.0) ** np.float32(1.0 / gamma)
    lch[..., 0] = (lightness - 0.5) * contrast + 0.5 + brightness
    lch[..., 1] *= saturation
    lch[..., 2] += math.radians(hue_shift)
    out = image.copy()
    out[..., :3] = _to_uint8(oklab2srgb(oklch2oklab(lch)))
    return out
