"""The models folder in A1111's layout: what is in it, and what each file is (torch-free).

A user can point pixref at an existing A1111 ``models`` folder::

    models/Stable-diffusion/*.safetensors|*.ckpt   checkpoints (also diffusers folders)
    models/VAE/  models/Lora/  models/ControlNet/  models/embeddings/

Folder names match case-insensitively, ComfyUI's ``checkpoints``/``loras`` work too,
and sub-folders are searched as A1111 does. A1111 keeps ``embeddings/`` beside
``models/`` in its install folder, so that sibling is searched as well.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pixref.engine.models import _detect
from pixref.engine.models._errors import ModelLoadError
from pixref.engine.models._hashes import (
    HashCache,
    addnet_sha256,
    cached_hash,
    file_sha256,
    legacy_model_hash,
)
from pixref.engine.models._header import read_safetensors_header
from pixref.home import paths


class ModelKind(StrEnum):
    """What a file in the models folder is for."""

    checkpoint = "checkpoint"
    vae = "vae"
    lora = "lora"
    embedding = "embedding"
    controlnet = "controlnet"


_FOLDER_KINDS = {
    "stable-diffusion": ModelKind.checkpoint,
    "checkpoints": ModelKind.checkpoint,
    "vae": ModelKind.vae,
    "lora": ModelKind.lora,
    "loras": ModelKind.lora,
    "lycoris": ModelKind.lora,
    "embeddings": ModelKind.embedding,
    "controlnet": ModelKind.controlnet,
}
_EXTENSIONS = {
    ModelKind.checkpoint: (".safetensors", ".ckpt"),
    ModelKind.vae: (".safetensors", ".pt", ".ckpt", ".bin"),
    ModelKind.lora: (".safetensors", ".pt", ".ckpt"),
    ModelKind.embedding: (".safetensors", ".pt", ".bin"),
    ModelKind.controlnet: (".safetensors", ".pth", ".ckpt", ".pt", ".bin"),
}
# How many hex digits A1111 shows for each kind (ControlNet: its 8-hex legacy hash).
_SHORT_HASH_DIGITS = {
    ModelKind.checkpoint: 10,
    ModelKind.vae: 10,
    ModelKind.lora: 12,
    ModelKind.embedding: 12,
    ModelKind.controlnet: 8,
}

FileProgress = Callable[[Path, int, int], None]
"""Called as ``on_progress(path, bytes_done, bytes_total)`` while a file is hashed."""


@dataclass(frozen=True)
class ModelInfo:
    """One model file (or diffusers folder) found in the models folder.

    Attributes
    ----------
    kind : ModelKind
    name : str
        File name without extension (A1111's ``Model:``), or the diffusers folder name.
    path : Path
    relative : str
        Path below its kind folder, with extension, ``/``-separated (A1111's title base).
    format : str
        "safetensors", "ckpt", "pt", "pth", "bin" or "diffusers".
    size : int
        Bytes (0 for a diffusers folder).
    arch : str or None
        "sd1", "sd2", "sd2-v", "sdxl" or "sdxl-refiner" when the header tells.
    is_inpainting : bool
    hash : str or None
        The digest A1111 shows for this kind (full SHA-256, addnet SHA-256 for LoRAs,
        8-hex legacy hash for ControlNets), when cached or computed.
    problem : str or None
        Why the file cannot be used (corrupt header, unknown layout), if known.
    """

    kind: ModelKind
    name: str
    path: Path
    relative: str
    format: str
    size: int
    arch: str | None = None
    is_inpainting: bool = False
    hash: str | None = None
    problem: str | None = None

    @property
    def short_hash(self) -> str | None:
        """The hash as A1111 writes it (10 hex for checkpoints and VAEs, 12 for LoRAs)."""
        return self.hash[: _SHORT_HASH_DIGITS[self.kind]] if self.hash else None

    @property
    def title(self) -> str:
        """A1111's title, ``relative [short_hash]``, or just ``relative`` if unhashed."""
        return f"{self.relative} [{self.short_hash}]" if self.hash else self.relative


def kind_folders(models_dir: str | os.PathLike[str] | None = None) -> list[tuple[ModelKind, Path]]:
    """The folders of each kind under ``models_dir`` (default: the data home's ``models``).

    A folder that is itself a kind folder (``.../models/Lora``) counts as that kind.
    """
    root = Path(models_dir) if models_dir is not None else paths().models
    root = root.expanduser()
    if root.name.lower() in _FOLDER_KINDS:
        return [(_FOLDER_KINDS[root.name.lower()], root)]
    found: list[tuple[ModelKind, Path]] = []
    if root.is_dir():
        for child in sorted(root.iterdir()):
            kind = _FOLDER_KINDS.get(child.name.lower())
            if kind is not None and child.is_dir():
                found.append((kind, child))
    # A1111 keeps embeddings beside models/ in its install folder.
    sibling = root.parent / "embeddings"
    if root.name.lower() == "models" and sibling.is_dir():
        found.append((ModelKind.embedding, sibling))
    return found


def list_models(
    models_dir: str | os.PathLike[str] | None = None,
    *,
    kinds: tuple[ModelKind, ...] | None = None,
    compute_hashes: bool = False,
    cache: HashCache | None = None,
    on_progress: FileProgress | None = None,
) -> list[ModelInfo]:
    """List checkpoints, VAEs, LoRAs, embeddings and ControlNets in the models folder.

    Parameters
    ----------
    models_dir : path-like, optional
        The models folder; default the data home's ``models``.
    kinds : tuple of ModelKind, optional
        Only these kinds; default all.
    compute_hashes : bool
        Hash files whose hash is not cached yet (slow: reads every such file once).
        Without it, hashes come from the cache only.
    cache : HashCache, optional
        Default: the data home's hash cache.
    on_progress : callable, optional
        ``on_progress(path, bytes_done, bytes_total)`` while hashing.

    Returns
    -------
    list of ModelInfo
        Sorted by kind, then relative path.
    """
    cache = cache or HashCache()
    infos = []
    for kind, folder in kind_folders(models_dir):
        if kinds is not None and kind not in kinds:
            continue
        for path in model_files(kind, folder):
            infos.append(_describe(kind, folder, path, compute_hashes, cache, on_progress))
    order = list(ModelKind)
    return sorted(infos, key=lambda i: (order.index(i.kind), i.relative.casefold()))


def describe_model_file(
    kind: ModelKind,
    path: str | os.PathLike[str],
    *,
    compute_hash: bool = False,
    cache: HashCache | None = None,
) -> ModelInfo:
    """Describe one model file (or diffusers folder) anywhere, as `list_models` would.

    Use it to check, say, that a LoRA suits the loaded checkpoint (``.arch``) or to get
    its A1111 hash (``.short_hash`` with ``compute_hash=True``).

    Raises
    ------
    ModelLoadError
        If ``path`` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise ModelLoadError(f"{kind.value} file not found: {path}")
    return _describe(kind, path.parent, path, compute_hash, cache or HashCache(), None)


def model_files(kind: ModelKind, folder: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        here = Path(dirpath)
        if kind is ModelKind.checkpoint:
            # A diffusers folder is one model: list it and do not descend into it.
            for d in list(dirnames):
                if (here / d / "model_index.json").is_file():
                    dirnames.remove(d)
                    yield here / d
        if kind is ModelKind.controlnet:
            # So is a diffusers ControlNet folder (config.json beside its weights).
            for d in list(dirnames):
                if is_diffusers_controlnet_folder(here / d):
                    dirnames.remove(d)
                    yield here / d
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            if f.lower().endswith(_EXTENSIONS[kind]) and not f.startswith("."):
                yield here / f


def is_diffusers_controlnet_folder(path: Path) -> bool:
    """Whether ``path`` is a diffusers ControlNet folder (``config.json`` and weights)."""
    has_weights = any(path.glob("diffusion_pytorch_model*.safetensors")) or any(
        path.glob("diffusion_pytorch_model*.bin")
    )
    return (path / "config.json").is_file() and has_weights


def _describe(
    kind: ModelKind,
    folder: Path,
    path: Path,
    compute_hashes: bool,
    cache: HashCache,
    on_progress: FileProgress | None,
) -> ModelInfo:
    relative = path.relative_to(folder).as_posix()
    if path.is_dir():
        arch, inpainting, problem = (
            _controlnet_folder_arch(path) if kind is ModelKind.controlnet else _folder_arch(path)
        )
        return ModelInfo(
            kind, path.name, path, relative, "diffusers", 0, arch, inpainting, None, problem
        )
    fmt = path.suffix.lower().lstrip(".")
    arch, inpainting, problem = (
        _file_arch(kind, path) if fmt == "safetensors" else (None, False, None)
    )
    digest = None
    if problem is None:
        digest = _hash_for(kind, path, compute_hashes, cache, on_progress)
    return ModelInfo(
        kind, path.stem, path, relative, fmt, path.stat().st_size, arch, inpainting, digest, problem
    )


def _folder_arch(path: Path) -> tuple[str | None, bool, str | None]:
    try:
        found = _detect.detect_diffusers_folder(path)
    except ModelLoadError as exc:
        return None, False, str(exc)
    return found.arch.value, found.is_inpainting, None


def _controlnet_folder_arch(path: Path) -> tuple[str | None, bool, str | None]:
    try:
        config = _detect.read_json_config(path / "config.json")
    except ModelLoadError as exc:
        return None, False, str(exc)
    return _detect.controlnet_family_from_config(config), False, None


def _file_arch(kind: ModelKind, path: Path) -> tuple[str | None, bool, str | None]:
    try:
        shapes = read_safetensors_header(path).shapes
        if kind is ModelKind.checkpoint:
            found = _detect.detect_checkpoint(shapes, name=path.name)
            return found.arch.value, found.is_inpainting, None
    except ModelLoadError as exc:
        return None, False, str(exc)
    detect = {
        ModelKind.lora: _detect.detect_lora_arch,
        ModelKind.controlnet: _detect.detect_controlnet_arch,
        ModelKind.embedding: _detect.detect_embedding_arch,
    }.get(kind)
    return (detect(shapes) if detect else None), False, None


def _hash_for(
    kind: ModelKind,
    path: Path,
    compute: bool,
    cache: HashCache,
    on_progress: FileProgress | None,
) -> str | None:
    if kind is ModelKind.controlnet:
        return legacy_model_hash(path)  # 64 KiB read: always cheap
    addnet = kind is ModelKind.lora and path.suffix.lower() == ".safetensors"
    if not compute:
        return cached_hash("addnet" if addnet else "sha256", path, cache=cache)
    progress = (lambda done, total: on_progress(path, done, total)) if on_progress else None
    hasher = addnet_sha256 if addnet else file_sha256
    return hasher(path, cache=cache, on_progress=progress)
