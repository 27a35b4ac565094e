"""Palette files: read and write GIMP .gpl, JASC and RIFF .pal, .hex, .act, .ase,
Paint.NET .txt and palette images (.png strips, or any image with ≤ 256 colours).

Layouts follow ``shared/reference/pixel-art.md`` §5. All formats are small and
fully documented, and no maintained Python library covers them, so they are
parsed here with ``struct`` and plain text handling. Writes are atomic.
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from pixref._atomic import write_bytes_atomic
from pixref.pixel._errors import PaletteError
from pixref.pixel._palette import Palette, builtin_palette
from pixref.pixel._quantize_common import unique_colors

#: Extensions `read_palette` and `write_palette` understand.
PALETTE_FORMATS = ("gpl", "pal", "hex", "act", "ase", "txt", "png")


def _bad(path: Path, why: str) -> PaletteError:
    return PaletteError(f"palette file {path.name!r} is not a valid {path.suffix} palette: {why}")


def _clean_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


# --- GIMP .gpl --------------------------------------------------------------------


def _parse_gpl(data: bytes, path: Path) -> Palette:
    lines = data.decode("utf-8", errors="replace").splitlines()
    if not lines or lines[0].strip() != "GIMP Palette":
        raise _bad(path, "the first line must be 'GIMP Palette'")
    name, colors, names = path.stem, [], []
    channels = 3
    for line in lines[1:]:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text.startswith("Name:"):
            name = text[5:].strip()
            continue
        if text.startswith("Columns:"):
            continue
        if text.startswith("Channels:"):
            channels = 4 if "A" in text[9:].upper() else 3
            continue
        parts = text.split(None, channels)
        try:
            values = [int(p) for p in parts[:channels]]
        except ValueError:
            raise _bad(path, f"colour line {text!r} must start with {channels} integers") from None
        if len(values) < 3 or any(not 0 <= v <= 255 for v in values):
            raise _bad(path, f"colour line {text!r} needs values 0–255")
        colors.append(values[:3])
        names.append(parts[channels].strip() if len(parts) > channels else "")
    return _palette(colors, path, name=name, names=tuple(names))


def _format_gpl(palette: Palette) -> bytes:
    lines = ["GIMP Palette", f"Name: {palette.name or 'pixref'}", "Columns: 8", "#"]
    names = palette.names or ("",) * len(palette)
    for (r, g, b), label in zip(palette.colors.tolist(), names, strict=True):
        lines.append(f"{r:3d} {g:3d} {b:3d}\t{label or f'{r:02x}{g:02x}{b:02x}'}")
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- JASC / RIFF .pal -------------------------------------------------------------


def _parse_pal(data: bytes, path: Path) -> Palette:
    if data[:4] == b"RIFF":
        return _parse_riff_pal(data, path)
    lines = _clean_lines(data.decode("latin-1"))
    if len(lines) < 3 or lines[0] != "JASC-PAL":
        raise _bad(path, "expected 'JASC-PAL' text or a binary RIFF palette")
    try:
        count = int(lines[2])
        colors = [[int(v) for v in line.split()[:3]] for line in lines[3 : 3 + count]]
    except ValueError:
        raise _bad(path, "colour lines must hold three integers") from None
    if len(colors) != count or any(len(c) != 3 for c in colors):
        raise _bad(path, f"header says {count} colours, found {len(colors)}")
    return _palette(colors, path)


def _parse_riff_pal(data: bytes, path: Path) -> Palette:
    if len(data) < 24 or data[8:12] != b"PAL " or data[12:16] != b"data":
        raise _bad(path, "RIFF file without a 'PAL ' data chunk")
    _version, count = struct.unpack_from("<HH", data, 20)
    body = data[24 : 24 + 4 * count]
    if len(body) != 4 * count:
        raise _bad(path, f"RIFF palette says {count} colours but is truncated")
    colors = np.frombuffer(body, np.uint8).reshape(-1, 4)[:, :3]
    return _palette(colors.tolist(), path)


def _format_jasc(palette: Palette) -> bytes:
    lines = ["JASC-PAL", "0100", str(len(palette))]
    lines += [f"{r} {g} {b}" for r, g, b in palette.colors.tolist()]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


# --- .hex and Paint.NET .txt --------------------------------------------------------


def _parse_hex(data: bytes, path: Path) -> Palette:
    lines = [ln for ln in _clean_lines(data.decode("utf-8", "replace")) if not ln.startswith(";")]
    try:
        return Palette.from_hex(lines, name=path.stem)
    except PaletteError as exc:
        raise _bad(path, str(exc)) from None


def _parse_txt(data: bytes, path: Path) -> Palette:
    colors = []
    for line in _clean_lines(data.decode("utf-8", "replace")):
        if line.startswith(";"):
            continue
        if len(line) != 8:
            raise _bad(path, f"line {line!r} must be 8 hex digits AARRGGBB")
        try:
            value = int(line, 16)
        except ValueError:
            raise _bad(path, f"line {line!r} must be 8 hex digits AARRGGBB") from None
        colors.append([(value >> 16) & 255, (value >> 8) & 255, value & 255])
    return _palette(colors, path)


def _format_hex(palette: Palette) -> bytes:
    return ("\n".join(palette.hex()) + "\n").encode("ascii")


def _format_txt(palette: Palette) -> bytes:
    lines = ["; paint.net Palette File", f"; {palette.name or 'pixref'}"]
    lines += [f"FF{h.upper()}" for h in palette.hex()]
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


# --- Adobe .act and .ase ----------------------------------------------------------------


def _parse_act(data: bytes, path: Path) -> Palette:
    if len(data) not in (768, 772):
        raise _bad(path, f"an .act file is 768 or 772 bytes, this one is {len(data)}")
    count = 256
    if len(data) == 772:
        count = struct.unpack_from(">H", data, 768)[0] or 256
    colors = np.frombuffer(data[: 3 * count], np.uint8).reshape(-1, 3)
    return _palette(colors.tolist(), path)


def _format_act(palette: Palette) -> bytes:
    table = np.zeros((256, 3), np.uint8)
    table[: len(palette)] = palette.colors
    return table.tobytes() + struct.pack(">HH", len(palette), 0xFFFF)


def _parse_ase(data: bytes, path: Path) -> Palette:
    if data[:4] != b"ASEF":
        raise _bad(path, "missing the 'ASEF' signature")
    try:
        (blocks,) = struct.unpack_from(">I", data, 8)
        pos, colors, names = 12, [], []
        for _ in range(blocks):
            kind, length = struct.unpack_from(">HI", data, pos)
            body = data[pos + 6 : pos + 6 + length]
            pos += 6 + length
            if kind != 0x0001:
                continue
            (name_len,) = struct.unpack_from(">H", body, 0)
            name = body[2 : 2 + 2 * name_len].decode("utf-16-be").rstrip("\0")
            model = body[2 + 2 * name_len : 6 + 2 * name_len]
            values = body[6 + 2 * name_len :]
            colors.append(_ase_rgb(model, values, path))
            names.append(name)
    except struct.error:
        raise _bad(path, "the file is truncated") from None
    return _palette(colors, path, names=tuple(names))


def _ase_rgb(model: bytes, values: bytes, path: Path) -> list[int]:
    if model == b"RGB ":
        rgb = struct.unpack_from(">3f", values)
    elif model == b"Gray":
        rgb = struct.unpack_from(">f", values) * 3
    elif model == b"CMYK":
        c, m, y, k = struct.unpack_from(">4f", values)
        rgb = ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    else:
        raise _bad(path, f"colour model {model!r} is not supported (use RGB, CMYK or Gray)")
    return [int(np.clip(round(v * 255), 0, 255)) for v in rgb]


def _format_ase(palette: Palette) -> bytes:
    out = io.BytesIO()
    out.write(b"ASEF" + struct.pack(">HHI", 1, 0, len(palette)))
    names = palette.names or ("",) * len(palette)
    for (r, g, b), label in zip(palette.colors.tolist(), names, strict=True):
        name = (label or f"{r:02x}{g:02x}{b:02x}") + "\0"
        body = struct.pack(">H", len(name)) + name.encode("utf-16-be") + b"RGB "
        body += struct.pack(">3fH", r / 255, g / 255, b / 255, 2)  # 2 = normal colour
        out.write(struct.pack(">HI", 0x0001, len(body)) + body)
    return out.getvalue()


# --- palette images -------------------------------------------------------------------------


def _parse_image(data: bytes, path: Path) -> Palette:
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            rgba = np.asarray(im.convert("RGBA"))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise _bad(path, f"Pillow cannot read it as an image ({exc})") from None
    pixels = rgba.reshape(-1, 4)
    pixels = pixels[pixels[:, 3] >= 128][:, :3]
    if len(pixels) == 0:
        raise _bad(path, "the image has no opaque pixel")
    distinct, _ = unique_colors(pixels)
    if len(distinct) > 256:
        raise _bad(path, f"the image has {len(distinct)} colours; a palette image has ≤ 256")
    # Keep the order of first appearance in reading order (a swatch strip's order).
    keys = pixels.astype(np.int64) @ np.array([65536, 256, 1])
    _, first = np.unique(keys, return_index=True)
    return _palette(pixels[np.sort(first)].tolist(), path)


def _format_png(palette: Palette) -> bytes:
    strip = Image.fromarray(palette.colors.reshape(1, -1, 3), "RGB")
    out = io.BytesIO()
    strip.save(out, "PNG")
    return out.getvalue()


def _palette(colors, path: Path, *, name: str = "", names: tuple[str, ...] = ()) -> Palette:
    if len(colors) == 0:
        raise _bad(path, "it holds no colours")
    if len(colors) > 256:
        raise _bad(path, f"it holds {len(colors)} colours; pixref uses at most 256")
    return Palette(np.array(colors, np.uint8).reshape(-1, 3), name=name or path.stem, names=names)


_READERS: dict[str, Callable[[bytes, Path], Palette]] = {
    "gpl": _parse_gpl,
    "pal": _parse_pal,
    "hex": _parse_hex,
    "act": _parse_act,
    "ase": _parse_ase,
    "txt": _parse_txt,
}
_WRITERS: dict[str, Callable[[Palette], bytes]] = {
    "gpl": _format_gpl,
    "pal": _format_jasc,
    "hex": _format_hex,
    "act": _format_act,
    "ase": _format_ase,
    "txt": _format_txt,
    "png": _format_png,
}


def read_palette(path: str | os.PathLike[str]) -> Palette:
    """Read a palette file; the format comes from the extension (any image extension
    reads a palette image).

    Raises
    ------
    PaletteError
        For a missing, unknown or malformed file.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PaletteError(f"cannot read palette file {str(path)!r}: {exc.strerror}") from None
    return decode_palette(data, path.name)


def decode_palette(data: bytes, name: str) -> Palette:
    """Parse palette file bytes; the format comes from the extension of the file ``name``.

    Raises
    ------
    PaletteError
        For a malformed file.
    """
    path = Path(Path(name).name)
    ext = path.suffix.lower().lstrip(".")
    reader = _READERS.get(ext, _parse_image)
    return reader(data, path)


def encode_palette(palette: Palette, fmt: str) -> bytes:
    """``palette`` as the bytes of a ``fmt`` file (``gpl``, ``pal``, ``hex``, ...).

    Raises
    ------
    PaletteError
        For an unknown format.
    """
    ext = fmt.lower().lstrip(".")
    if ext not in _WRITERS:
        raise PaletteError(
            f"cannot write palette format {fmt!r}; use one of "
            + ", ".join("." + e for e in PALETTE_FORMATS)
        )
    return _WRITERS[ext](palette)


def write_palette(path: str | os.PathLike[str], palette: Palette) -> Path:
    """Write ``palette`` atomically in the format given by the extension of ``path``.

    .pal is written as JASC; .png as a 1×K strip.

    Raises
    ------
    PaletteError
        For an unknown extension.
    """
    path = Path(path)
    return write_bytes_atomic(path, encode_palette(palette, path.suffix))


def load_palette(spec: str) -> Palette:
    """A palette file by path when ``spec`` names an existing file, else a built-in by name."""
    if Path(spec).is_file():
        return read_palette(spec)
    if Path(spec).suffix.lower().lstrip(".") in PALETTE_FORMATS:
        raise PaletteError(f"palette file {spec!r} does not exist")
    return builtin_palette(spec)
