"""Errors of the pixel stage: bad images, impossible targets, bad palettes."""

from pixref.params import PixrefError


class PixelError(PixrefError):
    """An image or setting the pixel stage cannot work with, explained in one line."""


class PaletteError(PixelError):
    """A palette name, file or value pixref cannot use."""
