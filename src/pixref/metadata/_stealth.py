"""A1111 "stealth PNG info": infotext hidden in the least significant bits of pixels.

The sd-webui-stealth-pnginfo extension writes, column by column (x outer, y
inner), the bits of a 15-byte signature, a 32-bit payload length in bits, then
the payload, into the alpha channel (``stealth_pnginfo`` / ``stealth_pngcomp``)
or into R, G, B in turn (``stealth_rgbinfo`` / ``stealth_rgbcomp``); ``comp``
payloads are gzip-compressed UTF-8.
"""

from __future__ import annotations

import zlib

import numpy as np

_SIGNATURES = {
    b"stealth_pnginfo": ("alpha", False),
    b"stealth_pngcomp": ("alpha", True),
    b"stealth_rgbinfo": ("rgb", False),
    b"stealth_rgbcomp": ("rgb", True),
}
_SIG_BITS = 15 * 8
_MAX_PAYLOAD_BYTES = 8 * 1024 * 1024


def _bits(pixels: np.ndarray, mode: str) -> np.ndarray:
    columns = pixels.transpose(1, 0, 2)  # x outer, y inner, as the extension reads
    if mode == "alpha":
        return (columns[..., 3] & 1).ravel()
    return (columns[..., :3] & 1).ravel()


def read_stealth(pixels: np.ndarray) -> str | None:
    """Decode stealth infotext from ``pixels``, or None when there is none.

    Parameters
    ----------
    pixels : (H, W, 3) or (H, W, 4) uint8 ndarray
    """
    modes = ("alpha", "rgb") if pixels.shape[-1] == 4 else ("rgb",)
    for mode in modes:
        bits = _bits(pixels, mode)
        if bits.size < _SIG_BITS + 32:
            continue
        found = _SIGNATURES.get(np.packbits(bits[:_SIG_BITS]).tobytes())
        if found is None or found[0] != mode:
            continue
        length = int("".join(map(str, bits[_SIG_BITS : _SIG_BITS + 32])), 2)
        if length <= 0 or length > 8 * _MAX_PAYLOAD_BYTES:
            return None
        payload = np.packbits(bits[_SIG_BITS + 32 : _SIG_BITS + 32 + length]).tobytes()
        if found[1]:
            inflater = zlib.decompressobj(wbits=31)  # gzip framing
            try:
                payload = inflater.decompress(payload, _MAX_PAYLOAD_BYTES)
            except zlib.error:
                return None
        return payload.decode("utf-8", errors="replace") or None
    return None
