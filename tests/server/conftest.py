"""Server fixtures: an app on a private data home, driven by FastAPI's TestClient."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pixref.server import ServerSettings, create_app


@pytest.fixture
def make_client(tmp_path):
    """``make_client(**settings)`` → a TestClient over a fresh app (closed after the test)."""
    clients = []

    def make(**settings):
        settings.setdefault("models_dir", tmp_path / "models")
        client = TestClient(create_app(ServerSettings(**settings)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client):
    return make_client()


def _find_pixelart() -> Path | None:
    # ../shared beside the checkout (CI); a git worktree sits deeper, so try every ancestor.
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / "data" / "pixelart"
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture
def pixelart() -> Path:
    """The shared pixel-art folder; tests using it skip cleanly when it is absent."""
    found = _find_pixelart()
    if found is None:
        pytest.skip("../shared/data/pixelart is not beside this checkout")
    return found
