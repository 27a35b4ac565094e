"""Backends: where `generate` calls run — this process, or a Ray cluster (`pixref.dist`).

Sweeps, ``pixref batch`` and the server hand a backend `EngineCall`\\ s and take
`Finished` results as they complete; they save and log the images themselves, so
the process that asked stays the library's one writer whichever backend ran them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

from pixref.params import ControlNetUnit, GenerationParams


@dataclass(frozen=True)
class ControlRequest:
    """A ControlNet unit by model name (loaded where the call runs), image and settings."""

    model: str
    image: Image.Image
    unit: ControlNetUnit = ControlNetUnit()


@dataclass(frozen=True)
class EngineCall:
    """One `generate` call: params, inputs, and each image's own seed/CFG (``per_image``).

    ``controls`` are `ControlRequest`\\ s, or loaded `ControlInput`\\ s (this process
    only). ``tag`` is the caller's own handle, given back with the result.
    """

    params: GenerationParams
    init_image: Image.Image | None = None
    mask: Image.Image | None = None
    controls: tuple[Any, ...] = ()
    per_image: tuple[Any, ...] | None = None
    tag: Any = None


@dataclass(frozen=True)
class Finished:
    """A call's `Result`; ``encoded`` are its images as PNG files with their infotext,
    when the backend encoded them (write them as they are)."""

    call: EngineCall
    result: Any
    encoded: tuple[bytes, ...] | None = None

    def files(self) -> list[Any]:
        """What to write per image: its PNG bytes when encoded, else the image."""
        return list(self.encoded) if self.encoded is not None else list(self.result.images)


OnStep = Callable[[Any], None]
Flag = Callable[[], bool]


class Backend(Protocol):
    """Runs engine calls; ``capacity`` is how many it runs at once."""

    capacity: int
    models_dir: Path | None

    def run(
        self,
        calls: Iterable[EngineCall],
        *,
        on_step: OnStep | None = None,
        should_stop: Flag | None = None,
        should_skip: Flag | None = None,
    ) -> Iterator[Finished]:
        """Yield each call's `Finished` as it completes (a backend may reorder them).

        Raises `Interrupted` once ``should_stop()`` turned True, after yielding the
        calls that finished anyway.
        """
        ...

    def clear_models(self) -> None:
        """Forget loaded models, wherever they are held (the next call loads afresh)."""
        ...

    def close(self) -> None: ...


class LocalBackend:
    """Runs calls one at a time, in order, in this process, through a `ModelCache`.

    Parameters
    ----------
    models_dir, device, load_options
        As `ModelCache` takes them (ignored when ``cache`` is given).
    cache : ModelCache, optional
        Models to load through (the server's, so a loaded checkpoint is reused).
    """

    capacity = 1

    def __init__(
        self,
        models_dir: Path | None = None,
        device: str | None = None,
        load_options: dict[str, Any] | None = None,
        *,
        cache: Any = None,
    ) -> None:
        from pixref.engine._cache import ModelCache

        self.cache = cache if cache is not None else ModelCache(models_dir, device, load_options)
        self.models_dir = self.cache.models_dir

    def run(
        self,
        calls: Iterable[EngineCall],
        *,
        on_step: OnStep | None = None,
        should_stop: Flag | None = None,
        should_skip: Flag | None = None,
    ) -> Iterator[Finished]:
        from pixref.engine._types import Interrupted

        for call in calls:
            if should_stop is not None and should_stop():
                raise Interrupted("stopped before the next call")
            result = run_call(self.cache, call, on_step, should_stop, should_skip)
            yield Finished(call, result)

    def clear_models(self) -> None:
        """Forget the loaded models (the models folder changed)."""
        self.cache.clear()

    def close(self) -> None:
        self.cache.clear()

    def __enter__(self) -> LocalBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_call(
    cache: Any,
    call: EngineCall,
    on_step: OnStep | None = None,
    should_stop: Flag | None = None,
    should_skip: Flag | None = None,
):
    """Load what ``call`` needs through ``cache`` and `generate` it (the actors use it too)."""
    from pixref.engine._controlnet import ControlInput
    from pixref.engine._generate import generate
    from pixref.engine._lora import resolve_loras

    params = call.params
    models = cache.checkpoint(params)
    controls = [
        ControlInput(cache.controlnet(c.model, models), c.image, c.unit)
        if isinstance(c, ControlRequest)
        else c
        for c in call.controls
    ]
    return generate(
        params,
        models,
        init_image=call.init_image,
        mask=call.mask,
        on_step=on_step,
        should_stop=should_stop,
        should_skip=should_skip,
        loras=resolve_loras(params.prompt, models_dir=cache.models_dir),
        embeddings=cache.embeddings(models),
        refiner=cache.refiner(params),
        controlnets=controls,
        per_image=call.per_image,
    )
