"""Editing a document one change at a time: add, update, remove and restack layers.

Every edit goes through the storage format (`document_to_dict` → change →
`document_from_dict`), so an edit is checked exactly as loading a file is, and its
errors name the layer and the key. Used by ``pixref mockup`` and the server.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pixref.mockup._document import Document, Group, Layer, document_from_dict, document_to_dict
from pixref.mockup._errors import MockupError

#: Keys of a layer's storage form that `update_layer` may change.
LAYER_KEYS = (
    "name", "x", "y", "scale", "rotate", "flip_x", "flip_y", "perspective", "opacity",
    "visible", "blend", "adjust", "mask", "source",
)  # fmt: skip


def unique_layer_name(doc: Document, name: str) -> str:
    """``name``, or ``name 2``, ``name 3``... when a layer already has it."""
    taken = {layer.name for layer in doc.walk()}
    base, n, out = name, 1, name
    while out in taken:
        n += 1
        out = f"{base} {n}"
    return out


def add_layer(doc: Document, layer: Mapping[str, Any]) -> Document:
    """A copy of ``doc`` with ``layer`` (its storage form, e.g. ``{"name": "arm",
    "source": {"library": 12}, "x": 40}``) on top of the stack.

    Raises
    ------
    MockupError
        When the layer is invalid or its name is taken.
    """
    data = document_to_dict(doc)
    data["layers"].append(dict(layer))
    return document_from_dict(data)


def update_layer(doc: Document, ref: str, changes: Mapping[str, Any]) -> Document:
    """A copy of ``doc`` with keys of layer ``ref`` (name or 1-based position) replaced.

    ``changes`` uses the storage form's keys (`LAYER_KEYS`); ``adjust`` and ``mask``
    replace the whole value, a None value restores the key's default.

    Raises
    ------
    MockupError
        For an unknown layer or key, or an invalid value.
    """
    target = doc.find(ref)
    unknown = sorted(set(changes) - set(LAYER_KEYS))
    if unknown:
        raise MockupError(f"layer {target.name!r}: unknown key(s) {', '.join(map(repr, unknown))}")
    data = document_to_dict(doc)
    layer = _find_dict(data["layers"], target.name)
    assert layer is not None  # doc.find found it
    for key, value in changes.items():
        if value is None:
            layer.pop(key, None)
        else:
            layer[key] = value
    return document_from_dict(data)


def remove_layer(doc: Document, ref: str) -> Document:
    """A copy of ``doc`` without layer ``ref``."""
    return doc.replace_layer(doc.find(ref).name, None)


def reorder_layer(doc: Document, ref: str, to: str | int) -> Document:
    """Restack layer ``ref`` within its group: ``top``, ``bottom``, ``up``, ``down``, or a
    1-based position from the bottom.

    Raises
    ------
    MockupError
        For an unknown layer or position.
    """
    target = doc.find(ref)
    return dataclasses.replace(doc, layers=_reorder(doc.layers, target.name, str(to)))


def _find_dict(items: list, name: str) -> dict | None:
    for item in items:
        if "group" in item:
            found = _find_dict(item.get("layers", []), name)
            if found is not None:
                return found
        elif item.get("name") == name:
            return item
    return None


def _reorder(items: tuple, name: str, to: str):
    names = [x.name if isinstance(x, Layer) else None for x in items]
    if name not in names:
        out = []
        for x in items:
            out.append(dataclasses.replace(x, layers=_reorder(x.layers, name, to))
                       if isinstance(x, Group) else x)  # fmt: skip
        return tuple(out)
    rest = list(items)
    i = names.index(name)
    item = rest.pop(i)
    positions = {"top": len(rest), "bottom": 0, "up": min(i + 1, len(rest)), "down": max(i - 1, 0)}
    if to in positions:
        j = positions[to]
    elif to.isdigit() and 1 <= int(to) <= len(items):
        j = int(to) - 1
    else:
        raise MockupError(
            f"layer {name!r}: `to` must be top, bottom, up, down or 1..{len(items)}, got {to!r}"
        )
    rest.insert(j, item)
    return tuple(rest)
