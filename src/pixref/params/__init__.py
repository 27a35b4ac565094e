"""Generation parameters: the record every stage of pixref reads and writes."""

from pixref.params._errors import ParamsError, PixrefError
from pixref.params._params import (
    MASKED_CONTENT,
    ControlNetUnit,
    GenerationParams,
    Hires,
    Inpaint,
)

__all__ = [
    "MASKED_CONTENT",
    "ControlNetUnit",
    "GenerationParams",
    "Hires",
    "Inpaint",
    "ParamsError",
    "PixrefError",
]
