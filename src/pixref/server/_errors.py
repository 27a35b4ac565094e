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

#: Documented on pixref's own stage routes (``/api/...``) besides `ERROR_RESPONSES`.
API_ERROR_RESPONSES = {
    409: {"model": ErrorBody, "description": "Clashes with what exists (a name, a job's state)"},
    422: {"model": ErrorBody, "description": "A field that does not parse, said in one line"},
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


#: Parts of a pydantic error location that name a union branch, not a field.
_TYPE_TAGS = {"int", "float", "str", "bool", "none", "list", "dict", "tuple", "json-or-python"}


def _field_path(loc: Iterable[Any]) -> str:
    names = [str(part) for part in loc]
    if names and names[0] in ("body", "query", "path", "header", "cookie"):
        names = names[1:]
    return ".".join(n for n in names if n not in _TYPE_TAGS and "-" not in n and "[" not in n)


def validation_message(errors: Iterable[Mapping[str, Any]]) -> str:
    """FastAPI's validation errors as one line, e.g. ``colors: Input should be ..., got 'x'``.

    Errors of one field are joined with "or" (a union's branches); "Input should be None"
    is dropped beside another reason (optional fields).
    """
    by_field: dict[str, list[Mapping[str, Any]]] = {}
    for error in errors:
        by_field.setdefault(_field_path(error.get("loc", ())), []).append(error)
    parts = []
    for field, found in by_field.items():
        if len(found) > 1:
            found = [e for e in found if e.get("type") != "none_required"] or found
        reasons = list(dict.fromkeys(str(e.get("msg", "invalid")) for e in found))
        message = " or ".join(reasons)
        given = found[0].get("input")
        if given is not None and not isinstance(given, dict | list) and len(repr(given)) <= 60:
            message += f", got {given!r}"
        parts.append((f"`{field}`: " if field else "") + message)
    return "; ".join(parts) or "invalid request"
