"""Attention weights: ``(word)``, ``[word]``, ``(word:1.3)`` and ``BREAK``.

Reproduces A1111's ``parse_prompt_attention`` (a1111-compat.md §2.1) from its
documented behaviour: a flat scan with one stack of open round brackets and one
of open square brackets, ranges multiplied when a bracket closes, unclosed
brackets applied at the end, then adjacent equal weights merged.
"""

from __future__ import annotations

import re

ROUND_MULTIPLIER = 1.1
SQUARE_MULTIPLIER = 1 / 1.1
BREAK_WEIGHT = -1.0

# One token per match, tried left to right: the five escapes, a lone backslash,
# an opening bracket, ``:<number>)`` (a weighted close), a plain close, a run of
# ordinary text, and a lone colon. A1111 ≥ 1.0 allows spaces around the number.
# The outer group makes ``findall`` return ``(token, weight)`` pairs, which is
# faster than match objects on this hot path.
_TOKEN = re.compile(
    r"(\\\(|\\\)|\\\[|\\\]|\\\\|\\"
    r"|\(|\["
    r"|:\s*([+-]?[.\d]+)\s*\)"
    r"|\)|\]"
    r"|[^\\()\[\]:]+"
    r"|:)"
)
_BREAK = re.compile(r"\s*\bBREAK\b\s*", re.S)
_SYNTAX_START = frozenset("\\()[]:")


def parse_attention(text: str, warnings: list[str] | None = None) -> list[tuple[str, float]]:
    """Split a prompt into ``(text, weight)`` runs as A1111 reads attention.

    Parameters
    ----------
    text : str
        One prompt after prompt editing and AND have been resolved.
    warnings : list of str, optional
        Receives one line per oddity (unclosed brackets, unreadable weights).

    Returns
    -------
    list of (str, float)
        Runs of text with their weight; ``("BREAK", -1.0)`` marks a chunk
        break. An empty prompt gives ``[("", 1.0)]``.

    Examples
    --------
    >>> parse_attention("a (b:1.5) [c]")
    [('a ', 1.0), ('b', 1.5), (' ', 1.0), ('c', 0.9090909090909091)]
    """
    runs: list[list] = []
    open_round: list[int] = []
    open_square: list[int] = []

    for token, weight_text in _TOKEN.findall(text):
        if token[0] not in _SYNTAX_START:
            # The common case: a run of ordinary text.
            if "BREAK" in token:
                _append_text(runs, token)
            else:
                runs.append([token, 1.0])
        elif token[0] == "\\":
            # An escape (or a lone backslash) is literal text of weight 1.
            runs.append([token[1:], 1.0])
        elif token == "(":
            open_round.append(len(runs))
        elif token == "[":
            open_square.append(len(runs))
        elif weight_text and open_round:
            _multiply(runs, open_round.pop(), _read_weight(weight_text, warnings))
        elif token == ")" and open_round:
            _multiply(runs, open_round.pop(), ROUND_MULTIPLIER)
        elif token == "]" and open_square:
            _multiply(runs, open_square.pop(), SQUARE_MULTIPLIER)
        else:
            # Ordinary text, a stray closer or a stray ``:1.2)``: kept as text.
            _append_text(runs, token)

    _close_unclosed(runs, open_round, open_square, warnings)
    if not runs:
        return [("", 1.0)]
    return _merge_equal_weights(runs)


def _read_weight(weight_text: str, warnings: list[str] | None) -> float:
    try:
        return float(weight_text)
    except ValueError:
        # A1111 stops with a ValueError on e.g. ``(x:1.2.3)``; pixref never
        # raises on a prompt, so the range keeps its weight and says so.
        _warn(warnings, f"unreadable weight `{weight_text}`: A1111 stops here; pixref uses 1.0")
        return 1.0


def _multiply(runs: list[list], start: int, multiplier: float) -> None:
    # BREAK markers are multiplied too, as in A1111: ``(a BREAK b)`` turns the
    # marker's -1 into -1.1, which the chunker then no longer reads as BREAK.
    for run in runs[start:]:
        run[1] *= multiplier


def _append_text(runs: list[list], token: str) -> None:
    if "BREAK" not in token:
        runs.append([token, 1.0])
        return
    parts = _BREAK.split(token)
    runs.append([parts[0], 1.0])
    for part in parts[1:]:
        runs.append(["BREAK", BREAK_WEIGHT])
        runs.append([part, 1.0])


def _close_unclosed(
    runs: list[list], open_round: list[int], open_square: list[int], warnings: list[str] | None
) -> None:
    # A1111 applies unclosed brackets at the end, every round one first, each
    # multiplying the runs from its start onwards. Each run thus sees one
    # multiplication per bracket opened before it, in that order. Doing them
    # run by run, with the successive products of a weight cached, gives the
    # same floats without A1111's quadratic cost on prompts full of ``(``.
    if not (open_round or open_square):
        return
    products: dict[tuple[float, float], list[float]] = {}
    round_before = _count_starts(open_round, len(runs))
    square_before = _count_starts(open_square, len(runs))
    for index, run in enumerate(runs):
        weight = _repeat_multiply(run[1], ROUND_MULTIPLIER, round_before[index], products)
        run[1] = _repeat_multiply(weight, SQUARE_MULTIPLIER, square_before[index], products)
    _warn(
        warnings,
        f"{len(open_round)} unclosed `(` and {len(open_square)} unclosed `[`: "
        "weighted to the end of the prompt, as A1111 does",
    )


def _count_starts(starts: list[int], length: int) -> list[int]:
    """For each run index, how many brackets opened at or before it."""
    counts = [0] * (length + 1)
    for start in starts:
        counts[start] += 1
    for index in range(1, length + 1):
        counts[index] += counts[index - 1]
    return counts


def _repeat_multiply(
    weight: float, multiplier: float, times: int, products: dict[tuple[float, float], list[float]]
) -> float:
    sequence = products.setdefault((weight, multiplier), [weight])
    while len(sequence) <= times:
        sequence.append(sequence[-1] * multiplier)
    return sequence[times]


def _merge_equal_weights(runs: list[list]) -> list[tuple[str, float]]:
    merged: list[tuple[str, float]] = []
    for text, weight in runs:
        if merged and merged[-1][1] == weight:
            merged[-1] = (merged[-1][0] + text, weight)
        else:
            merged.append((text, weight))
    return merged


def _warn(warnings: list[str] | None, message: str) -> None:
    if warnings is not None and message not in warnings:
        warnings.append(message)
