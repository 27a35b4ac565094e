"""Build PNG files chunk by chunk, independently of pixref's reader."""

import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def text_chunk(key: str, value: str, kind: str = "tEXt") -> bytes:
    k = key.encode("latin-1") + b"\x00"
    if kind == "tEXt":
        return chunk(b"tEXt", k + value.encode("latin-1"))
    if kind == "zTXt":
        return chunk(b"zTXt", k + b"\x00" + zlib.compress(value.encode("latin-1")))
    if kind == "iTXt":
        return chunk(b"iTXt", k + b"\x00\x00" + b"\x00\x00" + value.encode("utf-8"))
    if kind == "iTXt-z":
        body = zlib.compress(value.encode("utf-8"))
        return chunk(b"iTXt", k + b"\x01\x00" + b"en\x00" + b"\x00" + body)
    raise ValueError(kind)


def png(width: int = 2, height: int = 2, before=(), after=()) -> bytes:
    """A grey RGB PNG with text chunks before and/or after its image data."""
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    raw = b"".join(b"\x00" + b"\x80" * (3 * width) for _ in range(height))
    idat = chunk(b"IDAT", zlib.compress(raw))
    return SIGNATURE + ihdr + b"".join(before) + idat + b"".join(after) + chunk(b"IEND", b"")
