"""``pixref pixelize``, ``pixref snap`` and ``pixref palette``: the pixel stage's commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from pixref import __version__
from pixref.cli._console import console, err_console
from pixref.pixel import (
    Dither,
    DownscaleMethod,
    IndexedImage,
    Palette,
    PaletteMethod,
    PixelizeSettings,
    builtin_palette,
    builtin_palette_names,
    contact_sheet,
    extract_palette,
    pixelize,
    snap_art,
    variant_settings,
)
from pixref.pixel import io as pixel_io
from pixref.pixel.palette_io import load_palette, write_palette

InputPath = Annotated[
    Path,
    typer.Argument(help="Input image.", exists=True, dir_okay=False, readable=True),
]


def _parse_size(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    try:
        width, height = (int(v) for v in value.lower().split("x"))
    except ValueError:
        raise typer.BadParameter(f"must be WIDTHxHEIGHT like 128x96, got {value!r}") from None
    return width, height


def _parse_widths(value: str | None) -> list[int]:
    if not value:
        return []
    try:
        widths = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise typer.BadParameter(f"must be widths like 96,128,160, got {value!r}") from None
    if any(w < 1 for w in widths):
        raise typer.BadParameter(f"widths must be positive, got {value!r}")
    return widths


def _sibling(out: Path, suffix: str, ext: str | None = None) -> Path:
    return out.with_name(f"{out.stem}{suffix}{ext or out.suffix or '.png'}")


def _record(command: str, source: Path, settings: dict) -> dict:
    return pixel_io.settings_record(command, source.name, settings, tool=f"pixref {__version__}")


def _write_outputs(
    out: Path,
    art: IndexedImage,
    *,
    record: dict,
    preview_scale: int | None,
    aseprite: bool,
) -> list[Path]:
    written = [pixel_io.write_indexed_png(out, art, settings=record)]
    if preview_scale:
        written.append(
            pixel_io.write_preview(_sibling(out, f"_x{preview_scale}"), art, preview_scale)
        )
    if aseprite:
        written.append(pixel_io.write_aseprite(out.with_suffix(".aseprite"), art))
    return written


def pixelize_command(
    input_path: InputPath,
    output: Annotated[Path, typer.Option("--output", "-o", help="Output PNG (indexed, 1x).")],
    width: Annotated[int | None, typer.Option(help="Target width in art pixels.")] = None,
    height: Annotated[int | None, typer.Option(help="Target height in art pixels.")] = None,
    pixel_size: Annotated[float | None, typer.Option(help="Source pixels per art pixel.")] = None,
    size: Annotated[str | None, typer.Option(help="Target WIDTHxHEIGHT, e.g. 128x96.")] = None,
    method: Annotated[
        DownscaleMethod, typer.Option(help="Per-cell downscale rule.")
    ] = DownscaleMethod.box,
    outline: Annotated[
        int, typer.Option(help="Thicken thin outlines by N source pixels first (0 = off).")
    ] = 0,
    brightness: Annotated[float, typer.Option(help="Lightness shift, -1..1.")] = 0.0,
    contrast: Annotated[float, typer.Option(help="Lightness contrast factor.")] = 1.0,
    saturation: Annotated[float, typer.Option(help="Chroma factor (0 = grey).")] = 1.0,
    hue: Annotated[float, typer.Option(help="Hue rotation in degrees.")] = 0.0,
    gamma: Annotated[float, typer.Option(help="Lightness gamma (>1 brightens mid tones).")] = 1.0,
    colors: Annotated[int, typer.Option(help="Palette size to extract, 1-256.")] = 16,
    palette_method: Annotated[
        PaletteMethod, typer.Option(help="How the palette is extracted.")
    ] = PaletteMethod.kmeans,
    palette: Annotated[
        str | None,
        typer.Option(help="Fixed palette: a built-in name (see `pixref palette list`) or a file."),
    ] = None,
    dither: Annotated[Dither, typer.Option(help="Dithering (none is the default).")] = Dither.none,
    dither_strength: Annotated[float, typer.Option(help="Dither strength, 0-1.")] = 1.0,
    clean: Annotated[bool, typer.Option(help="Remove isolated single pixels.")] = False,
    alpha_threshold: Annotated[
        int, typer.Option(help="Alpha at or above this is opaque, 0-255.")
    ] = 128,
    widths: Annotated[
        str | None, typer.Option(help="Write variants at these widths, e.g. 96,128,160.")
    ] = None,
    variants: Annotated[
        int | None, typer.Option(help="Write K variants around the target width (12.5% steps).")
    ] = None,
    preview_scale: Annotated[
        int | None, typer.Option(help="Also write a K-times nearest-neighbour enlargement.")
    ] = None,
    export_palette: Annotated[
        Path | None, typer.Option(help="Also write the palette (.gpl, .pal, .hex, .ase, ...).")
    ] = None,
    aseprite: Annotated[
        bool, typer.Option(help="Also write an indexed .aseprite file beside each PNG.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Turn a high-resolution reference into native-resolution indexed pixel art."""
    settings = PixelizeSettings(
        width=width,
        height=height,
        pixel_size=pixel_size,
        size=_parse_size(size),
        method=method,
        outline=outline,
        brightness=brightness,
        contrast=contrast,
        saturation=saturation,
        hue_shift=hue,
        gamma=gamma,
        colors=colors,
        palette_method=palette_method,
        palette=load_palette(palette) if palette else None,
        dither=dither,
        dither_strength=dither_strength,
        clean=clean,
        alpha_threshold=alpha_threshold,
    )
    image = pixel_io.read_image(input_path)
    if variants:
        outputs = variant_settings(image.shape, settings, variants=variants)
    else:
        outputs = variant_settings(image.shape, settings, widths=_parse_widths(widths))
    results: list[dict] = []
    if variants or widths:
        arts = [pixelize(image, s) for s in outputs]
        for art, variant in zip(arts, outputs, strict=True):
            rows, cols = art.shape
            out = _sibling(output, f"_{cols}x{rows}")
            record = _record("pixelize", input_path, variant.to_dict())
            files = _write_outputs(
                out, art, record=record, preview_scale=preview_scale, aseprite=aseprite
            )
            results.append(_summary(art, files))
        sheet = _sibling(output, "_sheet")
        pixel_io.write_rgba_png(sheet, contact_sheet(arts))
        results.append({"contact_sheet": str(sheet)})
        palette_source = arts[len(arts) // 2]
    else:
        art = pixelize(image, settings)
        record = _record("pixelize", input_path, settings.to_dict())
        files = _write_outputs(
            output, art, record=record, preview_scale=preview_scale, aseprite=aseprite
        )
        results.append(_summary(art, files))
        palette_source = art
    if export_palette:
        write_palette(export_palette, palette_source.palette)
        results.append({"palette": str(export_palette)})
    _print_results(results, as_json)
    _log(input_path, [Path(r["files"][0]) for r in results if "files" in r], "pixelized")


def _log(source: Path, outputs: list[Path], kind: str) -> None:
    """Record the 1x results in the library, linked to the source when it is logged."""
    from pixref.library import open_library, record_derived
    from pixref.params import PixrefError

    try:
        with open_library() as lib:
            for output in outputs:
                entry = record_derived(lib, output, source=source, kind=kind)
                err_console.print(f"logged as #{entry.id}")
    except PixrefError as exc:
        err_console.print(f"warning: not logged in the library: {escape(str(exc))}")


def _summary(art: IndexedImage, files: list[Path]) -> dict:
    rows, cols = art.shape
    return {
        "files": [str(f) for f in files],
        "width": cols,
        "height": rows,
        "colors": len(art.palette),
        "transparent": art.transparent,
    }


def _print_results(results: list[dict], as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps(results if len(results) > 1 else results[0]))
        return
    for entry in results:
        if "files" in entry:
            err_console.print(
                f"{entry['width']}x{entry['height']}, {entry['colors']} colours"
                + (", transparent at index 0" if entry["transparent"] else "")
            )
            for f in entry["files"]:
                console.print(f, markup=False)
        else:
            for value in entry.values():
                console.print(value, markup=False)


def snap_command(
    input_path: InputPath,
    output: Annotated[Path, typer.Option("--output", "-o", help="Output PNG at true resolution.")],
    pixel_size: Annotated[
        float | None, typer.Option(help="Cell size in source pixels; skips detection.")
    ] = None,
    offset: Annotated[
        str | None, typer.Option(help="With --pixel-size: first cell boundary X,Y in pixels.")
    ] = None,
    colors: Annotated[
        int | None, typer.Option(help="Reduce to at most N colours (k-means in OKLab).")
    ] = None,
    palette: Annotated[
        str | None, typer.Option(help="Map onto a fixed palette: built-in name or file.")
    ] = None,
    merge: Annotated[
        float | None,
        typer.Option(
            help="Merge colours closer than this OKLab distance (0 = off; "
            "default: from the measured noise, 0 for a clean upscale)."
        ),
    ] = None,
    alpha_threshold: Annotated[
        int, typer.Option(help="Alpha at or above this is opaque, 0-255.")
    ] = 128,
    grid_preview: Annotated[
        Path | None, typer.Option(help="Also write the input with the detected grid drawn.")
    ] = None,
    preview_scale: Annotated[
        int | None, typer.Option(help="Also write a K-times nearest-neighbour enlargement.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Recover true-resolution pixel art from an image that only looks like pixel art."""
    if colors is not None and not 1 <= colors <= 256:
        raise typer.BadParameter(f"must be 1-256, got {colors}", param_hint="--colors")
    fixed = load_palette(palette) if palette else None
    image = pixel_io.read_image(input_path)
    snapped = snap_art(
        image,
        pixel_size=pixel_size,
        offset=_parse_offset(offset),
        colors=colors,
        palette=fixed,
        merge=merge,
        alpha_threshold=alpha_threshold,
    )
    grid, art, indexed = snapped.grid, snapped.art, snapped.indexed
    if grid_preview:
        pixel_io.write_grid_preview(grid_preview, image, grid)
    rows, cols = art.shape[:2]
    record = _record("snap", input_path, snapped.record())
    if indexed is None:
        err_console.print("warning: more than 256 colours; wrote a truecolour PNG (use --colors)")
        files = [pixel_io.write_rgba_png(output, art, settings=record)]
    else:
        files = _write_outputs(
            output, indexed, record=record, preview_scale=preview_scale, aseprite=False
        )
    _log(input_path, files[:1], "snapped")
    report = {
        "width": cols,
        "height": rows,
        "pitch": [round(grid.cols.pitch, 3), round(grid.rows.pitch, 3)],
        "offset": [round(grid.cols.offset, 2), round(grid.rows.offset, 2)],
        "confidence": round(grid.confidence, 3),
        "colors": None if indexed is None else len(indexed.palette),
        "files": [str(f) for f in files] + ([str(grid_preview)] if grid_preview else []),
    }
    if as_json:
        console.print_json(json.dumps(report))
        return
    err_console.print(
        f"grid: pitch {report['pitch'][0]} x {report['pitch'][1]} px, offset "
        f"{report['offset'][0]}, {report['offset'][1]}, confidence {report['confidence']} "
        f"-> {cols}x{rows} art pixels"
    )
    for f in report["files"]:
        console.print(f, markup=False)


def _parse_offset(value: str | None) -> tuple[float, float]:
    if not value:
        return 0.0, 0.0
    try:
        x, y = (float(v) for v in value.split(","))
    except ValueError:
        raise typer.BadParameter(f"must be X,Y like 3,2, got {value!r}") from None
    return x, y


palette_app = typer.Typer(
    help="Show, convert and extract palettes (.gpl, .pal, .hex, .act, .ase, .txt, .png).",
    no_args_is_help=True,
)


@palette_app.command("list")
def palette_list() -> None:
    """List the built-in palettes."""
    for name in builtin_palette_names():
        console.print(f"{name:16} {len(builtin_palette(name)):3d} colours", markup=False)


@palette_app.command("show")
def palette_show(
    spec: Annotated[str, typer.Argument(help="Built-in palette name or palette file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print a palette's colours as hex, one per line."""
    pal = load_palette(spec)
    if as_json:
        console.print_json(json.dumps({"name": pal.name, "colors": pal.hex()}))
        return
    err_console.print(f"{escape(pal.name)}: {len(pal)} colours")
    for value in pal.hex():
        console.print(value, markup=False)


@palette_app.command("convert")
def palette_convert(
    source: Annotated[str, typer.Argument(help="Built-in palette name or palette file.")],
    target: Annotated[Path, typer.Argument(help="Output file; format from its extension.")],
) -> None:
    """Convert a palette to another file format (or export a built-in one)."""
    pal = load_palette(source)
    console.print(str(write_palette(target, pal)), markup=False)


@palette_app.command("extract")
def palette_extract(
    input_path: InputPath,
    output: Annotated[Path, typer.Option("--output", "-o", help="Palette file to write.")],
    colors: Annotated[int, typer.Option(help="Number of colours, 1-256.")] = 16,
    method: Annotated[
        PaletteMethod, typer.Option(help="Extraction method.")
    ] = PaletteMethod.kmeans,
) -> None:
    """Extract a palette from an image."""
    image = pixel_io.read_image(input_path)
    pal = extract_palette(image, colors, method=method)
    pal = Palette(pal.colors, name=input_path.stem)
    console.print(str(write_palette(output, pal)), markup=False)


def register(app: typer.Typer) -> None:
    app.command("pixelize")(pixelize_command)
    app.command("snap")(snap_command)
    app.add_typer(palette_app, name="palette")
