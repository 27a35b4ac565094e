"""The sweep stage's error."""

from pixref.params import PixrefError


class SweepError(PixrefError):
    """A sweep axis or value is invalid; raised before any image is made."""
