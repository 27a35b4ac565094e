"""A1111's model hashes, computed once per file version and cached (torch-free).

- ``Model hash`` / ``VAE hash``: first 10 hex digits of the SHA-256 of the whole file
  (A1111 ``modules/hashes.py: sha256``, ``CheckpointInfo.shorthash``).
- ``Lora hashes``: first 12 hex digits of the "addnet" hash, the SHA-256 of a
  safetensors file *after* its header, so editing the metadata keeps the hash
  (``modules/hashes.py: addnet_hash_safetensors``, from kohya-ss sd-scripts); A1111
  falls back to the whole-file SHA-256 for LoRAs that are not safetensors.
- ``TI hashes``: first 12 hex digits of the whole-file SHA-256.
- ControlNet titles (``control_v11p_sd15_openpose [cab727d4]``): A1111's pre-2023
  ``model_hash``, 8 hex digits of the SHA-256 of 64 KiB at offset 1 MiB.

Hashing a 7 GB checkpoint takes seconds, so full hashes are cached in a JSON file in
the data home, keyed by absolute path and valid while size and mtime are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from pixref._atomic import write_bytes_atomic
from pixref.engine.models._errors import ModelLoadError
from pixref.home import data_home

ProgressCallback = Callable[[int, int], None]
"""Called as ``on_progress(bytes_done, bytes_total)`` while a file is hashed."""

_CHUNK = 1024 * 1024
_CACHE_VERSION = 1


def default_hash_cache_path() -> Path:
    """``<data home>/cache/model-hashes.json``."""
    return data_home() / "cache" / "model-hashes.json"


class HashCache:
    """Full SHA-256 and addnet hashes by (absolute path, size, mtime).

    Parameters
    ----------
    path : path-like, optional
        The JSON file; default `default_hash_cache_path`. It is written atomically
        after each new hash, so an interrupted listing keeps the hashes done so far.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_hash_cache_path()
        self._data: dict = {}
        self._stamp: tuple[int, int] | None = None

    def get(self, kind: str, file: Path) -> str | None:
        """The cached ``kind`` ("sha256" or "addnet") hash of ``file``, if still valid."""
        entry = self._load().get(kind, {}).get(_key(file))
        stat = _stat(file)
        if (
            entry
            and entry.get("size") == stat.st_size
            and entry.get("mtime_ns") == stat.st_mtime_ns
        ):
            return entry.get("hash")
        return None

    def put(self, kind: str, file: Path, digest: str, stat: os.stat_result) -> None:
        """Record ``digest`` for ``file`` as it was when ``stat`` was taken."""
        data = self._load()
        data.setdefault(kind, {})[_key(file)] = {
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "hash": digest,
        }
        data["version"] = _CACHE_VERSION
        write_bytes_atomic(self.path, json.dumps(data, indent=1, sort_keys=True).encode())

    def _load(self) -> dict:
        # Re-read only when the file changed (another process may have added hashes).
        try:
            stat = self.path.stat()
            stamp = (stat.st_mtime_ns, stat.st_size)
            if stamp != self._stamp:
                data = json.loads(self.path.read_text("utf-8"))
                self._data = data if isinstance(data, dict) else {}
                self._stamp = stamp
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            # A missing or damaged cache only costs re-hashing.
            self._data, self._stamp = {}, None
        return self._data


def file_sha256(
    path: str | os.PathLike[str],
    *,
    cache: HashCache | None = None,
    on_progress: ProgressCallback | None = None,
) -> str:
    """The SHA-256 (64 hex digits) of the whole file, from the cache or computed once.

    Raises
    ------
    ModelLoadError
        If the file cannot be read.
    """
    return _cached("sha256", Path(path), cache, on_progress, offset=lambda f: 0)


def addnet_sha256(
    path: str | os.PathLike[str],
    *,
    cache: HashCache | None = None,
    on_progress: ProgressCallback | None = None,
) -> str:
    """The kohya "addnet" SHA-256 of a safetensors file: everything after the header."""
    return _cached("addnet", Path(path), cache, on_progress, offset=_data_offset)


def cached_hash(kind: str, path: str | os.PathLike[str], *, cache: HashCache | None = None):
    """The cached "sha256" or "addnet" hash of ``path``, or None without computing it."""
    path = Path(path)
    try:
        return (cache or HashCache()).get(kind, path)
    except OSError:
        return None


def checkpoint_short_hash(
    path: str | os.PathLike[str],
    *,
    cache: HashCache | None = None,
    on_progress: ProgressCallback | None = None,
) -> str:
    """A1111's ``Model hash`` / ``VAE hash``: first 10 hex digits of the file's SHA-256."""
    return file_sha256(path, cache=cache, on_progress=on_progress)[:10]


def lora_short_hash(
    path: str | os.PathLike[str],
    *,
    cache: HashCache | None = None,
    on_progress: ProgressCallback | None = None,
) -> str:
    """A1111's ``Lora hashes`` entry: first 12 hex digits of the addnet hash."""
    if Path(path).suffix.lower() == ".safetensors":
        return addnet_sha256(path, cache=cache, on_progress=on_progress)[:12]
    return file_sha256(path, cache=cache, on_progress=on_progress)[:12]


def embedding_short_hash(
    path: str | os.PathLike[str],
    *,
    cache: HashCache | None = None,
    on_progress: ProgressCallback | None = None,
) -> str:
    """A1111's ``TI hashes`` entry: first 12 hex digits of the file's SHA-256."""
    return file_sha256(path, cache=cache, on_progress=on_progress)[:12]


def legacy_model_hash(path: str | os.PathLike[str]) -> str:
    """A1111's pre-2023 8-hex hash of 64 KiB at offset 1 MiB (ControlNet titles use it)."""
    try:
        with open(path, "rb") as f:
            f.seek(0x100000)
            return hashlib.sha256(f.read(0x10000)).hexdigest()[:8]
    except OSError as exc:
        raise ModelLoadError(f"cannot read {path}: {exc.strerror or exc}") from None


def _cached(
    kind: str,
    path: Path,
    cache: HashCache | None,
    on_progress: ProgressCallback | None,
    offset: Callable[[BinaryIO], int],
) -> str:
    cache = cache or HashCache()
    try:
        hit = cache.get(kind, path)
        if hit:
            return hit
        stat = _stat(path)
        with open(path, "rb") as f:
            start = offset(f)
            f.seek(start)
            digest = hash_stream(f, stat.st_size - start, on_progress)
    except FileNotFoundError:
        raise ModelLoadError(f"model file not found: {path}") from None
    except OSError as exc:
        raise ModelLoadError(f"cannot read {path}: {exc.strerror or exc}") from None
    # Skip caching if the file changed while it was read: the hash may be of neither version.
    if _stat(path).st_mtime_ns == stat.st_mtime_ns:
        cache.put(kind, path, digest, stat)
    return digest


def hash_stream(f: BinaryIO, total: int, on_progress: ProgressCallback | None = None) -> str:
    """SHA-256 of the rest of ``f``, read in 1 MiB chunks (hashlib releases the GIL)."""
    sha = hashlib.sha256()
    done = 0
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    while n := f.readinto(buffer):
        sha.update(view[:n])
        done += n
        if on_progress is not None:
            on_progress(done, total)
    return sha.hexdigest()


def _data_offset(f: BinaryIO) -> int:
    prefix = f.read(8)
    if len(prefix) < 8:
        raise ModelLoadError(
            f"`{getattr(f, 'name', 'file')}` is too short to be a safetensors file"
        )
    return 8 + struct.unpack("<Q", prefix)[0]


def _key(path: Path) -> str:
    return str(path.resolve())


def _stat(path: Path) -> os.stat_result:
    return path.stat()
