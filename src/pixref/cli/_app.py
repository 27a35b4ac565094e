"""The root ``pixref`` app: global options, error handling, and the sub-commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from typer.core import TyperGroup

from pixref import __version__
from pixref.cli._console import err_console
from pixref.home import set_home
from pixref.params import PixrefError

# typer >= 0.26 ships its own copy of click; find its exception base either way.
_CLICK_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
_PASS_THROUGH = (_CLICK_ERROR, typer.Exit, typer.Abort)


class _Group(TyperGroup):
    """Turns a `PixrefError` anywhere below into a one-line ``error:`` and exit 1."""

    def invoke(self, ctx: typer.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except PixrefError as exc:
            err_console.print(f"[red]error:[/red] {escape(str(exc))}")
            raise typer.Exit(1) from None
        except _PASS_THROUGH:
            raise
        except BrokenPipeError:  # output piped into `head` and the like
            raise typer.Exit(0) from None
        except Exception:
            err_console.print(
                "[red]pixref hit an internal error[/red] (a bug, not your input): "
                "please report it with the traceback below."
            )
            raise


app = typer.Typer(
    name="pixref",
    cls=_Group,
    help="Stable Diffusion reference for pixel artists: generate, log, mock up, pixelize.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"pixref {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            envvar="PIXREF_HOME",
            help="Data home (models/, outputs/, library). Default: the user data dir.",
            file_okay=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Stable Diffusion reference for pixel artists: generate, log, mock up, pixelize."""
    set_home(home)


def _register() -> None:
    # Each stage's commands live in their own module and register themselves here.
    from pixref.cli import (
        batch,
        generate,
        info,
        library,
        mockup,
        models,
        paths,
        pixel,
        pose,
        serve,
        sweep,
    )

    for module in (generate, info, models, paths, library, pixel, pose, mockup, sweep, batch,
                   serve):  # fmt: skip
        module.register(app)


_register()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="pixref")
