"""Where pixref keeps its data: one data home with models, outputs and the library.

The home is, in order: the CLI's ``--home``, the ``PIXREF_HOME`` environment
variable, or the platform's user data directory (``~/.local/share/pixref`` on Linux).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

_override: Path | None = None


def set_home(path: str | os.PathLike[str] | None) -> None:
    """Make ``path`` the data home for this process (None restores the default)."""
    global _override
    _override = Path(path).expanduser() if path is not None else None


def data_home() -> Path:
    """Return the data home directory (not created)."""
    if _override is not None:
        return _override
    env = os.environ.get("PIXREF_HOME")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("pixref", appauthor=False))


@dataclass(frozen=True)
class Paths:
    """The folders and files inside one data home."""

    home: Path

    @property
    def models(self) -> Path:
        """A1111-style models folder (``Stable-diffusion/``, ``Lora/``, ``VAE/``, ...)."""
        return self.home / "models"

    @property
    def outputs(self) -> Path:
        """Generated images, in A1111's ``outputs`` layout."""
        return self.home / "outputs"

    @property
    def library(self) -> Path:
        """The generation library database."""
        return self.home / "library.db"


def paths() -> Paths:
    """The `Paths` of the current data home."""
    return Paths(data_home())
