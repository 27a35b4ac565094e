"""Fixtures for sweep tests: a tiny SD 1.x model built once, and a private data home."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_sd1(tmp_path_factory):
    """A tiny random-weight SD 1.x model saved as a diffusers folder."""
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    from tests.engine import tiny

    return tiny.build("sd1", tmp_path_factory.mktemp("tiny-sweep") / "sd1").diffusers_dir


@pytest.fixture(autouse=True)
def private_home(tmp_path, monkeypatch):
    """A fresh data home (library, caches) per test, and no models cached between tests.

    The cache is cleared because a LoRA generation leaves peft's ``base_layer`` keys in
    the cached UNet's state dict (an engine issue, see notes/issue-8.md), which breaks
    ``ControlNetModel.from_unet`` on it later.
    """
    from pixref.home import set_home

    monkeypatch.setenv("PIXREF_HOME", str(tmp_path / "home"))
    set_home(None)
    _clear_models()
    yield tmp_path / "home"
    _clear_models()
    set_home(None)


def _clear_models() -> None:
    try:
        from pixref.engine.models import clear_model_cache
    except ImportError:  # no torch: the engine tests skip anyway
        return
    clear_model_cache()
