"""A second implementation of prompt editing, on lark, used only as a test oracle.

The grammar is the one A1111 documents (a1111-compat.md §2.2), run by lark's
Earley parser as A1111 runs it; the tree walk below is written for these tests.
"""

from __future__ import annotations

import lark

GRAMMAR = r"""
!start: (prompt | /[][():]/+)*
prompt: (emphasized | scheduled | alternate | plain | WHITESPACE)*
!emphasized: "(" prompt ")"
        | "(" prompt ":" prompt ")"
        | "[" prompt "]"
scheduled: "[" [prompt ":"] prompt ":" [WHITESPACE] NUMBER [WHITESPACE] "]"
alternate: "[" prompt ("|" [prompt])+ "]"
WHITESPACE: /\s+/
plain: /([^\\\[\]():|]|\\.)+/
%import common.SIGNED_NUMBER -> NUMBER
"""

_PARSER = lark.Lark(GRAMMAR)


def oracle_tree(text: str):
    try:
        return _PARSER.parse(text)
    except lark.exceptions.LarkError:
        return None


def _step_of(token: str, steps: int) -> int:
    value = (float(token)) * steps if "." in token else float(token)
    return min(steps, int(value))


def _text_at(node, step: int, steps: int) -> str:
    if node is None:
        return ""
    if isinstance(node, lark.Token):
        return str(node)
    if node.data == "scheduled":
        before, after, _, when, _ = node.children
        chosen = before if step <= _step_of(str(when), steps) else after
        return _text_at(chosen, step, steps)
    if node.data == "alternate":
        options = node.children
        return _text_at(options[(step - 1) % len(options)], step, steps)
    return "".join(_text_at(child, step, steps) for child in node.children)


def _boundaries(tree, steps: int) -> list[int]:
    found = {steps}
    for node in tree.iter_subtrees():
        if node.data == "scheduled":
            step = _step_of(str(node.children[-2]), steps)
            if step >= 1:
                found.add(step)
        elif node.data == "alternate":
            found.update(range(1, steps + 1))
    return sorted(found)


def oracle_schedule(text: str, steps: int) -> list[tuple[int, str]] | None:
    """A1111's schedule by way of lark, or None when lark rejects the text."""
    tree = oracle_tree(text)
    if tree is None:
        return None
    return [(step, _text_at(tree, step, steps)) for step in _boundaries(tree, steps)]
