"""``pixref serve``: the HTTP server (A1111's ``/sdapi/v1`` and pixref's ``/api``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pixref.cli._console import err_console
from pixref.params import PixrefError

Opt = typer.Option


def serve_command(
    port: Annotated[int, Opt(help="Port (A1111's 7860 by default).")] = 7860,
    host: Annotated[str, Opt(help="Address to bind (loopback by default).")] = "127.0.0.1",
    listen: Annotated[
        bool, Opt("--listen", help="Bind all addresses (0.0.0.0), as A1111's --listen.")
    ] = False,
    auth: Annotated[
        str | None, Opt(help="USER:PASSWORD for HTTP basic auth (needed with --listen).")
    ] = None,
    token: Annotated[
        str | None,
        Opt(
            help="Bearer token clients may send instead (or set PIXREF_TOKEN).",
            envvar="PIXREF_TOKEN",
            show_envvar=False,
        ),
    ] = None,  # fmt: skip
    cors_allow_origins: Annotated[
        str | None, Opt(help="Comma-separated origins browsers may call from (CORS).")
    ] = None,
    models_dir: Annotated[
        Path | None, Opt(help="A1111-style models folder (default: the data home's).")
    ] = None,
    device: Annotated[str | None, Opt(help="cuda, cpu, ... (default: CUDA if present).")] = None,
    max_body_mb: Annotated[int, Opt(help="Largest request body in MiB.")] = 64,
    ray: Annotated[
        str | None,
        Opt(
            "--ray",
            help="Generate on a Ray cluster: HEAD:PORT, ray://HOST:PORT, auto (the one "
            "`ray start` runs here) or local (a private instance).",
        ),
    ] = None,
    ray_actors: Annotated[
        int | None,
        Opt("--ray-actors", help="Ray actors to start [one per GPU; 1 with --device cpu].", min=1),
    ] = None,
) -> None:
    """Serve pixref over HTTP: the web UI's API and A1111's /sdapi/v1 for its clients.

    Starts with no model installed too: pixel, mockup and library features work, and
    generation answers with where to put a checkpoint.

    `--ray ADDRESS` generates on a Ray cluster's actors (one per GPU), as many
    requests at once as there are actors; this process still saves and logs every
    image. The actors start before the server listens, and stop with it.
    """
    try:
        import uvicorn

        from pixref.server import ServerSettings, create_app, parse_auth
    except ImportError as exc:
        raise PixrefError(
            f"the server needs the `server` extra ({exc.name} is missing): "
            "pip install 'pixref[server]'"
        ) from None
    origins = tuple(o.strip() for o in (cors_allow_origins or "").split(",") if o.strip())
    settings = ServerSettings(
        host="0.0.0.0" if listen else host,
        port=port,
        models_dir=models_dir,
        device=device,
        auth=parse_auth(auth) if auth else None,
        token=token,
        cors_allow_origins=origins,
        max_body_bytes=max_body_mb * 1024 * 1024,
        ray=ray,
        ray_actors=ray_actors,
    )
    app = create_app(settings)  # with --ray, a bad address fails here, before serving
    backend = app.state.pixref.generation.backend
    if backend is not None:
        nodes = {a["node"] for a in backend.describe()}
        err_console.print(
            f"generating on {backend.capacity} Ray actor(s) on {len(nodes)} node(s)",
            highlight=False,
        )
    shown = "127.0.0.1" if settings.host == "0.0.0.0" else settings.host
    err_console.print(f"pixref serving on http://{shown}:{settings.port}  (API docs: /docs)")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
