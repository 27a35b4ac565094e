"""`PixelizeSettings`: every pixelize option, frozen, with its default visible here."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from pixref.pixel._dither import Dither
from pixref.pixel._downscale import DownscaleMethod
from pixref.pixel._errors import PixelError, parse_choice
from pixref.pixel._palette import Palette
from pixref.pixel._quantize import PaletteMethod

SETTINGS_VERSION = 1


@dataclass(frozen=True, kw_only=True)
class PixelizeSettings:
    """Settings of `pixelize`. Give exactly one of width, height, pixel_size or size.

    Attributes
    ----------
    width, height : int, optional
        Target size in art pixels along one side; the other keeps the aspect ratio.
    pixel_size : float, optional
        Source pixels per art pixel.
    size : (int, int), optional
        Target (width, height) in art pixels.
    method : DownscaleMethod
        Per-cell downscale rule.
    outline : int
        Outline expansion radius in source pixels before downscaling (0 = off).
    brightness, contrast, saturation, hue_shift, gamma : float
        OKLCh colour adjustment (see `adjust_colors`); neutral by default.
    colors : int
        Palette size to extract when ``palette`` is None, 1–256.
    palette_method : PaletteMethod
        How the palette is extracted.
    palette : Palette, optional
        A fixed palette to map onto instead of extracting one.
    dither : Dither
        Dithering of the mapping (none by default).
    dither_strength : float
        0–1.
    clean : bool
        Remove isolated single pixels after mapping.
    alpha_threshold : int
        Alpha at or above which a pixel is opaque, 0–255; alpha becomes binary.
    """

    width: int | None = None
    height: int | None = None
    pixel_size: float | None = None
    size: tuple[int, int] | None = None
    method: DownscaleMethod = DownscaleMethod.box
    outline: int = 0
    brightness: float = 0.0
    contrast: float = 1.0
    saturation: float = 1.0
    hue_shift: float = 0.0
    gamma: float = 1.0
    colors: int = 16
    palette_method: PaletteMethod = PaletteMethod.kmeans
    palette: Palette | None = None
    dither: Dither = Dither.none
    dither_strength: float = 1.0
    clean: bool = False
    alpha_threshold: int = 128

    def __post_init__(self) -> None:
        for name, enum in (
            ("method", DownscaleMethod),
            ("palette_method", PaletteMethod),
            ("dither", Dither),
        ):
            object.__setattr__(self, name, parse_choice(enum, getattr(self, name), name))
        given = [n for n in ("width", "height", "pixel_size", "size") if getattr(self, n)]
        if len(given) > 1:
            raise PixelError(
                f"give only one of width, height, pixel size or size, got {', '.join(given)}"
            )
        if self.palette is None and not 1 <= self.colors <= 256:
            raise PixelError(f"`colors` must be between 1 and 256, got {self.colors}")
        if self.gamma <= 0:
            raise PixelError(f"`gamma` must be above 0, got {self.gamma}")
        if self.outline < 0:
            raise PixelError(f"`outline` must be 0 or more pixels, got {self.outline}")
        if not 0 <= self.alpha_threshold <= 255:
            raise PixelError(f"`alpha threshold` must be 0–255, got {self.alpha_threshold}")
        if not 0.0 <= self.dither_strength <= 1.0:
            raise PixelError(f"`dither strength` must be 0–1, got {self.dither_strength}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record with a ``version``; values equal to the default are omitted."""
        out: dict[str, Any] = {"version": SETTINGS_VERSION}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value == f.default:
                continue
            if isinstance(value, Palette):
                value = {"name": value.name, "colors": value.hex()}
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PixelizeSettings:
        """Inverse of `to_dict`."""
        data = {k: v for k, v in data.items() if k != "version"}
        if isinstance(data.get("palette"), dict):
            pal = data["palette"]
            data["palette"] = Palette.from_hex(pal["colors"], name=pal.get("name", ""))
        if data.get("size") is not None:
            data["size"] = tuple(data["size"])
        return cls(**data)
