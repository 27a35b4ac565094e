"""The web UI: ``/`` and its static files under ``/ui/``.

Plain HTML, CSS and JavaScript modules shipped in ``pixref/server/web`` (no build
step). Files are served from a fixed list made at import, so a request can never
name a path outside that folder; the same auth guards them as every API route.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from pixref.server._errors import NotFound

WEB_ROOT = Path(__file__).parent / "web"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
#: Every servable file, by its name below ``web/`` ("pages/generate.js").
FILES = {
    p.relative_to(WEB_ROOT).as_posix(): p
    for p in sorted(WEB_ROOT.rglob("*"))
    if p.is_file() and p.suffix in _TYPES
}

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def index() -> FileResponse:
    return FileResponse(FILES["index.html"], media_type=_TYPES[".html"], headers=_NO_CACHE)


@router.get("/ui/{name:path}")
def asset(name: str) -> FileResponse:
    path = FILES.get(name)
    if path is None:
        raise NotFound(f"no web UI file {name!r}")
    return FileResponse(path, media_type=_TYPES[path.suffix], headers=_NO_CACHE)


# The UI is small and changes with pixref's version; revalidating costs little on loopback.
_NO_CACHE = {"Cache-Control": "no-cache"}
