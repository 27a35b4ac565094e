"""Encoding an `IndexedImage` as an Aseprite ``.aseprite`` file (one frame, one layer).

Written from Aseprite's documented format (docs/ase-file-specs.md in the Aseprite
repository): a 128-byte header, one frame, and the chunks colour profile (sRGB),
palette, layer and a zlib-compressed indexed cel. No maintained Python library
writes the format (the PyPI readers are young and read-only), and this subset is
about 60 lines.
"""

from __future__ import annotations

import struct
import zlib

from pixref.pixel._indexed import IndexedImage

_HEADER_MAGIC = 0xA5E0
_FRAME_MAGIC = 0xF1FA
_CHUNK_LAYER = 0x2004
_CHUNK_CEL = 0x2005
_CHUNK_COLOR_PROFILE = 0x2007
_CHUNK_PALETTE = 0x2019


def _chunk(kind: int, body: bytes) -> bytes:
    return struct.pack("<IH", 6 + len(body), kind) + body


def _string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("<H", len(data)) + data


def encode_aseprite(image: IndexedImage, *, layer_name: str = "pixref") -> bytes:
    """Return the bytes of an indexed-mode ``.aseprite`` file holding ``image``.

    The palette keeps its order; with transparency, entry 0 is the transparent index.
    """
    rows, cols = image.shape
    entries = image.entries()
    palette = struct.pack("<III8x", len(entries), 0, len(entries) - 1)
    for r, g, b, a in entries.tolist():
        palette += struct.pack("<H4B", 0, r, g, b, a)
    layer = struct.pack("<HHHHHHB3x", 3, 0, 0, 0, 0, 0, 255) + _string(layer_name)
    pixels = zlib.compress(image.indices.astype("u1").tobytes(), 9)
    cel = struct.pack("<HhhBHh5xHH", 0, 0, 0, 255, 2, 0, cols, rows) + pixels
    profile = struct.pack("<HHI8x", 1, 0, 0)  # 1 = sRGB
    chunks = [
        _chunk(_CHUNK_COLOR_PROFILE, profile),
        _chunk(_CHUNK_PALETTE, palette),
        _chunk(_CHUNK_LAYER, layer),
        _chunk(_CHUNK_CEL, cel),
    ]
    body = b"".join(chunks)
    frame = struct.pack("<IHHH2xI", 16 + len(body), _FRAME_MAGIC, len(chunks), 100, len(chunks))
    frame += body
    # Index 0 is transparent when the image has transparency; otherwise point the
    # transparent index past the used entries so every colour stays opaque.
    transparent_index = 0 if image.transparent else min(len(entries), 255)
    header = struct.pack(
        "<IHHHHHIHIIB3xHBBhhHH84x",
        128 + len(frame),
        _HEADER_MAGIC,
        1,  # frames
        cols,
        rows,
        8,  # colour depth: indexed
        1,  # flags: layer opacity is valid
        100,  # speed (deprecated)
        0,
        0,
        transparent_index,
        len(entries) % 256,  # 0 means 256
        1,
        1,  # pixel ratio 1:1
        0,
        0,
        16,
        16,  # grid
    )
    return header + frame
