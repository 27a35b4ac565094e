"""Errors of the prompt stage."""

from pixref.params import PixrefError


class PromptError(PixrefError):
    """A prompt or prompt setting pixref cannot use (bad emphasis mode, no tokenizer data)."""
