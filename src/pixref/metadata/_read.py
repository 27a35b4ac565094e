"""Generation parameters from any image file, whichever generator wrote it."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from pixref.infotext import InfotextError, format_infotext, parse_infotext
from pixref.metadata._comfyui import read_comfyui_prompt
from pixref.metadata._containers import MetadataError, open_image_texts
from pixref.metadata._json_formats import (
    read_fooocus,
    read_invokeai,
    read_invokeai_dream,
    read_invokeai_legacy,
    read_novelai,
    read_swarmui,
)
from pixref.metadata._stealth import read_stealth
from pixref.params import GenerationParams

#: Largest image whose pixels are decoded to look for stealth metadata (pixels).
MAX_STEALTH_PIXELS = 64 * 1024 * 1024


@dataclass(frozen=True)
class ImageMetadata:
    """What an image file says about how it was made.

    Attributes
    ----------
    generator : str or None
        "A1111", "Forge", "Forge Neo", "SD.Next", "pixref", "ComfyUI",
        "InvokeAI", "NovelAI", "Fooocus", "SwarmUI"; None when nothing was found.
    params : GenerationParams or None
        The parameters, as far as they could be resolved.
    infotext : str or None
        A1111-style infotext: the original text when the file carried one,
        else one written from ``params``.
    size : (int, int)
        The image's own ``(width, height)`` in pixels.
    raw : dict of str to str
        Every text chunk or EXIF text the file carried.
    unresolved : tuple of str
        Parameters that could not be resolved, each with the reason.
    """

    generator: str | None
    params: GenerationParams | None
    infotext: str | None
    size: tuple[int, int]
    raw: dict[str, str]
    unresolved: tuple[str, ...] = ()

    def summary(self) -> dict[str, Any]:
        """The machine-readable record printed by ``pixref info --json``."""
        p = self.params
        core = {
            "generator": self.generator,
            "prompt": p.prompt if p else None,
            "negative_prompt": p.negative_prompt if p else None,
            "seed": p.seed if p else None,
            "steps": p.steps if p else None,
            "cfg_scale": p.cfg_scale if p else None,
            "sampler": p.sampler if p else None,
            "schedule_type": p.schedule_type if p else None,
            "width": p.width if p else self.size[0],
            "height": p.height if p else self.size[1],
            "model": p.model if p else None,
        }
        extra: dict[str, Any] = {}
        if p is not None:
            stored = p.to_dict()
            extra = {k: v for k, v in stored.items() if k not in core and k != "extra"}
            extra.pop("version_record", None)
            extra.update(dict(p.extra))
        if self.unresolved:
            extra["unresolved"] = list(self.unresolved)
        return {**core, "extra": extra}


def _generator_of(params: GenerationParams) -> str:
    version = (params.version or "").strip()
    if params.extra_value("App") == "SD.Next":
        return "SD.Next"
    if version.startswith("pixref"):
        return "pixref"
    if version == "ComfyUI":
        return "ComfyUI"
    if version.startswith("SwarmUI"):
        return "SwarmUI"
    if version.startswith("neo"):
        return "Forge Neo"
    if version.startswith("classic"):
        return "Forge Classic"
    if re.match(r"f\d", version):
        return "Forge"
    return "A1111"


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _from_fields(
    generator: str, fields: dict[str, Any], unresolved: list[str], size: tuple[int, int]
) -> tuple[str, GenerationParams, list[str]]:
    if "width" not in fields or "height" not in fields:
        fields["width"], fields["height"] = size
        unresolved = [u for u in unresolved if u not in ("width", "height", "size")]
        unresolved.append("size (taken from the image's own pixel size)")
    return generator, GenerationParams(**fields), unresolved


def _from_infotext(text: str) -> tuple[str, GenerationParams, list[str]]:
    params = parse_infotext(text)
    return _generator_of(params), params, []


def _from_parameters_json(data: Any, texts: dict[str, str], size: tuple[int, int]):
    if isinstance(data, dict) and "sui_image_params" in data:
        return _from_fields("SwarmUI", *read_swarmui(data), size)
    if isinstance(data, dict) and (
        texts.get("fooocus_scheme") == "fooocus" or "metadata_scheme" in data
    ):
        return _from_fields("Fooocus", *read_fooocus(data), size)
    return None


def _dispatch(texts: dict[str, str], size: tuple[int, int]):
    """``(generator, params, unresolved)`` from a file's texts, or None."""
    for key in ("parameters", "UserComment"):
        text = texts.get(key)
        if not text:
            continue
        if text.lstrip().startswith("{"):
            found = _from_parameters_json(_json(text), texts, size)
            if found is not None:
                return found
        return _from_infotext(text)
    if isinstance(graph := _json(texts.get("prompt", "")), dict):
        return _from_fields("ComfyUI", *read_comfyui_prompt(graph), size)
    if isinstance(meta := _json(texts.get("invokeai_metadata", "")), dict):
        return _from_fields("InvokeAI", *read_invokeai(meta), size)
    if isinstance(meta := _json(texts.get("sd-metadata", "")), dict):
        return _from_fields("InvokeAI", *read_invokeai_legacy(meta), size)
    if texts.get("Dream"):
        return _from_fields("InvokeAI", *read_invokeai_dream(texts["Dream"]), size)
    if texts.get("Software") == "NovelAI" and isinstance(
        c := _json(texts.get("Comment", "")), dict
    ):
        return _from_fields("NovelAI", *read_novelai(texts.get("Description", ""), c), size)
    if texts.get("comment"):
        return _from_infotext(texts["comment"])
    return None


def _stealth_text(path: Path, size: tuple[int, int]) -> str | None:
    if size[0] * size[1] > MAX_STEALTH_PIXELS:
        return None
    try:
        with Image.open(path) as image:
            if image.mode not in ("RGB", "RGBA"):
                return None
            pixels = np.asarray(image)
    except (OSError, ValueError):
        raise MetadataError(f"`{path}` has corrupt image data") from None
    return read_stealth(pixels)


def read_metadata(path: str | os.PathLike[str]) -> ImageMetadata:
    """Read the generation parameters an image file carries.

    Looks, in A1111's order, at the PNG ``parameters`` chunk (tEXt, iTXt or zTXt,
    before or after the image data), EXIF UserComment (JPEG, WebP), the
    ComfyUI graph, InvokeAI, NovelAI, Fooocus and SwarmUI metadata, a comment,
    and last A1111 "stealth" metadata in the pixels' low bits.

    Returns an `ImageMetadata` whose ``params`` is None when the file carries
    no generation parameters.

    Raises
    ------
    MetadataError
        The file is missing, not an image, truncated, or its metadata is
        unreadable (the message says which and why).
    """
    path = Path(path)
    fmt, size, texts = open_image_texts(path)
    try:
        found = _dispatch(texts, size)
        if found is None and fmt == "PNG" and (hidden := _stealth_text(path, size)):
            texts = {**texts, "stealth": hidden}
            found = _from_infotext(hidden)
    except InfotextError as exc:
        raise MetadataError(f"`{path}`: {exc}") from None
    if found is None:
        return ImageMetadata(None, None, None, size, texts)
    generator, params, unresolved = found
    original = texts.get("parameters") or texts.get("UserComment") or texts.get("stealth")
    is_infotext = original is not None and not original.lstrip().startswith("{")
    infotext = original if is_infotext else format_infotext(params)
    return ImageMetadata(generator, params, infotext, size, texts, tuple(unresolved))
