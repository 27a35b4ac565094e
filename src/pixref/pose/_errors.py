"""The pose error."""

from pixref.params import PixrefError


class PoseError(PixrefError):
    """A pose file or pose edit that pixref cannot use, explained in one line."""
