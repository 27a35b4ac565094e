"""The server's errors and how they read as JSON."""

from __future__ import annotations

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


def error_kind(exc: BaseException) -> str:
    """``ModelLoadError`` → ``model_load_error``: the error's kind for JSON bodies."""
    name = type(exc).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
