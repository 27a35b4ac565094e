"""The pixel stage: pixelize references, snap pseudo pixel art to its grid, palettes.

Torch-free (numpy, scipy, Pillow, scikit-learn).

Array contract
--------------
- Images are ``(H, W, 3)`` or ``(H, W, 4)`` uint8 sRGB(A), 0–255, in and out;
  axis 0 is rows, axis 1 columns.
- Float work is float32 0–1 (convert with `to_float01` / `to_uint8`); OKLab is float32.
- Palettes are `Palette` objects holding ``(K, 3)`` uint8 sRGB colours, K ≤ 256.
- Indexed results are `IndexedImage` (``(H, W)`` uint8 indices + palette, index 0
  transparent when there is transparency; no semi-transparency).

Functions are pure and do no file I/O; files are read and written by `pixref.pixel.io`
(images) and `pixref.pixel.palette_io` (palette files).
"""

from pixref.pixel._adjust import adjust_colors
from pixref.pixel._cleanup import remove_isolated_pixels
from pixref.pixel._color import oklab2srgb, srgb2oklab, to_float01, to_uint8
from pixref.pixel._contact_sheet import contact_sheet
from pixref.pixel._dither import DITHERS, Dither, map_to_palette
from pixref.pixel._downscale import DOWNSCALERS, DownscaleMethod, downscale
from pixref.pixel._draw_grid import draw_grid
from pixref.pixel._errors import PaletteError, PixelError
from pixref.pixel._grid_comb import MIN_CONFIDENCE, AxisGrid, Grid, detect_grid
from pixref.pixel._image import MAX_PIXELS
from pixref.pixel._indexed import IndexedImage, to_indexed
from pixref.pixel._merge import merge_similar_colors
from pixref.pixel._outline import expand_outlines
from pixref.pixel._palette import Palette, builtin_palette, builtin_palette_names
from pixref.pixel._pixelize import (
    palettize,
    pixelize,
    pixelize_variants,
    target_shape,
    variant_settings,
    variant_widths,
)
from pixref.pixel._quantize import EXTRACTORS, PaletteMethod, extract_palette
from pixref.pixel._settings import PixelizeSettings
from pixref.pixel._snap import SnapResult, grid_from_pixel_size, snap_to_grid
from pixref.pixel._snap_art import SnappedArt, snap_art

__all__ = [
    "DITHERS",
    "DOWNSCALERS",
    "EXTRACTORS",
    "MAX_PIXELS",
    "MIN_CONFIDENCE",
    "AxisGrid",
    "Dither",
    "DownscaleMethod",
    "Grid",
    "IndexedImage",
    "Palette",
    "PaletteError",
    "PaletteMethod",
    "PixelError",
    "PixelizeSettings",
    "SnapResult",
    "SnappedArt",
    "adjust_colors",
    "builtin_palette",
    "builtin_palette_names",
    "contact_sheet",
    "detect_grid",
    "downscale",
    "draw_grid",
    "expand_outlines",
    "extract_palette",
    "grid_from_pixel_size",
    "map_to_palette",
    "merge_similar_colors",
    "oklab2srgb",
    "palettize",
    "pixelize",
    "pixelize_variants",
    "remove_isolated_pixels",
    "snap_art",
    "snap_to_grid",
    "srgb2oklab",
    "target_shape",
    "to_float01",
    "to_indexed",
    "to_uint8",
    "variant_settings",
    "variant_widths",
]
