"""The ``pixref`` command line: a thin adapter over the stage packages."""

from pixref.cli._app import app, main

__all__ = ["app", "main"]
