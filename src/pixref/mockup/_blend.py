"""Blend modes and source-over compositing, as W3C Compositing and Blending Level 1 defines them.

https://www.w3.org/TR/compositing-1/ — section 5.8 (general formula), 10.1–10.2 (modes).
Painting apps (Krita, GIMP, Photoshop, Clip Studio Paint) use the same formulas for
these modes; Photoshop's soft light differs slightly from the W3C one (PS uses its own
curve), and ``add`` is Photoshop's "Linear Dodge (Add)": ``min(1, Cb + Cs)``.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np


class BlendMode(StrEnum):
    """Blend modes; the value is the stored and CLI spelling."""

    normal = "normal"
    multiply = "multiply"
    screen = "screen"
    overlay = "overlay"
    darken = "darken"
    lighten = "lighten"
    color_dodge = "color_dodge"
    color_burn = "color_burn"
    hard_light = "hard_light"
    soft_light = "soft_light"
    difference = "difference"
    add = "add"
    hue = "hue"
    saturation = "saturation"
    color = "color"
    luminosity = "luminosity"


def parse_blend_mode(name: str) -> BlendMode:
    """``"Color-Dodge"``, ``"color dodge"`` or ``"color_dodge"`` → `BlendMode.color_dodge`."""
    key = "_".join(str(name).strip().lower().replace("-", " ").split())
    try:
        return BlendMode(key)
    except ValueError:
        raise ValueError(
            f"unknown blend mode {name!r}; use one of {', '.join(m.value for m in BlendMode)}"
        ) from None


# --------------------------------------------------------------- separable B(Cb, Cs)


def _hard_light(cb, cs):
    return np.where(cs <= 0.5, cb * (2 * cs), _screen(cb, 2 * cs - 1))


def _screen(cb, cs):
    return cb + cs - cb * cs


def _color_dodge(cb, cs):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.minimum(1, cb / (1 - cs))
    return np.where(cb == 0, 0, np.where(cs >= 1, 1, out))


def _color_burn(cb, cs):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1 - np.minimum(1, (1 - cb) / cs)
    return np.where(cb >= 1, 1, np.where(cs <= 0, 0, out))


def _soft_light(cb, cs):
    d = np.where(cb <= 0.25, ((16 * cb - 12) * cb + 4) * cb, np.sqrt(cb))
    return np.where(cs <= 0.5, cb - (1 - 2 * cs) * cb * (1 - cb), cb + (2 * cs - 1) * (d - cb))


_SEPARABLE = {
    BlendMode.multiply: lambda cb, cs: cb * cs,
    BlendMode.screen: _screen,
    BlendMode.overlay: lambda cb, cs: _hard_light(cs, cb),
    BlendMode.darken: np.minimum,
    BlendMode.lighten: np.maximum,
    BlendMode.color_dodge: _color_dodge,
    BlendMode.color_burn: _color_burn,
    BlendMode.hard_light: _hard_light,
    BlendMode.soft_light: _soft_light,
    BlendMode.difference: lambda cb, cs: np.abs(cb - cs),
    BlendMode.add: lambda cb, cs: np.minimum(1, cb + cs),
}

# ----------------------------------------------------------- non-separable (W3C 10.2)


def _lum(c):
    return 0.3 * c[..., 0:1] + 0.59 * c[..., 1:2] + 0.11 * c[..., 2:3]


def _clip_color(c):
    lum = _lum(c)
    n = c.min(axis=-1, keepdims=True)
    x = c.max(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(n < 0, lum + (c - lum) * lum / (lum - n), c)
        c = np.where(x > 1, lum + (c - lum) * (1 - lum) / (x - lum), c)
    return c


def _set_lum(c, lum):
    return _clip_color(c + (lum - _lum(c)))


def _sat(c):
    return c.max(axis=-1, keepdims=True) - c.min(axis=-1, keepdims=True)


def _set_sat(c, s):
    # W3C SetSat maps Cmax→s, Cmid→(Cmid−Cmin)·s/(Cmax−Cmin), Cmin→0; per channel that
    # is (C−Cmin)·s/(Cmax−Cmin), which also covers ties.
    n = c.min(axis=-1, keepdims=True)
    span = c.max(axis=-1, keepdims=True) - n
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(span > 0, (c - n) * s / span, 0)


_NON_SEPARABLE = {
    BlendMode.hue: lambda cb, cs: _set_lum(_set_sat(cs, _sat(cb)), _lum(cb)),
    BlendMode.saturation: lambda cb, cs: _set_lum(_set_sat(cb, _sat(cs)), _lum(cb)),
    BlendMode.color: lambda cb, cs: _set_lum(cs, _lum(cb)),
    BlendMode.luminosity: lambda cb, cs: _set_lum(cb, _lum(cs)),
}


def blend_colors(backdrop: np.ndarray, source: np.ndarray, *, mode: str) -> np.ndarray:
    """The W3C mixing function B(Cb, Cs) on straight (non-premultiplied) colours.

    Parameters
    ----------
    backdrop, source : (..., 3) float ndarray
        Straight sRGB colours, 0–1.
    mode : BlendMode or str
        Any `BlendMode`.

    Returns
    -------
    mixed : (..., 3) float32 ndarray, 0–1

    Examples
    --------
    >>> b = np.array([0.5, 0.5, 0.5]); s = np.array([0.5, 0.25, 1.0])
    >>> blend_colors(b, s, mode="multiply").tolist()
    [0.25, 0.125, 0.5]
    """
    mode = BlendMode(mode)
    cb = np.asarray(backdrop, dtype=np.float32)
    cs = np.asarray(source, dtype=np.float32)
    if mode is BlendMode.normal:
        return cs.copy()
    if mode in _SEPARABLE:
        return np.asarray(_SEPARABLE[mode](cb, cs), dtype=np.float32)
    # ClipColor keeps the result in gamut up to float rounding; clip that rounding away.
    return np.clip(_NON_SEPARABLE[mode](cb, cs), 0, 1).astype(np.float32)


def composite_into(
    backdrop: np.ndarray, source: np.ndarray, *, mode: str = "normal", opacity: float = 1.0
) -> None:
    """Blend ``source`` over ``backdrop`` in place (W3C 5.8: blending, then source-over).

    ``Co = cs·(1 − ab) + cb·(1 − as) + as·ab·B(Cb, Cs)``, ``ao = as + ab·(1 − as)``,
    with ``cs``/``cb`` premultiplied and ``Cs``/``Cb`` straight.

    Parameters
    ----------
    backdrop : (H, W, 4) float32 ndarray
        Premultiplied RGBA, 0–1; overwritten with the result.
    source : (H, W, 4) float32 ndarray
        Premultiplied RGBA, 0–1, the same shape; not modified.
    mode : BlendMode or str
    opacity : float
        0–1, multiplied into the source.
    """
    mode = BlendMode(mode)
    cs = source if opacity == 1.0 else source * np.float32(opacity)
    a_s = cs[..., 3:4]
    if mode is BlendMode.normal:
        backdrop *= 1 - a_s
        backdrop += cs
        return
    a_b = backdrop[..., 3:4].copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        straight_b = np.where(a_b > 0, backdrop[..., :3] / a_b, 0)
        straight_s = np.where(a_s > 0, cs[..., :3] / a_s, 0)
    mixed = blend_colors(straight_b, straight_s, mode=mode)
    color = cs[..., :3] * (1 - a_b) + backdrop[..., :3] * (1 - a_s) + (a_s * a_b) * mixed
    backdrop[..., :3] = color
    backdrop[..., 3:4] = a_s + a_b * (1 - a_s)


def blend(
    backdrop: np.ndarray, source: np.ndarray, *, mode: str = "normal", opacity: float = 1.0
) -> np.ndarray:
    """Blend ``source`` over ``backdrop``; a new array (see `composite_into`).

    Parameters
    ----------
    backdrop, source : (H, W, 4) float32 ndarray
        Premultiplied RGBA, 0–1, the same shape.
    mode : BlendMode or str
        One of `BlendMode` (normal, multiply, screen, overlay, darken, lighten,
        color_dodge, color_burn, hard_light, soft_light, difference, add, hue,
        saturation, color, luminosity).
    opacity : float
        0–1, multiplied into the source's alpha.

    Returns
    -------
    out : (H, W, 4) float32 ndarray
        Premultiplied RGBA, 0–1.
    """
    backdrop = np.asarray(backdrop, dtype=np.float32)
    source = np.asarray(source, dtype=np.float32)
    if backdrop.shape != source.shape or backdrop.shape[-1:] != (4,):
        raise ValueError(
            f"`backdrop` and `source` must be the same (H, W, 4) shape, got "
            f"{backdrop.shape} and {source.shape}"
        )
    out = backdrop.copy()
    composite_into(out, source, mode=mode, opacity=opacity)
    return out
