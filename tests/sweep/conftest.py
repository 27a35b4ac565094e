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
    """A fresh data home (library, caches) per test."""
    from pixref.home import set_home

    monkeypatch.setenv("PIXREF_HOME", str(tmp_path / "home"))
    set_home(None)
    yield tmp_path / "home"
    set_home(None)
