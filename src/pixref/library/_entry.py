"""What one library entry is: `Entry`, its `Kind`, and the lineage `Relation`s."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pixref.params import GenerationParams, PixrefError


class Kind(StrEnum):
    """How an entry came to be."""

    generation = "generation"
    import_ = "import"
    sweep_cell = "sweep_cell"
    mockup = "mockup"
    pixelized = "pixelized"
    snapped = "snapped"


class Relation(StrEnum):
    """How a child entry relates to a parent (``links`` table)."""

    img2img = "img2img"
    inpaint = "inpaint"
    variation_of = "variation_of"
    refiner_pair = "refiner_pair"
    mockup_layer = "mockup_layer"
    pixelized_from = "pixelized_from"
    snapped_from = "snapped_from"


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One logged image with its parameters and the user's annotations."""

    id: int
    image_hash: str
    path: Path
    linked: bool
    bytes: int
    width: int
    height: int
    kind: str
    generator: str | None
    source_path: str | None
    filename: str
    created_utc: str
    added_utc: str
    params: GenerationParams | None
    infotext: str | None
    raw: dict[str, str]
    tags: tuple[str, ...]
    note: str
    rating: int
    keep: bool
    deleted_utc: str | None

    @property
    def in_trash(self) -> bool:
        return self.deleted_utc is not None

    def summary(self) -> dict[str, Any]:
        """The plain-JSON view used by ``--json`` and export manifests."""
        p = self.params
        return {
            "id": self.id,
            "created_utc": self.created_utc,
            "kind": self.kind,
            "generator": self.generator,
            "width": self.width,
            "height": self.height,
            "prompt": p.prompt if p else "",
            "negative_prompt": p.negative_prompt if p else "",
            "model": p.model if p else None,
            "sampler": p.sampler if p else None,
            "schedule_type": p.schedule_type if p else None,
            "cfg_scale": p.cfg_scale if p else None,
            "steps": p.steps if p else None,
            "seed": p.seed if p else None,
            "tags": list(self.tags),
            "note": self.note,
            "rating": self.rating,
            "keep": self.keep,
            "in_trash": self.in_trash,
            "image_hash": self.image_hash,
            "path": str(self.path),
            "source_path": self.source_path,
            "filename": self.filename,
        }


_LORA_IN_PROMPT = re.compile(r"<(?:lora|lyco):([^:>]+)(?::[^>]*)?>", re.IGNORECASE)


def loras_of(params: GenerationParams) -> list[str]:
    """LoRA names used: from ``Lora hashes`` and from ``<lora:name:w>`` in the prompt."""
    names = [name for name, _ in params.lora_hashes]
    names += _LORA_IN_PROMPT.findall(params.prompt)
    seen: dict[str, None] = {}
    for n in names:
        n = n.strip()
        if n:
            seen.setdefault(n, None)
    return list(seen)


def normalize_tag(tag: str) -> str:
    tag = " ".join(tag.strip().lower().split())
    if not tag:
        raise PixrefError("a tag must not be empty")
    return tag


def params_columns(params: GenerationParams | None) -> dict[str, Any]:
    """The first-class, filterable columns derived from ``params``."""
    if params is None:
        return {
            "prompt": "",
            "negative_prompt": "",
            "model": None,
            "model_hash": None,
            "sampler": None,
            "schedule_type": None,
            "cfg_scale": None,
            "steps": None,
            "seed": None,
            "gen_width": None,
            "gen_height": None,
            "has_controlnet": 0,
            "params_json": None,
        }
    return {
        "prompt": params.prompt,
        "negative_prompt": params.negative_prompt,
        "model": params.model,
        "model_hash": params.model_hash,
        "sampler": params.sampler,
        "schedule_type": params.schedule_type,
        "cfg_scale": params.cfg_scale,
        "steps": params.steps,
        "seed": params.seed,
        "gen_width": params.width,
        "gen_height": params.height,
        "has_controlnet": int(bool(params.controlnets)),
        "params_json": json.dumps(params.to_dict(), ensure_ascii=False, sort_keys=True),
    }
