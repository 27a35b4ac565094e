"""``pixref paths``: where the data home and its folders are."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from pixref.cli._console import console
from pixref.home import paths as current_paths


def paths_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the data home and the models, outputs and library locations."""
    p = current_paths()
    entries = {
        "home": str(p.home),
        "models": str(p.models),
        "outputs": str(p.outputs),
        "library": str(p.library),
    }
    if as_json:
        console.print_json(json.dumps(entries))
        return
    for name, value in entries.items():
        console.print(f"{name + ':':9} {value}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("paths")(paths_command)
