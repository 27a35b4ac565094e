"""The infotext ``Key: value`` line: A1111's key order, quoting and tokenizing."""

from __future__ import annotations

import json
import re

#: A1111 v1.10 ``create_infotext`` order: the fixed slots, then the
#: ``extra_generation_params`` keys in the order A1111's processing adds them.
#: Keys not listed here go after ``_UNKNOWN`` (before ``Version``), in the order read.
_UNKNOWN = "<unknown>"
KEY_ORDER: tuple[str, ...] = (
    "Steps", "Sampler", "Schedule type", "CFG scale", "Image CFG scale", "Seed",
    "Face restoration", "Size", "Model hash", "Model", "FP8 weight",
    "Cache FP16 weight for LoRA", "VAE hash", "VAE", "Variation seed",
    "Variation seed strength", "Seed resize from", "Denoising strength",
    "Conditional mask weight", "Clip skip", "ENSD", "Token merging ratio",
    "Token merging ratio hr", "Init image hash", "RNG", "Tiling",
    # txt2img hires fix (StableDiffusionProcessingTxt2Img.init)
    "Hires checkpoint", "Hires sampler", "Hires prompt", "Hires negative prompt",
    "Hires schedule type", "Hires upscale", "Hires resize", "Hires steps", "Hires upscaler",
    # img2img / inpaint (StableDiffusionProcessingImg2Img.init)
    "Mask mode", "Mask blur", "Inpaint area", "Masked area padding", "Masked content",
    "ControlNet",  # every "ControlNet N" unit (scripts.process)
    "Lora hashes", "TI hashes", "Emphasis", "Noise multiplier", "Eta",
    "Refiner", "Refiner switch at",  # added during sampling
    _UNKNOWN,
    "Version", "User",
)  # fmt: skip
_SLOT = {key: i for i, key in enumerate(KEY_ORDER)}
_CONTROLNET_KEY = re.compile(r"ControlNet \d+")


def key_slot(key: str) -> int:
    """Position of ``key`` in A1111's order (unknown keys share one slot)."""
    if _CONTROLNET_KEY.fullmatch(key):
        return _SLOT["ControlNet"]
    return _SLOT.get(key, _SLOT[_UNKNOWN])


def value_text(value: object) -> str:
    """``str(value)`` as A1111 writes it (Python's ``str``: ``7``, ``7.0``, ``True``)."""
    return value if isinstance(value, str) else str(value)


def quote(value: object) -> str:
    """A1111's ``quote``: JSON-quote a value containing ``,``, ``:`` or a newline.

    pixref also quotes the rare values A1111 would write unquoted but could not
    read back (leading/trailing white space, a leading ``"``); A1111 reads the
    quoted form to the same value.
    """
    text = value_text(value)
    needs = any(c in text for c in ",:\n") or text != text.strip() or text.startswith('"')
    return json.dumps(text, ensure_ascii=False) if needs else text


def unquote(text: str) -> str:
    """A1111's ``unquote``: decode a JSON-quoted value, else return it unchanged."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        return text
    try:
        decoded = json.loads(text)
    except ValueError:
        return text
    return decoded if isinstance(decoded, str) else text


def _is_key_char(c: str) -> bool:
    return c.isalnum() or c in "_ -/"


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _quoted_end(line: str, start: int) -> int:
    """Index after the closing quote of a ``"...\\"..."`` run at ``start``, or -1."""
    i = start + 1
    n = len(line)
    while i < n:
        c = line[i]
        if c == "\\":
            if i + 1 >= n:
                return -1
            i += 2
        elif c == '"':
            return i + 1 if i > start + 1 else -1
        else:
            i += 1
    return -1


def split_params_line(line: str) -> list[tuple[str, str]]:
    """Split a params line into raw ``(key, value)`` pairs, as A1111's ``re_param`` does.

    Equivalent to ``re.findall(r'\\s*(\\w[\\w \\-/]+):\\s*("(?:\\\\.|[^\\\\"])+"|[^,]*)(?:,|$)')``
    but linear in the line's length: that regex is quadratic on long runs of
    word characters, which a hostile file can make hang. Values stay quoted.
    """
    pairs: list[tuple[str, str]] = []
    n = len(line)
    i = 0
    while i < n:
        k = i
        while k < n and line[k].isspace():
            k += 1
        if k >= n:
            break
        if not _is_word_char(line[k]):
            i = k + 1
            continue
        j = k + 1
        while j < n and _is_key_char(line[j]):
            j += 1
        if j - k < 2 or j >= n or line[j] != ":":
            i = j + 1 if j > k + 1 else k + 1
            continue
        key = line[k:j]
        v = j + 1
        while v < n and line[v].isspace():
            v += 1
        if v < n and line[v] == '"':
            end = _quoted_end(line, v)
            if end != -1 and (end == n or line[end] == ","):
                pairs.append((key, line[v:end]))
                i = end + 1
                continue
        comma = line.find(",", v)
        end = n if comma == -1 else comma
        pairs.append((key, line[v:end]))
        i = end + 1
    return pairs
