"""Lineage: the img2img / inpaint / variation / pixelize family tree of an entry."""

from __future__ import annotations

from dataclasses import dataclass

from pixref.library._entry import Entry
from pixref.library._library import Library


@dataclass(frozen=True)
class LineageNode:
    """One entry in a family tree, how it came from its parent, and its own children."""

    entry: Entry
    relation: str | None
    children: tuple[LineageNode, ...]


def lineage(lib: Library, ref: int | str) -> LineageNode:
    """The family tree holding entry ``ref``, from its oldest ancestor down.

    Ancestors are followed through each entry's first parent (lowest id); every
    entry appears once, so a cycle in the links cannot loop.
    """
    start = lib.get(ref).id
    root = start
    seen = {root}
    while True:
        parents = lib.parents(root)
        if not parents or parents[0][1] in seen:
            break
        root = parents[0][1]
        seen.add(root)
    return _grow(lib, root, None, {root})


def _grow(lib: Library, entry_id: int, relation: str | None, seen: set[int]) -> LineageNode:
    entry = lib.get(entry_id)
    children = []
    for rel, child in lib.children(entry_id):
        if child not in seen:  # depth first: a descendant reached twice stays where first seen
            seen.add(child)
            children.append(_grow(lib, child, rel, seen))
    return LineageNode(entry=entry, relation=relation, children=tuple(children))
