"""The library's error type."""

from pixref.params import PixrefError


class LibraryError(PixrefError):
    """A problem with the generation library (database, image files, or a request)."""
