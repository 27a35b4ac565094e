"""The server's errors and how they read as JSON."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from pixref.params import PixrefError


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer: the error's kind (``no_checkpoint``) and a one-line message."""

    error: str
    detail: str


#: Documented on every route: what any request may get besides its success answer.
ERROR_RESPONSES = {
    400: {"model": ErrorBody, "description": "Bad input, said in one line"},
    401: {"description": "Credentials needed (the server runs with --auth or --token)"},
    404: {"model": ErrorBody, "description": "No such entry, job or file"},
    413: {"description": "Request body over the server's limit"},
    503: {"model": ErrorBody, "description": "No checkpoint installed (generation only)"},
}


class NotFound(PixrefError):
    """A library entry, file, document or other resource the request names is not there."""


class Conflict(PixrefError):
    """The request clashes with what exists (a name taken, a job not finished)."""


class InvalidRequest(PixrefError):
    """A request whose fields do not parse (FastAPI's validation), in one line."""


def error_kind(exc: BaseException) -> str:
    """``ModelLoadError`` → ``model_load_error``: the error's kind for JSON bodies."""
    name = type(exc).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def validation_message(errors: Iterable[Mapping[str, Any]]) -> str:
    """FastAPI's validation errors as one line: ``\\`colors\\`: Input should be ..., got 'x'``."""
    parts = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "form")]
        where = f"`{'.'.join(loc)}`: " if loc else ""
        message = str(error.get("msg", "invalid"))
        given = error.get("input")
        if given is not None and not isinstance(given, dict | list) and len(repr(given)) <= 60:
            message += f", got {given!r}"
        parts.append(where + message)
    return "; ".join(parts) or "invalid request"
