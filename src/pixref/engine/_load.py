"""``load_models``: the engine's one entry to the model loader."""

from __future__ import annotations

import os

from pixref.engine.models import Models, load_checkpoint
from pixref.params import PixrefError


def load_models(
    name_or_path: str | os.PathLike[str] | None,
    *,
    models_dir: str | os.PathLike[str] | None = None,
    device: str | None = None,
    **options,
) -> Models:
    """Load a checkpoint by name, A1111 title or path (see `load_checkpoint`)."""
    if not name_or_path:
        raise PixrefError(
            "no model given: pass --model NAME (a checkpoint in models/Stable-diffusion) or a path"
        )
    return load_checkpoint(name_or_path, models_dir=models_dir, device=device, **options)
