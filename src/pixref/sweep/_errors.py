"""The sweep stage's errors."""

from typing import Any

from pixref.params import PixrefError


class SweepError(PixrefError):
    """A sweep axis or value is invalid; raised before any image is made."""


class SweepInterrupted(SweepError):
    """``should_stop()`` ended a sweep between two sampling steps.

    ``partial`` is the `SweepResult` of the cells finished before the stop (the grid
    drawn with blanks for the rest); running the sweep again with ``resume=True``
    finishes it.
    """

    def __init__(self, message: str, partial: Any = None) -> None:
        super().__init__(message)
        self.partial = partial
