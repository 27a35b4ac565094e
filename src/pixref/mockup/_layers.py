"""The app-neutral layer tree that ORA and PSD files are read into and written from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pixref.mockup._blend import BlendMode


@dataclass(frozen=True, kw_only=True)
class FileLayer:
    """A raster layer as painting apps store it: straight RGBA at an offset, plus attributes."""

    name: str
    top: int
    left: int
    rgba: np.ndarray  # (h, w, 4) uint8, straight alpha
    opacity: float = 1.0
    visible: bool = True
    blend: BlendMode = BlendMode.normal
    mask: np.ndarray | None = None  # (h, w) uint8, 255 = visible, aligned with rgba


@dataclass(frozen=True, kw_only=True)
class FileGroup:
    """A layer group (isolated)."""

    name: str
    layers: tuple[FileLayer | FileGroup, ...] = ()
    opacity: float = 1.0
    visible: bool = True
    blend: BlendMode = BlendMode.normal


@dataclass(frozen=True, kw_only=True)
class LayeredFile:
    """A whole layered image: canvas size, the stack bottom first, and reader warnings."""

    width: int
    height: int
    layers: tuple[FileLayer | FileGroup, ...]
    merged: np.ndarray | None = None  # (H, W, 3|4) uint8 as stored, if any
    warnings: tuple[str, ...] = field(default=())
