"""``downscale``: the name table of downscale methods and the entry point."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

import numpy as np

from pixref.pixel._downscale_box import downscale_box
from pixref.pixel._downscale_contrast import downscale_contrast
from pixref.pixel._downscale_dominant import downscale_dominant
from pixref.pixel._downscale_median import downscale_median
from pixref.pixel._downscale_nearest import downscale_nearest
from pixref.pixel._errors import PixelError, parse_choice
from pixref.pixel._image import check_image


class DownscaleMethod(StrEnum):
    """How one output pixel is chosen from its cell of source pixels."""

    nearest = "nearest"
    box = "box"
    median = "median"
    dominant = "dominant"
    contrast = "contrast"


DOWNSCALERS: dict[DownscaleMethod, Callable[[np.ndarray, tuple[int, int]], np.ndarray]] = {
    DownscaleMethod.nearest: downscale_nearest,
    DownscaleMethod.box: downscale_box,
    DownscaleMethod.median: downscale_median,
    DownscaleMethod.dominant: downscale_dominant,
    DownscaleMethod.contrast: downscale_contrast,
}


def downscale(
    image: np.ndarray, shape: tuple[int, int], *, method: DownscaleMethod | str = "box"
) -> np.ndarray:
    """Reduce an image to ``shape`` = (rows, cols) art pixels.

    Parameters
    ----------
    image : (H, W, 3|4) uint8 array
        sRGB(A), 0–255.
    shape : (int, int)
        Output rows and columns, each at least 1 and at most the source's.
    method : {"nearest", "box", "median", "dominant", "contrast"}
        See `DownscaleMethod`; each lives in its own ``_downscale_<name>.py``.

    Returns
    -------
    (rows, cols, 3|4) uint8 array

    Raises
    ------
    PixelError
        For an unknown method or a target larger than the source.

    Examples
    --------
    >>> img = np.zeros((4, 4, 3), np.uint8); img[:2, :2] = 255
    >>> downscale(img, (2, 2), method="box")[..., 0].tolist()
    [[255, 0], [0, 0]]
    """
    image = check_image(image, min_side=1)
    method = parse_choice(DownscaleMethod, method, "method")
    rows, cols = shape
    if not (1 <= rows <= image.shape[0] and 1 <= cols <= image.shape[1]):
        raise PixelError(
            f"target {cols}×{rows} must be between 1×1 and the source size "
            f"{image.shape[1]}×{image.shape[0]}; pick a smaller width or pixel size"
        )
    return DOWNSCALERS[method](image, (rows, cols))
