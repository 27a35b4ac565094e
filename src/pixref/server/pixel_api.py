"""``/api/pixelize`` and ``/api/snap``: the pixel stage over HTTP (palettes: `palette_api`).

Thin over `pixref.pixel`, as ``pixref pixelize`` and ``pixref snap`` are: the same
settings, the same indexed PNGs (with their settings record), logged in the library
as the CLI logs them (``pixelized_from`` / ``snapped_from`` lineage). Images come as
a multipart upload or a library id; results come back as library ids and URLs, or
inline as base64 PNGs with ``?inline=true``. ``?save=false`` writes and logs nothing and
answers inline (the web UI's live previews).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from pydantic import BaseModel, Field, field_validator

from pixref import __version__
from pixref.pixel import (
    MIN_CONFIDENCE,
    Dither,
    DownscaleMethod,
    IndexedImage,
    PaletteMethod,
    PixelError,
    PixelizeSettings,
    contact_sheet,
    draw_grid,
    pixelize,
    snap_art,
    target_shape,
    variant_settings,
)
from pixref.pixel import io as pixel_io
from pixref.server._errors import API_ERROR_RESPONSES
from pixref.server._pixel_forms import (
    Absent,
    ImageForm,
    PaletteChoice,
    PaletteOut,
    chosen_palette,
    palette_out,
)
from pixref.server._results import (
    ImageData,
    JobAccepted,
    StoredImage,
    Wait,
    b64,
    image_url,
    run_job,
    save_derived,
)
from pixref.server._state import State
from pixref.server._uploads import source_image

router = APIRouter(prefix="/api", tags=["pixel"], responses=API_ERROR_RESPONSES)
Inline = Annotated[bool, Query(description="Also return each image as a base64 PNG.")]
Save = Annotated[
    bool,
    Query(
        description="Write the results to outputs/ and log them in the library; false "
        "only answers them (inline, with null ids): for live previews."
    ),
]
TOOL = f"pixref {__version__}"


def _int_list(value: Any) -> Any:
    """``"48,64"``, ``["48", "64"]`` or ``["48,64"]`` → ``["48", "64"]`` (form fields)."""
    if value is None:
        return []
    items = [value] if isinstance(value, str | int) else list(value)
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


class PixelizeForm(ImageForm, PaletteChoice):
    """Every option of ``pixref pixelize``."""

    width: Annotated[int, Field(ge=1)] | Absent = Field(
        None, description="Target width in art pixels."
    )
    height: Annotated[int, Field(ge=1)] | Absent = Field(
        None, description="Target height in art pixels."
    )
    pixel_size: Annotated[float, Field(ge=1)] | Absent = Field(
        None, description="Source pixels per art pixel."
    )
    size: str | Absent = Field(None, description="Target WIDTHxHEIGHT, e.g. 128x96.")
    widths: list[int] = Field(
        default_factory=list, description="One variant per width, e.g. `48,64,96`."
    )
    heights: list[int] = Field(default_factory=list, description="One variant per height.")
    variants: Annotated[int, Field(ge=1, le=16)] | Absent = Field(
        None, description="K variants around the target width (12.5% steps)."
    )
    method: DownscaleMethod = Field(DownscaleMethod.box, description="Per-cell downscale rule.")
    outline: int = Field(0, ge=0, description="Thicken thin outlines by N source pixels first.")
    brightness: float = Field(0.0, ge=-1, le=1, description="Lightness shift, -1..1.")
    contrast: float = Field(1.0, ge=0, description="Lightness contrast factor.")
    saturation: float = Field(1.0, ge=0, description="Chroma factor (0 = grey).")
    hue: float = Field(0.0, description="Hue rotation in degrees.")
    gamma: float = Field(1.0, gt=0, description="Lightness gamma (>1 brightens mid tones).")
    colors: int = Field(16, ge=1, le=256, description="Palette size to extract.")
    palette_method: PaletteMethod = Field(
        PaletteMethod.kmeans, description="How the palette is extracted."
    )
    dither: Dither = Field(Dither.none, description="Dithering.")
    dither_strength: float = Field(1.0, ge=0, le=1, description="Dither strength.")
    clean: bool = Field(False, description="Remove isolated single pixels.")
    alpha_threshold: int = Field(128, ge=0, le=255, description="Alpha at or above is opaque.")
    preview_scale: Annotated[int, Field(ge=1, le=32)] | Absent = Field(
        None, description="Also return a K-times nearest enlargement of each."
    )
    aseprite: bool = Field(False, description="Also return each as an indexed .aseprite file.")

    @field_validator("widths", "heights", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _int_list(value)


class PixelArt(StoredImage):
    """One indexed 1x result."""

    colors: int = Field(description="Colours in its palette (transparency not counted).")
    transparent: bool = Field(description="Index 0 is transparent.")
    palette: list[str] = Field(description="Its palette, `rrggbb`, in index order.")
    settings: dict[str, Any] = Field(description="The settings record stored in the PNG.")
    preview: ImageData | None = Field(None, description="With `preview_scale`.")
    aseprite_base64: str | None = Field(None, description="With `aseprite`.")


class PixelizeResult(BaseModel):
    """What `POST /api/pixelize` made."""

    source_id: int | None = Field(description="The source's library id, when it is logged.")
    images: list[PixelArt]
    palette: PaletteOut = Field(description="The middle variant's palette (the CLI's export).")
    contact_sheet: ImageData = Field(description="Every variant side by side, labelled.")
    warnings: list[str] = []


def _size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    w, sep, h = text.lower().partition("x")
    if not (sep and w.strip().isdigit() and h.strip().isdigit()):
        raise PixelError(f"`size` must be WIDTHxHEIGHT like 128x96, got {text!r}")
    return int(w), int(h)


def _art(
    art: IndexedImage,
    png: bytes,
    entry_id: int | None,
    record: dict[str, Any],
    *,
    inline: bool,
    preview_scale: int | None = None,
    aseprite: bool = False,
) -> PixelArt:
    rows, cols = art.shape
    preview = None
    if preview_scale:
        big = pixel_io.enlarge(art, preview_scale)
        preview = ImageData(
            width=cols * preview_scale,
            height=rows * preview_scale,
            png_base64=b64(pixel_io.encode_indexed_png(big)),
        )
    return PixelArt(
        image_id=entry_id,
        url=image_url(entry_id),
        width=cols,
        height=rows,
        png_base64=b64(png) if inline else None,
        colors=len(art.palette),
        transparent=art.transparent,
        palette=art.palette.hex(),
        settings=record,
        preview=preview,
        aseprite_base64=b64(pixel_io.encode_aseprite(art)) if aseprite else None,
    )


@router.post(
    "/pixelize",
    summary="Pixelize a reference into indexed pixel art",
    response_model=PixelizeResult,
    responses={202: {"model": JobAccepted}},
)
async def pixelize_image(
    form: Annotated[PixelizeForm, Form(media_type="multipart/form-data")],
    state: State,
    inline: Inline = False,
    wait: Wait = True,
    save: Save = True,
):
    """Turn a high-resolution reference into native-resolution indexed pixel art, as
    ``pixref pixelize`` does: one 1x indexed PNG per size asked (``widths``,
    ``heights``, ``variants``), each logged as ``pixelized`` from its source, with the
    palette (hex and .gpl) and a contact sheet."""
    source = await source_image(
        form.image, form.image_id, max_pixels=state.settings.max_image_pixels
    )
    settings = PixelizeSettings(
        width=form.width,
        height=form.height,
        pixel_size=form.pixel_size,
        size=_size(form.size),
        method=form.method,
        outline=form.outline,
        brightness=form.brightness,
        contrast=form.contrast,
        saturation=form.saturation,
        hue_shift=form.hue,
        gamma=form.gamma,
        colors=form.colors,
        palette_method=form.palette_method,
        palette=await chosen_palette(form),
        dither=form.dither,
        dither_strength=form.dither_strength,
        clean=form.clean,
        alpha_threshold=form.alpha_threshold,
    )
    outputs = variant_settings(
        source.shape, settings, widths=form.widths, heights=form.heights, variants=form.variants
    )
    for variant in outputs:  # every size refused now, not in the job
        target_shape(source.shape, variant)
    limit = state.settings.max_image_pixels
    inline = inline or not save

    def run(ctx) -> PixelizeResult:
        image = pixel_io.decode_image(source.data, name=source.name, max_pixels=limit)
        arts = []
        for i, variant in enumerate(outputs):
            ctx.progress(i / len(outputs), f"pixelizing {i + 1} of {len(outputs)}")
            arts.append(pixelize(image, variant))
        ctx.progress(0.95, "saving")
        records, pngs = [], []
        for art, variant in zip(arts, outputs, strict=True):
            rows, cols = art.shape
            record = pixel_io.settings_record("pixelize", source.name, variant.to_dict(), tool=TOOL)
            records.append(record)
            pngs.append((pixel_io.encode_indexed_png(art, settings=record),
                         f"{source.stem}-{cols}x{rows}"))  # fmt: skip
        if save:
            ids, source_id, warnings = save_derived(
                pngs, source=source.data, source_id=source.library_id, kind="pixelized",
                folder="pixelized-images",
            )  # fmt: skip
        else:
            ids, source_id, warnings = [None] * len(pngs), source.library_id, []
        images = [
            _art(art, png, entry_id, record, inline=inline, preview_scale=form.preview_scale,
                 aseprite=form.aseprite)
            for art, (png, _), entry_id, record in zip(arts, pngs, ids, records, strict=True)
        ]  # fmt: skip
        sheet = contact_sheet(arts)
        return PixelizeResult(
            source_id=source_id,
            images=images,
            palette=palette_out(arts[len(arts) // 2].palette),
            contact_sheet=ImageData(
                width=sheet.shape[1],
                height=sheet.shape[0],
                png_base64=b64(pixel_io.encode_rgba_png(sheet)),
            ),
            warnings=warnings,
        )

    return await run_job(state, "pixelize", run, title=f"pixelize {source.name}", wait=wait)


class SnapForm(ImageForm, PaletteChoice):
    """Every option of ``pixref snap``."""

    pixel_size: Annotated[float, Field(ge=1)] | Absent = Field(
        None, description="Cell size in source pixels; skips grid detection."
    )
    offset_x: float = Field(0.0, description="With `pixel_size`: first cell boundary x.")
    offset_y: float = Field(0.0, description="With `pixel_size`: first cell boundary y.")
    colors: Annotated[int, Field(ge=1, le=256)] | Absent = Field(
        None, description="Reduce to at most N colours."
    )
    merge: Annotated[float, Field(ge=0)] | Absent = Field(
        None, description="Merge colours closer than this OKLab distance (default: "
        "from the measured noise, 0 for a clean upscale).",
    )  # fmt: skip
    alpha_threshold: int = Field(128, ge=0, le=255, description="Alpha at or above is opaque.")
    min_confidence: float = Field(
        MIN_CONFIDENCE, ge=0, le=1, description="Refuse a detected grid below this confidence."
    )
    grid_preview: bool = Field(False, description="Also return the input with the grid drawn.")
    preview_scale: Annotated[int, Field(ge=1, le=32)] | Absent = Field(
        None, description="Also return a K-times nearest enlargement."
    )


class SnapResult(BaseModel):
    """What `POST /api/snap` recovered."""

    source_id: int | None
    image: StoredImage = Field(description="The art at its true resolution, 1x.")
    colors: int | None = Field(description="Palette size; null for a truecolour result.")
    palette: list[str] | None
    pitch: tuple[float, float] = Field(description="Cell size (x, y) in source pixels.")
    offset: tuple[float, float] = Field(description="First cell boundary (x, y) in pixels.")
    confidence: float = Field(description="How clearly the grid showed, 0-1.")
    merge: float = Field(description="The OKLab merge distance used.")
    grid_preview: ImageData | None = None
    preview: ImageData | None = None
    warnings: list[str] = []


@router.post(
    "/snap",
    summary="Recover true-resolution pixel art from an upscaled copy",
    response_model=SnapResult,
    responses={202: {"model": JobAccepted}},
)
async def snap_image(
    form: Annotated[SnapForm, Form(media_type="multipart/form-data")],
    state: State,
    inline: Inline = False,
    wait: Wait = True,
    save: Save = True,
):
    """Find the pixel grid of pseudo pixel art (AI output, an upscaled sprite) and take
    one pixel per cell, as ``pixref snap`` does; logged as ``snapped`` from its source.
    An image without a clear grid is refused (400) with the confidence found."""
    source = await source_image(
        form.image, form.image_id, max_pixels=state.settings.max_image_pixels
    )
    palette = await chosen_palette(form)
    limit = state.settings.max_image_pixels
    inline = inline or not save

    def run(ctx) -> SnapResult:
        image = pixel_io.decode_image(source.data, name=source.name, max_pixels=limit)
        ctx.progress(0.1, "finding the grid")
        snapped = snap_art(
            image,
            pixel_size=form.pixel_size,
            offset=(form.offset_x, form.offset_y),
            colors=form.colors,
            palette=palette,
            merge=form.merge,
            alpha_threshold=form.alpha_threshold,
            min_confidence=form.min_confidence,
        )
        grid, art, indexed = snapped.grid, snapped.art, snapped.indexed
        rows, cols = art.shape[:2]
        record = pixel_io.settings_record("snap", source.name, snapped.record(), tool=TOOL)
        warnings = []
        if indexed is None:
            warnings.append("more than 256 colours; the result is a truecolour PNG (set colors)")
            png = pixel_io.encode_rgba_png(art, settings=record)
        else:
            png = pixel_io.encode_indexed_png(indexed, settings=record)
        if save:
            (entry_id,), source_id, problems = save_derived(
                [(png, f"{source.stem}-snapped")], source=source.data,
                source_id=source.library_id, kind="snapped", folder="snapped-images",
            )  # fmt: skip
        else:
            entry_id, source_id, problems = None, source.library_id, []
        preview = grid_png = None
        if form.preview_scale and indexed is not None:
            big = pixel_io.enlarge(indexed, form.preview_scale)
            preview = ImageData(width=cols * form.preview_scale, height=rows * form.preview_scale,
                                png_base64=b64(pixel_io.encode_indexed_png(big)))  # fmt: skip
        if form.grid_preview:
            drawn = draw_grid(image, grid)
            grid_png = ImageData(width=drawn.shape[1], height=drawn.shape[0],
                                 png_base64=b64(pixel_io.encode_rgba_png(drawn)))  # fmt: skip
        return SnapResult(
            source_id=source_id,
            image=StoredImage(
                image_id=entry_id,
                url=image_url(entry_id),
                width=cols,
                height=rows,
                png_base64=b64(png) if inline else None,
            ),
            colors=None if indexed is None else len(indexed.palette),
            palette=None if indexed is None else indexed.palette.hex(),
            pitch=(round(grid.cols.pitch, 3), round(grid.rows.pitch, 3)),
            offset=(round(grid.cols.offset, 2), round(grid.rows.offset, 2)),
            confidence=round(grid.confidence, 3),
            merge=snapped.merge,
            grid_preview=grid_png,
            preview=preview,
            warnings=warnings + problems,
        )

    return await run_job(state, "snap", run, title=f"snap {source.name}", wait=wait)
