"""What every route reaches through ``request.app.state.pixref``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from pixref.server._generation import GenerationService
from pixref.server._jobs import JobQueue
from pixref.server._library import LibraryAccess
from pixref.server._settings import ServerSettings


@dataclass
class ServerState:
    """The settings, the one job queue, the generation worker's service, and the
    library's readers and single writer."""

    settings: ServerSettings
    jobs: JobQueue
    generation: GenerationService
    library: LibraryAccess


def get_state(request: Request) -> ServerState:
    """FastAPI dependency: the running server's `ServerState`."""
    return request.app.state.pixref


#: A route parameter that receives the running server's `ServerState`.
State = Annotated[ServerState, Depends(get_state)]
