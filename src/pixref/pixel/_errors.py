"""Errors of the pixel stage: bad images, impossible targets, bad palettes."""

from enum import StrEnum
from typing import TypeVar

from pixref.params import PixrefError

E = TypeVar("E", bound=StrEnum)


class PixelError(PixrefError):
    """An image or setting the pixel stage cannot work with, explained in one line."""


class PaletteError(PixelError):
    """A palette name, file or value pixref cannot use."""


def parse_choice(
    enum: type[E], value: object, name: str, error: type[PixelError] = PixelError
) -> E:
    """``enum(value)``, or a one-line error naming ``name`` and the allowed values."""
    try:
        return enum(value)
    except ValueError:
        names = ", ".join(member.value for member in enum)
        raise error(f"`{name}` must be one of {names}, got {value!r}") from None
