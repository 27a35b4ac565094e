"""The generation worker's side: models kept loaded, one request run, saved and logged.

Runs on the job queue's device thread only (one generation at a time), so the
model cache needs no locking beyond its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from pixref.params import ControlNetUnit, GenerationParams, PixrefError
from pixref.server._jobs import Cancelled, JobContext


class NoCheckpoint(PixrefError):
    """Generation was asked for but no checkpoint is installed."""


@dataclass(frozen=True)
class ControlRequest:
    """One ControlNet unit: model name, control image, settings."""

    model: str
    image: Image.Image
    unit: ControlNetUnit


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
    ``load_options`` go to `load_models` (e.g. ``config_dir`` for tiny test models).
    """

    models_dir: Path | None = None
    device: str | None = None
    checkpoint: str | None = None
    load_options: dict[str, Any] | None = None
    _cache: Any = field(default=None, repr=False)

    def cache(self):
        if self._cache is None:
            from pixref.engine import ModelCache  # torch loads with the first generation

            self._cache = ModelCache(self.models_dir, self.device, self.load_options)
        return self._cache

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
        """Forget loaded models (the models folder changed)."""
        if self._cache is not None:
            self._cache.clear()

    def run(self, request: GenerationRequest, ctx: JobContext) -> Generated:
        """Generate, save each image with its infotext, log it; honour stop and skip."""
        from pixref import engine

        params = request.params
        if not params.model:
            params = params.replace(model=self.default_checkpoint())
        cache = self.cache()
        ctx.progress(0.0, "loading models")
        models = cache.checkpoint(params)
        controls = [
            engine.ControlInput(cache.controlnet(c.model, models), c.image, c.unit)
            for c in request.controls
        ]
        ctx.progress(0.0, "generating")
        try:
            result = engine.generate(
                params,
                models,
                init_image=request.init_image,
                mask=request.mask,
                on_step=ctx.on_step,
                should_stop=ctx.should_stop,
                should_skip=ctx.should_skip,
                loras=engine.resolve_loras(params.prompt, models_dir=self.models_dir),
                embeddings=cache.embeddings(models),
                refiner=cache.refiner(params),
                controlnets=controls,
            )
            interrupted = False
        except engine.Interrupted as stop:
            result, interrupted = stop.partial, True
        generated = self._save(request, result, interrupted)
        if interrupted:
            raise Cancelled("interrupted", generated)
        return generated

    def _save(self, request: GenerationRequest, result, interrupted: bool) -> Generated:
        from pixref.library import save_outputs

        if result is None or not result.images:
            return Generated(result, [], [], interrupted=interrupted)
        saved = save_outputs(
            result.images,
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
