"""Readers for generators that store JSON: InvokeAI, NovelAI, Fooocus, SwarmUI.

Each returns ``(fields, unresolved)``: `GenerationParams` field values it found,
and the names of the core parameters (prompt, seed, steps, ...) it did not.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from pixref.infotext import split_sampler_name

_CORE = ("prompt", "seed", "steps", "cfg_scale", "sampler", "width", "height")


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _num(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    try:
        return float(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _sampler(fields: dict[str, Any], name: Any, scheduler: Any = None) -> None:
    if not isinstance(name, str) or not name:
        return
    fields["sampler"], schedule = split_sampler_name(name)
    if isinstance(scheduler, str) and scheduler:
        schedule = split_sampler_name(f"euler_{scheduler}")[1] or scheduler
    if schedule:
        fields["schedule_type"] = schedule


def _finish(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    fields = {k: v for k, v in raw.items() if v is not None}
    if isinstance(fields.get("prompt"), list):  # old InvokeAI: [{"prompt": ..., "weight": ...}]
        fields["prompt"] = " ".join(
            str(p.get("prompt", "")) for p in fields["prompt"] if isinstance(p, dict)
        )
    for key in ("prompt", "negative_prompt", "model"):
        if key in fields and not isinstance(fields[key], str):
            fields[key] = str(fields[key])
    return fields, [name for name in _CORE if name not in fields]


def read_invokeai(meta: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """InvokeAI 3+ ``invokeai_metadata`` JSON."""
    model = meta.get("model")
    fields: dict[str, Any] = {
        "prompt": meta.get("positive_prompt"),
        "negative_prompt": meta.get("negative_prompt"),
        "seed": _int(meta.get("seed")),
        "steps": _int(meta.get("steps")),
        "cfg_scale": _num(meta.get("cfg_scale")),
        "width": _int(meta.get("width")),
        "height": _int(meta.get("height")),
        "model": (model.get("model_name") or model.get("name"))
        if isinstance(model, dict)
        else model,
        "model_hash": model.get("hash") if isinstance(model, dict) else None,
        "denoising_strength": _num(meta.get("strength")),
        "rng": "CPU" if meta.get("rand_device") == "cpu" else None,
    }
    _sampler(fields, meta.get("scheduler"))
    return _finish(fields)


def read_invokeai_legacy(meta: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """InvokeAI 2.x ``sd-metadata`` JSON (``{"model_weights": ..., "image": {...}}``)."""
    image = meta.get("image") if isinstance(meta.get("image"), dict) else meta
    fields: dict[str, Any] = {
        "prompt": image.get("prompt"),
        "seed": _int(image.get("seed")),
        "steps": _int(image.get("steps")),
        "cfg_scale": _num(image.get("cfg_scale")),
        "width": _int(image.get("width")),
        "height": _int(image.get("height")),
        "model": meta.get("model_weights"),
        "denoising_strength": _num(image.get("strength")),
    }
    _sampler(fields, image.get("sampler"))
    return _finish(fields)


_DREAM_FLAGS = {"-s": "steps", "-S": "seed", "-W": "width", "-H": "height", "-C": "cfg_scale"}


def read_invokeai_dream(command: str) -> tuple[dict[str, Any], list[str]]:
    """InvokeAI 1.x ``Dream`` chunk: ``"prompt" -s 50 -S 42 -W 512 -H 512 -C 7.5 -A k_lms``."""
    try:
        words = shlex.split(command)
    except ValueError:
        return {}, list(_CORE)
    fields: dict[str, Any] = {"prompt": words[0] if words else None}
    for flag, value in zip(words[1:], words[2:], strict=False):
        if flag in _DREAM_FLAGS:
            name = _DREAM_FLAGS[flag]
            fields[name] = _num(value) if name == "cfg_scale" else _int(value)
        elif flag == "-A":
            _sampler(fields, value)
    return _finish(fields)


def read_novelai(description: str, comment: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """NovelAI: prompt in ``Description``, settings in the ``Comment`` JSON.

    A1111 rebuilds these as infotext with ``Clip skip: 2, ENSD: 31337``, NovelAI's
    fixed settings; pixref records the same.
    """
    fields: dict[str, Any] = {
        "prompt": comment.get("prompt", description),
        "negative_prompt": comment.get("uc"),
        "seed": _int(comment.get("seed")),
        "steps": _int(comment.get("steps")),
        "cfg_scale": _num(comment.get("scale")),
        "width": _int(comment.get("width")),
        "height": _int(comment.get("height")),
        "clip_skip": 2,
        "ensd": 31337,
    }
    _sampler(fields, comment.get("sampler"))
    strength = _num(comment.get("strength"))
    extra = [("NovelAI strength", str(strength))] if strength is not None else []
    if comment.get("noise") is not None:
        extra.append(("NovelAI noise", str(comment["noise"])))
    fields["extra"] = tuple(extra)
    return _finish(fields)


def read_fooocus(meta: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Fooocus ``parameters`` JSON (``fooocus_scheme: fooocus``)."""
    width = height = None
    match = re.fullmatch(r"\(\s*(\d+)\s*,\s*(\d+)\s*\)", str(meta.get("resolution", "")))
    if match:
        width, height = int(match[1]), int(match[2])
    refiner = meta.get("refiner_model")
    fields: dict[str, Any] = {
        "prompt": meta.get("prompt"),
        "negative_prompt": meta.get("negative_prompt"),
        "seed": _int(meta.get("seed")),
        "steps": _int(meta.get("steps")),
        "cfg_scale": _num(meta.get("guidance_scale")),
        "width": width,
        "height": height,
        "model": meta.get("base_model"),
        "model_hash": meta.get("base_model_hash"),
        "clip_skip": _int(meta.get("clip_skip")),
        "refiner": refiner if refiner not in (None, "None") else None,
        "refiner_switch_at": _num(meta.get("refiner_switch"))
        if refiner not in (None, "None")
        else None,
        "version": meta.get("version"),
    }
    _sampler(fields, meta.get("sampler"), meta.get("scheduler"))
    extra = [
        ("Fooocus " + key.replace("_", " "), str(meta[key]))
        for key in ("performance", "styles", "sharpness", "adm_guidance")
        if meta.get(key) not in (None, "")
    ]
    fields["extra"] = tuple(extra)
    return _finish(fields)


def read_swarmui(meta: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """SwarmUI ``sui_image_params`` JSON."""
    params = meta.get("sui_image_params", meta)
    params = params if isinstance(params, dict) else {}
    fields: dict[str, Any] = {
        "prompt": params.get("prompt"),
        "negative_prompt": params.get("negativeprompt"),
        "seed": _int(params.get("seed")),
        "steps": _int(params.get("steps")),
        "cfg_scale": _num(params.get("cfgscale")),
        "width": _int(params.get("width")),
        "height": _int(params.get("height")),
        "model": params.get("model"),
        "version": f"SwarmUI {params['swarm_version']}" if params.get("swarm_version") else None,
    }
    _sampler(fields, params.get("sampler"), params.get("scheduler"))
    return _finish(fields)
