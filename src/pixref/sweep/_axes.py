"""Sweep axes: names, A1111's value syntax, validation, and applying a value to params.

A1111's ``scripts/xyz_grid.py`` parses values as CSV and expands ranges by regex:
``1-5``, ``1-5 (+2)``, ``10-5 (-3)`` (the sign is mandatory) and ``7-9 [3]``
(``np.linspace``, truncated with ``int()`` on integer axes).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pixref.infotext import canonical_sampler, canonical_schedule
from pixref.params import GenerationParams
from pixref.sweep._errors import SweepError

Value = Any

# A1111's range regexes (xyz_grid.py), int and float variants.
_NUM = r"[+-]?\s*\d+(?:\.\d*)?"
_RE_STEP = re.compile(rf"^\s*({_NUM})\s*-\s*({_NUM})(?:\s*\(([+-]\d+(?:\.\d*)?)\s*\))?\s*$")
_RE_COUNT = re.compile(rf"^\s*({_NUM})\s*-\s*({_NUM})\s*\[(\d+)\s*\]\s*$")
_RE_LORA = re.compile(r"<(lora|lyco):([^:>]+)(?::([^:>]*))?((?::[^>]*)?)>", re.IGNORECASE)


@dataclass(frozen=True)
class AxisType:
    """One kind of axis: its A1111 label, value kind and how a value changes params.

    ``kind`` is one of ``int``, ``float``, ``seed``, ``size``, ``sampler``,
    ``schedule``, ``text``; ``cost`` orders the loops (costliest outermost, as
    A1111 does: checkpoint 1.0, VAE 0.7); ``bare`` labels show the value alone.
    """

    key: str
    label: str
    kind: str
    apply: Callable[[GenerationParams, Value], GenerationParams]
    cost: float = 0.0
    bare: bool = False
    minimum: float | None = None
    maximum: float | None = None


def _field(name: str) -> Callable[[GenerationParams, Value], GenerationParams]:
    return lambda p, v: p.replace(**{name: v})


def _size(p: GenerationParams, v: Value) -> GenerationParams:
    return p.replace(width=v[0], height=v[1])


def _control_weight(p: GenerationParams, v: Value) -> GenerationParams:
    return p.replace(controlnets=tuple(dataclasses.replace(u, weight=v) for u in p.controlnets))


def _lora_weight(name: str | None) -> Callable[[GenerationParams, Value], GenerationParams]:
    def apply(p: GenerationParams, v: Value) -> GenerationParams:
        def sub(m: re.Match[str]) -> str:
            if name is not None and m.group(2).strip().lower() != name.lower():
                return m.group(0)
            return f"<{m.group(1)}:{m.group(2)}:{_fmt(v)}{m.group(4)}>"

        return p.replace(prompt=_RE_LORA.sub(sub, p.prompt))

    return apply


_TYPES = [
    AxisType("seed", "Seed", "seed", _field("seed"), cost=-0.1),
    AxisType("variation_seed", "Var. seed", "seed", _field("variation_seed"), cost=-0.1),
    AxisType("variation_strength", "Var. strength", "float", _field("variation_strength"),
             minimum=0, maximum=1),
    AxisType("steps", "Steps", "int", _field("steps"), minimum=1, maximum=1000),
    AxisType("cfg_scale", "CFG Scale", "float", _field("cfg_scale"), minimum=0, maximum=100),
    AxisType("sampler", "Sampler", "sampler", _field("sampler"), bare=True),
    AxisType("schedule_type", "Schedule type", "schedule", _field("schedule_type")),
    AxisType("width", "Width", "int", _field("width"), minimum=8, maximum=8192),
    AxisType("height", "Height", "int", _field("height"), minimum=8, maximum=8192),
    AxisType("size", "Size", "size", _size),
    AxisType("denoising_strength", "Denoising", "float", _field("denoising_strength"),
             minimum=0, maximum=1),
    AxisType("model", "Checkpoint name", "text", _field("model"), cost=1.0, bare=True),
    AxisType("vae", "VAE", "text", _field("vae"), cost=0.7),
    AxisType("refiner_switch_at", "Refiner switch at", "float", _field("refiner_switch_at"),
             minimum=0, maximum=1),
    AxisType("clip_skip", "Clip skip", "int", _field("clip_skip"), minimum=1, maximum=12),
    AxisType("controlnet_weight", "ControlNet weight", "float", _control_weight,
             minimum=0, maximum=2),
    AxisType("lora_weight", "LoRA weight", "float", _lora_weight(None), minimum=-10, maximum=10),
]  # fmt: skip

_ALIASES = {
    "seed": "seed",
    "var seed": "variation_seed",
    "variation seed": "variation_seed",
    "subseed": "variation_seed",
    "var strength": "variation_strength",
    "variation strength": "variation_strength",
    "steps": "steps",
    "cfg": "cfg_scale",
    "cfg scale": "cfg_scale",
    "sampler": "sampler",
    "schedule": "schedule_type",
    "schedule type": "schedule_type",
    "scheduler": "schedule_type",
    "width": "width",
    "height": "height",
    "size": "size",
    "denoising": "denoising_strength",
    "denoise": "denoising_strength",
    "denoising strength": "denoising_strength",
    "checkpoint": "model",
    "checkpoint name": "model",
    "model": "model",
    "vae": "vae",
    "refiner switch": "refiner_switch_at",
    "refiner switch at": "refiner_switch_at",
    "clip skip": "clip_skip",
    "controlnet weight": "controlnet_weight",
    "control weight": "controlnet_weight",
    "lora weight": "lora_weight",
    "prompt s/r": "prompt_sr",
    "prompt sr": "prompt_sr",
    "s/r": "prompt_sr",
}
_BY_KEY = {t.key: t for t in _TYPES}

#: Every axis name pixref accepts (case-insensitive; ``_`` and ``.`` are ignored).
AXIS_NAMES = (*sorted(_ALIASES), "weight:TERM", "lora weight:NAME")


@dataclass(frozen=True)
class Axis:
    """One parsed axis: its type, the values (seeds fixed) and their labels.

    ``spec`` is the text it was parsed from (``"cfg=3,5,7"``).
    """

    type: AxisType
    values: tuple[Value, ...]
    spec: str

    @property
    def name(self) -> str:
        return self.type.label

    def label(self, value: Value) -> str:
        """A1111's legend text for one value, e.g. ``CFG Scale: 7``."""
        shown = _fmt(value)
        if self.type.key == "model":
            shown = str(value).replace("\\", "/").rsplit("/", 1)[-1]
        return shown if self.type.bare else f"{self.type.label}: {shown}"

    def apply(self, params: GenerationParams, value: Value) -> GenerationParams:
        return self.type.apply(params, value)

    def resolved_spec(self) -> str:
        """``NAME=VALUES`` with the values as used (random seeds fixed), to repeat the axis."""
        name = self.spec.partition("=")[0].strip()
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow([_fmt(v) for v in self.values])
        return f"{name}={out.getvalue()}"


def _fmt(value: Value) -> str:
    if isinstance(value, float):
        value = round(value, 8)  # A1111 rounds float labels to 8 places
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, tuple):
        return "x".join(str(v) for v in value)
    return str(value)


def _normal(name: str) -> str:
    return " ".join(name.lower().replace("_", " ").replace(".", "").split())


def split_spec(spec: str) -> tuple[str, str]:
    """``"cfg=3,5"`` -> ``("cfg", "3,5")``; the name ends at the first ``=``."""
    name, sep, values = spec.partition("=")
    if not sep or not name.strip():
        raise SweepError(f"axis `{spec}` must be NAME=VALUES, e.g. cfg=3,5,7")
    if not values.strip():
        raise SweepError(f"axis `{name.strip()}` has no values; give e.g. {name.strip()}=1,2,3")
    return name.strip(), values


def axis_type(name: str, params: GenerationParams) -> AxisType:
    """The `AxisType` for a name or A1111 label (``weight:TERM`` and Prompt S/R included)."""
    raw = name.strip()
    if raw.lower().startswith("weight:"):
        term = raw[len("weight:") :].strip()
        if not term:
            raise SweepError("axis `weight:` needs a term, e.g. weight:cat=0.8,1.2")
        if term not in params.prompt:
            raise SweepError(f"`weight:{term}`: {term!r} does not occur in the prompt")
        return AxisType(f"weight:{term}", term, "float", _term_weight(term), minimum=-10,
                        maximum=10)  # fmt: skip
    if raw.lower().startswith("lora weight:"):
        lora = raw.split(":", 1)[1].strip()
        if not any(m.group(2).strip().lower() == lora.lower() for m in _RE_LORA.finditer(
                params.prompt)):  # fmt: skip
            raise SweepError(f"`lora weight:{lora}`: the prompt has no <lora:{lora}:...> tag")
        return AxisType(f"lora_weight:{lora}", f"LoRA {lora}", "float", _lora_weight(lora))
    key = _ALIASES.get(_normal(raw)) or (raw if raw in _BY_KEY else None)
    if key == "prompt_sr":  # built with its search text by `_sr_axis`
        return AxisType("prompt_sr", "Prompt S/R", "text", _field("prompt"), bare=True)
    if key is None:
        raise SweepError(
            f"unknown axis `{raw}`; use one of: {', '.join(AXIS_NAMES)} (case-insensitive)"
        )
    if key == "lora_weight" and not _RE_LORA.search(params.prompt):
        raise SweepError("`lora weight`: the prompt has no <lora:NAME:WEIGHT> tag to change")
    if key == "denoising_strength" and params.hires is None:
        raise SweepError("`denoising` acts on txt2img only with hires fix; add --hires-scale 2")
    if key == "refiner_switch_at" and not params.refiner:
        raise SweepError("`refiner switch` needs a refiner; add --refiner NAME")
    if key == "controlnet_weight" and not params.controlnets:
        raise SweepError("`controlnet weight`: no ControlNet unit; add --controlnet and an image")
    return _BY_KEY[key]


def _term_weight(term: str) -> Callable[[GenerationParams, Value], GenerationParams]:
    # The slider of the workflow article: `cat` becomes `(cat:w)` wherever it occurs.
    def apply(p: GenerationParams, v: Value) -> GenerationParams:
        return p.replace(prompt=p.prompt.replace(term, f"({term}:{_fmt(v)})"))

    return apply


def parse_axis(spec: str, params: GenerationParams, *, keep_random_seeds: bool = False) -> Axis:
    """Parse ``NAME=VALUES`` against the base ``params``; raise `SweepError` if invalid.

    Seeds of ``-1`` become one fixed random seed each (A1111's default) unless
    ``keep_random_seeds``.

    Examples
    --------
    >>> from pixref.params import GenerationParams
    >>> parse_axis("steps=1-5 (+2)", GenerationParams()).values
    (1, 3, 5)
    """
    name, text = split_spec(spec)
    atype = axis_type(name, params)
    items = _csv(text, name)
    if atype.key == "prompt_sr":
        return _sr_axis(items, params, spec)
    values = tuple(v for item in items for v in _expand(item, atype, name))
    if not values:
        raise SweepError(f"axis `{name}` has no values")
    if atype.kind == "seed" and not keep_random_seeds:
        rng = random.Random()
        values = tuple(rng.randrange(4294967294) if v == -1 else v for v in values)
    return Axis(atype, values, spec)


def _csv(text: str, name: str) -> list[str]:
    try:
        rows = list(csv.reader([text], skipinitialspace=True))
    except csv.Error as exc:
        raise SweepError(f"axis `{name}`: values are not valid CSV ({exc})") from None
    items = [item.strip() for item in (rows[0] if rows else [])]
    if any(item == "" for item in items):
        raise SweepError(f"axis `{name}` has an empty value in {text.strip()!r}")
    return items


def _sr_axis(items: list[str], params: GenerationParams, spec: str) -> Axis:
    search = items[0]
    if search not in params.prompt and search not in params.negative_prompt:
        raise SweepError(
            f"Prompt S/R did not find {search!r} in prompt or negative prompt; "
            "the first value must be text that occurs there"
        )

    def apply(p: GenerationParams, v: Value) -> GenerationParams:
        # A1111: str.replace in both prompts, every occurrence.
        return p.replace(
            prompt=p.prompt.replace(search, v), negative_prompt=p.negative_prompt.replace(search, v)
        )

    atype = AxisType("prompt_sr", "Prompt S/R", "text", apply, bare=True)
    return Axis(atype, tuple(items), spec)


def _expand(item: str, atype: AxisType, name: str) -> list[Value]:
    kind = atype.kind
    if kind in ("int", "seed", "float"):
        numbers = _range(item, integer=kind != "float", name=name)
        for n in numbers:
            _check_bounds(n, atype, name)
        return numbers
    if kind == "size":
        w, sep, h = item.lower().partition("x")
        if not sep or not w.strip().isdigit() or not h.strip().isdigit():
            raise SweepError(f"axis `{name}`: expected WIDTHxHEIGHT such as 512x768, got {item!r}")
        size = (int(w), int(h))
        if min(size) < 8:
            raise SweepError(f"axis `{name}`: size must be at least 8x8, got {item!r}")
        return [size]
    if kind == "sampler":
        found = canonical_sampler(item)
        if found is None:
            raise SweepError(f"axis `{name}`: unknown sampler {item!r}; see `pixref samplers`")
        return [found]
    if kind == "schedule":
        found = canonical_schedule(item)
        if found is None:
            raise SweepError(
                f"axis `{name}`: unknown schedule type {item!r}; see `pixref samplers`"
            )
        return [found]
    return [item]


def _check_bounds(n: float, atype: AxisType, name: str) -> None:
    low, high = atype.minimum, atype.maximum
    if (low is not None and n < low) or (high is not None and n > high):
        raise SweepError(f"axis `{name}`: {_fmt(n)} is outside {_fmt(low)}-{_fmt(high)}")


def _number(text: str, integer: bool, name: str, item: str) -> float:
    text = text.replace(" ", "")
    try:
        value = float(text)
    except ValueError:
        raise SweepError(f"axis `{name}`: {item!r} is not a number or range") from None
    if integer and not value.is_integer():
        raise SweepError(f"axis `{name}` takes whole numbers, got {item!r}")
    return value


def _range(item: str, *, integer: bool, name: str) -> list[Value]:
    """One CSV item as A1111 expands it: a number, ``a-b``, ``a-b (+s)`` or ``a-b [n]``."""
    m = _RE_COUNT.match(item)
    if m:
        start, end = (_number(g, False, name, item) for g in m.groups()[:2])
        count = int(m.group(3))
        if count < 1:
            raise SweepError(f"axis `{name}`: `[n]` needs n of 1 or more, got {item!r}")
        if count == 1:
            points = [start]
        else:
            points = [start + (end - start) * i / (count - 1) for i in range(count)]
        return [int(x) for x in points] if integer else [_tidy(x) for x in points]
    m = _RE_STEP.match(item)
    if m and not re.fullmatch(r"\s*[+-]?\s*\d+(?:\.\d*)?\s*", item):
        start = _number(m.group(1), integer, name, item)
        end = _number(m.group(2), integer, name, item)
        step = _number(m.group(3), integer, name, item) if m.group(3) else 1.0
        if step == 0 or (end - start) * step < 0:
            raise SweepError(f"axis `{name}`: step of {item!r} never reaches the end")
        count = math.floor((end - start) / step + 1e-9) + 1
        if count > 10_000:
            raise SweepError(f"axis `{name}`: {item!r} makes {count} values; at most 10000")
        points = [start + i * step for i in range(count)]
        return [int(x) for x in points] if integer else [_tidy(x) for x in points]
    value = _number(item, integer, name, item)
    return [int(value)] if integer else [_tidy(value)]


def _tidy(x: float) -> int | float:
    # Round away float noise (0.1+0.2); keep whole numbers as ints so "CFG scale: 7" reads
    # as A1111's slider writes it.
    x = round(x, 8)
    return int(x) if x.is_integer() else x
