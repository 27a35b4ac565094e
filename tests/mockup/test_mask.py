"""Mask shapes, feathering, inversion and combination."""

import numpy as np
import pytest

from pixref.mockup import MaskItem, MaskOp, MaskShape, rasterize_item, rasterize_mask


def item(shape, points=(), **kw):
    return MaskItem(shape=MaskShape(shape), points=tuple(points), **kw)


def test_rect_covers_exactly_its_pixels():
    m = rasterize_item(item("rect", [(2, 3), (6, 5)]), (8, 10))
    expected = np.zeros((8, 10), np.float32)
    expected[3:5, 2:6] = 1  # rows y0..y1-1, columns x0..x1-1
    np.testing.assert_array_equal(m, expected)


def test_ellipse_polygon_and_stroke():
    e = rasterize_item(item("ellipse", [(0, 0), (20, 20)]), (20, 20))
    assert e[10, 10] == 1 and e[0, 0] == 0 and e[10, 0] == 1 and e[0, 19] == 0
    tri = rasterize_item(item("polygon", [(0, 0), (19, 0), (0, 19)]), (20, 20))
    assert tri[2, 2] == 1 and tri[18, 18] == 0
    s = rasterize_item(item("stroke", [(2, 10), (17, 10)], width=4), (20, 20))
    assert s[10, 2] == s[10, 10] == s[10, 17] == 1
    assert s[5, 10] == 0 and s[15, 10] == 0


def test_feather_is_a_symmetric_soft_edge():
    hard = rasterize_item(item("rect", [(20, 0), (60, 40)]), (40, 80))
    soft = rasterize_item(item("rect", [(20, 0), (60, 40)], feather=3), (40, 80))
    row = soft[20]
    assert row[40] == pytest.approx(1, abs=1 / 255)  # deep inside: untouched
    assert row[0] == 0  # far outside
    # Gaussian blur of a step: about half at the edge, monotonic across it.
    assert 0.35 < (row[19] + row[20]) / 2 < 0.65
    assert np.all(np.diff(row[10:31]) >= 0)
    assert soft[20, 12:28].min() < 0.2 and soft[20, 12:28].max() > 0.8
    # Blurring moves coverage across the edge, it does not add or remove much of it.
    assert abs(soft.sum() - hard.sum()) / hard.sum() < 0.02


def test_invert_and_combination_order():
    shape = (10, 10)
    left = item("rect", [(0, 0), (5, 10)])
    top = item("rect", [(0, 0), (10, 5)], op=MaskOp.intersect)
    m = rasterize_mask((left, top), shape)
    assert m[2, 2] == 1 and m[2, 7] == 0 and m[7, 2] == 0
    m = rasterize_mask((left, item("rect", [(0, 0), (10, 5)], op=MaskOp.subtract)), shape)
    assert m[2, 2] == 0 and m[7, 2] == 1 and m[7, 7] == 0
    inv = rasterize_mask((item("rect", [(0, 0), (5, 10)], invert=True),), shape)
    assert inv[0, 0] == 0 and inv[0, 9] == 1
    # Starting with subtract: everything visible except the shape.
    m = rasterize_mask((item("ellipse", [(2, 2), (8, 8)], op=MaskOp.subtract),), shape)
    assert m[0, 0] == 1 and m[5, 5] == 0
    assert rasterize_mask((), shape) is None


def test_image_mask_is_stretched_to_the_source():
    img = np.zeros((2, 2), np.uint8)
    img[:, 1] = 255
    m = rasterize_item(MaskItem(shape=MaskShape.image, image="m.png"), (4, 8), image=img)
    assert m.shape == (4, 8)
    assert m[:, 0].max() == 0 and m[:, 7].min() == 1
