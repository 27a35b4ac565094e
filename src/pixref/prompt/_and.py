"""Composable diffusion: ``a cat AND a hat :1.2`` (a1111-compat.md §2.3)."""

from __future__ import annotations

import re

_AND = re.compile(r"\bAND\b")
# A lazy text, then an optional ``:weight`` at the very end. Trailing
# whitespace falls outside the text, leading whitespace stays, as in A1111.
_PART = re.compile(r"^((?:\s|.)*?)(?:\s*:\s*([-+]?(?:\d+\.?|\d*\.\d+)))?\s*$")


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
    parts = []
    for piece in _AND.split(text):
        match = _PART.match(piece)
        if match is None:  # the pattern accepts any string; kept for safety
            parts.append((piece, 1.0))
            continue
        part_text, weight = match.groups()
        parts.append((part_text, float(weight) if weight is not None else 1.0))
    if len(parts) == 1 and parts[0][1] != 1.0 and warnings is not None:
        warnings.append(
            f"the trailing `:{_PART.match(text).group(2)}` is read as an AND weight "
            f"({parts[0][1]:g}), as A1111 does; escape it or drop it if it is text"
        )
    return parts
