"""The generation engine: models, samplers, noise and the one denoising loop (needs torch).

Importing this package is cheap; torch loads when a torch-side name is first used
(``pixref.engine.generate``, ``load_models``), so ``pixref models`` stays light.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pixref.engine._backend import (
        Backend,
        ControlRequest,
        EngineCall,
        Finished,
        LocalBackend,
        run_call,
    )
    from pixref.engine._cache import ModelCache
    from pixref.engine._controlnet import ControlInput, ControlNetError
    from pixref.engine._embeddings import Embedding, load_embeddings
    from pixref.engine._generate import generate
    from pixref.engine._hires import LATENT_UPSCALERS, PIXEL_UPSCALERS
    from pixref.engine._images import resize_image
    from pixref.engine._load import load_models
    from pixref.engine._lora import Lora, resolve_loras
    from pixref.engine._types import (
        GenerationError,
        ImageOverrides,
        Interrupted,
        Result,
        StepEvent,
    )

_LAZY = {
    "Backend": "pixref.engine._backend",
    "ControlRequest": "pixref.engine._backend",
    "EngineCall": "pixref.engine._backend",
    "Finished": "pixref.engine._backend",
    "LocalBackend": "pixref.engine._backend",
    "run_call": "pixref.engine._backend",
    "ModelCache": "pixref.engine._cache",
    "GenerationError": "pixref.engine._types",
    "ImageOverrides": "pixref.engine._types",
    "Interrupted": "pixref.engine._types",
    "Result": "pixref.engine._types",
    "StepEvent": "pixref.engine._types",
    "generate": "pixref.engine._generate",
    "load_models": "pixref.engine._load",
    "LATENT_UPSCALERS": "pixref.engine._hires",
    "PIXEL_UPSCALERS": "pixref.engine._hires",
    "resize_image": "pixref.engine._images",
    "ControlInput": "pixref.engine._controlnet",
    "ControlNetError": "pixref.engine._controlnet",
    "Embedding": "pixref.engine._embeddings",
    "load_embeddings": "pixref.engine._embeddings",
    "Lora": "pixref.engine._lora",
    "resolve_loras": "pixref.engine._lora",
}

__all__ = [
    "Backend",
    "ControlRequest",
    "EngineCall",
    "Finished",
    "LocalBackend",
    "run_call",
    "LATENT_UPSCALERS",
    "PIXEL_UPSCALERS",
    "resize_image",
    "ControlInput",
    "ControlNetError",
    "Embedding",
    "load_embeddings",
    "GenerationError",
    "ImageOverrides",
    "Lora",
    "resolve_loras",
    "Interrupted",
    "Result",
    "StepEvent",
    "generate",
    "load_models",
    "ModelCache",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pixref.engine' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
