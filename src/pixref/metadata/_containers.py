"""Reading the raw text a generator left in an image file, without decoding pixels.

PNG text chunks are read by walking the chunk list: Pillow only reaches text
chunks stored after the image data by decoding every pixel, which would make
reading a folder of 1024x1024 generations a hundred times slower. JPEG and WebP
EXIF is read through Pillow, which parses headers lazily.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from pixref.params import PixrefError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Largest text chunk read (bytes, after decompression); ComfyUI graphs are ~100 kB.
MAX_TEXT_BYTES = 8 * 1024 * 1024
_TEXT_CHUNKS = (b"tEXt", b"iTXt", b"zTXt")
_EXIF_IFD = 0x8769
_USER_COMMENT = 0x9286


class MetadataError(PixrefError):
    """An image file that cannot be read."""


def _inflate(data: bytes, name: str) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_TEXT_BYTES)
    except zlib.error as exc:
        raise MetadataError(f"compressed text chunk is corrupt ({exc})") from None
    if inflater.unconsumed_tail:
        raise MetadataError(f"`{name}` text chunk is over {MAX_TEXT_BYTES // 2**20} MiB")
    return out


def _decode_text_chunk(kind: bytes, data: bytes) -> tuple[str, str] | None:
    key, sep, rest = data.partition(b"\x00")
    if not sep:
        return None
    name = key.decode("latin-1")
    if kind == b"tEXt":
        return name, rest.decode("latin-1")
    if kind == b"zTXt":
        return name, _inflate(rest[1:], name).decode("latin-1")
    # iTXt: compression flag, method, language tag \0, translated keyword \0, text
    if len(rest) < 2:
        return None
    compressed, body = rest[0], rest[2:]
    _lang, _, body = body.partition(b"\x00")
    _translated, _, body = body.partition(b"\x00")
    if compressed:
        body = _inflate(body, name)
    return name, body.decode("utf-8", errors="replace")


def read_png_text(f: BinaryIO, size: int, label: str) -> dict[str, str]:
    """Every text chunk of a PNG (before or after the image data), by keyword.

    Raises `MetadataError` for a truncated or corrupt chunk list.
    """
    if f.read(8) != PNG_SIGNATURE:
        raise MetadataError(f"{label} is not a PNG file")
    texts: dict[str, str] = {}
    pos = 8
    while True:
        header = f.read(8)
        if len(header) < 8:
            raise MetadataError(
                f"{label} is a truncated PNG (no IEND chunk); re-save or re-download it"
            )
        length, kind = struct.unpack(">I4s", header)
        end = pos + 8 + length + 4
        if length > 2**31 - 1 or end > size:
            raise MetadataError(
                f"{label} is a truncated PNG (chunk {kind.decode('latin-1')!r} runs past the end)"
            )
        if kind in _TEXT_CHUNKS:
            if length > MAX_TEXT_BYTES:
                raise MetadataError(f"{label}: a text chunk is over {MAX_TEXT_BYTES // 2**20} MiB")
            data = f.read(length)
            crc = struct.unpack(">I", f.read(4))[0]
            if zlib.crc32(kind + data) != crc:
                raise MetadataError(f"{label}: a {kind.decode()} chunk is corrupt (bad CRC)")
            decoded = _decode_text_chunk(kind, data)
            if decoded is not None:
                texts.setdefault(*decoded)
        elif kind == b"IEND":
            return texts
        else:
            f.seek(length + 4, os.SEEK_CUR)
        pos = end


def decode_user_comment(raw: bytes | str) -> str | None:
    """Decode an EXIF UserComment as A1111 (piexif), SwarmUI and others write it.

    The first 8 bytes name the encoding: ``UNICODE\\0`` (UTF-16, big-endian as
    piexif writes it, little-endian from some tools), ``ASCII\\0\\0\\0``, or zeros.
    """
    if isinstance(raw, str):
        return raw or None
    prefix, body = raw[:8], raw[8:]
    if prefix == b"UNICODE\x00":
        return _decode_utf16(body)
    text = body.decode("utf-8", errors="replace") if prefix[:5] == b"ASCII" else None
    if text is None:
        text = (
            raw.decode("utf-8", errors="replace")
            if prefix[:1] != b"\x00"
            else body.decode("utf-8", errors="replace")
        )
    text = text.strip("\x00")
    return text or None


def _decode_utf16(body: bytes) -> str | None:
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return body.decode("utf-16").strip("\x00") or None
    # No byte-order mark: ASCII-heavy text has its zero bytes at odd (LE) or even (BE) offsets.
    even_zeros = body[0::2].count(0)
    odd_zeros = body[1::2].count(0)
    codec = "utf-16-le" if odd_zeros > even_zeros else "utf-16-be"
    return body.decode(codec, errors="replace").strip("\x00") or None


def read_exif_text(image: Image.Image) -> dict[str, str]:
    """UserComment, ImageDescription and comment texts of a JPEG/WebP/GIF/TIFF."""
    texts: dict[str, str] = {}
    try:
        exif = image.getexif()
        comment = exif.get_ifd(_EXIF_IFD).get(_USER_COMMENT)
        description = exif.get(0x010E)
    except Exception as exc:  # Pillow raises many types for broken EXIF
        raise MetadataError(f"EXIF block is corrupt ({type(exc).__name__})") from None
    if comment and (decoded := decode_user_comment(comment)):
        texts["UserComment"] = decoded
    if isinstance(description, str) and description:
        texts["ImageDescription"] = description
    info_comment = image.info.get("comment")
    if isinstance(info_comment, bytes):
        info_comment = info_comment.decode("utf-8", errors="replace")
    if info_comment:
        texts["comment"] = info_comment
    for key, value in image.info.items():
        if isinstance(value, str) and key not in texts and key not in ("dpi", "jfif"):
            texts.setdefault(key, value)
    return texts


def open_image_texts(path: str | os.PathLike[str]) -> tuple[str, tuple[int, int], dict[str, str]]:
    """``(format, (width, height), texts)`` of an image file, pixels not decoded.

    Raises `MetadataError` when the file is missing, not an image, or corrupt.
    """
    path = Path(path)
    label = f"`{path}`"
    if not path.exists():
        raise MetadataError(f"{label} does not exist")
    if not path.is_file():
        raise MetadataError(f"{label} is not a file")
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        f.seek(0)
        if head == PNG_SIGNATURE:
            texts = read_png_text(f, size, label)
            ihdr = _png_size(path)
            return "PNG", ihdr, texts
        try:
            with Image.open(f) as image:
                return image.format or "?", image.size, read_exif_text(image)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise MetadataError(f"{label} is not an image pixref can read") from None


def _png_size(path: Path) -> tuple[int, int]:
    with open(path, "rb") as f:
        f.seek(16)
        width, height = struct.unpack(">II", f.read(8))
    return width, height
