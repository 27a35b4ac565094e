"""`IndexedImage`: palette indices plus a palette, with index 0 reserved for transparency."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pixref.pixel._palette import Palette
from pixref.pixel._quantize_common import unique_colors


@dataclass(frozen=True, eq=False)
class IndexedImage:
    """An indexed (palette) image as pixel-art editors expect it.

    Attributes
    ----------
    indices : (H, W) uint8 array
        Entry indices. With ``transparent``, index 0 is the transparent entry and
        ``palette.colors[i]`` has index ``i + 1``; otherwise ``palette.colors[i]``
        has index ``i``.
    palette : Palette
        The opaque colours, in palette order; transparency never takes one.
    transparent : bool
        Whether index 0 is a fully transparent entry.
    """

    indices: np.ndarray
    palette: Palette
    transparent: bool = False

    def entries(self) -> np.ndarray:
        """``(N, 4)`` uint8 RGBA entries as written to a PNG PLTE/tRNS (index order)."""
        opaque = np.concatenate(
            [self.palette.colors, np.full((len(self.palette), 1), 255, np.uint8)], axis=1
        )
        if not self.transparent:
            return opaque
        return np.concatenate([np.zeros((1, 4), np.uint8), opaque])

    def to_rgba(self) -> np.ndarray:
        """``(H, W, 4)`` uint8 RGBA rendering."""
        return self.entries()[self.indices]

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return self.indices.shape  # type: ignore[return-value]


def indexed_from_labels(labels: np.ndarray, palette: Palette) -> IndexedImage:
    """Build an `IndexedImage` from palette indices where −1 marks transparent pixels."""
    transparent = bool((labels < 0).any())
    indices = (labels + 1) if transparent else labels
    return IndexedImage(indices.astype(np.uint8), palette, transparent)


def to_indexed(image: np.ndarray, *, alpha_threshold: int = 128) -> IndexedImage | None:
    """Exact indexed form of an RGB(A) image, or None when it has too many colours.

    Alpha is made binary at ``alpha_threshold``; the colours keep first-seen order
    sorted by value (deterministic). At most 256 entries, the transparent one included.
    """
    opaque = np.ones(image.shape[:2], bool)
    if image.shape[2] == 4:
        opaque = image[..., 3] >= alpha_threshold
    pixels = image[..., :3][opaque]
    if len(pixels) == 0:
        return None
    colors, _ = unique_colors(pixels)
    transparent = not opaque.all()
    if len(colors) + transparent > 256:
        return None
    keys = colors.astype(np.int64) @ np.array([65536, 256, 1])
    pix_keys = image[..., :3].astype(np.int64) @ np.array([65536, 256, 1])
    labels = np.searchsorted(keys, pix_keys)
    labels = np.where(opaque, np.minimum(labels, len(colors) - 1), -1)
    return indexed_from_labels(labels, Palette(colors))
