"""``pixref models``: what is in the models folder, with architecture and A1111 hash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from pixref.cli._console import console, err_console
from pixref.engine.models import ModelInfo, ModelKind, kind_folders, list_models
from pixref.home import paths


def _record(info: ModelInfo) -> dict:
    return {
        "kind": info.kind.value,
        "name": info.name,
        "relative": info.relative,
        "path": str(info.path),
        "format": info.format,
        "size": info.size,
        "arch": info.arch,
        "inpainting": info.is_inpainting,
        "short_hash": info.short_hash,
        "hash": info.hash,
        "title": info.title,
        "problem": info.problem,
    }


def _size(n: int) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB" if n else "-"


def _table(infos: list[ModelInfo]) -> Table:
    table = Table(box=None, pad_edge=False)
    for column in ("kind", "arch", "hash", "size", "file"):
        table.add_column(column, no_wrap=column != "file", overflow="fold")
    for info in infos:
        arch = (info.arch or "?") + (" inpaint" if info.is_inpainting else "")
        if info.problem:
            arch = "[red]unusable[/red]"
        table.add_row(
            info.kind.value,
            arch,
            info.short_hash or "-",
            _size(info.size),
            escape(info.relative),
        )
    return table


class _HashProgress:
    """One transient bar per file being hashed, on stderr."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[Path, TaskID] = {}

    def __call__(self, path: Path, done: int, total: int) -> None:
        if path not in self.tasks:
            self.tasks[path] = self.progress.add_task(f"hashing {escape(path.name)}", total=total)
        self.progress.update(self.tasks[path], completed=done)


def models_command(
    models_dir: Annotated[
        Path | None,
        typer.Option(
            "--models-dir",
            help="A1111-style models folder (Stable-diffusion/, VAE/, Lora/, ...). "
            "Default: the data home's models/.",
            file_okay=False,
        ),
    ] = None,
    kinds: Annotated[
        list[ModelKind] | None,
        typer.Option("--kind", help="Only this kind; repeat for several."),
    ] = None,
    compute_hashes: Annotated[
        bool,
        typer.Option("--hash", help="Compute missing hashes (reads each unhashed file once)."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """List checkpoints, VAEs, LoRAs, embeddings and ControlNets with architecture and hash.

    Hashes are A1111's (10 hex digits for checkpoints and VAEs, 12 for LoRAs and
    embeddings, 8 for ControlNets); they are cached, so only new or changed files
    are read again.
    """
    folder = models_dir or paths().models
    if not kind_folders(folder):
        err_console.print(
            f"no model folders (Stable-diffusion/, VAE/, Lora/, ...) in {escape(str(folder))}"
        )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=err_console,
        transient=True,
        disable=not compute_hashes,
    ) as progress:
        infos = list_models(
            folder,
            kinds=tuple(kinds) if kinds else None,
            compute_hashes=compute_hashes,
            on_progress=_HashProgress(progress),
        )
    if as_json:
        console.print_json(json.dumps([_record(i) for i in infos]))
        return
    if infos:
        console.print(_table(infos))
    for info in infos:
        if info.problem:
            err_console.print(f"[yellow]{escape(info.relative)}:[/yellow] {escape(info.problem)}")


def register(app: typer.Typer) -> None:
    app.command("models")(models_command)
