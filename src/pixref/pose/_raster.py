"""Raster primitives with OpenCV's geometry, so pose images match the ControlNet annotator.

The annotator draws with ``cv2.ellipse2Poly``, ``cv2.fillConvexPoly``, ``cv2.circle``
and ``cv2.line``. pixref does not depend on OpenCV; these functions follow OpenCV's
integer and 16-bit fixed-point algorithms (``imgproc/src/drawing.cpp``: sine table,
8-connected line iterator, ``Line2``, ``clipLine``, ``FillConvexPoly``, ``Circle``,
``ThickLine``). Checked against opencv-python-headless 5.0 on random shapes: equal
pixel for pixel, except thick lines that leave the canvas, which can differ in a few
pixels (one pixel in the shared test poses).
All functions draw in place on an ``(H, W, 3)`` uint8 array and clip at its borders.
"""

from __future__ import annotations

import math

import numpy as np

# OpenCV's sine table: sin of 0..450 whole degrees to 7 decimals, as float32.
_SIN_TABLE = np.round(np.sin(np.radians(np.arange(451))), 7).astype(np.float32).astype(float)


def ellipse_polygon(
    center: tuple[int, int], axes: tuple[int, int], angle: int, *, delta: int = 1
) -> list[tuple[int, int]]:
    """Vertices of a whole rotated ellipse, as ``cv2.ellipse2Poly`` from 0 to 360 degrees.

    Uses OpenCV's 7-decimal sine table and float32 rotation, so vertices round the
    same way (exact trigonometry moves about one vertex in a hundred ellipses).

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
    angle %= 360
    # float32 like OpenCV's sincos(); widened to double for the products.
    alpha = float(np.float32(_SIN_TABLE[450 - angle]))
    beta = float(np.float32(_SIN_TABLE[angle]))
    points: list[tuple[int, int]] = []
    for i in range(0, 360 + delta, delta):
        t = min(i, 360)
        x, y = axes[0] * _SIN_TABLE[450 - t], axes[1] * _SIN_TABLE[t]
        point = (
            _round(center[0] + x * alpha - y * beta),
            _round(center[1] + x * beta + y * alpha),
        )
        # OpenCV drops a vertex equal to the previous one.
        if not points or points[-1] != point:
            points.append(point)
    if len(points) == 1:
        points.append(points[0])
    return points


def _round(value: float) -> int:
    # cvRound rounds half to even, as Python's round does.
    return round(value)


XY_SHIFT = 16
XY_ONE = 1 << XY_SHIFT


def fill_polygon(canvas: np.ndarray, points, color, *, shift: int = 0) -> None:
    """Fill a convex polygon in place, pixel for pixel as ``cv2.fillConvexPoly`` does.

    Parameters
    ----------
    canvas : ndarray, shape (H, W, 3), uint8
    points : sequence of (int, int)
        Vertices, x then y, in pixels scaled by ``2 ** shift`` (fixed point).
    color : (int, int, int)
    shift : int
        Fractional bits of the vertices (0 for whole pixels).

    Notes
    -----
    OpenCV draws the outline with 8-connected lines, then fills each row between two
    edge walkers stepped in 16-bit fixed point; both are reproduced here because
    rounding the true edge crossings misses some outline pixels of long thin limbs.
    """
    v = [(int(x), int(y)) for x, y in points]
    n = len(v)
    height, width = canvas.shape[:2]
    delta = (1 << shift) >> 1
    previous = v[-1]
    for point in v:
        if shift == 0:
            draw_line(canvas, previous, point, color)
        else:
            _fixed_point_line(canvas, previous, point, color)
        previous = point
    xs, ys = [p[0] for p in v], [p[1] for p in v]
    xmin, xmax = (min(xs) + delta) >> shift, (max(xs) + delta) >> shift
    ymin, ymax = (min(ys) + delta) >> shift, (max(ys) + delta) >> shift
    if n < 3 or xmax < 0 or ymax < 0 or xmin >= width or ymin >= height:
        return
    _scan_fill(canvas, v, ys.index(min(ys)), ymin, min(ymax, height - 1), shift, color)


def _scan_fill(canvas, v, imin, y, ymax, shift, color) -> None:
    # OpenCV's two edge walkers, one going forwards around the polygon, one backwards.
    n, delta, half = len(v), (1 << shift) >> 1, XY_ONE >> 1
    walkers = [[imin, 1, -XY_ONE, 0, y], [imin, n - 1, -XY_ONE, 0, y]]  # idx, di, x, dx, ye
    edges = n
    while True:
        for walker in walkers:
            if y < walker[4]:
                continue
            idx0, di = walker[0], walker[1]
            idx = (idx0 + di) % n
            while edges > 0:
                edges -= 1
                ty = (v[idx][1] + delta) >> shift
                if ty > y:
                    xs = v[idx0][0] << (XY_SHIFT - shift)
                    xe = v[idx][0] << (XY_SHIFT - shift)
                    walker[:] = [idx, di, xs, _cdiv((xe - xs) * 2 + (ty - y), 2 * (ty - y)), ty]
                    break
                idx0, idx = idx, (idx + di) % n
            else:
                edges = -1
        if edges < 0:
            break
        if y >= 0:
            left, right = sorted((walkers[0][2], walkers[1][2]))
            _hline(canvas, y, (left + half) >> XY_SHIFT, (right + half) >> XY_SHIFT, color)
        for walker in walkers:
            walker[2] += walker[3]
        y += 1
        if y > ymax:
            break


def _cdiv(a: int, b: int) -> int:
    # C integer division truncates toward zero; Python's // floors.
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def draw_line(canvas: np.ndarray, p0: tuple[int, int], p1: tuple[int, int], color) -> None:
    """An 8-connected one-pixel line, as OpenCV's ``LineIterator`` steps it."""
    height, width = canvas.shape[:2]
    inside = all(0 <= x < width and 0 <= y < height for x, y in (p0, p1))
    clipped = (p0, p1) if inside else _clip_line(width, height, p0, p1)
    if clipped is None:
        return
    (x0, y0), (x1, y1) = clipped
    if x1 < x0:  # OpenCV walks left to right
        (x0, y0), (x1, y1) = (x1, y1), (x0, y0)
    dx, dy = x1 - x0, y1 - y0
    step_y = 1 if dy >= 0 else -1
    dy = abs(dy)
    steep = dy > dx
    major, minor = (dy, dx) if steep else (dx, dy)
    err = major - 2 * minor
    x, y = x0, y0
    for _ in range(major + 1):
        if 0 <= x < width and 0 <= y < height:
            canvas[y, x] = color
        moved_minor = err < 0
        err += -2 * minor + (2 * major if moved_minor else 0)
        if steep:
            y += step_y
            x += 1 if moved_minor else 0
        else:
            x += 1
            y += step_y if moved_minor else 0


def _clip_line(width: int, height: int, p0, p1):
    """OpenCV's ``clipLine``: the segment's part inside ``width`` x ``height``, or None.

    Clipping first (rather than dropping outside pixels) matters: it moves where the
    line's steps fall, so the visible pixels match OpenCV's.
    """
    right, bottom = width - 1, height - 1
    (x1, y1), (x2, y2) = p0, p1

    def code(x: int, y: int) -> int:
        return (x < 0) + (x > right) * 2 + (y < 0) * 4 + (y > bottom) * 8

    c1, c2 = code(x1, y1), code(x2, y2)
    if (c1 & c2) == 0 and (c1 | c2) != 0:
        if c1 & 12:
            a = 0 if c1 < 8 else bottom
            x1 += int((a - y1) * (x2 - x1) / (y2 - y1))
            y1, c1 = a, (x1 < 0) + (x1 > right) * 2
        if c2 & 12:
            a = 0 if c2 < 8 else bottom
            x2 += int((a - y2) * (x2 - x1) / (y2 - y1))
            y2, c2 = a, (x2 < 0) + (x2 > right) * 2
        if (c1 & c2) == 0 and (c1 | c2) != 0:
            if c1:
                a = 0 if c1 == 1 else right
                y1 += int((a - x1) * (y2 - y1) / (x2 - x1))
                x1, c1 = a, 0
            if c2:
                a = 0 if c2 == 1 else right
                y2 += int((a - x2) * (y2 - y1) / (x2 - x1))
                x2, c2 = a, 0
    return ((x1, y1), (x2, y2)) if (c1 | c2) == 0 else None


def _fixed_point_line(canvas: np.ndarray, p0, p1, color) -> None:
    # OpenCV's Line2: a line between 16-bit fixed-point ends (polygon outlines).
    height, width = canvas.shape[:2]
    clipped = _clip_line(width << XY_SHIFT, height << XY_SHIFT, p0, p1)
    if clipped is None:
        return
    (x0, y0), (x1, y1) = clipped
    dx, dy = x1 - x0, y1 - y0

    def put(x: int, y: int) -> None:
        if 0 <= x < width and 0 <= y < height:
            canvas[y, x] = color

    half = XY_ONE >> 1
    if abs(dx) > abs(dy):
        if dx < 0:
            (x0, y0), (x1, y1), dy = (x1, y1), (x0, y0), -dy
        y_step = _cdiv(dy << XY_SHIFT, abs(dx) | 1)
        count = (x1 - x0) >> XY_SHIFT
        put((x1 + half) >> XY_SHIFT, (y1 + half) >> XY_SHIFT)
        x, y = (x0 + half) >> XY_SHIFT, y0 + half
        for _ in range(count + 1):
            put(x, y >> XY_SHIFT)
            x, y = x + 1, y + y_step
    else:
        if dy < 0:
            (x0, y0), (x1, y1), dx = (x1, y1), (x0, y0), -dx
        x_step = _cdiv(dx << XY_SHIFT, abs(dy) | 1)
        count = (y1 - y0) >> XY_SHIFT
        put((x1 + half) >> XY_SHIFT, (y1 + half) >> XY_SHIFT)
        x, y = x0 + half, (y0 + half) >> XY_SHIFT
        for _ in range(count + 1):
            put(x >> XY_SHIFT, y)
            x, y = x + x_step, y + 1


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
    """A line ``thickness`` (> 1) pixels wide with round caps, as ``cv2.line`` draws it.

    OpenCV's ThickLine: a fixed-point rectangle around the segment, filled as a
    polygon, and a filled circle of radius ``thickness / 2`` (rounded) at each end.
    """
    half = thickness << (XY_SHIFT - 1)  # half the width, in fixed point
    odd = thickness & 1
    a = (p0[0] << XY_SHIFT, p0[1] << XY_SHIFT)
    b = (p1[0] << XY_SHIFT, p1[1] << XY_SHIFT)
    dx, dy = float(p0[0] - p1[0]), float(p1[1] - p0[1])
    length2 = dx * dx + dy * dy
    if length2 > 2.220446049250313e-16:
        r = (half + odd * XY_ONE * 0.5) / math.sqrt(length2)
        ox, oy = _round(dy * r), _round(dx * r)
        corners = [
            (a[0] + ox, a[1] + oy),
            (a[0] - ox, a[1] - oy),
            (b[0] - ox, b[1] - oy),
            (b[0] + ox, b[1] + oy),
        ]
        fill_polygon(canvas, corners, color, shift=XY_SHIFT)
    radius = (half + (XY_ONE >> 1)) >> XY_SHIFT
    fill_circle(canvas, p0, radius, color)
    fill_circle(canvas, p1, radius, color)
