"""The `Palette` value type and the built-in palettes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from pixref.pixel._errors import PaletteError
from pixref.pixel._palettes_builtin import BUILTIN_PALETTES, PALETTE_ALIASES

_HEX = re.compile(r"#?([0-9a-fA-F]{6})")


@dataclass(frozen=True, eq=False)
class Palette:
    """An ordered list of opaque sRGB colours.

    Attributes
    ----------
    colors : (K, 3) uint8 array
        sRGB 0–255, in palette order (an artist's ramp order is kept).
    name : str
        Display name ("" when unknown).
    names : tuple of str
        Optional per-colour names (GIMP .gpl, .ase); empty or of length K.
    """

    colors: np.ndarray
    name: str = ""
    names: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        colors = np.asarray(self.colors)
        if colors.ndim != 2 or colors.shape[1] != 3 or colors.dtype != np.uint8:
            raise PaletteError(
                f"`palette` colours must be a (K, 3) uint8 array, got {colors.dtype} {colors.shape}"
            )
        if len(colors) == 0:
            raise PaletteError("`palette` has no colours; give at least one")
        if len(colors) > 256:
            raise PaletteError(
                f"`palette` has {len(colors)} colours, more than the 256 an indexed image holds"
            )
        object.__setattr__(self, "colors", colors)

    def __len__(self) -> int:
        return len(self.colors)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Palette) and np.array_equal(self.colors, other.colors)

    __hash__ = None  # type: ignore[assignment]

    def hex(self) -> list[str]:
        """Colours as ``rrggbb`` strings (Lospec spelling, no ``#``)."""
        return [f"{r:02x}{g:02x}{b:02x}" for r, g, b in self.colors.tolist()]

    @classmethod
    def from_hex(cls, values: str | list[str], *, name: str = "") -> Palette:
        """Build a palette from ``rrggbb`` strings (``#`` optional, space/comma separated).

        Examples
        --------
        >>> Palette.from_hex("#ff0000, 00ff00").colors.tolist()
        [[255, 0, 0], [0, 255, 0]]
        """
        items = values.replace(",", " ").split() if isinstance(values, str) else values
        colors = []
        for item in items:
            match = _HEX.fullmatch(item.strip())
            if not match:
                raise PaletteError(f"palette colour must be 6 hex digits like ff0044, got {item!r}")
            colors.append([int(match.group(1)[i : i + 2], 16) for i in (0, 2, 4)])
        return cls(np.array(colors, dtype=np.uint8).reshape(-1, 3), name=name)


def builtin_palette_names() -> list[str]:
    """Slugs of the palettes pixref ships."""
    return list(BUILTIN_PALETTES)


def builtin_palette(name: str) -> Palette:
    """A shipped palette by slug or alias (case-insensitive), e.g. ``"pico-8"``, ``"db32"``.

    Raises
    ------
    PaletteError
        For an unknown name.
    """
    slug = name.strip().lower().replace("_", "-").replace(" ", "-")
    slug = PALETTE_ALIASES.get(slug, slug)
    if slug not in BUILTIN_PALETTES:
        known = ", ".join(BUILTIN_PALETTES)
        raise PaletteError(f"unknown palette {name!r}; use one of {known} or a palette file")
    return Palette.from_hex(BUILTIN_PALETTES[slug], name=slug)
