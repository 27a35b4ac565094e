"""Drawing a detected grid over its image, for checking detection by eye."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from pixref.pixel._grid_comb import Grid


def draw_grid(image: np.ndarray, grid: Grid, *, color=(255, 0, 255)) -> np.ndarray:
    """The image (as RGB) with the grid's cell boundaries drawn as 1-px lines."""
    pil = Image.fromarray(np.ascontiguousarray(image[..., :3]), "RGB")
    draw = ImageDraw.Draw(pil)
    rows, cols = image.shape[:2]
    for x in grid.cols.edges(cols)[1:-1]:
        draw.line([(round(x), 0), (round(x), rows - 1)], fill=color)
    for y in grid.rows.edges(rows)[1:-1]:
        draw.line([(0, round(y)), (cols - 1, round(y))], fill=color)
    return np.asarray(pil)
