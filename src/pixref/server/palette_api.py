"""``/api/palettes``: the built-in palettes, extraction from an image, format conversion.

Thin over `pixref.pixel` and `pixref.pixel.palette_io`, as ``pixref palette`` is.
A palette is named (built-in) or uploaded, never read from a path on the server.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from pixref.pixel import (
    Palette,
    PaletteError,
    PaletteMethod,
    builtin_palette,
    builtin_palette_names,
    extract_palette,
)
from pixref.pixel import io as pixel_io
from pixref.pixel.palette_io import PALETTE_FORMATS, encode_palette
from pixref.server._errors import API_ERROR_RESPONSES, NotFound
from pixref.server._pixel_forms import (
    Absent,
    ImageForm,
    PaletteChoice,
    PaletteOut,
    chosen_palette,
    palette_out,
)
from pixref.server._results import JobAccepted, Wait, run_job, slug
from pixref.server._state import State
from pixref.server._uploads import source_image

router = APIRouter(prefix="/api", tags=["pixel"], responses=API_ERROR_RESPONSES)

#: The palette file formats `POST /api/palettes/convert` writes (`PALETTE_FORMATS`).
PaletteFormat = Literal["gpl", "pal", "hex", "act", "ase", "txt", "png"]
assert set(PaletteFormat.__args__) == set(PALETTE_FORMATS)

#: MIME types of the palette formats `POST /api/palettes/convert` writes.
PALETTE_MIME = {"png": "image/png", "gpl": "text/plain", "hex": "text/plain", "txt": "text/plain"}


class PaletteSummary(BaseModel):
    name: str
    count: int
    colors: list[str]


@router.get("/palettes", summary="List the built-in palettes")
def list_palettes() -> list[PaletteSummary]:
    """Every palette pixref ships, with its colours (``rrggbb``)."""
    out = []
    for name in builtin_palette_names():
        palette = builtin_palette(name)
        out.append(PaletteSummary(name=name, count=len(palette), colors=palette.hex()))
    return out


class ExtractForm(ImageForm):
    colors: int = Field(16, ge=1, le=256, description="Number of colours.")
    method: PaletteMethod = Field(PaletteMethod.kmeans, description="Extraction method.")


@router.post(
    "/palettes/extract",
    summary="Extract a palette from an image",
    response_model=PaletteOut,
    responses={202: {"model": JobAccepted}},
)
async def extract_image_palette(
    form: Annotated[ExtractForm, Form(media_type="multipart/form-data")],
    state: State,
    wait: Wait = True,
):
    """The ``colors`` colours that best represent the image (``pixref palette extract``)."""
    source = await source_image(
        form.image, form.image_id, max_pixels=state.settings.max_image_pixels
    )
    limit = state.settings.max_image_pixels

    def run(ctx) -> PaletteOut:
        image = pixel_io.decode_image(source.data, name=source.name, max_pixels=limit)
        palette = extract_palette(image, form.colors, method=form.method)
        return palette_out(Palette(palette.colors, name=source.stem))

    return await run_job(state, "palette", run, title=f"palette of {source.name}", wait=wait)


class ConvertForm(PaletteChoice):
    model_config = ConfigDict(extra="forbid")

    colors: str | Absent = Field(None, description="Or colours as hex, e.g. `ff0044,00ff00`.")
    format: PaletteFormat = Field(description="Output file format.")
    name: str | Absent = Field(None, description="Palette name written in the file.")


@router.post(
    "/palettes/convert",
    summary="Convert a palette to another file format",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def convert_palette(form: Annotated[ConvertForm, Form(media_type="multipart/form-data")]):
    """A built-in palette, an uploaded palette file or a hex list, as a file in
    ``format`` (``pixref palette convert``)."""
    given = [form.palette, form.palette_file, form.colors]
    if sum(v is not None for v in given) != 1:
        raise PaletteError("give exactly one of `palette`, `palette_file` or `colors`")
    palette = Palette.from_hex(form.colors) if form.colors else await chosen_palette(form)
    assert palette is not None
    if form.name:
        palette = Palette(palette.colors, name=form.name, names=palette.names)
    ext = form.format.lower().lstrip(".")
    data = encode_palette(palette, ext)
    filename = f"{slug(palette.name, 'palette')}.{ext}"
    return Response(
        data,
        media_type=PALETTE_MIME.get(ext, "application/octet-stream"),
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/palettes/{name}", summary="One built-in palette, with its .gpl file")
def get_palette(name: str) -> PaletteOut:
    """A built-in palette by name or alias (``db32``, ``pico8``...)."""
    try:
        return palette_out(builtin_palette(name))
    except PaletteError as exc:
        raise NotFound(str(exc)) from None
