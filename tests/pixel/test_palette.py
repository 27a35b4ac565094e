import numpy as np
import pytest

from pixref.pixel import Palette, PaletteError, builtin_palette, builtin_palette_names

# Independent oracle: the decimal values of the .gpl files Aseprite ships
# (data/extensions/dawnbringer-palettes/db16.gpl, db32.gpl, pico8-palette/pico-8.gpl).
ASEPRITE_DB16 = [
    (20, 12, 28), (68, 36, 52), (48, 52, 109), (78, 74, 78), (133, 76, 48), (52, 101, 36),
    (208, 70, 72), (117, 113, 97), (89, 125, 206), (210, 125, 44), (133, 149, 161),
    (109, 170, 44), (210, 170, 153), (109, 194, 202), (218, 212, 94), (222, 238, 214),
]  # fmt: skip
ASEPRITE_DB32 = [
    (0, 0, 0), (34, 32, 52), (69, 40, 60), (102, 57, 49), (143, 86, 59), (223, 113, 38),
    (217, 160, 102), (238, 195, 154), (251, 242, 54), (153, 229, 80), (106, 190, 48),
    (55, 148, 110), (75, 105, 47), (82, 75, 36), (50, 60, 57), (63, 63, 116), (48, 96, 130),
    (91, 110, 225), (99, 155, 255), (95, 205, 228), (203, 219, 252), (255, 255, 255),
    (155, 173, 183), (132, 126, 135), (105, 106, 106), (89, 86, 82), (118, 66, 138),
    (172, 50, 50), (217, 87, 99), (215, 123, 186), (143, 151, 74), (138, 111, 48),
]  # fmt: skip
ASEPRITE_PICO8 = [
    (0, 0, 0), (29, 43, 83), (126, 37, 83), (0, 135, 81), (171, 82, 54), (95, 87, 79),
    (194, 195, 199), (255, 241, 232), (255, 0, 77), (255, 163, 0), (255, 236, 39),
    (0, 228, 54), (41, 173, 255), (131, 118, 156), (255, 119, 168), (255, 204, 170),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "expected"),
    [("dawnbringer-16", ASEPRITE_DB16), ("db32", ASEPRITE_DB32), ("PICO-8", ASEPRITE_PICO8)],
)
def test_builtin_palettes_match_aseprites_files(name, expected):
    assert [tuple(c) for c in builtin_palette(name).colors.tolist()] == expected


@pytest.mark.parametrize(
    ("name", "count"),
    [("endesga-32", 32), ("sweetie-16", 16), ("game-boy", 4), ("nes", 55), ("pico-8", 16)],
)
def test_builtin_palettes_have_their_published_size_and_no_duplicates(name, count):
    colors = builtin_palette(name).colors
    assert len(colors) == count
    assert len(np.unique(colors, axis=0)) == count


def test_every_builtin_palette_loads():
    assert len(builtin_palette_names()) >= 7
    for name in builtin_palette_names():
        assert builtin_palette(name).name == name


def test_unknown_palette_name_lists_the_known_ones():
    with pytest.raises(PaletteError, match="unknown palette 'nope'.*pico-8"):
        builtin_palette("nope")


def test_from_hex_and_hex_round_trip():
    pal = Palette.from_hex("#FF0044 00ff00,0000ff")
    assert pal.colors.tolist() == [[255, 0, 68], [0, 255, 0], [0, 0, 255]]
    assert pal.hex() == ["ff0044", "00ff00", "0000ff"]
    with pytest.raises(PaletteError, match="6 hex digits"):
        Palette.from_hex("ff00")


def test_palette_rejects_bad_arrays():
    with pytest.raises(PaletteError):
        Palette(np.zeros((0, 3), np.uint8))
    with pytest.raises(PaletteError, match="256"):
        Palette(np.zeros((257, 3), np.uint8))
    with pytest.raises(PaletteError, match="uint8"):
        Palette(np.zeros((4, 3), np.float32))
