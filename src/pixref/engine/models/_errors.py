"""The model-loading error."""

from pixref.params import PixrefError


class ModelLoadError(PixrefError):
    """A checkpoint, VAE or models folder that pixref cannot use, explained in one line."""
