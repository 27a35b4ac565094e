"""What every route reaches through ``request.app.state.pixref``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from pixref.server._generation import GenerationService
from pixref.server._jobs import JobQueue
from pixref.server._settings import ServerSettings


@dataclass
class ServerState:
    """The settings, the one job queue, and the generation worker's service."""

    settings: ServerSettings
    jobs: JobQueue
    generation: GenerationService


def get_state(request: Request) -> ServerState:
    """FastAPI dependency: the running server's `ServerState`."""
    return request.app.state.pixref
