"""The mockup stage's error: bad documents, missing sources, unreadable layer files."""

from pixref.params import PixrefError


class MockupError(PixrefError):
    """A mockup document or one of its sources is invalid or missing, explained in one line."""
