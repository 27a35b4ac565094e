"""``create_app``: the FastAPI application behind `pixref serve`."""

from __future__ import annotations

import logging
import re
from contextlib import asynccontextmanager
from http import HTTPStatus

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pixref import __version__
from pixref.params import PixrefError
from pixref.server._errors import (
    ERROR_RESPONSES,
    Conflict,
    InvalidRequest,
    NotFound,
    error_kind,
    validation_message,
)
from pixref.server._generation import GenerationService, NoCheckpoint
from pixref.server._jobs import JobQueue
from pixref.server._security import require_auth
from pixref.server._settings import ServerSettings
from pixref.server._state import ServerState

log = logging.getLogger("pixref.server")

#: Routers mounted by `create_app`, in order; each stage's module adds its own.
ROUTER_MODULES = (
    "pixref.server.jobs_api",
    "pixref.server.sdapi",
    "pixref.server.pixel_api",
    "pixref.server.palette_api",
    "pixref.server.mockup_api",
    "pixref.server.pose_api",
    "pixref.server.sweep_api",
    "pixref.server.web_ui",
)
#: HTTP status of each error kind the handler knows; any other `PixrefError` is a 400.
STATUS = ((NotFound, 404), (Conflict, 409), (InvalidRequest, 422), (NoCheckpoint, 503))


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    """Build the server: settings checked, one job queue, every router, one error handler.

    Raises
    ------
    ServerConfigError
        When the settings would expose the server without authentication.
    """
    settings = settings or ServerSettings()
    settings.check()
    state = ServerState(
        settings=settings,
        jobs=JobQueue(cpu_workers=settings.cpu_workers),
        generation=GenerationService(settings.models_dir, settings.device),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        state.jobs.shutdown()

    app = FastAPI(
        title="pixref",
        version=__version__,
        summary="pixref's API, and A1111's /sdapi/v1 for the clients that speak it.",
        lifespan=lifespan,
        dependencies=[Depends(require_auth)],
        responses=ERROR_RESPONSES,
        max_body_size=settings.max_body_bytes,
    )
    app.state.pixref = state
    if settings.cors_allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_allow_origins),
            allow_methods=["*"],
            allow_headers=["*"],
            allow_credentials=True,
        )
    _add_error_handlers(app)
    for router in _routers():
        app.include_router(router)
    return app


def _routers():
    import importlib

    return [importlib.import_module(name).router for name in ROUTER_MODULES]


def _add_error_handlers(app: FastAPI) -> None:
    """`PixrefError` → 4xx ``{"error": kind, "detail": message}``; never a traceback.

    A request that does not parse becomes an `InvalidRequest` (422) under ``/api/``;
    under ``/sdapi/`` FastAPI's own 422 body stays, as A1111's clients expect it.
    """

    @app.exception_handler(PixrefError)
    async def pixref_error(request: Request, exc: PixrefError) -> JSONResponse:
        code = next((code for kind, code in STATUS if isinstance(exc, kind)), 400)
        return JSONResponse({"error": error_kind(exc), "detail": str(exc)}, status_code=code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        # Starlette's 405 lists the methods of the first route matching the path only;
        # a path served by several routes (GET and POST /api/mockups) lists all of theirs.
        if exc.status_code == 405:
            headers = dict(exc.headers or {})
            headers["Allow"] = _allowed_methods(request, headers.get("Allow", ""))
            exc = StarletteHTTPException(405, exc.detail, headers=headers)
        # Every error reads the same, a body that does not parse, an unknown path or a
        # refused method too; ``detail`` stays where FastAPI (and A1111's clients) put it.
        kind = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
        return JSONResponse(
            {"error": kind, "detail": str(exc.detail)},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        if not request.url.path.startswith("/api/"):
            return await request_validation_exception_handler(request, exc)
        return await pixref_error(request, InvalidRequest(validation_message(exc.errors())))


def _allowed_methods(request: Request, given: str) -> str:
    """Every method the schema lists for the request's path (the literal template before
    ``{param}`` ones, as routing picks it); ``given`` for paths the schema does not list."""
    path = request.url.path
    candidates = []
    for template, item in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            candidates.append((template.count("{"), template, item))
    if not candidates:
        return given
    _, _, item = min(candidates, key=lambda c: c[0])
    methods = {m.upper() for m in item if m in _HTTP_METHODS}
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
