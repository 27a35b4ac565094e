"""Compare entries: which "sliders" moved between two generations, and which
neighbours differ from one entry in exactly one parameter (the artist's "what does
this dimension do" view)."""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pixref.library._entry import Entry
from pixref.library._errors import LibraryError
from pixref.library._library import Library
from pixref.params import GenerationParams

#: Fields that describe the run, not the image: never a "slider".
IGNORED = frozenset({"version", "batch_size", "batch_count"})


def flatten(params: GenerationParams) -> dict[str, Any]:
    """Every parameter as ``name -> value`` (nested records dotted, size as one)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(params):
        name = f.name
        value = getattr(params, name)
        if name in IGNORED or name in ("width", "height"):
            continue
        if name == "extra":
            for key, v in value:
                if key != "Version":
                    out[f"extra:{key}"] = v
        elif name == "controlnets":
            for i, unit in enumerate(value):
                for uf in dataclasses.fields(unit):
                    out[f"controlnet[{i}].{uf.name}"] = getattr(unit, uf.name)
        elif dataclasses.is_dataclass(value):
            for sf in dataclasses.fields(value):
                out[f"{name}.{sf.name}"] = getattr(value, sf.name)
        else:
            out[name] = value
    out["size"] = f"{params.width}x{params.height}"
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return float(a) == float(b)  # CFG 7 and 7.0 are the same slider position
    return a == b


@dataclass(frozen=True)
class Change:
    """One parameter that differs: its name and both values (None: not set)."""

    name: str
    a: Any
    b: Any


def param_changes(a: GenerationParams, b: GenerationParams) -> list[Change]:
    fa, fb = flatten(a), flatten(b)
    names = list(fa) + [k for k in fb if k not in fa]
    return [Change(n, fa.get(n), fb.get(n)) for n in names if not _same(fa.get(n), fb.get(n))]


_WORD = re.compile(r"\S+")


def word_diff(a: str, b: str) -> list[tuple[str, str]]:
    """Word-level diff: a list of ``(op, text)`` with op ``=``, ``-`` or ``+``."""
    wa, wb = _WORD.findall(a), _WORD.findall(b)
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("=", " ".join(wa[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(("-", " ".join(wa[i1:i2])))
        if op in ("insert", "replace"):
            out.append(("+", " ".join(wb[j1:j2])))
    return out


def format_word_diff(parts: list[tuple[str, str]]) -> str:
    """Plain text rendering: ``[-removed-]`` and ``{+added+}`` (git's word-diff style)."""
    text = []
    for op, words in parts:
        text.append(words if op == "=" else f"[-{words}-]" if op == "-" else f"{{+{words}+}}")
    return " ".join(text)


@dataclass(frozen=True)
class Diff:
    a: int
    b: int
    changes: list[Change]
    prompt: list[tuple[str, str]]
    negative_prompt: list[tuple[str, str]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "changes": [{"name": c.name, "a": c.a, "b": c.b} for c in self.changes],
            "prompt": format_word_diff(self.prompt),
            "negative_prompt": format_word_diff(self.negative_prompt),
        }


def _params(entry: Entry) -> GenerationParams:
    if entry.params is None:
        raise LibraryError(
            f"entry {entry.id} has no generation parameters (an image imported without "
            "metadata); nothing to compare"
        )
    return entry.params


def diff(lib: Library, a: int | str, b: int | str) -> Diff:
    """Which parameters differ between entries ``a`` and ``b``, and how the prompts do."""
    ea, eb = lib.get(a), lib.get(b)
    pa, pb = _params(ea), _params(eb)
    return Diff(
        a=ea.id,
        b=eb.id,
        changes=param_changes(pa, pb),
        prompt=word_diff(pa.prompt, pb.prompt),
        negative_prompt=word_diff(pa.negative_prompt, pb.negative_prompt),
    )


#: First-class columns compared in SQL to find candidates cheaply; size counts as one.
_CANDIDATE_COLUMNS = (
    "prompt",
    "negative_prompt",
    "seed",
    "steps",
    "cfg_scale",
    "sampler",
    "schedule_type",
)


def _candidates(lib: Library, entry: Entry, p: GenerationParams) -> Iterator[Entry]:
    values = [p.prompt, p.negative_prompt, p.seed, p.steps, p.cfg_scale, p.sampler, p.schedule_type]
    terms = [f"(e.{c} IS ?)" for c in _CANDIDATE_COLUMNS]
    terms.append("(e.model IS ?)")
    values.append(p.model)
    terms.append("(e.gen_width IS ? AND e.gen_height IS ?)")
    values += [p.width, p.height]
    need = len(terms) - 1
    sql = (
        "SELECT e.* FROM entries e WHERE e.deleted_utc IS NULL AND e.id != ?"
        f" AND e.params_json IS NOT NULL AND ({' + '.join(terms)}) >= ?"
        " ORDER BY e.created_utc DESC, e.id DESC"
    )
    for row in lib.store.fetchall(sql, [entry.id, *values, need]):
        yield lib._entry(row)


def similar(lib: Library, ref: int | str) -> dict[str, list[tuple[Entry, Change]]]:
    """Entries differing from ``ref`` in exactly one parameter, grouped by that parameter.

    Groups are ordered by size (largest first); within a group, by the other value.
    """
    entry = lib.get(ref)
    p = _params(entry)
    groups: dict[str, list[tuple[Entry, Change]]] = {}
    for other in _candidates(lib, entry, p):
        if other.params is None:
            continue
        changes = param_changes(p, other.params)
        if len(changes) == 1:
            groups.setdefault(changes[0].name, []).append((other, changes[0]))
    for items in groups.values():
        items.sort(key=lambda ec: (str(type(ec[1].b)), _sort_key(ec[1].b), ec[0].id))
    return dict(sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])))


def _sort_key(v: Any) -> Any:
    return (0, float(v)) if isinstance(v, int | float) and not isinstance(v, bool) else (1, str(v))
