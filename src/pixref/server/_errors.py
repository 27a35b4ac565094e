"""The server's errors and how they read as JSON."""

from __future__ import annotations

from pixref.params import PixrefError


class NotFound(PixrefError):
    """A library entry, file, document or other resource the request names is not there."""


def error_kind(exc: BaseException) -> str:
    """``ModelLoadError`` → ``model_load_error``: the error's kind for JSON bodies."""
    name = type(exc).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
