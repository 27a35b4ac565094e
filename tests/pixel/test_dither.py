import numpy as np
import pytest

from pixref.pixel import Dither, Palette, PixelError, map_to_palette, remove_isolated_pixels

BW = Palette(np.array([[0, 0, 0], [255, 255, 255]], np.uint8))


def test_nearest_is_measured_in_oklab_not_rgb():
    # (0, 0, 255) blue is nearer to black than to (0, 255, 0) in RGB terms it ties,
    # but perceptually blue is far darker than green: OKLab picks black.
    pal = Palette(np.array([[0, 0, 0], [0, 160, 0]], np.uint8))
    assert map_to_palette(np.array([[[0, 0, 200]]], np.uint8), pal).tolist() == [[0]]


@pytest.mark.parametrize("dither", [Dither.bayer2, Dither.bayer4, Dither.bayer8,
                                    Dither.floyd_steinberg])  # fmt: skip
def test_mid_grey_dithers_to_a_mix_and_strength_zero_does_not(dither):
    grey = np.full((16, 16, 3), 119, np.uint8)  # OKLab L ≈ 0.5
    share = map_to_palette(grey, BW, dither=dither).mean()
    assert 0.35 <= share <= 0.65
    plain = map_to_palette(grey, BW, dither="none")
    assert np.array_equal(map_to_palette(grey, BW, dither=dither, strength=0.0), plain)
    assert plain.min() == plain.max()


def test_bayer2_pattern_is_a_checkerboard_on_mid_grey():
    grey = np.full((4, 4, 3), 119, np.uint8)
    out = map_to_palette(grey, BW, dither="bayer2")
    assert out[0, 0] != out[0, 1] and out[0, 0] == out[1, 1]


def test_bad_dither_settings():
    img = np.zeros((2, 2, 3), np.uint8)
    with pytest.raises(PixelError, match="`dither`"):
        map_to_palette(img, BW, dither="atkinson")
    with pytest.raises(PixelError, match="strength"):
        map_to_palette(img, BW, dither="bayer4", strength=2)


def test_isolated_pixel_is_removed_and_diagonal_line_kept():
    labels = np.zeros((5, 5), int)
    labels[2, 2] = 3
    assert remove_isolated_pixels(labels).max() == 0
    diagonal = np.eye(5, dtype=int)
    assert np.array_equal(remove_isolated_pixels(diagonal), diagonal)
