"""Transform placement: shifts, scale, rotation, flips and perspective land where expected."""

import numpy as np
import pytest

from pixref.mockup import Transform, homography, warp


def checker(rows=4, cols=6):
    img = np.zeros((rows, cols, 4), np.uint8)
    img[..., 3] = 255
    img[..., 0] = np.arange(cols, dtype=np.uint8)[None, :] * 40
    img[..., 1] = np.arange(rows, dtype=np.uint8)[:, None] * 60
    return img


def test_integer_shift_is_an_exact_crop():
    img = checker()
    top, left, out, mask = warp(img, Transform(x=-2, y=1), (10, 10))
    assert (top, left) == (1, 0) and mask is None
    np.testing.assert_array_equal(out, img[:, 2:])
    assert warp(img, Transform(x=20, y=0), (10, 10)) is None  # off-canvas


@pytest.mark.parametrize("resample", ["nearest", "bilinear", "bicubic"])
def test_rotating_by_180_lands_pixel_centres_on_pixel_centres(resample):
    img = checker()
    top, left, out, _ = warp(img, Transform(x=3, y=2, rotate=180), (10, 12), resample=resample)
    assert (top, left) == (2, 3)
    np.testing.assert_array_equal(out, img[::-1, ::-1])


# Pillow's resize() and transform() implement bicubic with different kernels, so on
# a smooth image they differ by a few levels; nearest and bilinear agree.
@pytest.mark.parametrize(("resample", "tolerance"), [("nearest", 0), ("bilinear", 1),
                                                     ("bicubic", 4)])  # fmt: skip
def test_scaling_path_agrees_with_the_general_warp(resample, tolerance):
    # Axis-aligned scaling goes through resize(); the same mapping as a four-corner
    # warp goes through transform(). Inside the layer they must agree.
    img = np.zeros((20, 30, 4), np.uint8)
    img[..., 0] = np.arange(30, dtype=np.uint8)[None, :] * 8
    img[..., 1] = np.arange(20, dtype=np.uint8)[:, None] * 12
    img[..., 2] = 77
    img[..., 3] = 255
    x, y, s = 2.3, 3.7, 1.5  # no sample falls exactly between two source pixels
    fast = warp(img, Transform(x=x, y=y, scale=(s, s)), (60, 60), resample=resample)
    corners = ((x, y), (x + 30 * s, y), (x + 30 * s, y + 20 * s), (x, y + 20 * s))
    slow = warp(img, Transform(perspective=corners), (60, 60), resample=resample)
    assert fast[:2] == slow[:2] and fast[2].shape == slow[2].shape
    inner = (slice(3, -3), slice(3, -3))
    diff = np.abs(fast[2][inner].astype(int) - slow[2][inner])
    assert diff.max() <= tolerance


def test_scale_two_nearest_doubles_each_pixel():
    img = checker(2, 3)
    top, left, out, _ = warp(
        img, Transform(x=1, y=1, scale=(2.0, 2.0)), (10, 10), resample="nearest"
    )
    assert (top, left, out.shape) == (1, 1, (4, 6, 4))
    np.testing.assert_array_equal(out, img.repeat(2, axis=0).repeat(2, axis=1))


def test_rotation_is_clockwise_about_the_centre():
    img = np.zeros((2, 4, 4), np.uint8)
    img[..., 3] = 255
    img[0, 0, :3] = 255  # top-left pixel white
    top, left, out, _ = warp(img, Transform(x=10, y=10, rotate=90), (30, 30), resample="nearest")
    # A 4×2 (w×h) image centred at (12, 11) turns into 2×4 centred there: cols 11–12, rows 9–12.
    assert (top, left, out.shape[:2]) == (9, 11, (4, 2))
    assert out[0, 1, 0] == 255 and out[..., 0].sum() == 255  # top-left went to top-right


def test_flips():
    img = checker()
    _, _, out, _ = warp(img, Transform(flip_x=True), (10, 10))
    np.testing.assert_array_equal(out, img[:, ::-1])
    _, _, out, _ = warp(img, Transform(flip_y=True, rotate=360), (10, 10), resample="nearest")
    np.testing.assert_array_equal(out, img[::-1])


def test_perspective_maps_the_four_corners():
    corners = ((10, 5), (50, 10), (45, 40), (12, 35))
    h = homography(Transform(perspective=corners), (20, 10))
    src = np.array([[0, 0, 1], [20, 0, 1], [20, 10, 1], [0, 10, 1]], float) @ h.T
    np.testing.assert_allclose(src[:, :2] / src[:, 2:], corners, atol=1e-9)
    img = np.full((10, 20, 4), 255, np.uint8)
    top, left, out, mask = warp(img, Transform(perspective=corners), (60, 60),
                                mask=np.full((10, 20), 255, np.uint8))  # fmt: skip
    assert (top, left) == (5, 10) and out.shape[:2] == (35, 40) and mask.shape == (35, 40)
    assert out[15, 20, 3] == 255 and out[0, 39, 3] == 0  # inside vs outside the quad
    identity = ((0, 0), (20, 0), (20, 10), (0, 10))
    _, _, same, _ = warp(img, Transform(perspective=identity), (10, 20))
    np.testing.assert_array_equal(same, img)


def test_degenerate_perspective_is_refused():
    with pytest.raises(ValueError, match="degenerate"):
        homography(Transform(perspective=((0, 0), (1, 1), (2, 2), (3, 3))), (4, 4))


def test_deterministic():
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (30, 40, 4), dtype=np.uint8)
    t = Transform(x=3.3, y=-2.7, scale=(0.7, 1.3), rotate=17)
    a, b = warp(img, t, (50, 50)), warp(img, t, (50, 50))
    np.testing.assert_array_equal(a[2], b[2])
