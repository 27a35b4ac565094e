"""``extract_palette``: the name table of palette extractors and the entry point."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

import numpy as np

from pixref.pixel._errors import PaletteError, parse_choice
from pixref.pixel._image import check_image, opaque_mask
from pixref.pixel._palette import Palette
from pixref.pixel._quantize_kmeans import palette_kmeans
from pixref.pixel._quantize_median_cut import palette_median_cut


class PaletteMethod(StrEnum):
    """How a palette is extracted from an image."""

    kmeans = "kmeans"
    median_cut = "median-cut"


EXTRACTORS: dict[PaletteMethod, Callable[[np.ndarray, int], np.ndarray]] = {
    PaletteMethod.kmeans: palette_kmeans,
    PaletteMethod.median_cut: palette_median_cut,
}


def extract_palette(
    image: np.ndarray,
    n_colors: int,
    *,
    method: PaletteMethod | str = "kmeans",
    alpha_threshold: int = 128,
) -> Palette:
    """Extract at most ``n_colors`` colours representing the opaque pixels of ``image``.

    Transparent pixels (alpha below ``alpha_threshold``) never take a palette slot.

    Parameters
    ----------
    image : (H, W, 3|4) uint8 array
    n_colors : int
        1–256.
    method : {"kmeans", "median-cut"}
        k-means in OKLab (default, deterministic) or Pillow's median cut.
    alpha_threshold : int
        0–255.

    Returns
    -------
    Palette
        Dark → light; fewer colours when the image has fewer.

    Raises
    ------
    PaletteError
        For ``n_colors`` out of range, an unknown method or an image with no opaque pixel.
    """
    image = check_image(image, min_side=1)
    if not 1 <= n_colors <= 256:
        raise PaletteError(f"`colors` must be between 1 and 256, got {n_colors}")
    method = parse_choice(PaletteMethod, method, "palette method", PaletteError)
    pixels = image[..., :3][opaque_mask(image, alpha_threshold=alpha_threshold)]
    if len(pixels) == 0:
        raise PaletteError(
            "the image is fully transparent, so there are no colours to extract; "
            "lower `alpha threshold` or give --palette"
        )
    return Palette(EXTRACTORS[method](pixels, n_colors))
