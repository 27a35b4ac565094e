"""Layer placement: position, scale, rotation, flip and four-corner perspective as one homography,
resampled into the layer's canvas bounding box by OpenCV's ``warpPerspective`` (the `mockup`
extra; about 3x Pillow's speed on one core) or, without it, Pillow's ``Image.transform``.

Coordinates are continuous pixels: pixel (row r, col c) covers [c, c+1) × [r, r+1), which is
Pillow's convention, so the identity transform reproduces the source exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from PIL import Image


class Resample(StrEnum):
    """Resampling filters Pillow's ``transform`` supports."""

    nearest = "nearest"
    bilinear = "bilinear"
    bicubic = "bicubic"


_PIL_FILTER = {
    Resample.nearest: Image.Resampling.NEAREST,
    Resample.bilinear: Image.Resampling.BILINEAR,
    Resample.bicubic: Image.Resampling.BICUBIC,
}


@dataclass(frozen=True, kw_only=True)
class Transform:
    """Where a layer's source lands on the canvas.

    Attributes
    ----------
    x, y : float
        Canvas pixels of the scaled source's top-left corner before rotation.
    scale : (float, float)
        Horizontal and vertical factors (> 0).
    rotate : float
        Degrees clockwise on screen, about the centre of the scaled source.
    flip_x, flip_y : bool
        Mirror the source left–right / top–bottom first.
    perspective : four (x, y) or None
        Canvas positions of the source's top-left, top-right, bottom-right and
        bottom-left corners; when set it replaces ``x``, ``y``, ``scale`` and ``rotate``.
    """

    x: float = 0.0
    y: float = 0.0
    scale: tuple[float, float] = (1.0, 1.0)
    rotate: float = 0.0
    flip_x: bool = False
    flip_y: bool = False
    perspective: tuple[tuple[float, float], ...] | None = None

    @property
    def is_integer_shift(self) -> bool:
        return (
            self.perspective is None
            and self.scale == (1.0, 1.0)
            and self.rotate % 360 == 0
            and float(self.x).is_integer()
            and float(self.y).is_integer()
        )


def _solve_perspective(src, dst) -> np.ndarray:
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    try:
        h = np.linalg.solve(np.array(rows, float), np.array(rhs, float))
    except np.linalg.LinAlgError:
        raise ValueError("the four perspective corners are degenerate (three in a line?)") from None
    return np.append(h, 1.0).reshape(3, 3)


def homography(transform: Transform, size: tuple[int, int]) -> np.ndarray:
    """The 3×3 matrix taking source pixel coordinates (x, y, 1) to canvas coordinates.

    Parameters
    ----------
    transform : Transform
    size : (width, height)
        The source's size in pixels.

    Returns
    -------
    h : (3, 3) float64 ndarray
    """
    w, h = size
    flip = np.diag([-1.0 if transform.flip_x else 1.0, -1.0 if transform.flip_y else 1.0, 1.0])
    flip[0, 2] = w if transform.flip_x else 0.0
    flip[1, 2] = h if transform.flip_y else 0.0
    if transform.perspective is not None:
        corners = [(0, 0), (w, 0), (w, h), (0, h)]
        return _solve_perspective(corners, transform.perspective) @ flip
    sx, sy = transform.scale
    cx, cy = w * sx / 2, h * sy / 2
    t = math.radians(transform.rotate)
    # Snap float noise (sin 180° = 1.2e-16) so quarter turns land exactly on pixels.
    cos, sin = (0.0 if abs(v) < 1e-12 else v for v in (math.cos(t), math.sin(t)))
    # Translate to (x, y) · rotate about the scaled centre · scale · flip.
    rot = np.array(
        [
            [cos, -sin, cx - cos * cx + sin * cy],
            [sin, cos, cy - sin * cx - cos * cy],
            [0.0, 0.0, 1.0],
        ]
    )
    move = np.array([[1.0, 0.0, transform.x], [0.0, 1.0, transform.y], [0.0, 0.0, 1.0]])
    return move @ rot @ np.diag([sx, sy, 1.0]) @ flip


def canvas_box(matrix: np.ndarray, size: tuple[int, int], canvas: tuple[int, int]):
    """(left, top, right, bottom) in canvas pixels covered by the warped source, or None."""
    w, h = size
    corners = np.array([[0, 0, 1], [w, 0, 1], [w, h, 1], [0, h, 1]], float) @ matrix.T
    if np.any(corners[:, 2] <= 0):
        raise ValueError("the perspective puts part of the layer behind the viewer")
    xy = corners[:, :2] / corners[:, 2:3]
    # A hair of tolerance so float noise on an exact edge does not add a pixel.
    left = max(0, math.floor(xy[:, 0].min() + 1e-6))
    top = max(0, math.floor(xy[:, 1].min() + 1e-6))
    right = min(canvas[1], math.ceil(xy[:, 0].max() - 1e-6))
    bottom = min(canvas[0], math.ceil(xy[:, 1].max() - 1e-6))
    if right <= left or bottom <= top:
        return None
    return left, top, right, bottom


def warp(
    image: np.ndarray,
    transform: Transform,
    canvas: tuple[int, int],
    *,
    resample: str = Resample.bicubic,
    mask: np.ndarray | None = None,
):
    """Place a layer source on the canvas.

    Colour is resampled premultiplied (Pillow's ``RGBa``), so transparent pixels do
    not bleed their colour into edges.

    Parameters
    ----------
    image : (H, W, 4) uint8 ndarray
        Straight-alpha sRGB source.
    transform : Transform
    canvas : (rows, cols)
        Canvas size in pixels.
    resample : {'nearest', 'bilinear', 'bicubic'}
    mask : (H, W) uint8 ndarray, optional
        A mask in source pixels, warped the same way.

    Returns
    -------
    placed : tuple (top, left, rgba, mask) or None
        ``rgba`` is ``(h, w, 4)`` uint8 cropped to the part of the canvas the layer
        covers, ``mask`` ``(h, w)`` uint8 or None; None when the layer is off-canvas.
    """
    rows, cols = image.shape[:2]
    if transform.is_integer_shift:
        return _shift(image, transform, canvas, mask)
    matrix = homography(transform, (cols, rows))
    box = canvas_box(matrix, (cols, rows), canvas)
    if box is None:
        return None
    left, top, right, bottom = box
    if transform.perspective is None and transform.rotate % 360 == 0:
        return _resize(image, transform, box, resample, mask)
    # Output pixel (u, v) of the box is canvas (u + left, v + top); Pillow wants the
    # inverse map, normalised so its last coefficient is 1.
    offset = np.array([[1.0, 0.0, left], [0.0, 1.0, top], [0.0, 0.0, 1.0]])
    back = np.linalg.inv(matrix) @ offset
    back = back / back[2, 2]
    size = (right - left, bottom - top)
    out, warped_mask = _warp_box(image, mask, back, size, Resample(resample))
    return top, left, out, warped_mask


def _warp_box(image, mask, back, size, resample):
    """Resample ``image`` (and ``mask``) through ``back`` (box pixel -> source pixel)."""
    src = np.asarray(Image.fromarray(np.ascontiguousarray(image), "RGBA").convert("RGBa"))
    try:
        import cv2
    except ImportError:  # the `mockup` extra brings OpenCV; Pillow is the slower fallback
        return _warp_pillow(src, mask, back, size, resample)
    # OpenCV puts pixel centres on integers, pixref (and Pillow) at +0.5: shift in and out.
    shift = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
    inverse = np.linalg.inv(shift) @ back @ shift
    # OpenCV's SIMD warps are ~3x faster than Pillow's transform on one core.
    flags = _CV2_FILTER[resample](cv2) | cv2.WARP_INVERSE_MAP
    warp = dict(dsize=size, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    out = cv2.warpPerspective(src, inverse, **warp)
    rgba = np.asarray(Image.frombytes("RGBa", size, out.tobytes()).convert("RGBA"))
    warped_mask = None if mask is None else cv2.warpPerspective(mask, inverse, **warp)
    return rgba, warped_mask


_CV2_FILTER = {
    Resample.nearest: lambda cv2: cv2.INTER_NEAREST,
    Resample.bilinear: lambda cv2: cv2.INTER_LINEAR,
    Resample.bicubic: lambda cv2: cv2.INTER_CUBIC,
}


def _warp_pillow(src, mask, back, size, resample):
    coeffs = tuple(back.flatten()[:8])
    flt = _PIL_FILTER[resample]
    image = Image.frombytes("RGBa", (src.shape[1], src.shape[0]), src.tobytes())
    out = image.transform(size, Image.Transform.PERSPECTIVE, coeffs, flt).convert("RGBA")
    warped_mask = None
    if mask is not None:
        m = Image.fromarray(mask, "L").transform(size, Image.Transform.PERSPECTIVE, coeffs, flt)
        warped_mask = np.asarray(m)
    return np.asarray(out), warped_mask


def _resize(image, transform, box, resample, mask):
    """Axis-aligned scaling through Pillow's separable ``resize`` (several times faster
    than ``transform``, and antialiased when shrinking), with the same pixel mapping."""
    if transform.flip_x:
        image = image[:, ::-1]
        mask = None if mask is None else mask[:, ::-1]
    if transform.flip_y:
        image = image[::-1]
        mask = None if mask is None else mask[::-1]
    left, top, right, bottom = box
    sx, sy = transform.scale
    # resize() wants its source box inside the image: pad with clear pixels, which is
    # what transform() samples outside the source too.
    pad = math.ceil(3 / min(sx, sy, 1.0)) + 1
    src_box = (
        (left - transform.x) / sx + pad,
        (top - transform.y) / sy + pad,
        (right - transform.x) / sx + pad,
        (bottom - transform.y) / sy + pad,
    )
    size = (right - left, bottom - top)
    flt = _PIL_FILTER[Resample(resample)]
    padded = np.pad(image, ((pad, pad), (pad, pad), (0, 0)))
    src = Image.fromarray(padded, "RGBA").convert("RGBa")
    out = np.asarray(src.resize(size, flt, box=src_box).convert("RGBA"))
    warped_mask = None
    if mask is not None:
        m = Image.fromarray(np.pad(mask, pad), "L")
        warped_mask = np.asarray(m.resize(size, flt, box=src_box))
    return top, left, out, warped_mask


def _shift(image, transform, canvas, mask):
    if transform.flip_x:
        image = image[:, ::-1]
        mask = None if mask is None else mask[:, ::-1]
    if transform.flip_y:
        image = image[::-1]
        mask = None if mask is None else mask[::-1]
    x, y = int(transform.x), int(transform.y)
    rows, cols = image.shape[:2]
    top, left = max(0, y), max(0, x)
    bottom, right = min(canvas[0], y + rows), min(canvas[1], x + cols)
    if bottom <= top or right <= left:
        return None
    crop = (slice(top - y, bottom - y), slice(left - x, right - x))
    m = None if mask is None else np.ascontiguousarray(mask[crop])
    out = image[crop]
    if out.strides[:2] != (0, 0):  # a solid colour stays a broadcast view: no copy
        out = np.ascontiguousarray(out)
    return top, left, out, m
