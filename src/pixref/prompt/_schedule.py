"""Prompt editing ``[from:to:when]`` and alternation ``[a|b]`` as per-step prompts.

A1111 parses these with a lark Earley grammar (a1111-compat.md §2.2). pixref
uses a small hand-written recursive-descent parser for the same grammar
instead of depending on lark, for two measured reasons:

- speed: lark's Earley parser takes about 16 ms for one 60-token prompt, so
  10,000 prompts would take minutes; this parser takes tens of microseconds;
- determinism: where the grammar is ambiguous (stray brackets at the top level,
  e.g. ``[a:b:5]]``), lark's choice changes between lark versions (1.1.2 reads
  that prompt unscheduled, 1.3.1 schedules it). Inside balanced brackets the
  grammar has one reading, and there this parser and lark agree (checked by a
  differential test against lark). At the top level this parser reads a
  structure wherever one parses and treats the other brackets as literal text,
  which is what lark 1.3.1 does in the cases checked.

A prompt that does not parse at all (a ``|`` outside ``[...]``, a backslash at
the very end) is used unscheduled, as A1111 does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters a plain run may not contain; a backslash escapes any one character
# except a newline (the grammar's regex ``.`` does not match one).
_PLAIN = re.compile(r"(?:[^\\\[\]():|]|\\.)+")
# The grammar's NUMBER is lark's common.SIGNED_NUMBER (int, decimal, exponent).
_WHEN = re.compile(r"\s*([+-]?(?:\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))\s*\]")
# Every ``[from:to:when]`` ends in ``:number]``; every alternation has a ``|``.
_EDIT_HINT = re.compile(":" + _WHEN.pattern)
_STRAY = frozenset("[]():")
# Deeper nesting than this is not a real prompt: brackets beyond it are read as
# literal text rather than risking Python's recursion limit.
MAX_DEPTH = 200


@dataclass(frozen=True, slots=True)
class _Scheduled:
    before: tuple | None  # None for ``[to:when]``
    after: tuple
    when: str  # the number exactly as written: a "." makes it a fraction


@dataclass(frozen=True, slots=True)
class _Alternate:
    options: tuple


class _Parser:
    """Recursive descent over the A1111 prompt-editing grammar, memoised by position."""

    def __init__(self, text: str):
        self.text = text
        self.elements: dict[int, tuple[object, int] | None] = {}
        self.has_stray = False
        self.too_deep = False

    def parse_start(self) -> tuple | None:
        """Parse the whole text; ``None`` when the grammar rejects it."""
        items: list = []
        position = 0
        while position < len(self.text):
            sequence, position = self.parse_sequence(position, 0)
            items.extend(sequence)
            if position == len(self.text):
                break
            char = self.text[position]
            if char not in _STRAY:
                return None  # a ``|`` or an unpaired backslash: no parse
            self.has_stray = True
            items.append(char)
            position += 1
        return tuple(items)

    def parse_sequence(self, position: int, depth: int) -> tuple[list, int]:
        """The grammar's ``prompt``: plain text and bracketed elements, possibly none."""
        if depth > MAX_DEPTH:
            # An empty sequence here makes the enclosing bracket fail to
            # close, so it is read as literal text.
            self.too_deep = True
            return [], position
        items: list = []
        text = self.text
        while position < len(text):
            plain = _PLAIN.match(text, position)
            if plain:
                items.append(plain.group(0))
                position = plain.end()
                continue
            if text[position] not in "([":
                break
            element = self.parse_element(position, depth)
            if element is None:
                break
            items.extend(element[0])
            position = element[1]
        return items, position

    def parse_element(self, position: int, depth: int) -> tuple[list, int] | None:
        if position not in self.elements:
            if self.text[position] == "(":
                parsed = self.parse_round(position, depth)
            else:
                parsed = self.parse_square(position, depth)
            self.elements[position] = parsed
        return self.elements[position]

    def parse_round(self, position: int, depth: int) -> tuple[list, int] | None:
        # ``(prompt)`` or ``(prompt:prompt)``; the brackets stay in the text
        # for the attention parser.
        inner, position = self.parse_sequence(position + 1, depth + 1)
        items = ["(", *inner]
        if self._at(position, ":"):
            weight, position = self.parse_sequence(position + 1, depth + 1)
            items += [":", *weight]
        if not self._at(position, ")"):
            return None
        return [*items, ")"], position + 1

    def parse_square(self, position: int, depth: int) -> tuple[list, int] | None:
        first, position = self.parse_sequence(position + 1, depth + 1)
        if self._at(position, "]"):
            return ["[", *first, "]"], position + 1
        if self._at(position, "|"):
            return self.parse_alternate(first, position, depth)
        if not self._at(position, ":"):
            return None
        when = _WHEN.match(self.text, position + 1)
        if when:  # ``[to:when]``
            return [_Scheduled(None, tuple(first), when.group(1))], when.end()
        second, position = self.parse_sequence(position + 1, depth + 1)
        if not self._at(position, ":"):
            return None
        when = _WHEN.match(self.text, position + 1)
        if not when:
            return None
        return [_Scheduled(tuple(first), tuple(second), when.group(1))], when.end()

    def parse_alternate(self, first: list, position: int, depth: int) -> tuple[list, int] | None:
        options = [tuple(first)]
        while self._at(position, "|"):
            option, position = self.parse_sequence(position + 1, depth + 1)
            options.append(tuple(option))
        if not self._at(position, "]"):
            return None
        return [_Alternate(tuple(options))], position + 1

    def _at(self, position: int, char: str) -> bool:
        return position < len(self.text) and self.text[position] == char


def prompt_schedule(
    text: str,
    steps: int,
    *,
    hires_steps: int | None = None,
    use_old_scheduling: bool = False,
    warnings: list[str] | None = None,
) -> list[tuple[int, str]]:
    """Resolve prompt editing and alternation into one prompt per step range.

    Parameters
    ----------
    text : str
        One prompt (one AND part, or a negative prompt).
    steps : int
        Denoiser calls of the pass, in steps (A1111's ``total_steps``: twice
        the sampling steps for second-order samplers).
    hires_steps : int, optional
        Steps of the hires pass. When given, the schedule is for that pass:
        absolute ``when`` values count from the end of the base pass and
        fractions from 1.0, so ``[x:1.5]`` switches halfway through it.
    use_old_scheduling : bool
        A1111's pre-1.6 rule: ``when`` < 1 is a fraction, otherwise a step.
    warnings : list of str, optional
        Receives a line when the prompt cannot be scheduled.

    Returns
    -------
    list of (int, str)
        ``(end_at_step, prompt)`` pairs in increasing step order; step ``i``
        (0-based denoiser call) uses the first pair with ``i <= end_at_step``.

    Examples
    --------
    >>> prompt_schedule("a [cat:dog:5]", 20)
    [(5, 'a cat'), (20, 'a dog')]
    >>> prompt_schedule("[fe|]male", 3)
    [(1, 'female'), (2, 'male'), (3, 'female')]
    """
    if hires_steps is None or use_old_scheduling:
        int_offset, float_offset, total = 0, 0.0, steps
    else:
        int_offset, float_offset, total = steps, 1.0, hires_steps

    if "[" not in text or ("|" not in text and not _EDIT_HINT.search(text)):
        # Without ``[``, or without any ``|`` or ``:number]``, no parse can
        # hold editing or alternation, and the grammar keeps every other
        # character, so the text is its own schedule (parsed or not).
        return [(total, text)]
    tree = _parse_or_none(text, warnings)
    if tree is None:
        return [(total, text)]

    nodes = list(_nodes(tree))
    switch_steps = {
        id(node): _when_to_step(node.when, total, int_offset, float_offset, use_old_scheduling)
        for node in nodes
        if isinstance(node, _Scheduled)
    }
    boundaries = {total} | {step for step in switch_steps.values() if step >= 1}
    if any(isinstance(node, _Alternate) for node in nodes):
        # Alternation switches at every step, so every step is a boundary.
        boundaries.update(range(1, total + 1))

    # The text at a step depends only on which way each node goes; alternation
    # repeats the same few texts over many steps, so render each once.
    rendered: dict[tuple[int, ...], str] = {}
    schedule = []
    for step in sorted(boundaries):
        choices = _choices(nodes, step, switch_steps)
        if choices not in rendered:
            rendered[choices] = "".join(_render(tree, step, switch_steps))
        schedule.append((step, rendered[choices]))
    return schedule


def _parse_or_none(text: str, warnings: list[str] | None) -> tuple | None:
    parser = _Parser(text)
    tree = parser.parse_start()
    if parser.too_deep:
        _warn(warnings, f"brackets nested deeper than {MAX_DEPTH}: the deepest are read as text")
    if tree is None:
        _warn(
            warnings,
            "prompt editing syntax does not parse (a `|` outside `[...]` or a trailing "
            "backslash): used unscheduled, as A1111 does",
        )
    elif parser.has_stray and any(not isinstance(item, str) for item in tree):
        _warn(
            warnings,
            "unbalanced brackets next to prompt editing: A1111's reading depends on its "
            "lark version; pixref schedules every part that parses",
        )
    return tree


def _when_to_step(
    when: str, total: int, int_offset: int, float_offset: float, use_old_scheduling: bool
) -> int:
    value = float(when)
    if use_old_scheduling:
        value = value * total if value < 1 else value
    elif "." in when:
        value = (value - float_offset) * total
    else:
        value = value - int_offset
    return min(total, int(value))


def _nodes(items):
    """Every editing and alternation node, nested ones included."""
    for item in items:
        if isinstance(item, _Scheduled):
            yield item
            yield from _nodes(item.before or ())
            yield from _nodes(item.after)
        elif isinstance(item, _Alternate):
            yield item
            for option in item.options:
                yield from _nodes(option)


def _choices(nodes, step: int, switch_steps: dict[int, int]) -> tuple[int, ...]:
    return tuple(
        int(step <= switch_steps[id(node)])
        if isinstance(node, _Scheduled)
        else (step - 1) % len(node.options)
        for node in nodes
    )


def _render(items, step: int, switch_steps: dict[int, int]):
    for item in items:
        if isinstance(item, str):
            yield item
        elif isinstance(item, _Scheduled):
            chosen = (item.before or ()) if step <= switch_steps[id(item)] else item.after
            yield from _render(chosen, step, switch_steps)
        else:
            yield from _render(item.options[(step - 1) % len(item.options)], step, switch_steps)


def _warn(warnings: list[str] | None, message: str) -> None:
    if warnings is not None and message not in warnings:
        warnings.append(message)
