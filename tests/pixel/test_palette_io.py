import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pixref.pixel import Palette, PaletteError
from pixref.pixel.palette_io import PALETTE_FORMATS, load_palette, read_palette, write_palette

palettes = st.lists(st.integers(0, 2**24 - 1), min_size=1, max_size=256, unique=True).map(
    lambda values: np.array([[v >> 16, (v >> 8) & 255, v & 255] for v in values], np.uint8)
)


@pytest.mark.parametrize("ext", PALETTE_FORMATS)
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(colors=palettes)
def test_every_format_round_trips_colours_and_order(tmp_path, ext, colors):
    path = tmp_path / f"p.{ext}"
    write_palette(path, Palette(colors, name="test"))
    assert np.array_equal(read_palette(path).colors, colors)


def test_gpl_reads_names_header_and_aseprite_alpha_channel(tmp_path):
    path = tmp_path / "ramp.gpl"
    path.write_text(
        "GIMP Palette\nName: Ramp\nColumns: 4\nChannels: RGBA\n# comment\n"
        "  0   0   0 255\tInk\n255 128   1 255\tGlow\n"
    )
    pal = read_palette(path)
    assert pal.name == "Ramp"
    assert pal.names == ("Ink", "Glow")
    assert pal.colors.tolist() == [[0, 0, 0], [255, 128, 1]]


def test_written_gpl_is_what_gimp_expects(tmp_path):
    path = write_palette(tmp_path / "x.gpl", Palette.from_hex("ff0044 000000", name="Two"))
    lines = path.read_text().splitlines()
    assert lines[0] == "GIMP Palette"
    assert "Name: Two" in lines
    assert lines[-2].split()[:3] == ["255", "0", "68"]


def test_riff_pal_is_read(tmp_path):
    entries = bytes([10, 20, 30, 0, 40, 50, 60, 0])
    data = struct.pack("<4sI4s4sIHH", b"RIFF", 4 + 8 + 4 + len(entries), b"PAL ", b"data",
                       4 + len(entries), 0x300, 2) + entries  # fmt: skip
    path = tmp_path / "ms.pal"
    path.write_bytes(data)
    assert read_palette(path).colors.tolist() == [[10, 20, 30], [40, 50, 60]]


def test_jasc_pal_layout(tmp_path):
    path = write_palette(tmp_path / "j.pal", Palette.from_hex("010203"))
    assert path.read_bytes() == b"JASC-PAL\r\n0100\r\n1\r\n1 2 3\r\n"


def test_act_is_772_bytes_with_count(tmp_path):
    path = write_palette(tmp_path / "a.act", Palette.from_hex("ff0000 00ff00"))
    data = path.read_bytes()
    assert len(data) == 772
    assert struct.unpack(">H", data[768:770])[0] == 2
    (tmp_path / "full.act").write_bytes(bytes(range(256)) * 3)  # 768 bytes: 256 colours
    assert len(read_palette(tmp_path / "full.act")) == 256


def test_paint_net_txt_skips_comments_and_alpha(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("; paint.net Palette File\nFF112233\n80AABBCC\n")
    assert read_palette(path).colors.tolist() == [[17, 34, 51], [170, 187, 204]]


def test_palette_image_keeps_strip_order_and_ignores_transparency(tmp_path):
    from PIL import Image

    strip = np.array([[[9, 9, 9, 255], [200, 0, 0, 255], [0, 0, 0, 0], [9, 9, 9, 255]]], np.uint8)
    Image.fromarray(strip, "RGBA").save(tmp_path / "s.png")
    assert read_palette(tmp_path / "s.png").colors.tolist() == [[9, 9, 9], [200, 0, 0]]


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("bad.gpl", b"not a palette\n", "GIMP Palette"),
        ("bad2.gpl", b"GIMP Palette\n12 x 4\n", "integers"),
        ("bad3.gpl", b"GIMP Palette\n300 0 0\n", "0"),
        ("bad.pal", b"hello", "JASC-PAL"),
        ("bad2.pal", b"JASC-PAL\n0100\n3\n1 2 3\n", "3 colours"),
        ("bad.hex", b"ff00zz\n", "hex"),
        ("bad.act", b"\x00" * 100, "768"),
        ("bad.ase", b"NOPE", "ASEF"),
        ("bad2.ase", b"ASEF\x00\x01\x00\x00\x00\x00\x00\x05", "truncated"),
        ("bad.txt", b"FF12\n", "AARRGGBB"),
        ("bad.png", b"\x89PNG garbage", "Pillow"),
        ("empty.hex", b"", "no colours"),
    ],
)
def test_malformed_files_give_a_one_line_palette_error(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(PaletteError, match=match) as info:
        read_palette(path)
    assert "\n" not in str(info.value)


def test_unknown_extension_and_missing_file(tmp_path):
    with pytest.raises(PaletteError, match="cannot write"):
        write_palette(tmp_path / "p.xyz", Palette.from_hex("000000"))
    with pytest.raises(PaletteError, match="cannot read"):
        read_palette(tmp_path / "missing.gpl")
    with pytest.raises(PaletteError, match="does not exist"):
        load_palette(str(tmp_path / "missing.gpl"))


def test_load_palette_prefers_files_then_builtin_names(tmp_path):
    path = write_palette(tmp_path / "mine.hex", Palette.from_hex("123456"))
    assert load_palette(str(path)).hex() == ["123456"]
    assert len(load_palette("pico-8")) == 16
