"""A1111 infotext: the text in a PNG's ``parameters`` chunk, read and written exactly.

`format_infotext` writes what A1111 v1.10 writes; `parse_infotext` reads what A1111
and its forks (Forge, reForge, SD.Next, ...) write. The A1111 <-> pixref name
tables (samplers, schedule types, keys) live here and nowhere else.
"""

from pixref.infotext._format import format_controlnet_unit, format_infotext, format_params_line
from pixref.infotext._keys import KEY_ORDER, quote, split_params_line, unquote
from pixref.infotext._names import (
    SAMPLERS,
    SCHEDULES,
    canonical_sampler,
    canonical_schedule,
    split_sampler_name,
)
from pixref.infotext._parse import MAX_INFOTEXT_CHARS, InfotextError, parse_infotext

__all__ = [
    "KEY_ORDER",
    "MAX_INFOTEXT_CHARS",
    "SAMPLERS",
    "SCHEDULES",
    "InfotextError",
    "canonical_sampler",
    "canonical_schedule",
    "format_controlnet_unit",
    "format_infotext",
    "format_params_line",
    "parse_infotext",
    "quote",
    "split_params_line",
    "split_sampler_name",
    "unquote",
]
