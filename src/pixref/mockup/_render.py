"""Rendering a `Document`: rasterize each layer (adjust, mask, place), then blend bottom to top.

Pure: the caller passes the loaded source pixels (`pixref.mockup.io.load_sources`).
Export writes the same `Raster`s that rendering blends, so a PSD/ORA flattens to the render.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from pixref.mockup._adjust import adjust
from pixref.mockup._blend import blend_straight_into, composite_into
from pixref.mockup._convert import premul2rgba, rgba2premul, to_float01, to_uint8
from pixref.mockup._document import Document, Group, Layer, color_rgba
from pixref.mockup._errors import MockupError
from pixref.mockup._mask import rasterize_mask
from pixref.mockup._transform import warp


@dataclass(frozen=True)
class Raster:
    """A layer's final pixels on the canvas, cropped to the part it covers.

    Attributes
    ----------
    top, left : int
        Canvas row and column of ``rgba[0, 0]``.
    rgba : (h, w, 4) uint8 ndarray
        Straight-alpha sRGB after adjustments and placement, before the mask.
    mask : (h, w) uint8 ndarray or None
        The placed layer mask, 255 = visible.
    """

    top: int
    left: int
    rgba: np.ndarray
    mask: np.ndarray | None = None

    def masked_rgba(self) -> np.ndarray:
        """``rgba`` with the mask multiplied into alpha (what ORA stores)."""
        if self.mask is None:
            return self.rgba
        out = self.rgba.copy()
        out[..., 3] = to_uint8(to_float01(self.rgba[..., 3]) * to_float01(self.mask))
        return out

    def premul(self) -> np.ndarray:
        """Premultiplied float32 pixels with the mask applied, ``(h, w, 4)``, 0–1."""
        out = rgba2premul(self.rgba)
        if self.mask is not None:
            out *= to_float01(self.mask)[..., None]
        return out


def source_pixels(layer: Layer, sources: Mapping[str, np.ndarray], canvas: tuple[int, int]):
    """The (H, W, 4) uint8 pixels of ``layer``'s source; solid colours are made here."""
    src = layer.source
    if src.color is not None:
        cols, rows = src.size or (canvas[1], canvas[0])
        return np.broadcast_to(np.array(color_rgba(src.color), np.uint8), (rows, cols, 4))
    try:
        return sources[src.key]
    except KeyError:
        raise MockupError(
            f"layer {layer.name!r}: source {src.describe()!r} was not loaded"
        ) from None


def rasterize_layer(
    layer: Layer,
    sources: Mapping[str, np.ndarray],
    canvas: tuple[int, int],
    *,
    resample: str = "bicubic",
    mask_images: Mapping[str, np.ndarray] | None = None,
) -> Raster | None:
    """Adjust, mask and place one layer.

    Parameters
    ----------
    layer : Layer
    sources : mapping of `Source.key` to (H, W, 4) uint8 ndarray
        Loaded straight-alpha sRGB sources (solid colours need no entry).
    canvas : (rows, cols)
    resample : {'nearest', 'bilinear', 'bicubic'}
    mask_images : mapping of str to (H, W) uint8 ndarray, optional
        Loaded mask images keyed by `MaskItem.image`.

    Returns
    -------
    raster : Raster or None
        None when the layer lies entirely off the canvas.
    """
    pixels = source_pixels(layer, sources, canvas)
    if not layer.adjust.is_identity:
        pixels = to_uint8(adjust(to_float01(pixels), layer.adjust))
    mask = rasterize_mask(layer.mask, pixels.shape[:2], images=mask_images)
    mask8 = None if mask is None else to_uint8(mask)
    try:
        placed = warp(pixels, layer.transform, canvas, resample=resample, mask=mask8)
    except ValueError as exc:
        raise MockupError(f"layer {layer.name!r}: {exc}") from None
    return None if placed is None else Raster(*placed)


def rasterize(
    doc: Document,
    sources: Mapping[str, np.ndarray],
    *,
    mask_images: Mapping[str, np.ndarray] | None = None,
) -> dict[str, Raster | None]:
    """Every layer's `Raster`, by layer name (None for layers off the canvas)."""
    canvas = (doc.height, doc.width)
    return {
        layer.name: rasterize_layer(
            layer, sources, canvas, resample=doc.resample, mask_images=mask_images
        )
        for layer in doc.walk()
    }


def _composite(items, rasters, out) -> None:
    for item in items:
        if not item.visible:
            continue
        if isinstance(item, Group):
            inner = _canvas(out.shape)
            _composite(item.layers, rasters, inner)
            composite_into(out, inner, mode=item.blend, opacity=item.opacity)
            continue
        raster = rasters[item.name]
        if raster is not None:
            _composite_raster(out, raster, mode=item.blend, opacity=item.opacity)


#: Rows per strip: keeps every temporary a few MB, so it stays in cache and is reused.
STRIP_ROWS = 64


def _composite_raster(out: np.ndarray, raster: Raster, *, mode, opacity: float) -> None:
    h, w = raster.rgba.shape[:2]
    solid = raster.rgba.strides[:2] == (0, 0)  # a solid colour: one pixel stands for all
    for r0 in range(0, h, STRIP_ROWS):
        r1 = min(h, r0 + STRIP_ROWS)
        rgba = raster.rgba[r0 : r0 + 1, :1] if solid else raster.rgba[r0:r1]
        source = to_float01(rgba)
        alpha = source[..., 3:4].copy()
        if raster.mask is not None:
            alpha = alpha * to_float01(raster.mask[r0:r1, :, None])
        if opacity != 1.0:
            alpha *= np.float32(opacity)
        if not alpha.any():
            continue
        source[..., 3] = 1
        region = out[raster.top + r0 : raster.top + r1, raster.left : raster.left + w]
        blend_straight_into(region, source, alpha, mode=mode)


def _canvas(shape, fill: np.ndarray | float = 0) -> np.ndarray:
    # np.empty + fill rather than np.zeros: zeros comes from calloc, which skips NumPy's
    # transparent-huge-page hint, and faulting in a 4096² float canvas 4 KiB at a time
    # costs more than half a second. Filling with the background at once writes it once.
    out = np.empty(shape, np.float32)
    out[...] = fill
    return out


def composite_rasters(doc: Document, rasters: Mapping[str, Raster | None]) -> np.ndarray:
    """Blend rasterized layers bottom to top over the background.

    Returns
    -------
    premul : (H, W, 4) float32 ndarray
        Premultiplied RGBA, 0–1.
    """
    background = 0.0
    if doc.background is not None:
        background = rgba2premul(np.array([[color_rgba(doc.background)]], np.uint8))
    out = _canvas((doc.height, doc.width, 4), background)
    _composite(doc.layers, rasters, out)
    return out


def render(
    doc: Document,
    sources: Mapping[str, np.ndarray],
    *,
    mask_images: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Flatten a mockup.

    Parameters
    ----------
    doc : Document
    sources : mapping of `Source.key` to (H, W, 4) uint8 ndarray
        From `pixref.mockup.io.load_sources`.
    mask_images : mapping of str to (H, W) uint8 ndarray, optional
        From `pixref.mockup.io.load_mask_images`.

    Returns
    -------
    image : (height, width, 4) uint8 ndarray
        Straight-alpha sRGB.
    """
    rasters = rasterize(doc, sources, mask_images=mask_images)
    return premul2rgba(composite_rasters(doc, rasters))
