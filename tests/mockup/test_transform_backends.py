"""The OpenCV warp (the `mockup` extra) and the Pillow fallback place layers alike."""

import sys

import numpy as np
import pytest

from pixref.mockup._transform import Transform, warp

pytest.importorskip("cv2")


def _layer():
    rng = np.random.default_rng(3)
    image = np.zeros((96, 128, 4), np.uint8)
    image[16:80, 16:112, :3] = rng.integers(0, 256, (64, 96, 3))
    image[16:80, 16:112, 3] = 255
    return image


@pytest.mark.parametrize(
    "transform",
    [
        Transform(x=20, y=10, rotate=12.5),
        Transform(perspective=((10, 20), (150, 5), (140, 120), (15, 100))),
        Transform(x=5, y=5, rotate=90),
    ],
)
def test_opencv_and_pillow_warps_agree(monkeypatch, transform):
    with_cv2 = warp(_layer(), transform, (200, 200))
    monkeypatch.setitem(sys.modules, "cv2", None)
    with_pillow = warp(_layer(), transform, (200, 200))
    assert with_cv2[:2] == with_pillow[:2]  # same box on the canvas
    a = with_cv2[2].astype(int)
    b = with_pillow[2].astype(int)
    assert a.shape == b.shape
    # Same placement: coverage matches to the edge pixels; colours differ only by the
    # two libraries' cubic kernels.
    assert np.abs(a[..., 3] - b[..., 3]).mean() < 3
    inside = (a[..., 3] == 255) & (b[..., 3] == 255)
    assert np.abs(a[inside][:, :3] - b[inside][:, :3]).mean() < 4


def test_quarter_turn_is_exact_with_opencv():
    image = _layer()
    top, left, out, _ = warp(image, Transform(x=60, y=60, rotate=90), (300, 300))
    assert np.array_equal(out, np.rot90(image, -1))  # clockwise on screen
