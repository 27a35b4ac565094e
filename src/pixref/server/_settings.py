"""``ServerSettings``: how `pixref serve` listens and what it lets clients do."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from pixref.params import PixrefError

# A1111's port, so its clients (webuiapi, Krita and Photoshop plug-ins) connect unchanged.
DEFAULT_PORT = 7860
MiB = 1024 * 1024


class ServerConfigError(PixrefError):
    """Settings the server refuses to start with."""


@dataclass(frozen=True)
class ServerSettings:
    """Where the server listens and its limits.

    Attributes
    ----------
    host, port : str, int
        Bind address; loopback by default. Any other address needs ``auth`` or ``token``.
    models_dir : Path, optional
        The A1111-style models folder (default: the data home's).
    device : str, optional
        Where generation runs (default: CUDA when available, else CPU).
    auth : (str, str), optional
        HTTP basic credentials ``(user, password)`` every request must carry.
    token : str, optional
        A bearer token (``Authorization: Bearer TOKEN``) accepted instead of ``auth``.
    cors_allow_origins : tuple of str
        Origins browsers may call from; none by default (CORS closed).
    max_body_bytes : int
        Largest request body; A1111 clients send images as base64 JSON, so the
        default (64 MiB) carries a few 2048² PNGs.
    max_image_pixels : int
        Largest image (width × height) a request may upload.
    cpu_workers : int
        Threads for CPU jobs (pixelize, snap, render, import).
    ray : str, optional
        Generate on a Ray cluster: ``HOST:PORT`` of its head, ``ray://HOST:PORT``,
        ``auto`` (the one ``ray start`` runs here) or ``local`` (a private instance).
        Its actors start with the app (`create_app`), and device jobs then run one per
        actor at once; ``device`` is theirs (none: one actor per GPU; ``cpu``: CPU actors).
    ray_actors : int, optional
        How many Ray actors to start (default: one per GPU; 1 with ``device="cpu"``).
    """

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    models_dir: Path | None = None
    device: str | None = None
    auth: tuple[str, str] | None = None
    token: str | None = None
    cors_allow_origins: tuple[str, ...] = ()
    max_body_bytes: int = 64 * MiB
    max_image_pixels: int = 4096 * 4096
    cpu_workers: int = 2
    ray: str | None = None
    ray_actors: int | None = None

    def check(self) -> None:
        """Refuse settings that would expose the server without authentication."""
        if not 0 < self.port < 65536:
            raise ServerConfigError(f"--port must be within 1-65535, got {self.port}")
        if not is_loopback(self.host) and self.auth is None and not self.token:
            raise ServerConfigError(
                f"listening on {self.host} exposes the server to the network; "
                "add --auth USER:PASSWORD or --token TOKEN, or listen on 127.0.0.1"
            )
        if self.auth is not None and not (self.auth[0] and self.auth[1]):
            raise ServerConfigError("--auth needs USER:PASSWORD, both non-empty")
        if self.ray_actors is not None and self.ray is None:
            raise ServerConfigError("--ray-actors needs --ray ADDRESS")
        if self.ray_actors is not None and self.ray_actors < 1:
            raise ServerConfigError(f"--ray-actors must be at least 1, got {self.ray_actors}")


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_auth(text: str) -> tuple[str, str]:
    """``USER:PASSWORD`` → ``(user, password)`` (the password may contain ``:``)."""
    user, sep, password = text.partition(":")
    if not sep or not user or not password:
        raise ServerConfigError("--auth needs USER:PASSWORD, both non-empty")
    return user, password


def token_from_env() -> str | None:
    """``PIXREF_TOKEN``, so a token need not appear in the process list."""
    return os.environ.get("PIXREF_TOKEN") or None
