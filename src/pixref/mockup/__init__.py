"""Mockups: combine generations, photos and colours into one composed reference.

Torch-free. A `Document` (a canvas plus a stack of layers and groups, stored as a
readable ``.pixmock.json``) renders deterministically, exports to OpenRaster and
layered PSD for Krita, GIMP, MyPaint and Clip Studio Paint, and imports them back.

Array contract: images enter and leave as ``(H, W, 4)`` uint8 straight-alpha sRGB,
0–255 (rows, columns, channels). Compositing works on ``(H, W, 4)`` float32
premultiplied RGBA, 0–1. Ranges change only through `to_float01`, `to_uint8`,
`rgba2premul` and `premul2rgba`. Blend modes follow W3C Compositing and Blending
Level 1.
"""

from pixref.mockup._adjust import Adjustments, Levels, adjust, apply_levels, hsl2rgb, rgb2hsl
from pixref.mockup._blend import BlendMode, blend, blend_colors, composite_into, parse_blend_mode
from pixref.mockup._convert import premul2rgba, rgba2premul, to_float01, to_uint8, unpremultiply
from pixref.mockup._document import (
    VERSION,
    Document,
    Group,
    Layer,
    Source,
    color_rgba,
    document_from_dict,
    document_to_dict,
)
from pixref.mockup._edit import (
    LAYER_KEYS,
    add_layer,
    remove_layer,
    reorder_layer,
    unique_layer_name,
    update_layer,
)
from pixref.mockup._errors import MockupError
from pixref.mockup._mask import MaskItem, MaskOp, MaskShape, rasterize_item, rasterize_mask
from pixref.mockup._render import (
    Raster,
    composite_rasters,
    rasterize,
    rasterize_layer,
    render,
)
from pixref.mockup._transform import Resample, Transform, homography, warp

__all__ = [
    "LAYER_KEYS",
    "VERSION",
    "Adjustments",
    "BlendMode",
    "Document",
    "Group",
    "Layer",
    "Levels",
    "MaskItem",
    "MaskOp",
    "MaskShape",
    "MockupError",
    "Raster",
    "Resample",
    "Source",
    "Transform",
    "add_layer",
    "adjust",
    "apply_levels",
    "blend",
    "blend_colors",
    "color_rgba",
    "composite_into",
    "composite_rasters",
    "document_from_dict",
    "document_to_dict",
    "homography",
    "hsl2rgb",
    "parse_blend_mode",
    "premul2rgba",
    "rasterize",
    "rasterize_item",
    "rasterize_layer",
    "rasterize_mask",
    "remove_layer",
    "render",
    "reorder_layer",
    "rgb2hsl",
    "rgba2premul",
    "to_float01",
    "to_uint8",
    "unique_layer_name",
    "unpremultiply",
    "update_layer",
    "warp",
]
