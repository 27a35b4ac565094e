"""The root of pixref's error hierarchy.

Every error a user can cause is a `PixrefError` subclass with a one-line message
that names the problem and what to do. The CLI and the server turn these into a
red ``error:`` line or a 4xx JSON body; anything else is a bug.
"""


class PixrefError(Exception):
    """A problem with the user's input or environment, explained in one line."""


class ParamsError(PixrefError):
    """Invalid generation parameters."""
