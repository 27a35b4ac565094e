"""Find one model in the models folder by path, name, A1111 title or hash (torch-free).

Names resolve as A1111's ``get_closet_checkpoint_match`` does: a relative path with or
without extension, or the file name alone; titles ``name [hash]``; a bare short hash
of a hashed file, or the 8-hex legacy hash of infotexts written before 2023.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

from pixref.engine.models._errors import ModelLoadError
from pixref.engine.models._folder import ModelInfo, ModelKind, kind_folders, model_files
from pixref.engine.models._hashes import HashCache, cached_hash, legacy_model_hash
from pixref.home import paths

_TITLE = re.compile(r"(?P<name>.*?)\s*\[(?P<hash>[0-9a-fA-F]{8,64})\]")
_HEX = re.compile(r"[0-9a-fA-F]{8}|[0-9a-fA-F]{10}")


def find_checkpoint(
    name_or_path: str | os.PathLike[str],
    *,
    models_dir: str | os.PathLike[str] | None = None,
    cache: HashCache | None = None,
) -> Path:
    """Resolve a checkpoint given as A1111 would accept it.

    Accepts a path to a file or diffusers folder; a name with or without extension
    (``juggernautXL_v7``, ``juggernautXL_v7.safetensors``, ``sdxl/juggernautXL_v7``);
    an A1111 title ``name [hash]``; or a bare 10-hex short hash of a hashed file.

    Raises
    ------
    ModelLoadError
        If nothing matches, or several files match equally well.
    """
    return find_model(ModelKind.checkpoint, name_or_path, models_dir=models_dir, cache=cache)


def find_vae(
    name_or_path: str | os.PathLike[str],
    *,
    models_dir: str | os.PathLike[str] | None = None,
    cache: HashCache | None = None,
) -> Path:
    """Resolve a VAE file by path, name or title, like `find_checkpoint`."""
    return find_model(ModelKind.vae, name_or_path, models_dir=models_dir, cache=cache)


def find_model(
    kind: ModelKind,
    name_or_path: str | os.PathLike[str],
    *,
    models_dir: str | os.PathLike[str] | None = None,
    cache: HashCache | None = None,
) -> Path:
    """Resolve a model of ``kind`` by path, name, A1111 title or cached short hash."""
    direct = Path(name_or_path).expanduser()
    if direct.exists():
        return direct
    text = str(name_or_path).strip()
    title = _TITLE.fullmatch(text)
    name, wanted_hash = (title["name"], title["hash"].lower()) if title else (text, None)
    if not title and _HEX.fullmatch(text):
        wanted_hash = text.lower()
    candidates = _names_only(kind, models_dir, cache or HashCache())
    matches = _by_name(candidates, name)
    if wanted_hash and (len(matches) != 1):
        matches = _by_hash(matches or candidates, wanted_hash)
    if len(matches) == 1:
        return matches[0].path
    if matches:
        listed = ", ".join(i.relative for i in matches)
        raise ModelLoadError(
            f"{kind.value} `{text}` is ambiguous: {listed}; give the file name with its folder"
        )
    raise _not_found(kind, text, candidates, models_dir)


def _names_only(
    kind: ModelKind, models_dir: str | os.PathLike[str] | None, cache: HashCache
) -> list[ModelInfo]:
    # Resolving a name reads no headers: one stat and a cached-hash lookup per file.
    found = []
    for folder_kind, folder in kind_folders(models_dir):
        if folder_kind is not kind:
            continue
        for path in model_files(kind, folder):
            relative = path.relative_to(folder).as_posix()
            name = path.name if path.is_dir() else path.stem
            addnet = kind is ModelKind.lora and path.suffix.lower() == ".safetensors"
            digest = (
                None
                if path.is_dir()
                else cached_hash("addnet" if addnet else "sha256", path, cache=cache)
            )
            fmt = "diffusers" if path.is_dir() else path.suffix.lower().lstrip(".")
            found.append(ModelInfo(kind, name, path, relative, fmt, 0, hash=digest))
    return found


def _by_name(candidates: list[ModelInfo], name: str) -> list[ModelInfo]:
    name = name.replace("\\", "/")
    for same in (str.__eq__, lambda a, b: a.casefold() == b.casefold()):
        exact = [i for i in candidates if same(i.relative, name)]
        if exact:
            return exact
        no_ext = [i for i in candidates if same(_strip_ext(i.relative), name)]
        if no_ext:
            return no_ext
        stem = [i for i in candidates if same(i.name, name)]
        if stem:
            return stem
    return []


def _by_hash(candidates: list[ModelInfo], wanted: str) -> list[ModelInfo]:
    """Candidates whose cached SHA-256 starts with ``wanted``, or, for the 8-hex hashes
    of infotexts written before 2023, whose legacy hash equals it (as A1111 accepts)."""
    found = [i for i in candidates if i.hash and i.hash.startswith(wanted)]
    if found or len(wanted) != 8:
        return found
    return [
        i for i in candidates if i.format != "diffusers" and legacy_model_hash(i.path) == wanted
    ]


def _strip_ext(relative: str) -> str:
    head, dot, ext = relative.rpartition(".")
    return head if dot and "/" not in ext else relative


def _not_found(
    kind: ModelKind, text: str, candidates: list[ModelInfo], models_dir: object
) -> ModelLoadError:
    folders = ", ".join(str(f) for k, f in kind_folders(models_dir) if k is kind)
    where = (
        f"in {folders}"
        if folders
        else f"(no {kind.value} folder in {models_dir or paths().models})"
    )
    close = difflib.get_close_matches(text, [i.name for i in candidates], n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else "; `pixref models` lists them"
    return ModelLoadError(f"no {kind.value} named `{text}` {where}{hint}")
