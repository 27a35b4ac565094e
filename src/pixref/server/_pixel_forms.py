"""Form pieces the pixel and palette routes share: the image, the palette choice, and
the palette as it is answered."""

from __future__ import annotations

from fastapi import UploadFile
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from pixref.pixel import Palette, PaletteError, builtin_palette
from pixref.pixel.palette_io import decode_palette, encode_palette
from pixref.server._uploads import LibraryId, read_upload

#: An optional form field: sent or left out, never null (a form cannot say null).
Absent = SkipJsonSchema[None]


class ImageForm(BaseModel):
    """The image a request works on: an upload, or a library id."""

    model_config = ConfigDict(extra="forbid")

    image: UploadFile | Absent = Field(None, description="The image file (PNG, JPEG, WebP, ...).")
    image_id: LibraryId | Absent = Field(None, description="Or a library entry id.")


class PaletteChoice(BaseModel):
    palette: str | Absent = Field(
        None, description="A built-in palette by name (`GET /api/palettes`)."
    )
    palette_file: UploadFile | Absent = Field(
        None, description="Or a palette file (.gpl, .pal, .hex, .act, .ase, .txt, .png)."
    )


class PaletteOut(BaseModel):
    """A palette: colours as ``rrggbb`` hex, and as a GIMP .gpl file."""

    name: str
    colors: list[str]
    gpl: str


def palette_out(palette: Palette) -> PaletteOut:
    gpl = encode_palette(palette, "gpl").decode("utf-8")
    return PaletteOut(name=palette.name, colors=palette.hex(), gpl=gpl)


async def chosen_palette(choice: PaletteChoice) -> Palette | None:
    """A built-in palette by name, or an uploaded file; never a path on the server."""
    if choice.palette and choice.palette_file is not None:
        raise PaletteError("give `palette` (a built-in name) or `palette_file`, not both")
    if choice.palette_file is not None:
        data = await read_upload(choice.palette_file, field="palette_file")
        return decode_palette(data, choice.palette_file.filename or "palette.gpl")
    return builtin_palette(choice.palette) if choice.palette else None
