"""pixref: Stable Diffusion reference for pixel artists.

Generate as AUTOMATIC1111 does, log every generation, mock up, pixelize.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pixref")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0"

__all__ = ["__version__"]
