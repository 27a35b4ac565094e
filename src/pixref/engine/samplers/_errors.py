"""Errors of the sampling stage."""

from pixref.params import PixrefError


class SamplerError(PixrefError):
    """An unknown or unsupported sampler or schedule name, or bad sampling numbers."""
