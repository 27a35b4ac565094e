"""Colour and value adjustments: levels, brightness/contrast, hue/saturation/lightness, balance.

Adjustments are stored in the document and applied at render time, so the source
pixels are never changed (non-destructive).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, kw_only=True)
class Levels:
    """Photoshop/GIMP Levels, every value 0–1: input black/white point, gamma, output range."""

    in_low: float = 0.0
    in_high: float = 1.0
    gamma: float = 1.0
    out_low: float = 0.0
    out_high: float = 1.0


@dataclass(frozen=True, kw_only=True)
class Adjustments:
    """Non-destructive adjustments of one layer, applied in field order.

    Attributes
    ----------
    levels : Levels or None
    brightness : float
        −1–1, added to each channel.
    contrast : float
        −1–1; channels are stretched about mid-grey by ``1 + contrast``.
    hue : float
        Degrees, −180–180, rotation of the HSL hue.
    saturation : float
        −1–1; HSL saturation is multiplied by ``1 + saturation``.
    lightness : float
        −1–1; towards white (positive) or black (negative), as GIMP's Hue-Saturation.
    color_balance : tuple of 3 floats
        −1–1 each, added to red, green and blue (cyan–red, magenta–green, yellow–blue).
    """

    levels: Levels | None = None
    brightness: float = 0.0
    contrast: float = 0.0
    hue: float = 0.0
    saturation: float = 0.0
    lightness: float = 0.0
    color_balance: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def is_identity(self) -> bool:
        return self == Adjustments() or self == Adjustments(levels=Levels())


def apply_levels(rgb: np.ndarray, levels: Levels) -> np.ndarray:
    """Levels: ``out_low + (out_high − out_low) · clip((c − in_low)/(in_high − in_low))^(1/gamma)``.

    Parameters
    ----------
    rgb : (..., 3) float32 ndarray, straight colour 0–1
    levels : Levels

    Returns
    -------
    out : (..., 3) float32 ndarray, 0–1
    """
    span = max(levels.in_high - levels.in_low, 1e-6)
    x = np.clip((rgb - np.float32(levels.in_low)) / np.float32(span), 0, 1)
    if levels.gamma != 1.0:
        x = x ** np.float32(1 / levels.gamma)
    return (levels.out_low + (levels.out_high - levels.out_low) * x).astype(np.float32)


def rgb2hsl(rgb: np.ndarray) -> np.ndarray:
    """Straight RGB 0–1 → HSL with hue in 0–1 (turns), saturation and lightness 0–1."""
    mx = rgb.max(axis=-1)
    mn = rgb.min(axis=-1)
    light = (mx + mn) / 2
    d = mx - mn
    with np.errstate(divide="ignore", invalid="ignore"):
        sat = np.where(d == 0, 0, d / (1 - np.abs(2 * light - 1)))
        r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
        h = np.where(
            mx == r, ((g - b) / d) % 6, np.where(mx == g, (b - r) / d + 2, (r - g) / d + 4)
        )
    h = np.where(d == 0, 0, h) / 6
    return np.stack([h, np.nan_to_num(sat), light], axis=-1).astype(np.float32)


def hsl2rgb(hsl: np.ndarray) -> np.ndarray:
    """HSL (hue in turns 0–1, saturation and lightness 0–1) → straight RGB 0–1."""
    h, s, light = hsl[..., 0], hsl[..., 1], hsl[..., 2]
    c = (1 - np.abs(2 * light - 1)) * s
    out = []
    for n in (0, 8, 4):  # the closed form f(n) = L − a·max(−1, min(k−3, 9−k, 1))
        k = (n + h * 12) % 12
        out.append(light - c / 2 * np.maximum(-1, np.minimum(np.minimum(k - 3, 9 - k), 1)))
    return np.stack(out, axis=-1).astype(np.float32)


def adjust(rgba: np.ndarray, adjustments: Adjustments) -> np.ndarray:
    """Apply ``adjustments`` to the colour of a straight-alpha image; alpha is unchanged.

    Parameters
    ----------
    rgba : (H, W, 4) float32 ndarray
        Straight (not premultiplied) sRGB and alpha, 0–1.
    adjustments : Adjustments

    Returns
    -------
    out : (H, W, 4) float32 ndarray, 0–1

    Examples
    --------
    >>> px = np.array([[[0.5, 0.25, 0.0, 1.0]]], np.float32)
    >>> adjust(px, Adjustments(brightness=0.25))[0, 0].tolist()
    [0.75, 0.5, 0.25, 1.0]
    """
    a = adjustments
    rgb = rgba[..., :3].astype(np.float32)
    if a.levels is not None and a.levels != Levels():
        rgb = apply_levels(rgb, a.levels)
    if a.brightness:
        rgb = rgb + np.float32(a.brightness)
    if a.contrast:
        rgb = (rgb - 0.5) * np.float32(1 + a.contrast) + 0.5
    if a.hue or a.saturation or a.lightness:
        hsl = rgb2hsl(np.clip(rgb, 0, 1))
        hsl[..., 0] = (hsl[..., 0] + a.hue / 360.0) % 1.0
        hsl[..., 1] = np.clip(hsl[..., 1] * (1 + a.saturation), 0, 1)
        rgb = hsl2rgb(hsl)
        if a.lightness > 0:
            rgb = rgb + (1 - rgb) * np.float32(a.lightness)
        elif a.lightness < 0:
            rgb = rgb * np.float32(1 + a.lightness)
    if any(a.color_balance):
        rgb = rgb + np.asarray(a.color_balance, dtype=np.float32)
    out = np.empty(rgba.shape, dtype=np.float32)
    out[..., :3] = np.clip(rgb, 0, 1)
    out[..., 3] = rgba[..., 3]
    return out
