"""Textual-inversion embeddings from the models folder's ``embeddings/``, A1111's formats.

A file's stem is the word that calls it in a prompt. Formats: A1111 ``.pt``
(``string_to_param["*"]``), ``.safetensors`` with ``emb_params`` (SD 1.x/2.x),
and SDXL's ``clip_l`` + ``clip_g`` pair. Only embeddings whose widths match the
loaded model's text encoders are offered; the rest are skipped, as A1111 does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from pixref.engine.models import ModelKind, Models, embedding_short_hash, list_models


@dataclass(frozen=True)
class Embedding:
    """One embedding: ``vectors[i]`` is ``(tokens, width_i)`` for text encoder i."""

    name: str
    path: Path
    vectors: tuple[torch.Tensor, ...]

    @property
    def short_hash(self) -> str:
        """A1111's ``TI hashes`` entry (first 12 hex digits of the file's SHA-256)."""
        return embedding_short_hash(self.path)


def _tensors(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix.lower() == ".safetensors":
        from safetensors.torch import load_file

        return load_file(path)
    data = torch.load(path, map_location="cpu", weights_only=True)  # tensors only: no code runs
    if isinstance(data, dict) and isinstance(data.get("string_to_param"), dict):
        return {"emb_params": next(iter(data["string_to_param"].values()))}
    return {k: v for k, v in data.items() if isinstance(v, torch.Tensor)}


def _vectors_for(
    tensors: dict[str, torch.Tensor], widths: list[int]
) -> tuple[torch.Tensor, ...] | None:
    if len(widths) == 2 and "clip_l" in tensors and "clip_g" in tensors:
        found = (tensors["clip_l"], tensors["clip_g"])
    elif len(widths) == 1 and len(tensors) == 1:
        found = (next(iter(tensors.values())),)
    else:
        return None
    found = tuple(t.float().reshape(-1, t.shape[-1]) for t in found)
    return found if [t.shape[-1] for t in found] == widths else None


def load_embeddings(
    models: Models, *, models_dir: str | os.PathLike[str] | None = None
) -> dict[str, Embedding]:
    """Every embedding in ``models_dir/embeddings`` usable with ``models``, by name."""
    widths = [enc.get_input_embeddings().weight.shape[-1] for enc in models.text_encoders]
    found: dict[str, Embedding] = {}
    for info in list_models(models_dir, kinds=(ModelKind.embedding,)):
        try:
            vectors = _vectors_for(_tensors(info.path), widths)
        except (OSError, RuntimeError, ValueError, KeyError, StopIteration):
            # An unreadable file is skipped, like one for another model family.
            continue
        if vectors is not None:
            found[info.path.stem] = Embedding(info.path.stem, info.path, vectors)
    return found
