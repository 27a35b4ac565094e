"""``create_app``: the FastAPI application behind `pixref serve`."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from http import HTTPStatus

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from pixref import __version__
from pixref.library import EntryNotFound
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
from pixref.server._library import LibraryAccess
from pixref.server._security import require_auth
from pixref.server._settings import ServerSettings
from pixref.server._state import ServerState

log = logging.getLogger("pixref.server")

#: Routers mounted by `create_app`, in order; each stage's module adds its own.
ROUTER_MODULES = (
    "pixref.server.jobs_api",
    "pixref.server.library_api",
    "pixref.server.images_api",
    "pixref.server.sdapi",
    "pixref.server.pixel_api",
    "pixref.server.palette_api",
    "pixref.server.mockup_api",
    "pixref.server.pose_api",
    "pixref.server.sweep_api",
    "pixref.server.web_ui",
)
#: HTTP status of each error kind the handler knows; any other `PixrefError` is a 400.
STATUS = (
    (NotFound, 404),
    (EntryNotFound, 404),
    (Conflict, 409),
    (InvalidRequest, 422),
    (NoCheckpoint, 503),
)


#: Seconds the shutdown waits for stopped Ray jobs before closing the backend.
SHUTDOWN_WAIT_S = 10.0


def create_app(settings: ServerSettings | None = None, *, backend=None) -> FastAPI:
    """Build the server: settings checked, one job queue, every router, one error handler.

    With ``settings.ray``, the Ray backend starts here (its actors ready before the
    app is returned) and closes when the app shuts down; ``backend`` instead lends
    the app one already started (e.g. a `pixref.dist.RayBackend`), which the caller
    closes. Device jobs then run up to ``backend.capacity`` at once.

    Raises
    ------
    ServerConfigError
        When the settings would expose the server without authentication.
    pixref.dist.DistError
        When ``settings.ray`` cannot be joined or cannot run the actors asked for.
    """
    settings = settings or ServerSettings()
    settings.check()
    owned = backend is None and settings.ray is not None
    if owned:
        backend = start_ray_backend(settings)
    state = ServerState(
        settings=settings,
        jobs=JobQueue(cpu_workers=settings.cpu_workers, device_slots=_slots(backend)),
        generation=GenerationService(settings.models_dir, settings.device, backend=backend),
        library=LibraryAccess(),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        state.jobs.shutdown(wait_s=SHUTDOWN_WAIT_S if owned else 0.0)
        if owned:
            backend.close()
        state.library.close()

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


def start_ray_backend(settings: ServerSettings):
    """Join ``settings.ray`` and start the generation actors on it."""
    from pixref.dist import RayBackend
    from pixref.home import paths

    # the actors read the same folder (shared, or the same path on every node)
    models_dir = settings.models_dir or paths().models
    return RayBackend.start(settings.ray, device=settings.device, actors=settings.ray_actors,
                            models_dir=models_dir)  # fmt: skip


def _slots(backend) -> int:
    return max(1, backend.capacity) if backend is not None else 1


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
        # a path served by several routes (GET and PATCH /api/library) lists all of theirs.
        if exc.status_code == 405:
            headers = {**(exc.headers or {}), "Allow": _allowed_methods(request)}
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


def _allowed_methods(request: Request) -> str:
    """The methods of every route with the same path template as the first matching one."""
    template, methods = None, set()
    # iter_route_contexts walks into included routers (FastAPI keeps them nested).
    for route in iter_route_contexts(request.app.routes):
        if not route.methods or route.matches(request.scope)[0] == Match.NONE:
            continue
        template = template or route.path
        if route.path == template:
            methods |= route.methods
    return ", ".join(sorted(methods))
