"""Read A1111 infotext (and what its forks write) into `GenerationParams`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pixref.infotext._format import CONTROLNET_LABELS
from pixref.infotext._keys import split_params_line, unquote
from pixref.infotext._names import canonical_schedule, split_sampler_name
from pixref.params import ControlNetUnit, GenerationParams, Hires, Inpaint, PixrefError

#: Longest infotext parsed, in characters; a 100 kB prompt fits ten times over.
MAX_INFOTEXT_CHARS = 1_000_000

_NEGATIVE = "Negative prompt:"
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_SIZE = re.compile(r"(\d+)x(\d+)")
_CONTROLNET_UNIT = re.compile(r"ControlNet (\d+)")


class InfotextError(PixrefError):
    """An infotext that cannot be read."""


def _integer(key: str, text: str) -> int:
    if not _INT.fullmatch(text.strip()):
        raise InfotextError(f"`{key}` must be a whole number, got {text[:40]!r}")
    return int(text)


def _number(key: str, text: str) -> int | float:
    """An int when written as one (``7``), else a float (``7.0``), as A1111 wrote it."""
    text = text.strip()
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    raise InfotextError(f"`{key}` must be a number, got {text[:40]!r}")


def _pair(key: str, text: str) -> tuple[int, int]:
    match = _SIZE.fullmatch(text.strip())
    if not match:
        raise InfotextError(f"`{key}` must look like 512x768, got {text[:40]!r}")
    return int(match[1]), int(match[2])


def _boolean(key: str, text: str) -> bool:
    if text.strip() not in ("True", "False"):
        raise InfotextError(f"`{key}` must be True or False, got {text[:40]!r}")
    return text.strip() == "True"


def _text(key: str, text: str) -> str:
    return text


# Modelled top-level keys: A1111 key (lower case) -> (field, converter).
_SIMPLE: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "steps": ("steps", _integer),
    "cfg scale": ("cfg_scale", _number),
    "seed": ("seed", _integer),
    "model hash": ("model_hash", _text),
    "model": ("model", _text),
    "vae hash": ("vae_hash", _text),
    "vae": ("vae", _text),
    "variation seed": ("variation_seed", _integer),
    "variation seed strength": ("variation_strength", _number),
    "seed resize from": ("seed_resize_from", _pair),
    "denoising strength": ("denoising_strength", _number),
    "clip skip": ("clip_skip", _integer),
    "ensd": ("ensd", _integer),
    "rng": ("rng", _text),
    "eta": ("eta", _number),
    "refiner": ("refiner", _text),
    "refiner switch at": ("refiner_switch_at", _number),
    "version": ("version", _text),
}
_HIRES: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "hires checkpoint": ("checkpoint", _text),
    "hires sampler": ("sampler", _text),
    "hires prompt": ("prompt", _text),
    "hires negative prompt": ("negative_prompt", _text),
    "hires schedule type": ("schedule_type", _text),
    "hires upscale": ("upscale", _number),
    "hires resize": ("resize", _pair),
    "hires steps": ("steps", _integer),
    "hires upscaler": ("upscaler", _text),
}
_INPAINT: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    "mask blur": ("mask_blur", _integer),
    "mask mode": ("invert", lambda k, v: v.strip() == "Inpaint not masked"),
    "inpaint area": ("only_masked", lambda k, v: v.strip() == "Only masked"),
    "masked area padding": ("padding", _integer),
    "masked content": ("masked_content", _text),
}
_CONTROLNET_FIELDS: dict[str, tuple[str, Callable[[str, str], Any]]] = {
    label.lower(): (name, conv)
    for (label, name), conv in zip(
        CONTROLNET_LABELS,
        (_text, _text, _number, _text, _number, _number, _number, _number, _number, _boolean,
         _text),
        strict=True,
    )
}  # fmt: skip
_OLD_CONTROLNET_PREFIX = "controlnet "


@dataclass
class _Reader:
    """Collects the fields of one infotext while its entries are read."""

    fields: dict[str, Any] = field(default_factory=dict)
    hires: dict[str, Any] = field(default_factory=dict)
    inpaint: dict[str, Any] = field(default_factory=dict)
    units: list[ControlNetUnit] = field(default_factory=list)
    old_unit: dict[str, str] = field(default_factory=dict)
    extra: list[tuple[str, str]] = field(default_factory=list)
    sampler_schedule: str | None = None

    def read(self, key: str, value: str) -> None:
        low = key.lower()
        if low in _SIMPLE:
            name, conv = _SIMPLE[low]
            self.fields[name] = conv(key, value)
        elif low == "size":
            self.fields["width"], self.fields["height"] = _pair(key, value)
        elif low == "sampler":
            self.fields["sampler"], self.sampler_schedule = split_sampler_name(value)
        elif low == "schedule type":
            self.fields["schedule_type"] = canonical_schedule(value) or value
        elif low in _HIRES:
            name, conv = _HIRES[low]
            self.hires[name] = conv(key, value)
        elif low in _INPAINT:
            name, conv = _INPAINT[low]
            self.inpaint[name] = conv(key, value)
        elif _CONTROLNET_UNIT.fullmatch(key):
            self.units.append(_controlnet_unit(value))
        elif low.startswith(_OLD_CONTROLNET_PREFIX):
            # ControlNet before 1.1 wrote flat keys: "ControlNet Module: openpose, ...".
            self.old_unit[key[len(_OLD_CONTROLNET_PREFIX) :]] = value
        elif low == "lora hashes" and (hashes := _lora_hashes(value)) is not None:
            self.fields["lora_hashes"] = hashes
        else:
            self.extra.append((key, value))

    def params(self, prompt: str, negative: str) -> GenerationParams:
        fields = {"schedule_type": None, **self.fields}  # absent before A1111 1.9
        if self.sampler_schedule and fields["schedule_type"] in (None, "Automatic"):
            fields["schedule_type"] = self.sampler_schedule
        if self.hires:
            hires = {"upscale": None, "upscaler": None, **self.hires}
            fields["hires"] = Hires(**hires)
        if self.inpaint:
            fields["inpaint"] = Inpaint(**{"mask_blur": 0, **self.inpaint})
        units = list(self.units)
        if self.old_unit:
            units.append(_controlnet_unit_from_items(list(self.old_unit.items())))
        fields["controlnets"] = tuple(units)
        return GenerationParams(
            prompt=prompt, negative_prompt=negative, extra=tuple(self.extra), **fields
        )


def _lora_hashes(value: str) -> tuple[tuple[str, str], ...] | None:
    pairs = []
    for item in value.split(","):
        name, sep, digest = item.strip().rpartition(":")
        if not sep or not name.strip():
            return None  # not A1111's layout: keep the raw text as an extra key
        pairs.append((name.strip(), digest.strip()))
    return tuple(pairs)


def _controlnet_unit(value: str) -> ControlNetUnit:
    items = []
    for item in value.split(","):
        label, sep, text = item.strip().partition(": ")
        if not sep:
            raise InfotextError(
                f"ControlNet unit entry {item.strip()[:40]!r} is not `Label: value`"
            )
        items.append((label, text))
    return _controlnet_unit_from_items(items)


def _controlnet_unit_from_items(items: list[tuple[str, str]]) -> ControlNetUnit:
    fields: dict[str, Any] = {}
    extra = []
    for label, text in items:
        if label.lower() == "enabled":
            continue  # pre-1.1 flat keys: only enabled units were written
        known = _CONTROLNET_FIELDS.get(label.lower())
        if known is None:
            extra.append((label, text))
        else:
            name, conv = known
            fields[name] = conv(f"ControlNet {label}", text)
    return ControlNetUnit(**fields, extra=tuple(extra))


def _split_prompts(lines: list[str]) -> tuple[str, str]:
    prompt_lines: list[str] = []
    negative_lines: list[str] | None = None
    for line in lines:
        if negative_lines is None and line.startswith(_NEGATIVE):
            rest = line[len(_NEGATIVE) :]
            negative_lines = [rest[1:] if rest.startswith(" ") else rest]
        elif negative_lines is not None:
            negative_lines.append(line)
        else:
            prompt_lines.append(line)
    return "\n".join(prompt_lines), "\n".join(negative_lines or [])


def check_infotext(text: str) -> str:
    """Validate raw infotext and return it with line endings normalised to ``\\n``."""
    if not isinstance(text, str):
        raise InfotextError(f"infotext must be text, got {type(text).__name__}")
    if len(text) > MAX_INFOTEXT_CHARS:
        raise InfotextError(
            f"infotext is {len(text):,} characters, over the {MAX_INFOTEXT_CHARS:,} limit"
        )
    if "\x00" in text:
        raise InfotextError("infotext contains binary data (NUL characters)")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_infotext(text: str) -> GenerationParams:
    """Read A1111 infotext, as written by A1111 and its forks, into `GenerationParams`.

    The last line holds the parameters when it has at least three ``Key: value``
    entries (A1111's rule); the first line starting ``Negative prompt:`` begins
    the negative prompt. Prompts keep their lines exactly, so
    ``format_infotext(parse_infotext(t)) == t`` for text A1111 wrote. Keys
    pixref does not model are kept in ``extra`` in order; legacy sampler names
    (``DPM++ 2M Karras``) are split into sampler and schedule type.

    Raises
    ------
    InfotextError
        The text is too long, binary, has no parameters line, or a known key
        holds a value of the wrong kind (e.g. ``Steps: many``).
    """
    lines = check_infotext(text).strip().split("\n")
    entries = split_params_line(lines[-1])
    if len(entries) < 3:
        raise InfotextError("no generation parameters found (no `Steps: ..., Seed: ...` line)")
    prompt, negative = _split_prompts(lines[:-1])
    reader = _Reader()
    for key, value in entries:
        reader.read(key, unquote(value))
    return reader.params(prompt, negative)
