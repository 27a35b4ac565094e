import numpy as np
import pytest

from pixref.pixel import (
    PixelError,
    PixelizeSettings,
    adjust_colors,
    builtin_palette,
    contact_sheet,
    expand_outlines,
    pixelize,
    pixelize_variants,
    target_shape,
    variant_widths,
)


@pytest.fixture
def photo(rng):
    base = rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)
    return np.repeat(np.repeat(base, 16, axis=0), 16, axis=1)  # 192 × 256


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"width": 64}, (48, 64)),
        ({"height": 24}, (24, 32)),
        ({"pixel_size": 8}, (24, 32)),
        ({"size": (20, 10)}, (10, 20)),
        ({}, (96, 128)),
    ],
)
def test_target_size_options(kwargs, expected):
    assert target_shape((192, 256, 3), PixelizeSettings(**kwargs)) == expected


def test_target_larger_than_source_and_conflicting_sizes_are_refused(photo):
    with pytest.raises(PixelError, match="larger than the source"):
        pixelize(photo, PixelizeSettings(width=1000))
    with pytest.raises(PixelError, match="only one of"):
        PixelizeSettings(width=10, height=10)
    with pytest.raises(PixelError, match="`colors`.*got 0"):
        PixelizeSettings(colors=0)


def test_block_image_pixelizes_back_to_its_blocks(photo):
    out = pixelize(photo, PixelizeSettings(pixel_size=16, colors=256))
    assert out.shape == (12, 16)
    assert np.array_equal(out.to_rgba()[..., :3], photo[::16, ::16])


def test_colour_count_and_fixed_palette(photo):
    out = pixelize(photo, PixelizeSettings(width=16, colors=5))
    assert len(out.palette) == 5 and out.indices.max() < 5
    pico = builtin_palette("pico-8")
    fixed = pixelize(photo, PixelizeSettings(width=16, palette=pico))
    assert fixed.palette == pico
    used = fixed.to_rgba()[..., :3].reshape(-1, 3)
    assert {tuple(c) for c in used.tolist()} <= {tuple(c) for c in pico.colors.tolist()}


def test_transparency_is_binary_at_index_zero_and_takes_no_palette_slot():
    image = np.zeros((32, 32, 4), np.uint8)
    image[:, :16] = [250, 20, 20, 255]
    image[:, 16:] = [20, 250, 20, 40]  # below the alpha threshold
    out = pixelize(image, PixelizeSettings(width=8, colors=4))
    assert out.transparent
    assert out.palette.colors.tolist() == [[250, 20, 20]]
    assert (out.indices[:, 4:] == 0).all() and (out.indices[:, :4] == 1).all()
    assert set(np.unique(out.to_rgba()[..., 3]).tolist()) == {0, 255}


def test_fully_transparent_image_is_a_clear_error():
    with pytest.raises(PixelError, match="fully transparent"):
        pixelize(np.zeros((16, 16, 4), np.uint8))


def test_outline_expansion_lets_a_thin_dark_line_survive_box_downscale():
    image = np.full((64, 64, 3), 220, np.uint8)
    image[:, 30] = 0
    plain = pixelize(image, PixelizeSettings(width=8, colors=2)).to_rgba()
    thick = pixelize(image, PixelizeSettings(width=8, outline=3, colors=2)).to_rgba()
    assert plain[..., 0].min() > 150  # washed out by averaging
    assert thick[:, 3, 0].max() < 100  # the line survives as a dark column
    assert expand_outlines(image, 0) is image


def test_colour_adjustments_behave_as_documented():
    image = np.full((2, 2, 3), [200, 60, 60], np.uint8)
    grey = adjust_colors(image, saturation=0)
    assert np.ptp(grey[0, 0].astype(int)) <= 1
    assert adjust_colors(image, brightness=0.2)[0, 0].astype(int).sum() > 320
    assert adjust_colors(image) is image


def test_clean_removes_speckles(rng):
    image = np.full((64, 64, 3), 128, np.uint8)
    image[::8, ::8] = 0  # isolated single dark pixels after downscaling by 1
    out = pixelize(image, PixelizeSettings(width=64, colors=2, method="nearest", clean=True))
    assert len(np.unique(out.indices)) == 1


def test_variants_and_contact_sheet(photo):
    widths = variant_widths(64, 3, max_width=256)
    assert widths == [56, 64, 72]
    arts = pixelize_variants(photo, widths, PixelizeSettings(colors=8))
    assert [a.shape[1] for a in arts] == widths
    sheet = contact_sheet(arts, display_height=96)
    assert sheet.dtype == np.uint8 and sheet.shape[2] == 4
    assert sheet.shape[1] > sum(a.shape[1] for a in arts)


def test_settings_round_trip_through_dict():
    settings = PixelizeSettings(
        width=96, method="contrast", palette=builtin_palette("game-boy"), dither="bayer4"
    )
    data = settings.to_dict()
    assert data["version"] == 1 and "colors" not in data  # defaults omitted
    assert PixelizeSettings.from_dict(data) == settings


def test_every_method_and_dither_runs_end_to_end(photo):
    for method in ["nearest", "box", "median", "dominant", "contrast"]:
        for dither in ["none", "bayer8", "floyd-steinberg"]:
            out = pixelize(photo, PixelizeSettings(width=24, method=method, dither=dither))
            assert out.shape == (18, 24)


def test_one_pixel_and_wrong_dtype_images_are_refused():
    with pytest.raises(PixelError, match="at least 2 pixels"):
        pixelize(np.zeros((1, 1, 3), np.uint8))
    with pytest.raises(PixelError, match="uint8"):
        pixelize(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(PixelError, match=r"\(H, W, 3\)"):
        pixelize(np.zeros((8, 8), np.uint8))


def test_transparency_leaves_room_for_255_colours_only(rng):
    image = np.zeros((64, 64, 4), np.uint8)
    image[..., :3] = rng.integers(0, 256, (64, 64, 3))
    image[..., 3] = 255
    image[:8] = 0  # a transparent band
    out = pixelize(image, PixelizeSettings(width=64, colors=256))
    assert out.transparent and len(out.palette) == 255
    assert out.indices.max() == 255 and (out.indices[:8] == 0).all()
    from pixref.pixel import Palette, PaletteError, palettize

    full = Palette(rng.integers(0, 256, (256, 3)).astype(np.uint8))
    with pytest.raises(PaletteError, match="at most 255"):
        palettize(image, full)
