"""The request and answer models of ``/api/mockups`` (see `mockup_api`).

Layer fields use the names of the `.pixmock.json` storage form, so a model converts
to the stage's dict form key for key; only ``file`` (an upload of this mockup) is
turned into a path inside the mockup's folder.
"""

from __future__ import annotations

from typing import Any

from fastapi import UploadFile
from pydantic import BaseModel, ConfigDict, Field

from pixref.mockup import BlendMode, MaskOp, MaskShape, Resample
from pixref.server._pixel_forms import Absent
from pixref.server._results import StoredImage
from pixref.server._uploads import LibraryId


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewMockup(Strict):
    name: str = Field(description="Letters, digits, '-' or '_'; how the mockup is addressed.")
    width: int = Field(1024, ge=1, le=30000, description="Canvas width in pixels.")
    height: int = Field(1024, ge=1, le=30000, description="Canvas height in pixels.")
    background: str | None = Field(None, description="`#rrggbb` behind all layers.")
    resample: Resample = Field(Resample.bicubic, description="Filter for scaled layers.")


class MockupOut(BaseModel):
    """A stored mockup: its name, the document (the `.pixmock.json` form), its layers."""

    name: str
    document: dict[str, Any] = Field(description="Layers bottom to top, defaults omitted.")
    layers: list[str] = Field(description="Layer names, bottom to top (groups flattened).")


class MockupSummary(BaseModel):
    name: str
    width: int
    height: int
    layers: int


class SourceIn(Strict):
    """Exactly one of a library id, an uploaded file of this mockup, or a colour."""

    library: LibraryId | None = Field(None, description="A library entry id.")
    file: str | None = Field(None, description="A file from `POST /api/mockups/{name}/files`.")
    color: str | None = Field(None, description="`#rrggbb` or `#rrggbbaa`.")
    size: tuple[int, int] | None = Field(None, description="[w, h] of a colour source.")


class LevelsIn(Strict):
    in_low: float = 0.0
    in_high: float = 1.0
    gamma: float = 1.0
    out_low: float = 0.0
    out_high: float = 1.0


class AdjustIn(Strict):
    """Non-destructive colour and value adjustments (applied in this order)."""

    levels: LevelsIn | None = None
    brightness: float = Field(0.0, description="-1 to 1.")
    contrast: float = Field(0.0, description="-1 to 1.")
    hue: float = Field(0.0, description="Degrees, -180 to 180.")
    saturation: float = Field(0.0, description="-1 to 1.")
    lightness: float = Field(0.0, description="-1 to 1.")
    color_balance: tuple[float, float, float] = Field((0.0, 0.0, 0.0), description="R, G, B.")


class MaskItemIn(Strict):
    """One mask item, in the layer source's pixels."""

    shape: MaskShape
    points: list[tuple[float, float]] | None = Field(
        None, description="rect/ellipse: 2 corners; polygon: 3+; stroke: the brush path."
    )
    width: float | None = Field(None, description="Brush diameter of a stroke, pixels.")
    file: str | None = Field(None, description="An image mask: a file of this mockup.")
    feather: float = Field(0.0, ge=0, description="Blur sigma in pixels.")
    invert: bool = False
    op: MaskOp = MaskOp.add


class LayerFields(Strict):
    x: float | None = Field(None, description="Left edge on the canvas, pixels.")
    y: float | None = Field(None, description="Top edge on the canvas, pixels.")
    scale: float | tuple[float, float] | None = Field(None, description="s, or [sx, sy].")
    rotate: float | None = Field(None, description="Degrees clockwise about the centre.")
    flip_x: bool | None = None
    flip_y: bool | None = None
    perspective: list[tuple[float, float]] | None = Field(
        None, description="Where the TL, TR, BR, BL corners go (4 points)."
    )
    opacity: float | None = Field(None, description="0-1.")
    visible: bool | None = None
    blend: BlendMode | None = None
    adjust: AdjustIn | None = None
    mask: list[MaskItemIn] | None = None


class LayerIn(LayerFields):
    """A new layer; it goes on top of the stack."""

    name: str | None = Field(None, description="Default: from the source; made unique.")
    source: SourceIn


class LayerPatch(LayerFields):
    """Changes to a layer: only the fields sent change; `null` restores the default."""

    name: str | None = Field(None, description="Rename the layer.")
    source: SourceIn | None = None


class OrderIn(Strict):
    to: str = Field(description="top, bottom, up, down, or a position (1 = bottom).")


class DocumentIn(Strict):
    document: dict[str, Any] = Field(description="A whole `.pixmock.json` document.")


class StoredFile(BaseModel):
    file: str = Field(description="Use as `source.file` or a mask item's `file`.")
    width: int
    height: int


class LayerUploadForm(Strict):
    file: UploadFile = Field(description="The layer's image.")
    name: str | Absent = Field(None, description="Layer name (default: the file's name).")
    x: float = 0.0
    y: float = 0.0
    scale: float = Field(1.0, gt=0)
    rotate: float = 0.0
    opacity: float = Field(1.0, ge=0, le=1)
    blend: BlendMode = BlendMode.normal


class RenderResult(BaseModel):
    image: StoredImage = Field(description="The flattened PNG, logged as a `mockup` entry.")
    warnings: list[str] = []


class ImportForm(Strict):
    file: UploadFile = Field(description="A .psd or .ora file.")
    name: str | Absent = Field(None, description="The new mockup's name (default: the file's).")
