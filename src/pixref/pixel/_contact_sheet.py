"""Contact sheet: resolution variants side by side, each labelled with size and colours."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from pixref.pixel._indexed import IndexedImage

_LABEL_HEIGHT = 14
_GAP = 8
_BACKGROUND = (40, 40, 46, 255)


def contact_sheet(variants: list[IndexedImage], *, display_height: int = 256) -> np.ndarray:
    """Render variants nearest-neighbour enlarged to about one display height, labelled.

    Each variant is enlarged by the integer factor that brings it closest to
    ``display_height`` (never blurred), and labelled "W×H, N colours" below.

    Parameters
    ----------
    variants : list of IndexedImage
    display_height : int
        Target height of each enlarged variant in pixels.

    Returns
    -------
    (H, W, 4) uint8 array
    """
    tiles = []
    for variant in variants:
        rows, cols = variant.shape
        scale = max(1, round(display_height / rows))
        tile = Image.fromarray(variant.to_rgba(), "RGBA").resize(
            (cols * scale, rows * scale), Image.Resampling.NEAREST
        )
        used = len(np.unique(variant.indices)) - (1 if variant.transparent else 0)
        tiles.append((tile, f"{cols}x{rows}, {used} colours"))
    height = max(t.height for t, _ in tiles) + _LABEL_HEIGHT + 2 * _GAP
    width = sum(t.width for t, _ in tiles) + _GAP * (len(tiles) + 1)
    sheet = Image.new("RGBA", (width, height), _BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    x = _GAP
    for tile, label in tiles:
        sheet.alpha_composite(tile, (x, _GAP))
        draw.text((x, _GAP + tile.height + 2), label, fill=(230, 230, 230, 255))
        x += tile.width + _GAP
    return np.asarray(sheet)
