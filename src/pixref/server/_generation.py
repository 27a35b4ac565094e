"""The generation worker's side: models kept loaded, one request run, saved and logged.

Requests run through a backend (`engine.LocalBackend` over the service's
`ModelCache` by default, or the server's `pixref.dist.RayBackend`) on the job
queue's device threads: one locally, one per Ray actor. Wherever the images were
made, this process saves and logs them: the server is the library's one writer.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from pixref.engine._backend import ControlRequest, EngineCall
from pixref.params import GenerationParams, PixrefError
from pixref.server._jobs import Cancelled, JobContext


class NoCheckpoint(PixrefError):
    """Generation was asked for but no checkpoint is installed."""


@dataclass(frozen=True)
class GenerationRequest:
    """Everything one generation needs beyond the models.

    ``kind`` is ``txt2img`` or ``img2img`` (inpainting is img2img with ``mask``);
    ``init_bytes`` are the uploaded init image's bytes, to link the result to it
    in the library when that image came from there.
    """

    params: GenerationParams
    kind: str = "txt2img"
    init_image: Image.Image | None = None
    mask: Image.Image | None = None
    controls: tuple[ControlRequest, ...] = ()
    init_bytes: bytes | None = None


@dataclass(frozen=True)
class Generated:
    """A request's images (``result`` is an engine `Result`), files and library ids."""

    result: Any
    paths: list[Path]
    entry_ids: list[int | None]
    warnings: tuple[str, ...] = ()
    interrupted: bool = False


@dataclass
class GenerationService:
    """Loads checkpoints on demand (keeping the last one) and runs requests.

    ``checkpoint`` is the model used when a request names none (A1111's
    ``sd_model_checkpoint`` option); None picks the first installed checkpoint.
    ``load_options`` go to `load_models` (e.g. ``config_dir`` for tiny test models;
    this process's loads only). ``backend`` runs the requests when given (the
    server's `pixref.dist.RayBackend`, started and closed by the app); None runs
    them here, through `cache`.
    """

    models_dir: Path | None = None
    device: str | None = None
    checkpoint: str | None = None
    load_options: dict[str, Any] | None = None
    backend: Any = None
    _cache: Any = field(default=None, repr=False)
    _local: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def cache(self):
        with self._lock:
            if self._cache is None:
                from pixref.engine import ModelCache  # torch loads with the first generation

                self._cache = ModelCache(self.models_dir, self.device, self.load_options)
            return self._cache

    def active_backend(self):
        """What runs engine calls: ``backend``, or a `LocalBackend` over `cache`."""
        if self.backend is not None:
            return self.backend
        cache = self.cache()
        with self._lock:
            if self._local is None:
                from pixref.engine import LocalBackend

                self._local = LocalBackend(cache=cache)
            return self._local

    @property
    def capacity(self) -> int:
        """How many requests run at once: the Ray actors, or 1 here."""
        return self.backend.capacity if self.backend is not None else 1

    def default_checkpoint(self) -> str:
        """The checkpoint a request without one uses, or a `NoCheckpoint` saying where to
        put one."""
        if self.checkpoint:
            return self.checkpoint
        from pixref.engine.models import ModelKind, list_models

        found = list_models(self.models_dir, kinds=(ModelKind.checkpoint,))
        if not found:
            raise NoCheckpoint(self.no_checkpoint_message())
        return str(found[0].path)

    def no_checkpoint_message(self) -> str:
        from pixref.home import paths

        folder = (self.models_dir or paths().models) / "Stable-diffusion"
        return (
            f"no checkpoint installed: put a .safetensors checkpoint (or a diffusers "
            f"folder) in {folder}, then POST /sdapi/v1/refresh-checkpoints"
        )

    def refresh(self) -> None:
        """Forget loaded models (the models folder changed), here and on the Ray actors."""
        if self.backend is not None:
            self.backend.clear_models()
        if self._cache is not None:
            self._cache.clear()

    def run(self, request: GenerationRequest, ctx: JobContext) -> Generated:
        """Generate through the backend, then save each image with its infotext and log
        it here; honour stop (the finished batches are kept) and skip."""
        from pixref import engine

        params = request.params
        if not params.model:
            params = params.replace(model=self.default_checkpoint())
        call = EngineCall(
            params, init_image=request.init_image, mask=request.mask, controls=request.controls
        )
        ctx.progress(0.0, "loading models")
        sampling = False

        def on_step(event) -> None:
            nonlocal sampling
            if not sampling:  # the models are loaded: the first step says so
                sampling, ctx.job.message = True, "generating"
            ctx.on_step(event)

        files = None
        try:
            for finished in self.active_backend().run(
                [call], on_step=on_step, should_stop=ctx.should_stop,
                should_skip=ctx.should_skip,
            ):  # fmt: skip
                result, files = finished.result, finished.files()
            interrupted = False
        except engine.Interrupted as stop:
            result, interrupted = stop.partial, True
        generated = self._save(request, result, files, interrupted)
        if interrupted:
            raise Cancelled("interrupted", generated)
        return generated

    def _save(self, request: GenerationRequest, result, files, interrupted: bool) -> Generated:
        """Write ``files`` (a Ray actor's PNGs as they are), else ``result``'s images."""
        from pixref.library import save_outputs

        if result is None or not result.images:
            return Generated(result, [], [], interrupted=interrupted)
        saved = save_outputs(
            files if files is not None else result.images,
            result.params,
            result.infotexts,
            kind=request.kind,
            init_image=request.init_bytes,
            inpaint=request.mask is not None,
        )
        warnings = tuple(result.warnings)
        if saved.log_error:
            warnings += (f"not logged in the library: {saved.log_error}",)
        return Generated(result, saved.paths, saved.entry_ids, warnings, interrupted)
