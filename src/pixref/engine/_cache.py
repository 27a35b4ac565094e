"""``ModelCache``: the models a run of generations needs, each loaded once.

Sweeps and the server's generation worker ask for models per request; loading a
checkpoint costs seconds, so the one in use stays loaded until another is asked
for (one checkpoint at a time: two SDXL checkpoints rarely fit beside each other).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from typing import Any

from pixref.params import GenerationParams


class ModelCache:
    """The loaded checkpoint (by model and VAE), its embeddings, refiners and ControlNets.

    Parameters
    ----------
    models_dir : path-like, optional
        The A1111-style models folder (default: the data home's).
    device : str, optional
        Where models run (default: CUDA when available, else CPU).
    load_options : dict, optional
        Passed to `load_models` (e.g. ``dtype``, ``allow_unsafe_pickle``).
    """

    def __init__(
        self,
        models_dir: str | os.PathLike[str] | None = None,
        device: str | None = None,
        load_options: dict[str, Any] | None = None,
    ) -> None:
        self.models_dir, self.device = models_dir, device
        self.options = dict(load_options or {})
        self._key: tuple | None = None
        self._models: Any = None
        self._embeddings: tuple[int, Any] | None = None
        self._refiners: dict[str, Any] = {}
        self._controlnets: dict[str, Any] = {}
        self._lock = threading.Lock()
        #: How many times each checkpoint was loaded (by name), to see model affinity.
        self.loads: Counter[str] = Counter()

    def checkpoint(self, p: GenerationParams, model: str | None = None):
        """The models for ``p.model`` (or ``model``) with ``p.vae``, loading them if needed."""
        from pixref.engine._load import load_models

        options = dict(self.options)
        if p.vae is not None:
            options["vae"] = p.vae
        name = model or p.model
        key = (name, options.get("vae"))
        with self._lock:
            if key != self._key:
                self._models = None  # let the previous checkpoint go before loading the next
                self._refiners.clear()
                self._models = load_models(
                    name, models_dir=self.models_dir, device=self.device, **options
                )
                self._key = key
                self.loads[str(name)] += 1
            return self._models

    def embeddings(self, models):
        """The textual-inversion embeddings that fit ``models``."""
        from pixref.engine._embeddings import load_embeddings

        if self._embeddings is None or self._embeddings[0] != id(models):
            self._embeddings = (id(models), load_embeddings(models, models_dir=self.models_dir))
        return self._embeddings[1]

    def refiner(self, p: GenerationParams):
        """The refiner checkpoint ``p`` switches to, or None when it has none."""
        from pixref.engine._load import load_models

        if not p.refiner or p.refiner_switch_at is None:
            return None
        if p.refiner not in self._refiners:
            # The refiner keeps its own VAE (A1111); the other load options apply to it too.
            options = {k: v for k, v in self.options.items() if k != "vae"}
            self._refiners[p.refiner] = load_models(
                p.refiner, models_dir=self.models_dir, device=self.device, **options
            )
        return self._refiners[p.refiner]

    def controlnet(self, name: str, models):
        """The ControlNet ``name``, checked against the architecture of ``models``."""
        from pixref.engine.models import check_controlnet_arch, load_controlnet

        if name not in self._controlnets:
            self._controlnets[name] = load_controlnet(
                name, models_dir=self.models_dir, device=self.device
            )
        controlnet = self._controlnets[name]
        check_controlnet_arch(controlnet, models)
        return controlnet

    def clear(self) -> None:
        """Let every loaded model go (e.g. after the models folder changed)."""
        with self._lock:
            self._key = self._models = self._embeddings = None
            self._refiners.clear()
            self._controlnets.clear()
