"""Blend modes against values worked out by hand from the W3C Compositing-1 formulas."""

import numpy as np
import pytest

from pixref.mockup import BlendMode, blend, blend_colors, parse_blend_mode

# (mode, Cb, Cs, expected B(Cb, Cs)), each worked by hand from W3C Compositing-1 §10.
SEPARABLE = [
    ("normal", 0.25, 0.75, 0.75),
    ("multiply", 0.5, 0.25, 0.125),
    ("screen", 0.5, 0.5, 0.75),
    ("overlay", 0.25, 0.5, 0.25),  # Cb ≤ .5: Cs·2Cb
    ("overlay", 0.75, 0.5, 0.75),  # screen(Cs, 2Cb − 1)
    ("darken", 0.25, 0.75, 0.25),
    ("lighten", 0.25, 0.75, 0.75),
    ("color_dodge", 0.25, 0.5, 0.5),  # Cb / (1 − Cs)
    ("color_dodge", 0.0, 0.9, 0.0),
    ("color_dodge", 0.3, 1.0, 1.0),
    ("color_burn", 0.75, 0.5, 0.5),  # 1 − (1 − Cb)/Cs
    ("color_burn", 1.0, 0.0, 1.0),
    ("color_burn", 0.5, 0.0, 0.0),
    ("hard_light", 0.5, 0.25, 0.25),  # Cb·2Cs
    ("hard_light", 0.5, 0.75, 0.75),  # screen(Cb, 2Cs − 1)
    ("soft_light", 0.25, 0.75, 0.375),  # D(.25) = .5: .25 + .5·(.5 − .25)
    ("soft_light", 0.25, 0.25, 0.15625),  # .25 − .5·.25·.75
    ("soft_light", 0.64, 0.75, 0.72),  # D = √.64 = .8: .64 + .5·.16
    ("difference", 0.25, 0.75, 0.5),
    ("add", 0.75, 0.5, 1.0),
    ("add", 0.25, 0.5, 0.75),
]


@pytest.mark.parametrize(("mode", "cb", "cs", "expected"), SEPARABLE)
def test_separable_modes(mode, cb, cs, expected):
    out = blend_colors(np.full(3, cb), np.full(3, cs), mode=mode)
    np.testing.assert_allclose(out, expected, atol=1e-6)


# Non-separable, worked by hand: Lum = .3R + .59G + .11B, then ClipColor.
NON_SEPARABLE = [
    # Lum(Cb=(1,0,0)) = .3 → SetLum(.5) = (1.2,.2,.2) → clip: .5 + (C − .5)·.5/.7
    ("luminosity", (1, 0, 0), (0.5, 0.5, 0.5), (1.0, 0.5 - 0.15 / 0.7, 0.5 - 0.15 / 0.7)),
    ("color", (0.5, 0.5, 0.5), (1, 0, 0), (1.0, 0.5 - 0.15 / 0.7, 0.5 - 0.15 / 0.7)),
    ("hue", (0.5, 0.5, 0.5), (1, 0, 0), (0.5, 0.5, 0.5)),  # grey backdrop: saturation 0
    # SetSat(Cb=(.8,.4,.4), 1) = (1,0,0); SetLum(.52) = (1.22,.22,.22) → clip
    (
        "saturation",
        (0.8, 0.4, 0.4),
        (0, 0, 1),
        (1.0, 0.52 - 0.3 * 0.48 / 0.7, 0.52 - 0.3 * 0.48 / 0.7),
    ),
]


@pytest.mark.parametrize(("mode", "cb", "cs", "expected"), NON_SEPARABLE)
def test_non_separable_modes(mode, cb, cs, expected):
    out = blend_colors(np.array(cb, float), np.array(cs, float), mode=mode)
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_every_mode_has_a_formula_and_stays_in_range():
    rng = np.random.default_rng(0)
    cb, cs = rng.random((2, 64, 3))
    for mode in BlendMode:
        out = blend_colors(cb, cs, mode=mode)
        assert out.shape == (64, 3) and out.dtype == np.float32
        assert 0 <= out.min() and out.max() <= 1 + 1e-6, mode


def px(*rgba):
    return np.array([[rgba]], np.float32)


def test_normal_over_is_premultiplied_source_over():
    # Half-transparent red over opaque blue: (.5, 0, .5), alpha 1.
    out = blend(px(0, 0, 1, 1), px(0.5, 0, 0, 0.5))
    np.testing.assert_allclose(out[0, 0], [0.5, 0, 0.5, 1], atol=1e-6)


def test_translucent_multiply_follows_the_general_formula():
    # Co = cs(1 − ab) + cb(1 − as) + as·ab·B; backdrop Cb = 1 at ab = .5, source Cs = (.5, 0, 0)
    # at as = .5: (.125,0,0) + (.25,.25,.25) + .25·(.5,0,0) = (.5, .25, .25); ao = .75.
    out = blend(px(0.5, 0.5, 0.5, 0.5), px(0.25, 0, 0, 0.5), mode="multiply")
    np.testing.assert_allclose(out[0, 0], [0.5, 0.25, 0.25, 0.75], atol=1e-6)


def test_opacity_scales_the_source():
    # Grey .5 backdrop, multiply by (.5,.25,1) at opacity .5: .25 + .5·B.
    out = blend(px(0.5, 0.5, 0.5, 1), px(0.5, 0.25, 1, 1), mode="multiply", opacity=0.5)
    np.testing.assert_allclose(out[0, 0], [0.375, 0.3125, 0.5, 1], atol=1e-6)


def test_transparent_source_changes_nothing_in_any_mode():
    backdrop = px(0.2, 0.4, 0.1, 0.8)
    for mode in BlendMode:
        np.testing.assert_allclose(blend(backdrop, px(0, 0, 0, 0), mode=mode), backdrop, atol=1e-7)


def test_over_transparent_backdrop_any_mode_is_the_source():
    source = px(0.3, 0.1, 0.2, 0.6)
    for mode in BlendMode:
        np.testing.assert_allclose(blend(px(0, 0, 0, 0), source, mode=mode), source, atol=1e-7)


def test_blend_mode_names():
    assert parse_blend_mode("Color-Dodge") is BlendMode.color_dodge
    assert parse_blend_mode("hard light") is BlendMode.hard_light
    with pytest.raises(ValueError, match="unknown blend mode 'glow'"):
        parse_blend_mode("glow")


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="same"):
        blend(np.zeros((2, 2, 4), np.float32), np.zeros((2, 3, 4), np.float32))
