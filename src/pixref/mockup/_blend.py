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


# A fourth weight of 0 lets the same code run on whole RGBA pixels (contiguous, fast),
# where channel 3 is ignored and overwritten by the caller.
_LUM = np.array([0.3, 0.59, 0.11, 0.0], np.float32)


def _lum(c):
    return (c @ _LUM[: c.shape[-1]])[..., None]


def _min3(c):
    return np.minimum(np.minimum(c[..., 0:1], c[..., 1:2]), c[..., 2:3])


def _max3(c):
    return np.maximum(np.maximum(c[..., 0:1], c[..., 1:2]), c[..., 2:3])


def _clip_color(c, lum):
    # W3C ClipColor applies C = L + (C − L)·L/(L − n) when n < 0, then
    # C = L + (C − L)·(1 − L)/(x − L) when x > 1, with n and x taken before either
    # step; both scale C − L, so one per-pixel factor k = k1·k2 does the same.
    n, x = _min3(c), _max3(c)
    if n.min() >= 0 and x.max() <= 1:
        return c
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(n < 0, lum / (lum - n), np.float32(1))
        k *= np.where(x > 1, (1 - lum) / (x - lum), np.float32(1))
    out = c - lum
    out *= k
    out += lum
    return out


def _set_lum(c, lum):
    # Lum(C + d) = Lum(C) + d = lum, so ClipColor gets the luminosity it needs for free.
    return _clip_color(c + (lum - _lum(c)), lum)


def _sat(c):
    return _max3(c) - _min3(c)


def _set_sat(c, s):
    # W3C SetSat maps Cmax→s, Cmid→(Cmid−Cmin)·s/(Cmax−Cmin), Cmin→0; per channel that
    # is (C−Cmin)·s/(Cmax−Cmin), which also covers ties.
    n = _min3(c)
    span = _max3(c) - n
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(span > 0, (c - n) * (s / span), np.float32(0))


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


def blend_straight_into(
    backdrop: np.ndarray, source: np.ndarray, alpha: np.ndarray, *, mode: str = "normal"
) -> None:
    """Blend a straight-colour source over a premultiplied backdrop, in place.

    The W3C formula of `composite_into`, rearranged for layer pixels, which arrive
    straight: with the blended source colour ``Cs' = (1 − ab)·Cs + ab·B(Cb, Cs)`` the
    result is ``co = cb + as·(Cs' − cb)`` and ``ao = ab + as·(1 − ab)``: one update
    ``D += as·(S − D)`` of all four channels with ``S = (Cs', 1)``. Working on whole
    pixels keeps every array contiguous (strided 3-of-4-channel views are several
    times slower); over an opaque backdrop ``Cs' = B(Cb, Cs)`` and nothing is divided.

    Parameters
    ----------
    backdrop : (H, W, 4) float32 ndarray
        Premultiplied RGBA, 0–1; overwritten with the result.
    source : (H, W, 4) float32 ndarray
        Straight colour in channels 0–2; channel 3 must hold 1. Broadcastable
        (a solid colour may be ``(1, 1, 4)``); overwritten when ``mode`` is not normal.
    alpha : (H, W, 1) float32 ndarray
        Source coverage 0–1 (alpha × mask × opacity), broadcastable.
    mode : BlendMode or str
    """
    mode = BlendMode(mode)
    if mode is not BlendMode.normal:
        ab = backdrop[..., 3:4]
        opaque = bool(ab.min() >= 1.0)
        if opaque:
            cb = backdrop
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                cb = np.where(ab > 0, backdrop / ab, np.float32(0))
        cs = np.broadcast_to(source, backdrop.shape)
        if mode in _SEPARABLE:
            mixed = np.asarray(_SEPARABLE[mode](cb, cs), dtype=np.float32)
        else:
            mixed = np.clip(_NON_SEPARABLE[mode](cb, cs), 0, 1).astype(np.float32, copy=False)
        if not opaque:
            mixed -= cs
            mixed *= ab
            mixed += cs
        mixed[..., 3] = 1
        source = mixed
    update = source - backdrop
    update *= alpha
    backdrop += update


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
