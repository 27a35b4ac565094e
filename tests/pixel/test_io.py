import json
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from pixref.pixel import IndexedImage, Palette, PixelError
from pixref.pixel import io as pixel_io


def _indexed(transparent: bool) -> IndexedImage:
    pal = Palette.from_hex("0f380f 306230 8bac0f 9bbc0f")
    indices = np.arange(20, dtype=np.uint8).reshape(4, 5) % (4 + transparent)
    return IndexedImage(indices, pal, transparent)


@pytest.mark.parametrize("transparent", [False, True])
def test_indexed_png_reads_back_with_the_same_palette_and_indices(tmp_path, transparent):
    art = _indexed(transparent)
    path = pixel_io.write_indexed_png(tmp_path / "a.png", art, settings={"width": 5})
    with Image.open(path) as im:
        assert im.mode == "P"
        assert np.array_equal(np.asarray(im), art.indices)
        entries = np.array(im.getpalette()[: 3 * len(art.entries())]).reshape(-1, 3)
        assert np.array_equal(entries, art.entries()[:, :3])
        assert im.info.get("transparency") == (0 if transparent else None)
    assert pixel_io.read_settings(path) == {"width": 5}
    rgba = pixel_io.read_image(path)
    assert np.array_equal(rgba, art.to_rgba() if transparent else art.to_rgba()[..., :3])


def test_preview_is_an_integer_nearest_enlargement(tmp_path):
    art = _indexed(False)
    path = pixel_io.write_preview(tmp_path / "p.png", art, 3)
    with Image.open(path) as im:
        big = np.asarray(im)
    assert big.shape == (12, 15)
    assert np.array_equal(big[::3, ::3], art.indices)


def _read_aseprite(data: bytes):
    """Minimal reader of the documented .aseprite layout (independent of the writer)."""
    size, magic, frames, width, height, depth = struct.unpack_from("<IHHHHH", data, 0)
    assert (size, magic, frames, depth) == (len(data), 0xA5E0, 1, 8)
    transparent_index = data[28]
    frame_bytes, frame_magic, _, _, chunks = struct.unpack_from("<IHHH2xI", data, 128)
    assert frame_magic == 0xF1FA and frame_bytes == len(data) - 128
    pos, palette, pixels = 144, None, None
    for _ in range(chunks):
        length, kind = struct.unpack_from("<IH", data, pos)
        body = data[pos + 6 : pos + length]
        if kind == 0x2019:
            count = struct.unpack_from("<I", body, 0)[0]
            palette = [tuple(body[20 + 6 * i + 2 : 20 + 6 * i + 6]) for i in range(count)]
        if kind == 0x2005:
            cel_type = struct.unpack_from("<H", body, 7)[0]
            w, h = struct.unpack_from("<HH", body, 16)
            assert cel_type == 2 and (w, h) == (width, height)
            pixels = np.frombuffer(zlib.decompress(body[20:]), np.uint8).reshape(h, w)
        pos += length
    return palette, pixels, transparent_index


@pytest.mark.parametrize("transparent", [False, True])
def test_aseprite_file_reads_back(tmp_path, transparent):
    art = _indexed(transparent)
    path = pixel_io.write_aseprite(tmp_path / "a.aseprite", art)
    palette, pixels, transparent_index = _read_aseprite(path.read_bytes())
    assert palette == [tuple(e) for e in art.entries().tolist()]
    assert np.array_equal(pixels, art.indices)
    assert transparent_index == (0 if transparent else len(palette))


def test_read_image_converts_modes(tmp_path):
    grey16 = Image.fromarray(np.full((4, 4), 65535, np.uint16))
    grey16.save(tmp_path / "g16.png")
    assert pixel_io.read_image(tmp_path / "g16.png")[0, 0].tolist() == [255, 255, 255]

    cmyk = Image.new("CMYK", (4, 4), (0, 255, 255, 0))  # pure red
    cmyk.save(tmp_path / "c.jpg")
    red = pixel_io.read_image(tmp_path / "c.jpg")[0, 0]
    assert red[0] > 200 and red[1] < 50 and red.shape == (3,)

    pal = Image.new("P", (4, 4), 1)
    pal.putpalette([0, 0, 0, 10, 20, 30])
    pal.save(tmp_path / "p.png", transparency=0)
    arr = pixel_io.read_image(tmp_path / "p.png")
    assert arr.shape == (4, 4, 4) and arr[0, 0].tolist() == [10, 20, 30, 255]


def test_bad_files_give_one_line_errors(tmp_path):
    (tmp_path / "x.png").write_bytes(b"not an image")
    with pytest.raises(PixelError, match="not an image"):
        pixel_io.read_image(tmp_path / "x.png")
    with pytest.raises(PixelError, match="does not exist"):
        pixel_io.read_image(tmp_path / "missing.png")
    Image.new("RGB", (100, 100)).save(tmp_path / "big.png")
    with pytest.raises(PixelError, match="above the limit"):
        pixel_io.read_image(tmp_path / "big.png", max_pixels=5000)


def test_writes_are_atomic_and_leave_no_temp_files(tmp_path):
    art = _indexed(False)
    pixel_io.write_indexed_png(tmp_path / "a.png", art, settings={"k": 1})
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]
    with Image.open(tmp_path / "a.png") as im:
        assert json.loads(im.info["pixref"]) == {"k": 1}
