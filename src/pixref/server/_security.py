"""Authentication (HTTP basic or a bearer token) and the rules for serving files."""

from __future__ import annotations

import base64
import binascii
import secrets

from fastapi import HTTPException, Request, status

from pixref.server._settings import ServerSettings


def _equal(given: str, expected: str) -> bool:
    # compare_digest takes the same time wherever the first difference is.
    return secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def authorized(settings: ServerSettings, header: str | None) -> bool:
    """True when no credentials are configured, or ``header`` carries valid ones."""
    if settings.auth is None and not settings.token:
        return True
    if not header:
        return False
    scheme, _, value = header.partition(" ")
    if settings.token and scheme.lower() == "bearer":
        return _equal(value.strip(), settings.token)
    credentials = _basic_credentials(header)
    if settings.auth is None or credentials is None:
        return False
    # Both halves are always compared, so a right user name takes no longer to refuse.
    user_ok = _equal(credentials[0], settings.auth[0])
    password_ok = _equal(credentials[1], settings.auth[1])
    return user_ok and password_ok


def require_auth(request: Request) -> None:
    """FastAPI dependency on every route: 401 with a basic-auth challenge when refused."""
    settings: ServerSettings = request.app.state.pixref.settings
    if not authorized(settings, request.headers.get("authorization")):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="authentication required: HTTP basic (--auth) or a bearer token (--token)",
            headers={"WWW-Authenticate": 'Basic realm="pixref"'},
        )
