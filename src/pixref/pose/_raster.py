"""Raster primitives with OpenCV's geometry, so pose images match the ControlNet annotator.

The annotator draws with ``cv2.ellipse2Poly``, ``cv2.fillConvexPoly``, ``cv2.circle``
and ``cv2.line``. pixref does not depend on OpenCV: the ellipse outline and the filled
circle follow OpenCV's integer algorithms (``drawing.cpp``); polygons and thick lines are
filled row by row with rounded edge crossings, whose edge pixels can differ from
OpenCV's fixed-point edge walk by one pixel.
All functions draw in place on an ``(H, W, 3)`` uint8 array and clip at its borders.
"""

from __future__ import annotations

import math

import numpy as np


def ellipse_polygon(
    center: tuple[int, int], axes: tuple[int, int], angle: int, *, delta: int = 1
) -> list[tuple[int, int]]:
    """Vertices of a whole rotated ellipse, as ``cv2.ellipse2Poly`` from 0 to 360 degrees.

    Parameters
    ----------
    center : (int, int)
        x, y in pixels.
    axes : (int, int)
        Half-lengths along the ellipse's own x and y axes, in pixels.
    angle : int
        Rotation in degrees, clockwise in image coordinates (y down).
    delta : int
        Angle step between vertices, in degrees.
    """
    rad = math.radians(angle % 360)
    alpha, beta = math.cos(rad), math.sin(rad)
    points: list[tuple[int, int]] = []
    for i in range(0, 361, delta):
        t = math.radians(i)
        x, y = axes[0] * math.cos(t), axes[1] * math.sin(t)
        point = (
            _round(center[0] + x * alpha - y * beta),
            _round(center[1] + x * beta + y * alpha),
        )
        # OpenCV drops a vertex equal to the previous one.
        if not points or points[-1] != point:
            points.append(point)
    return points


def _round(value: float) -> int:
    # cvRound rounds half to even, as Python's round does.
    return round(value)


def fill_polygon(canvas: np.ndarray, points, color) -> None:
    """Fill a convex polygon in place; vertices are x, y pixel positions (floats allowed).

    Each row whose centre lies within the polygon's height is filled between its left
    and right edge crossings, rounded to the nearest pixel and inclusive, so the
    outline belongs to the shape as in OpenCV's ``fillConvexPoly``.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    height, width = canvas.shape[:2]
    top, bottom = max(math.ceil(pts[:, 1].min()), 0), min(math.floor(pts[:, 1].max()), height - 1)
    if top > bottom:
        return
    rows = np.arange(top, bottom + 1, dtype=np.float64)
    left, right = np.full(rows.shape, np.inf), np.full(rows.shape, -np.inf)
    for (xa, ya), (xb, yb) in zip(pts, np.roll(pts, -1, axis=0), strict=True):
        if ya == yb:  # a horizontal edge crosses only its own row
            on = rows == ya
            left[on] = np.minimum(left[on], min(xa, xb))
            right[on] = np.maximum(right[on], max(xa, xb))
            continue
        t = (rows - ya) / (yb - ya)
        on = (t >= 0) & (t <= 1)
        x = xa + t[on] * (xb - xa)
        left[on] = np.minimum(left[on], x)
        right[on] = np.maximum(right[on], x)
    for row, lo, hi in zip(rows.astype(int), left, right, strict=True):
        if lo <= hi:
            _hline(canvas, int(row), math.floor(lo + 0.5), math.floor(hi + 0.5), color)


def fill_circle(canvas: np.ndarray, center: tuple[int, int], radius: int, color) -> None:
    """A filled circle, as ``cv2.circle(canvas, center, radius, color, thickness=-1)``.

    Follows OpenCV's integer midpoint algorithm for 8-connected filled circles, which
    fills whole rows: radius 4 spans 9 pixels on its middle row and 1 at its top.
    """
    cx, cy = center
    half_widths = _circle_rows(radius)
    for dy, half in half_widths.items():
        for y in {cy - dy, cy + dy}:
            _hline(canvas, y, cx - half, cx + half, color)


def _circle_rows(radius: int) -> dict[int, int]:
    # Row offset -> half width, from OpenCV's Circle(): err/plus/minus stepping.
    rows: dict[int, int] = {}
    err, dx, dy, plus, minus = 0, radius, 0, 1, 2 * radius - 1
    while dx >= dy:
        rows[dy] = max(rows.get(dy, 0), dx)
        rows[dx] = max(rows.get(dx, 0), dy)
        dy += 1
        err += plus
        plus += 2
        if err > 0:
            err -= minus
            dx -= 1
            minus -= 2
    return rows


def _hline(canvas: np.ndarray, y: int, x0: int, x1: int, color) -> None:
    height, width = canvas.shape[:2]
    if 0 <= y < height:
        x0, x1 = max(x0, 0), min(x1, width - 1)
        if x0 <= x1:
            canvas[y, x0 : x1 + 1] = color


def thick_line(
    canvas: np.ndarray, p0: tuple[int, int], p1: tuple[int, int], color, *, thickness: int
) -> None:
    """A line ``thickness`` pixels wide with round caps, like ``cv2.line(..., thickness)``."""
    (x0, y0), (x1, y1) = p0, p1
    length = math.hypot(x1 - x0, y1 - y0)
    half = thickness / 2
    if length > 0:
        # The rectangle around the segment; OpenCV adds round caps at both ends.
        nx, ny = -(y1 - y0) / length * half, (x1 - x0) / length * half
        corners = [(x0 + nx, y0 + ny), (x1 + nx, y1 + ny), (x1 - nx, y1 - ny), (x0 - nx, y0 - ny)]
        fill_polygon(canvas, corners, color)
    cap = thickness // 2
    fill_circle(canvas, p0, cap, color)
    fill_circle(canvas, p1, cap, color)
