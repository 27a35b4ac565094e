"""Where a command's generations run: this process, or Ray actors with ``--ray``.

Shared by the commands that take a backend (``pixref sweep``, ``pixref batch``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from pixref.cli._console import err_console

Opt = typer.Option

RayOpt = Annotated[
    str | None,
    Opt(
        "--ray",
        metavar="ADDRESS",
        help="Generate on a Ray cluster: HEAD:PORT, ray://HOST:PORT, auto (the one `ray start` "
        "began here) or local (start one); one actor per GPU.",
    ),
]
RayActorsOpt = Annotated[
    int | None,
    Opt("--ray-actors", help="Ray actors to start [one per GPU; 1 with --device cpu].", min=1),
]


def start_backend(ray, ray_actors, models_dir, device, load_options):
    """The backend generating for a command: this process, or Ray actors with ``--ray``."""
    from pixref import engine

    if ray is None:
        if ray_actors is not None:
            raise typer.BadParameter("--ray-actors needs --ray ADDRESS")
        return engine.LocalBackend(models_dir, device, load_options)
    from pixref.dist import RayBackend

    err_console.print(f"joining the Ray cluster ({ray}) ...", highlight=False)
    backend = RayBackend.start(ray, device=device, actors=ray_actors, models_dir=models_dir,
                               load_options=load_options)  # fmt: skip
    nodes = {a["node"] for a in backend.describe()}
    err_console.print(
        f"generating on {backend.capacity} Ray actor(s) on {len(nodes)} node(s)", highlight=False
    )
    return backend
