"""The grid image: dimensions, label margins and Z sub-grids."""

from __future__ import annotations

import numpy as np
from PIL import Image

from pixref.sweep import layout_grid, render_grid, render_sheet


def _cells(cols, rows, size=(64, 48)):
    return [
        [Image.new("RGB", size, (20 * c, 60 * r, 200)) for c in range(cols)] for r in range(rows)
    ]


def test_grid_dimensions_and_cell_positions():
    cols, rows = 3, 2
    grid = render_grid(_cells(cols, rows), ["A: 1", "A: 2", "A: 3"], ["B: 1", "B: 2"])
    lay = layout_grid((64, 48), ["A: 1", "A: 2", "A: 3"], ["B: 1", "B: 2"])
    assert grid.size == lay.size == (lay.left + 3 * 64, lay.top + 2 * 48)
    assert lay.left > 0 and lay.top > 0
    px = np.asarray(grid)
    x, y = lay.origin(2, 1)
    assert tuple(px[y + 1, x + 1]) == (40, 60, 200)  # cell (col 2, row 1)


def test_labels_are_drawn_in_the_margins():
    grid = render_grid(_cells(2, 2), ["CFG Scale: 3", "CFG Scale: 5"], ["Seed: 1", "Seed: 2"])
    lay = layout_grid((64, 48), ["CFG Scale: 3", "CFG Scale: 5"], ["Seed: 1", "Seed: 2"])
    px = np.asarray(grid)
    top, left = px[: lay.top, lay.left :], px[lay.top :, : lay.left]
    assert (top < 128).any() and (left < 128).any()  # dark text on the white margins
    assert (px[: lay.top, : lay.left] == 255).all()  # the corner stays blank


def test_no_y_axis_means_no_left_margin():
    lay = layout_grid((64, 64), ["a", "b"], [""])
    grid = render_grid(_cells(2, 1, (64, 64)), ["a", "b"], [""])
    assert lay.left == 0 and grid.size == (128, lay.top + 64)


def test_gap_between_cells():
    lay = layout_grid((64, 64), ["a", "b"], ["c", "d"], gap=10)
    assert lay.size == (lay.left + 2 * 64 + 10, lay.top + 2 * 64 + 10)


def test_smaller_cells_are_centred():
    images = [[Image.new("RGB", (64, 64), "red"), Image.new("RGB", (32, 32), "blue")]]
    grid = np.asarray(render_grid(images, ["", ""], [""]))
    assert grid.shape[:2] == (64, 128)
    assert tuple(grid[32, 96]) == (0, 0, 255) and tuple(grid[2, 66]) == (255, 255, 255)


def test_z_sheet_puts_titled_grids_in_one_row():
    sub = render_grid(_cells(2, 2), ["x1", "x2"], ["y1", "y2"])
    sheet = render_sheet([sub, sub, sub], ["Euler a", "DPM++ 2M", "LMS"])
    assert sheet.width > 3 * sub.width and sheet.height > sub.height
    assert render_sheet([sub], [""]) is sub


def test_long_row_labels_widen_the_left_margin():
    narrow = layout_grid((64, 64), ["a"], ["Seed: 1"])
    wide = layout_grid((64, 64), ["a"], ["Seed: 4294967293"])
    assert wide.left > narrow.left
