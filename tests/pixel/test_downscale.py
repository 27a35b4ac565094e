import numpy as np
import pytest
from pixel_helpers import load_sprite, upscale_nearest

from pixref.pixel import DownscaleMethod, PixelError, downscale


@pytest.mark.parametrize("method", list(DownscaleMethod))
@pytest.mark.parametrize("scale", [2, 5])
def test_every_method_inverts_an_integer_nearest_upscale(method, scale):
    sprite = load_sprite("grafxkid_twiggy_idle_32x32.png")[..., :3]
    big = upscale_nearest(sprite, scale)
    assert np.array_equal(downscale(big, sprite.shape[:2], method=method), sprite)


def test_box_is_the_cell_mean():
    image = np.zeros((2, 4, 3), np.uint8)
    image[:, :2] = [[[0, 0, 0], [100, 100, 100]], [[200, 200, 200], [100, 100, 100]]]
    out = downscale(image, (1, 2), method="box")
    assert out[0, 0].tolist() == [100, 100, 100]  # (0 + 100 + 200 + 100) / 4
    assert out[0, 1].tolist() == [0, 0, 0]


def test_median_ignores_a_minority_outlier():
    image = np.full((3, 3, 3), 50, np.uint8)
    image[0, 0] = 250
    assert downscale(image, (1, 1), method="median")[0, 0].tolist() == [50, 50, 50]


def test_dominant_takes_the_larger_cluster_not_the_mean():
    image = np.full((4, 4, 3), 200, np.uint8)
    image[:1] = [10, 20, 30]  # 4 of 16 pixels dark
    assert downscale(image, (1, 1), method="dominant")[0, 0].tolist() == [200, 200, 200]


def test_contrast_keeps_a_thin_dark_line_that_box_washes_out():
    image = np.full((16, 16, 3), 230, np.uint8)
    image[:, 5] = 10  # 1-px dark vertical line
    kept = downscale(image, (2, 2), method="contrast")
    washed = downscale(image, (2, 2), method="box")
    assert kept[0, 0].tolist() == [10, 10, 10]
    assert kept[0, 1].tolist() == [230, 230, 230]
    assert washed[0, 0, 0] > 180


def test_contrast_keeps_a_small_highlight_on_dark():
    image = np.full((8, 8, 3), 20, np.uint8)
    image[3:5, 3:5] = 250
    assert downscale(image, (1, 1), method="contrast")[0, 0].tolist() == [250, 250, 250]


def test_non_integer_ratio_gives_requested_shape_and_rgba_passes_through():
    image = np.zeros((100, 70, 4), np.uint8)
    image[..., 3] = 255
    for method in DownscaleMethod:
        out = downscale(image, (33, 21), method=method)
        assert out.shape == (33, 21, 4)
        assert (out[..., 3] == 255).all()


def test_unknown_method_and_upscaling_are_refused():
    image = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(PixelError, match="`method`"):
        downscale(image, (4, 4), method="bicubic")
    with pytest.raises(PixelError, match="larger|between"):
        downscale(image, (16, 16))
