"""Adjustments against hand-computed values, and HSL against the stdlib's colorsys."""

import colorsys

import numpy as np
import pytest

from pixref.mockup import Adjustments, Levels, adjust, hsl2rgb, rgb2hsl


def px(r, g, b, a=1.0):
    return np.array([[[r, g, b, a]]], np.float32)


@pytest.mark.parametrize(
    ("adjustments", "rgb", "expected"),
    [
        (Adjustments(brightness=0.25), (0.5, 0.25, 0.9), (0.75, 0.5, 1.0)),  # clipped at 1
        (Adjustments(brightness=-0.5), (0.5, 0.25, 0.9), (0.0, 0.0, 0.4)),
        (Adjustments(contrast=1.0), (0.5, 0.25, 0.7), (0.5, 0.0, 0.9)),  # (c − .5)·2 + .5
        (Adjustments(contrast=-0.5), (0.0, 1.0, 0.5), (0.25, 0.75, 0.5)),
        # Levels: (c − .2)/.6 → .5 for c = .5; output range .1–.9 → .5
        (Adjustments(levels=Levels(in_low=0.2, in_high=0.8)), (0.5, 0.2, 0.9), (0.5, 0, 1)),
        (Adjustments(levels=Levels(out_low=0.1, out_high=0.9)), (0.0, 1.0, 0.5), (0.1, 0.9, 0.5)),
        (Adjustments(levels=Levels(gamma=2.0)), (0.25, 1, 0), (0.5, 1, 0)),  # .25^(1/2)
        (Adjustments(hue=120), (1, 0, 0), (0, 1, 0)),
        (Adjustments(hue=-120), (1, 0, 0), (0, 0, 1)),
        (Adjustments(saturation=-1), (1, 0, 0), (0.5, 0.5, 0.5)),  # HSL lightness .5
        (Adjustments(lightness=0.5), (0.2, 0.4, 0.6), (0.6, 0.7, 0.8)),  # c + (1 − c)·.5
        (Adjustments(lightness=-0.5), (0.2, 0.4, 0.6), (0.1, 0.2, 0.3)),
        (Adjustments(color_balance=(0.1, 0, -0.2)), (0.5, 0.5, 0.5), (0.6, 0.5, 0.3)),
    ],
)
def test_adjustments(adjustments, rgb, expected):
    out = adjust(px(*rgb, 0.4), adjustments)
    np.testing.assert_allclose(out[0, 0, :3], expected, atol=1e-5)
    assert out[0, 0, 3] == np.float32(0.4)  # alpha untouched


def test_identity_changes_nothing():
    rng = np.random.default_rng(1)
    img = rng.random((8, 8, 4)).astype(np.float32)
    np.testing.assert_allclose(adjust(img, Adjustments()), img, atol=1e-7)
    assert Adjustments().is_identity and not Adjustments(hue=1).is_identity


def test_hsl_matches_colorsys():
    rng = np.random.default_rng(2)
    rgb = rng.random((200, 3)).astype(np.float32)
    hsl = rgb2hsl(rgb)
    for (r, g, b), (h, s, light) in zip(rgb, hsl, strict=True):
        hh, ll, ss = colorsys.rgb_to_hls(r, g, b)
        assert (h, s, light) == pytest.approx((hh, ss, ll), abs=1e-5)
    np.testing.assert_allclose(hsl2rgb(hsl), rgb, atol=1e-5)
