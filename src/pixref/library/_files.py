"""Content-addressed image files beside the database.

Images live under ``<files>/images/<h[:2]>/<sha256>.<ext>``; thumbnails under
``<files>/thumbs/``. A file is written to a temporary name, flushed and renamed
before any row points to it, so a crash leaves at worst an unreferenced file that
`pixref log check --repair` removes, never a row without its image.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from pixref.library._errors import LibraryError

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".webp")
TMP_PREFIX = ".pixref-"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def disk_error(exc: OSError, what: str) -> LibraryError:
    """Turn an OSError into a one-line LibraryError that says what to do."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return LibraryError(f"disk full while {what}; free some space and try again")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return LibraryError(f"permission denied while {what}; check the folder's permissions")
    return LibraryError(f"could not finish {what}: {exc.strerror or exc}")


class FileStore:
    """The folder of content-addressed images and cached thumbnails."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.images = root / "images"
        self.thumbs = root / "thumbs"

    def relpath(self, image_hash: str, ext: str) -> str:
        return f"images/{image_hash[:2]}/{image_hash}{ext}"

    def resolve(self, file: str, linked: bool) -> Path:
        return Path(file) if linked else self.root / file

    def put(self, data: bytes, image_hash: str, ext: str, *, sync: bool = True) -> tuple[str, bool]:
        """Store ``data`` under its hash; return ``(relpath, created)``.

        ``created`` is False when an identical file was already there. ``sync=False``
        skips the per-file fsync: the caller must call `flush_all` before committing
        rows that point to the file (bulk import does, once per batch).
        """
        rel = self.relpath(image_hash, ext)
        target = self.root / rel
        if target.exists() and target.stat().st_size == len(data):
            return rel, False
        tmp = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".tmp", dir=target.parent)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                if sync:
                    os.fsync(f.fileno())
            os.replace(tmp, target)
            tmp = None
        except OSError as exc:
            raise disk_error(exc, f"writing {target.name} into the library") from None
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
        return rel, True

    @staticmethod
    def flush_all() -> None:
        """Make every file written with ``sync=False`` durable (one ``sync`` call)."""
        try:
            os.sync()
        except OSError as exc:
            raise disk_error(exc, "flushing image files to disk") from None

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink(missing_ok=True)

    def walk(self) -> list[Path]:
        """Every file under ``images/`` (temporary leftovers included)."""
        if not self.images.is_dir():
            return []
        return [p for p in self.images.rglob("*") if p.is_file()]

    def thumbnail(self, path: Path, image_hash: str, size: int = 256) -> Path:
        """Return a cached PNG thumbnail (longest side ``size`` pixels, nearest-neighbour
        so pixel art stays crisp), making it on first use."""
        from PIL import Image

        target = self.thumbs / f"{image_hash[:2]}/{image_hash}-{size}.png"
        if target.exists():
            return target
        try:
            with Image.open(path) as im:
                im = im.convert("RGBA")
                im.thumbnail((size, size), Image.Resampling.NEAREST)
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".png", dir=target.parent)
                os.close(fd)
                try:
                    im.save(tmp, format="PNG")
                    os.replace(tmp, target)
                finally:
                    Path(tmp).unlink(missing_ok=True)
        except OSError as exc:
            raise disk_error(exc, f"making a thumbnail of {path.name}") from None
        return target


def copy_file(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` atomically (used by export)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".tmp", dir=dst.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except OSError as exc:
        raise disk_error(exc, f"exporting {dst.name}") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
