"""``pixref info``: the generation parameters an image carries, like A1111's "PNG Info"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from pixref.cli._console import console, err_console
from pixref.metadata import ImageMetadata, MetadataError, read_metadata


def _print_text(path: Path, meta: ImageMetadata, show_raw: bool) -> None:
    if meta.params is None:
        err_console.print(f"{escape(str(path))}: no generation parameters found")
    else:
        w, h = meta.size
        err_console.print(f"[bold]{escape(str(path))}[/bold]  ({meta.generator}, {w}x{h})")
        console.print(meta.infotext, markup=False)
        for item in meta.unresolved:
            err_console.print(f"[yellow]unresolved:[/yellow] {escape(item)}")
    if show_raw:
        for key, value in meta.raw.items():
            console.print(f"[{key}]", markup=False)
            console.print(value, markup=False)


def info_command(
    files: Annotated[list[Path], typer.Argument(help="Image files (PNG, JPEG, WebP).")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON record per file (a list for several).")
    ] = False,
    raw: Annotated[
        bool, typer.Option("--raw", help="Also print every text chunk as stored.")
    ] = False,
) -> None:
    """Print the generation parameters of image files, as A1111's PNG Info does.

    Reads A1111 and Forge (PNG, JPEG, WebP, stealth), ComfyUI, InvokeAI,
    NovelAI, Fooocus and SwarmUI metadata. Exits 1 if a file is unusable.
    """
    records = []
    failed = False
    for path in files:
        try:
            meta = read_metadata(path)
        except MetadataError as exc:
            err_console.print(f"[red]error:[/red] {escape(str(exc))}")
            failed = True
            continue
        if as_json:
            record = {"file": str(path), **meta.summary()}
            if raw:
                record["raw"] = meta.raw
            records.append(record)
        else:
            _print_text(path, meta, raw)
    if as_json and records:
        payload = records[0] if len(files) == 1 else records
        console.print(json.dumps(payload, ensure_ascii=False, indent=2), markup=False)
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("info")(info_command)
