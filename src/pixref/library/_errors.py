"""The library's error types."""

from pixref.params import PixrefError


class LibraryError(PixrefError):
    """A problem with the generation library (database, image files, or a request)."""


class EntryNotFound(LibraryError):
    """The library has no entry with the id asked for (the server answers 404)."""
