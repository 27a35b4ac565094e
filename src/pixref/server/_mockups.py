"""Mockup documents the server keeps: ``<data home>/mockups/NAME.pixmock.json``.

Clients address a document by its name, never by a path, and the files its layers
use (uploads, imported layers) live in ``NAME.layers/`` beside it. A document a
client sends may only refer to files in that folder, so no request reads another
file on the server.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

from pixref.mockup import Document, MockupError, document_from_dict, document_to_dict
from pixref.mockup.io import SUFFIX, layers_folder, read_document, write_document
from pixref.server._errors import Conflict, NotFound

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def folder() -> Path:
    from pixref.home import paths

    return paths().home / "mockups"


def check_name(name: str) -> str:
    """A mockup name: 1-64 letters, digits, ``-`` or ``_``, starting with a letter or digit."""
    if not _NAME.fullmatch(name):
        raise MockupError(
            f"mockup name must be 1-64 letters, digits, '-' or '_', starting with a letter "
            f"or digit, got {name!r}"
        )
    return name


def doc_path(name: str) -> Path:
    return folder() / f"{check_name(name)}{SUFFIX}"


def files_dir(name: str) -> Path:
    """``NAME.layers/``: the uploads and imported layers of mockup ``name``."""
    return layers_folder(doc_path(name))


def names() -> list[str]:
    """Every stored mockup, by name."""
    if not folder().is_dir():
        return []
    found = (p.name[: -len(SUFFIX)] for p in folder().glob(f"*{SUFFIX}"))
    return sorted(n for n in found if _NAME.fullmatch(n))


def read(name: str) -> Document:
    path = doc_path(name)
    if not path.is_file():
        raise NotFound(f"no mockup {name!r}; `GET /api/mockups` lists them")
    return read_document(path)


def write(name: str, doc: Document) -> Document:
    """Check ``doc`` as loading does, check its files are this mockup's, write it atomically."""
    doc = document_from_dict(document_to_dict(doc))
    check_files(name, doc)
    write_document(doc, doc_path(name))
    return doc


def create(name: str, doc: Document) -> Document:
    if doc_path(name).exists():
        raise Conflict(f"mockup {name!r} already exists; delete it first or choose another name")
    return write(name, doc)


def delete(name: str) -> None:
    path = doc_path(name)
    if not path.is_file():
        raise NotFound(f"no mockup {name!r}")
    path.unlink()
    shutil.rmtree(files_dir(name), ignore_errors=True)


def file_ref(name: str, file: str) -> str:
    """The document's path for uploaded file ``file`` of mockup ``name`` (it must exist)."""
    if not _FILE.fullmatch(file):
        raise MockupError(
            f"`file` must be a file name from POST /api/mockups/{name}/files, got {file!r}"
        )
    if not (files_dir(name) / file).is_file():
        raise NotFound(f"mockup {name!r} has no file {file!r}; upload it first")
    return f"{files_dir(name).name}/{file}"


def save_file(name: str, data: bytes, fmt: str) -> str:
    """Store uploaded image bytes in ``NAME.layers/`` under their hash; the file name."""
    from pixref._atomic import write_bytes_atomic

    ext = {"jpeg": "jpg"}.get(fmt, fmt) or "img"
    file = f"{hashlib.sha256(data).hexdigest()[:16]}.{ext}"
    target = files_dir(name) / file
    if not target.is_file():
        write_bytes_atomic(target, data)
    return file


def check_files(name: str, doc: Document) -> None:
    """Every path source and mask image of ``doc`` is a file in ``NAME.layers/``."""
    allowed = files_dir(name).resolve()
    for layer in doc.walk():
        refs = [layer.source.path] + [item.image for item in layer.mask]
        for ref in refs:
            if ref is None:
                continue
            path = Path(ref)
            inside = not path.is_absolute() and ".." not in path.parts
            if inside:
                resolved = (folder() / path).resolve()
                inside = resolved.parent == allowed
            if not inside:
                raise MockupError(
                    f"layer {layer.name!r}: `{ref}` is not a file of mockup {name!r}; upload "
                    f"it with POST /api/mockups/{name}/files and use that `file`"
                )
