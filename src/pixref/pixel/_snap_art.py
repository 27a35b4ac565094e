"""``snap_art``: the whole snap pipeline — grid, cells, colour merge, palette — in one call.

`snap_to_grid` recovers one pixel per cell; the CLI and the server then merge
noise-split colours and index the result the same way, so that lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pixref.pixel._errors import PixelError
from pixref.pixel._grid_comb import MIN_CONFIDENCE, Grid
from pixref.pixel._indexed import IndexedImage, to_indexed
from pixref.pixel._merge import merge_similar_colors
from pixref.pixel._palette import Palette
from pixref.pixel._pixelize import palettize
from pixref.pixel._quantize import extract_palette
from pixref.pixel._snap import grid_from_pixel_size, snap_to_grid


@dataclass(frozen=True, eq=False)
class SnappedArt:
    """What `snap_art` made.

    Attributes
    ----------
    art : (rows, cols, 3|4) uint8 array
        One pixel per grid cell, similar colours merged.
    indexed : IndexedImage or None
        ``art`` as an indexed image; None when it has more than 256 colours and
        neither ``colors`` nor ``palette`` was given (write it as truecolour).
    grid : Grid
        The grid used (detected or given); ``grid.confidence`` is 0–1.
    merge : float
        The OKLab merge distance used.
    palette : Palette or None
        The fixed palette mapped onto, if any.
    colors : int or None
        The colour limit asked for, if any.
    """

    art: np.ndarray
    indexed: IndexedImage | None
    grid: Grid
    merge: float
    palette: Palette | None = None
    colors: int | None = None

    def record(self) -> dict[str, Any]:
        """The settings written into the snapped PNG (see `pixel.io.settings_record`)."""
        return {
            "pitch": [self.grid.cols.pitch, self.grid.rows.pitch],
            "offset": [self.grid.cols.offset, self.grid.rows.offset],
            "colors": self.colors,
            "palette": self.palette.hex() if self.palette else None,
            "merge": self.merge,
        }


def snap_art(
    image: np.ndarray,
    *,
    pixel_size: float | None = None,
    offset: tuple[float, float] = (0.0, 0.0),
    colors: int | None = None,
    palette: Palette | None = None,
    merge: float | None = None,
    alpha_threshold: int = 128,
    min_confidence: float = MIN_CONFIDENCE,
) -> SnappedArt:
    """Recover true-resolution pixel art and index it.

    Parameters
    ----------
    image : (H, W, 3|4) uint8 array
        Pseudo pixel art (an upscaled sprite, AI output in pixel style).
    pixel_size : float, optional
        Cell size in source pixels; skips grid detection.
    offset : (float, float)
        With ``pixel_size``: the first cell boundary ``(x, y)`` in pixels.
    colors : int, optional
        Reduce to at most this many colours (k-means in OKLab), 1–256.
    palette : Palette, optional
        Map onto this fixed palette instead.
    merge : float, optional
        Merge colours closer than this OKLab distance; default from the measured
        noise (0 for a clean upscale, so its colours come back exactly).
    alpha_threshold : int
        Alpha at or above this is opaque, 0–255.
    min_confidence : float
        Refuse a detected grid below this confidence (0–1).

    Raises
    ------
    PixelError
        For a bad option, or when no pixel grid is found (give ``pixel_size``).
    """
    if colors is not None and not 1 <= colors <= 256:
        raise PixelError(f"`colors` must be between 1 and 256, got {colors}")
    if not 0 <= alpha_threshold <= 255:
        raise PixelError(f"`alpha threshold` must be 0–255, got {alpha_threshold}")
    if merge is not None and merge < 0:
        raise PixelError(f"`merge` must be 0 or more (an OKLab distance), got {merge}")
    grid = None
    if pixel_size is not None:
        grid = grid_from_pixel_size(pixel_size, offset=(offset[1], offset[0]))
    snapped = snap_to_grid(image, grid, min_confidence=min_confidence)
    merge = snapped.merge_threshold if merge is None else merge
    art = merge_similar_colors(snapped.art, threshold=merge)
    indexed = _palettize(art, palette, colors, alpha_threshold)
    return SnappedArt(art, indexed, snapped.grid, merge, palette, colors)


def _palettize(
    art: np.ndarray, fixed: Palette | None, colors: int | None, alpha_threshold: int
) -> IndexedImage | None:
    if fixed is None and colors is None:
        return to_indexed(art, alpha_threshold=alpha_threshold)
    if fixed is None:
        transparent = art.shape[2] == 4 and bool((art[..., 3] < alpha_threshold).any())
        room = 255 if transparent else 256  # index 0 is transparent
        n_colors = min(colors or 256, room)
        fixed = extract_palette(art, n_colors, alpha_threshold=alpha_threshold)
    return palettize(art, fixed, alpha_threshold=alpha_threshold)
