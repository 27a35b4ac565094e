"""``pixref serve``: pixref over HTTP (FastAPI), for its web UI and A1111's clients.

- ``/sdapi/v1/...``: A1111's API (v1.10 request and response shapes), so
  ``webuiapi`` scripts and Krita/Photoshop plug-ins work unchanged.
- ``/api/...``: pixref's own API (library, pixel, mockup, pose, sweeps, jobs),
  documented at ``/docs``.

Every route is a thin adapter over the stage functions the CLI calls. Work that
uses the model goes through one job queue (one generation at a time, or one per
actor with ``ServerSettings.ray``); CPU work runs in a pool beside it.

>>> from pixref.server import ServerSettings, create_app
>>> app = create_app(ServerSettings())  # doctest: +SKIP
"""

from pixref.server._app import create_app
from pixref.server._errors import NotFound
from pixref.server._settings import (
    DEFAULT_PORT,
    ServerConfigError,
    ServerSettings,
    is_loopback,
    parse_auth,
)

__all__ = [
    "DEFAULT_PORT",
    "NotFound",
    "ServerConfigError",
    "ServerSettings",
    "create_app",
    "is_loopback",
    "parse_auth",
]
