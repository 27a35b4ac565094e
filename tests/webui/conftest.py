"""Browser tests: a live server with a tiny random model, driven by Playwright in
Debian's chromium. Skipped cleanly when Playwright or a chromium is missing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("uvicorn")

ARTIFACTS = Path(os.environ.get("PIXREF_TEST_ARTIFACTS", "test-artifacts")) / "webui"


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="session")
def browser():
    executable = _chromium()
    if executable is None:
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu", "--headless=new"]
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def tiny_sd1_models(tmp_path_factory):
    """A models folder holding one tiny random SD1 checkpoint (a diffusers folder, which
    loads with its own configs)."""
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    from tests.engine import tiny

    root = tmp_path_factory.mktemp("webui-models")
    model = tiny.build("sd1", root / "build")
    folder = root / "models" / "Stable-diffusion"
    folder.mkdir(parents=True)
    shutil.copytree(model.diffusers_dir, folder / "tiny-sd1")
    return root / "models"


@pytest.fixture
def server_url(tiny_sd1_models):
    from pixref.server import ServerSettings
    from tests.live_server import live_server

    with live_server(ServerSettings(models_dir=tiny_sd1_models)) as url:
        yield url


# Chromium logs every failed fetch as a console error; tests of refused requests expect these.
REFUSED_REQUEST = "Failed to load resource: the server responded with a status of 4"


def _browser_page(browser, server_url, request, *, allow_refused: bool):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.base_url = server_url
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    unexpected = [e for e in errors if not (allow_refused and e.startswith(REFUSED_REQUEST))]
    assert not unexpected, f"browser console errors: {unexpected}"


@pytest.fixture
def page(browser, server_url, request):
    """A fresh page on the live server; fails the test on any console error."""
    yield from _browser_page(browser, server_url, request, allow_refused=False)


@pytest.fixture
def lenient_page(browser, server_url, request):
    """`page` for tests of refused requests: the browser's own "Failed to load resource:
    ... 4xx" lines are expected there; any other console error still fails the test."""
    yield from _browser_page(browser, server_url, request, allow_refused=True)
