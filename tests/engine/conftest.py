"""Fixtures for engine tests: tiny models built once per session, and a private data home."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """The tiny SD 1.x, SD 2.x, SDXL and refiner models, by arch, saved as real files."""
    from tests.engine import tiny

    root = tmp_path_factory.mktemp("tiny-models")
    return {arch: tiny.build(arch, root / arch) for arch in tiny.ARCHES}


@pytest.fixture(scope="session")
def tiny_inpainting(tmp_path_factory):
    """A tiny SD 1.x inpainting model (9 UNet input channels)."""
    from tests.engine import tiny

    return tiny.build("sd1", tmp_path_factory.mktemp("tiny-inpaint"), inpainting=True)


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    """Keep hash caches out of the user's data home, and start with no cached models."""
    from pixref.engine.models import clear_model_cache
    from pixref.home import set_home

    monkeypatch.setenv("PIXREF_HOME", str(tmp_path / "home"))
    set_home(None)
    clear_model_cache()
    yield tmp_path / "home"
    clear_model_cache()
