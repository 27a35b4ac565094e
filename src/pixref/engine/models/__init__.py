"""Model loading for the engine: find, classify, hash and load Stable Diffusion models.

The torch-free parts (folder listing, hashes, architecture detection from headers)
import without torch, so ``pixref models`` and the CLI stay light; `load_checkpoint`,
`Models` and the other loaders import torch on first use.
"""

from typing import TYPE_CHECKING, Any

from pixref.engine.models._detect import (
    Arch,
    Detection,
    controlnet_family,
    controlnet_family_from_config,
    detect_checkpoint,
    detect_controlnet_arch,
    detect_diffusers_folder,
    detect_embedding_arch,
    detect_lora_arch,
)
from pixref.engine.models._errors import ModelLoadError
from pixref.engine.models._find import find_checkpoint, find_model, find_vae
from pixref.engine.models._folder import (
    ModelInfo,
    ModelKind,
    describe_model_file,
    kind_folders,
    list_models,
)
from pixref.engine.models._hashes import (
    HashCache,
    addnet_sha256,
    checkpoint_short_hash,
    embedding_short_hash,
    file_sha256,
    legacy_model_hash,
    lora_short_hash,
)
from pixref.engine.models._header import SafetensorsHeader, read_safetensors_header

if TYPE_CHECKING:
    from pixref.engine.models._bundle import (
        VAE_TILING_MIN_PIXELS,
        Models,
        alphas_cumprod_from_config,
        builtin_config_dir,
        configure_vae_tiling,
    )
    from pixref.engine.models._controlnet import (
        ControlNet,
        builtin_controlnet_config_dir,
        check_controlnet_arch,
        clear_controlnet_cache,
        load_controlnet,
    )
    from pixref.engine.models._load import (
        clear_model_cache,
        load_checkpoint,
        set_model_cache_limit,
    )
    from pixref.engine.models._prediction import is_v_prediction_unet

_TORCH_NAMES = {
    "ControlNet": "_controlnet",
    "builtin_controlnet_config_dir": "_controlnet",
    "check_controlnet_arch": "_controlnet",
    "clear_controlnet_cache": "_controlnet",
    "load_controlnet": "_controlnet",
    "VAE_TILING_MIN_PIXELS": "_bundle",
    "Models": "_bundle",
    "alphas_cumprod_from_config": "_bundle",
    "builtin_config_dir": "_bundle",
    "configure_vae_tiling": "_bundle",
    "clear_model_cache": "_load",
    "load_checkpoint": "_load",
    "set_model_cache_limit": "_load",
    "is_v_prediction_unet": "_prediction",
}


def __getattr__(name: str) -> Any:
    # Import torch only when a loader is actually used.
    module = _TORCH_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "VAE_TILING_MIN_PIXELS",
    "Arch",
    "ControlNet",
    "Detection",
    "HashCache",
    "ModelInfo",
    "ModelKind",
    "ModelLoadError",
    "Models",
    "SafetensorsHeader",
    "addnet_sha256",
    "alphas_cumprod_from_config",
    "builtin_config_dir",
    "builtin_controlnet_config_dir",
    "check_controlnet_arch",
    "checkpoint_short_hash",
    "clear_controlnet_cache",
    "clear_model_cache",
    "configure_vae_tiling",
    "controlnet_family",
    "controlnet_family_from_config",
    "describe_model_file",
    "detect_checkpoint",
    "detect_controlnet_arch",
    "detect_diffusers_folder",
    "detect_embedding_arch",
    "detect_lora_arch",
    "embedding_short_hash",
    "file_sha256",
    "find_checkpoint",
    "find_model",
    "find_vae",
    "is_v_prediction_unet",
    "kind_folders",
    "legacy_model_hash",
    "list_models",
    "load_controlnet",
    "load_checkpoint",
    "lora_short_hash",
    "read_safetensors_header",
    "set_model_cache_limit",
]
