import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from pixref.pixel import oklab2srgb, srgb2oklab, to_float01, to_uint8


def test_oklab_matches_ottosson_reference_values():
    # Values from Björn Ottosson's OKLab post (table of sRGB primaries).
    rgb = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [0, 0, 0]], np.float32)
    expected = np.array(
        [
            [0.62796, 0.22486, 0.12585],
            [0.86644, -0.23389, 0.17950],
            [0.45201, -0.03246, -0.31153],
            [1.0, 0.0, 0.0],
            [0.0, 0.0, 0.0],
        ]
    )
    np.testing.assert_allclose(srgb2oklab(rgb), expected, atol=2e-4)


@given(st.lists(st.integers(0, 255), min_size=3, max_size=3))
def test_oklab_round_trip_returns_the_same_8bit_colour(rgb):
    colour = np.array(rgb, np.uint8)
    back = to_uint8(oklab2srgb(srgb2oklab(to_float01(colour))))
    assert back.tolist() == rgb


def test_converters_round_and_clip():
    assert to_uint8(np.array([-0.2, 0.5, 1.7])).tolist() == [0, 128, 255]
    assert to_float01(np.array([0, 255], np.uint8)).tolist() == [0.0, 1.0]
