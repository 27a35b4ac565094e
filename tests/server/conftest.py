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


@pytest.fixture(scope="session")
def tiny_sd_models(tmp_path_factory):
    """A models folder holding a tiny random SD 1.x checkpoint and a tiny ControlNet.

    ``Stable-diffusion/tiny.safetensors`` (A1111's single-file layout) needs the tiny
    configs to load: pass ``config_dir`` as a load option (see `sd_client`).
    ``ControlNet/tiny-controlnet`` is a diffusers ControlNet folder.
    """
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    import shutil
    from types import SimpleNamespace

    from tests.engine import tiny

    root = tmp_path_factory.mktemp("sdapi-models")
    model = tiny.build("sd1", root / "build")
    controlnet = tiny.build_controlnet("sd1", root / "build-controlnet")
    models = root / "models"
    (models / "Stable-diffusion").mkdir(parents=True)
    shutil.copy(model.single_file, models / "Stable-diffusion" / "tiny.safetensors")
    shutil.copytree(controlnet.diffusers_dir, models / "ControlNet" / "tiny-controlnet")
    return SimpleNamespace(models_dir=models, config_dir=model.config_dir)


def use_tiny_configs(app, tiny_sd_models) -> None:
    """Let the app's generation service load the tiny single-file checkpoint."""
    app.state.pixref.generation.load_options = {"config_dir": str(tiny_sd_models.config_dir)}


@pytest.fixture
def sd_client(make_client, tiny_sd_models):
    """A TestClient whose models folder holds the tiny checkpoint and ControlNet."""
    client = make_client(models_dir=tiny_sd_models.models_dir)
    use_tiny_configs(client.app, tiny_sd_models)
    return client


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
