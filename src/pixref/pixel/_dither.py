"""``map_to_palette``: the name table of dithers and the entry point."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import partial

import numpy as np

from pixref.pixel._color import rgb8_to_oklab
from pixref.pixel._dither_bayer import map_bayer
from pixref.pixel._dither_floyd_steinberg import map_floyd_steinberg
from pixref.pixel._dither_none import map_plain
from pixref.pixel._errors import PixelError, parse_choice
from pixref.pixel._image import check_image
from pixref.pixel._palette import Palette


class Dither(StrEnum):
    """How colours between two palette entries are rendered."""

    none = "none"
    bayer2 = "bayer2"
    bayer4 = "bayer4"
    bayer8 = "bayer8"
    floyd_steinberg = "floyd-steinberg"


DITHERS: dict[Dither, Callable[[np.ndarray, np.ndarray, float], np.ndarray]] = {
    Dither.none: map_plain,
    Dither.bayer2: partial(map_bayer, n=2),
    Dither.bayer4: partial(map_bayer, n=4),
    Dither.bayer8: partial(map_bayer, n=8),
    Dither.floyd_steinberg: map_floyd_steinberg,
}


def map_to_palette(
    image: np.ndarray,
    palette: Palette,
    *,
    dither: Dither | str = "none",
    strength: float = 1.0,
) -> np.ndarray:
    """Map each pixel to a palette colour, nearest in OKLab, optionally dithered.

    Parameters
    ----------
    image : (H, W, 3|4) uint8 array
        Alpha, if any, is ignored here (see `pixelize` for transparency).
    palette : Palette
    dither : {"none", "bayer2", "bayer4", "bayer8", "floyd-steinberg"}
        ``none`` (the default) is what pixel artists usually want.
    strength : float
        Dither amount, 0–1 (0 behaves like ``none``).

    Returns
    -------
    (H, W) intp array
        Indices into ``palette.colors``.

    Examples
    --------
    >>> pal = Palette(np.array([[0, 0, 0], [255, 255, 255]], np.uint8))
    >>> img = np.array([[[20, 20, 20], [200, 210, 220]]], np.uint8)
    >>> map_to_palette(img, pal).tolist()
    [[0, 1]]
    """
    image = check_image(image, min_side=1)
    dither = parse_choice(Dither, dither, "dither")
    if not 0.0 <= strength <= 1.0:
        raise PixelError(f"`dither strength` must be between 0 and 1, got {strength}")
    lab = rgb8_to_oklab(image[..., :3])
    return DITHERS[dither](lab, rgb8_to_oklab(palette.colors), strength)
