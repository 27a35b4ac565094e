"""Composable diffusion: ``a cat AND a hat :1.2`` (a1111-compat.md §2.3)."""

from __future__ import annotations

import re

_AND = re.compile(r"\bAND\b")
# A1111 matches each part with ``^(lazy text)(\s*:\s*weight)?\s*$``: the text
# ends where a ``:weight`` tail (with the spaces before it) begins, or else
# before the trailing whitespace. Such a tail holds no other colon, so it can
# only start at the last one; looking there is several times faster than the
# lazy pattern, and a test checks the two agree.
_WEIGHT_TAIL = re.compile(r":\s*([-+]?(?:\d+\.?|\d*\.\d+))\s*")


def split_and(text: str, warnings: list[str] | None = None) -> list[tuple[str, float]]:
    """Split a positive prompt on ``AND`` into sub-prompts with their weights.

    Parameters
    ----------
    text : str
        The positive prompt, extra-network tags already removed. Negative
        prompts are never split (A1111 encodes them as one uncond).
    warnings : list of str, optional
        Receives a line when a trailing ``:number`` of a prompt without
        ``AND`` is read as a weight, which surprises people.

    Returns
    -------
    list of (str, float)
        Each sub-prompt and its weight (1.0 when none is written). The engine
        adds ``(cond_i - uncond) * weight_i * cfg_scale`` over the parts.

    Examples
    --------
    >>> split_and("a cat AND a hat :1.2")
    [('a cat', 1.0), (' a hat', 1.2)]
    """
    parts = [_split_weight(piece) for piece in _AND.split(text)]
    if len(parts) == 1 and warnings is not None:
        weight = _WEIGHT_TAIL.fullmatch(text, max(text.rfind(":"), 0))
        if weight:
            warnings.append(
                f"the trailing `:{weight.group(1)}` is read as an AND weight "
                f"({parts[0][1]:g}), as A1111 does; escape it or drop it if it is text"
            )
    return parts


def _split_weight(piece: str) -> tuple[str, float]:
    colon = piece.rfind(":")
    if colon >= 0:
        tail = _WEIGHT_TAIL.fullmatch(piece, colon)
        if tail:
            start = colon
            while start > 0 and piece[start - 1].isspace():
                start -= 1
            return piece[:start], float(tail.group(1))
    return piece.rstrip(), 1.0
