"""Layer masks: shapes (rectangle, ellipse, polygon/lasso, brush stroke) and images, feathered,
inverted and combined in order. Mask coordinates are the layer source's own pixels, so a
mask moves, scales and warps with its layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from pixref.mockup._convert import to_float01


class MaskShape(StrEnum):
    """What one mask item draws."""

    rect = "rect"
    ellipse = "ellipse"
    polygon = "polygon"
    stroke = "stroke"
    image = "image"


class MaskOp(StrEnum):
    """How a mask item combines with the items before it."""

    add = "add"  # union: max
    subtract = "subtract"  # min(m, 1 − item)
    intersect = "intersect"  # min(m, item)


@dataclass(frozen=True, kw_only=True)
class MaskItem:
    """One mask item.

    Attributes
    ----------
    shape : MaskShape
    points : tuple of (x, y)
        Source pixels (x = column, y = row). ``rect``/``ellipse``: two opposite corners;
        ``polygon``: three or more vertices; ``stroke``: the brush path (one or more).
    width : float
        Brush diameter in pixels (``stroke`` only).
    image : str or None
        ``image`` only: a path (relative to the document) to a greyscale or alpha image,
        stretched to the source's size; white/opaque = visible.
    feather : float
        Gaussian blur standard deviation in pixels; 0 = hard edge.
    invert : bool
    op : MaskOp
    """

    shape: MaskShape
    points: tuple[tuple[float, float], ...] = ()
    width: float = 16.0
    image: str | None = None
    feather: float = 0.0
    invert: bool = False
    op: MaskOp = MaskOp.add


def rasterize_item(
    item: MaskItem, shape: tuple[int, int], *, image: np.ndarray | None = None
) -> np.ndarray:
    """One mask item as coverage.

    Parameters
    ----------
    item : MaskItem
    shape : (rows, cols)
        The layer source's size in pixels.
    image : (H, W) uint8 ndarray, optional
        The loaded mask image for ``image`` items (255 = visible).

    Returns
    -------
    coverage : (rows, cols) float32 ndarray, 0–1
    """
    rows, cols = shape
    if item.shape is MaskShape.image:
        if image is None:
            raise ValueError("an image mask needs its `image` array")
        canvas = Image.fromarray(image, "L")
        if canvas.size != (cols, rows):
            canvas = canvas.resize((cols, rows), Image.Resampling.BILINEAR)
    else:
        canvas = Image.new("L", (cols, rows), 0)
        draw = ImageDraw.Draw(canvas)
        pts = [(float(x), float(y)) for x, y in item.points]
        if item.shape is MaskShape.rect:
            (x0, y0), (x1, y1) = pts
            draw.rectangle([min(x0, x1), min(y0, y1), max(x0, x1) - 1, max(y0, y1) - 1], fill=255)
        elif item.shape is MaskShape.ellipse:
            (x0, y0), (x1, y1) = pts
            draw.ellipse([min(x0, x1), min(y0, y1), max(x0, x1) - 1, max(y0, y1) - 1], fill=255)
        elif item.shape is MaskShape.polygon:
            draw.polygon(pts, fill=255)
        else:  # stroke: a round brush along the path
            r = item.width / 2
            if len(pts) > 1:
                draw.line(pts, fill=255, width=max(1, round(item.width)), joint="curve")
            for x, y in pts:
                draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
    if item.feather > 0:
        canvas = canvas.filter(ImageFilter.GaussianBlur(item.feather))
    coverage = to_float01(np.asarray(canvas))
    return 1 - coverage if item.invert else coverage


def rasterize_mask(
    items: tuple[MaskItem, ...],
    shape: tuple[int, int],
    *,
    images: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray | None:
    """Combine mask items in order; None when there are none (the layer is fully visible).

    Starts from nothing visible when the first item adds, otherwise from everything.

    Parameters
    ----------
    items : tuple of MaskItem
    shape : (rows, cols)
        The layer source's size in pixels.
    images : mapping of str to (H, W) uint8 ndarray, optional
        Loaded mask images, keyed by `MaskItem.image`.

    Returns
    -------
    mask : (rows, cols) float32 ndarray, 0–1, or None
    """
    if not items:
        return None
    mask = np.full(shape, 0.0 if items[0].op is MaskOp.add else 1.0, dtype=np.float32)
    for item in items:
        img = images.get(item.image) if (images and item.image) else None
        cov = rasterize_item(item, shape, image=img)
        if item.op is MaskOp.add:
            np.maximum(mask, cov, out=mask)
        elif item.op is MaskOp.subtract:
            np.minimum(mask, 1 - cov, out=mask)
        else:
            np.minimum(mask, cov, out=mask)
    return mask
