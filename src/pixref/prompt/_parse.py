"""One call that reads a prompt the way A1111 does before any encoding."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pixref.prompt._and import split_and
from pixref.prompt._attention import parse_attention
from pixref.prompt._networks import ExtraNetwork, extract_extra_networks, find_embedding_names
from pixref.prompt._schedule import prompt_schedule

# C0 and C1 control characters other than tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class ParsedPrompt:
    """A prompt as A1111 reads it, before text conditioning.

    Parameters
    ----------
    text : str
        The prompt to encode: extra-network tags removed (positive prompts only).
    parts : tuple of (str, float)
        AND sub-prompts and their weights; a negative prompt is one part of 1.0.
    networks : tuple of ExtraNetwork
        ``<lora:…>``, ``<lyco:…>``, ``<hypernet:…>`` and other tags, in order.
    embeddings : tuple of str
        Known textual-inversion names that occur in the prompt.
    warnings : tuple of str
        One line per oddity; parsing itself never raises.
    """

    text: str
    parts: tuple[tuple[str, float], ...]
    networks: tuple[ExtraNetwork, ...] = ()
    embeddings: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def schedules(
        self, steps: int, *, hires_steps: int | None = None
    ) -> list[list[tuple[int, str]]]:
        """Per-step prompts of each part (see `prompt_schedule`)."""
        return [prompt_schedule(text, steps, hires_steps=hires_steps) for text, _ in self.parts]


def parse_prompt(
    text: str, *, negative: bool = False, embedding_names=(), steps: int = 20
) -> ParsedPrompt:
    """Read a prompt as A1111 does: tags, AND, editing and attention, with warnings.

    Parameters
    ----------
    text : str
        The prompt as the user wrote it.
    negative : bool
        A negative prompt keeps its tags as text and is not split on AND.
    embedding_names : iterable of str
        Textual-inversion names to look for.
    steps : int
        Steps used only to check that every scheduled prompt's attention
        syntax reads cleanly, so the warnings cover the whole prompt.

    Returns
    -------
    ParsedPrompt

    Examples
    --------
    >>> parsed = parse_prompt("a cat <lora:pixel:0.8> AND a hat :1.2")
    >>> parsed.parts, [n.name for n in parsed.networks]
    ((('a cat', 1.0), (' a hat', 1.2)), ['pixel'])
    """
    warnings: list[str] = []
    _check_characters(text, warnings)
    networks: list[ExtraNetwork] = []
    if negative:
        parts = [(text, 1.0)]
    else:
        text, networks = extract_extra_networks(text, warnings)
        parts = split_and(text, warnings)
    for part_text, _ in parts:
        schedule = prompt_schedule(part_text, steps, warnings=warnings)
        for scheduled_text in dict.fromkeys(text for _, text in schedule):
            parse_attention(scheduled_text, warnings)
    return ParsedPrompt(
        text=text,
        parts=tuple(parts),
        networks=tuple(networks),
        embeddings=tuple(find_embedding_names(text, embedding_names)),
        warnings=tuple(warnings),
    )


def _check_characters(text: str, warnings: list[str]) -> None:
    controls = set(_CONTROL.findall(text))
    if controls:
        codes = ", ".join(f"U+{ord(c):04X}" for c in sorted(controls))
        warnings.append(f"control characters in the prompt ({codes}): encoded as A1111 would")
