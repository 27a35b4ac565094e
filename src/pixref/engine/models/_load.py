"""`load_checkpoint`: one call from a name or path to a `Models` bundle, fully offline.

Single files are read once and split into components by diffusers' converters with
pixref's shipped configs; diffusers folders load component by component. Loaded
bundles are kept in a small cache keyed by file version, dtype, device and options.
"""

from __future__ import annotations

import dataclasses
import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from pixref.engine.models import _single_file
from pixref.engine.models._bundle import (
    Models,
    alphas_cumprod_from_config,
    builtin_config_dir,
    vae_dtype,
)
from pixref.engine.models._detect import (
    Arch,
    detect_checkpoint,
    normalize_original_keys,
    read_json_config,
)
from pixref.engine.models._diffusers_folder import load_diffusers_folder
from pixref.engine.models._errors import ModelLoadError
from pixref.engine.models._find import find_checkpoint, find_vae
from pixref.engine.models._hashes import HashCache, checkpoint_short_hash
from pixref.engine.models._prediction import PREDICTION_TYPES, single_file_prediction

TokenizerFactory = Callable[[Arch], tuple[Any, ...]]
"""Returns the tokenizers for an architecture, one per text encoder, in order."""


def load_checkpoint(
    name_or_path: str | os.PathLike[str],
    *,
    models_dir: str | os.PathLike[str] | None = None,
    vae: str | os.PathLike[str] | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
    prediction_type: str | None = None,
    config_dir: str | os.PathLike[str] | None = None,
    allow_unsafe_pickle: bool = False,
    tokenizer_factory: TokenizerFactory | None = None,
    hash_cache: HashCache | None = None,
    use_cache: bool = True,
) -> Models:
    """Load a checkpoint (single file or diffusers folder) without any network access.

    Parameters
    ----------
    name_or_path : str or path-like
        A path, or a name/title resolved by `find_checkpoint` in ``models_dir``.
    models_dir : path-like, optional
        The A1111-style models folder; default the data home's ``models``.
    vae : str or path-like, optional
        A separate VAE file (path or name in ``VAE/``) replacing the checkpoint's VAE.
    device : str or torch.device, optional
        Default "cuda" when available, else "cpu".
    dtype : torch.dtype, optional
        Default float16 on CUDA, float32 on CPU.
    prediction_type : {"epsilon", "v_prediction"}, optional
        Override the detected prediction type (see the module docstring for the rule).
    config_dir : path-like, optional
        A folder shaped like the shipped ``configs/<arch>`` folders, used instead of
        them (tiny test models use this).
    allow_unsafe_pickle : bool
        Allow ``.ckpt``/``.pt`` files, which can run code while loading.
    tokenizer_factory : callable, optional
        ``tokenizer_factory(arch) -> tuple`` fills `Models.tokenizers`.
    hash_cache : HashCache, optional
        Where model hashes are cached; default the data home's cache.
    use_cache : bool
        Reuse a loaded checkpoint with the same file version, dtype, device and options.

    Returns
    -------
    Models

    Raises
    ------
    ModelLoadError
        For a missing, corrupt, refused or unrecognised checkpoint, in one line.
    """
    if prediction_type is not None and prediction_type not in PREDICTION_TYPES:
        raise ModelLoadError(
            f"`prediction_type` must be one of {', '.join(PREDICTION_TYPES)}, "
            f"got {prediction_type!r}"
        )
    path = find_checkpoint(name_or_path, models_dir=models_dir, cache=hash_cache)
    vae_path = find_vae(vae, models_dir=models_dir, cache=hash_cache) if vae is not None else None
    device = torch.device(device) if device is not None else default_device()
    dtype = dtype if dtype is not None else default_dtype(device)
    options = _LoadOptions(
        device, dtype, prediction_type, config_dir, allow_unsafe_pickle, hash_cache
    )
    key = (_file_key(path), _file_key(vae_path) if vae_path else None, options.cache_key())
    models = _CACHE.get(key) if use_cache else None
    if models is None:
        models = _load_uncached(path, vae_path, options)
        if use_cache:
            _CACHE.put(key, models)
    if tokenizer_factory is not None:
        models = dataclasses.replace(models, tokenizers=tuple(tokenizer_factory(models.arch)))
    return models


def default_device() -> torch.device:
    """CUDA when available, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def default_dtype(device: torch.device) -> torch.dtype:
    """float16 on accelerators, float32 on CPU (diffusers' and A1111's defaults)."""
    return torch.float32 if device.type == "cpu" else torch.float16


def clear_model_cache() -> None:
    """Forget every cached `Models` (and free its accelerator memory)."""
    _CACHE.clear()


def set_model_cache_limit(limit: int) -> None:
    """Keep at most ``limit`` loaded checkpoints (default 2: a base and its refiner)."""
    if limit < 0:
        raise ValueError(f"`limit` must be >= 0, got {limit}")
    _CACHE.limit = limit
    _CACHE.trim()


# --- loading --------------------------------------------------------------------------


@dataclass(frozen=True)
class _LoadOptions:
    device: torch.device
    dtype: torch.dtype
    prediction_type: str | None
    config_dir: str | os.PathLike[str] | None
    allow_unsafe_pickle: bool
    hash_cache: HashCache | None

    def cache_key(self) -> tuple:
        config = str(Path(self.config_dir).resolve()) if self.config_dir else None
        return (str(self.device), str(self.dtype), self.prediction_type, config)

    def configs_for(self, arch: Arch) -> Path:
        folder = Path(self.config_dir) if self.config_dir else builtin_config_dir(arch)
        _check_config_dir(folder, arch)
        return folder


def _load_uncached(path: Path, vae_path: Path | None, options: _LoadOptions) -> Models:
    if path.is_dir():
        models = load_diffusers_folder(
            path,
            device=options.device,
            dtype=options.dtype,
            prediction_type=options.prediction_type,
        )
    else:
        models = _load_single_file(path, options)
    if vae_path is not None:
        models = _replace_vae(models, vae_path, options)
    return models


def _load_single_file(path: Path, options: _LoadOptions) -> Models:
    state_dict = _single_file.read_state_dict(path, allow_unsafe_pickle=options.allow_unsafe_pickle)
    found = detect_checkpoint({k: tuple(v.shape) for k, v in state_dict.items()}, name=path.name)
    state_dict = normalize_original_keys(state_dict, found.arch)
    common = {"dtype": options.dtype, "device": options.device, "name": path.name}
    configs = options.configs_for(found.arch)
    unet = _single_file.load_unet(
        state_dict, configs, in_channels=9 if found.is_inpainting else 4, arch=found.arch, **common
    )
    prediction = single_file_prediction(path, state_dict, found, unet, options.prediction_type)
    arch = Arch.sd2_v if found.arch is Arch.sd2 and prediction == "v_prediction" else found.arch
    vae = _single_file.load_vae(
        state_dict,
        configs,
        arch=arch,
        dtype=vae_dtype(configs, options.dtype),
        device=options.device,
        name=path.name,
    )
    encoders = tuple(
        _single_file.load_text_encoder(state_dict, configs, sub, arch=arch, **common)
        for sub in arch.text_encoder_folders
    )
    del state_dict
    scheduler = _scheduler_config(configs, prediction)
    return Models(
        arch=arch,
        unet=unet,
        vae=vae,
        text_encoders=encoders,
        tokenizers=(),
        prediction_type=prediction,
        alphas_cumprod=alphas_cumprod_from_config(scheduler),
        is_inpainting=found.is_inpainting,
        name=path.stem,
        short_hash=checkpoint_short_hash(path, cache=options.hash_cache),
        path=path,
        dtype=options.dtype,
        device=options.device,
        scheduler_config=scheduler,
    )


def _replace_vae(models: Models, vae_path: Path, options: _LoadOptions) -> Models:
    state_dict = _single_file.read_state_dict(
        vae_path, allow_unsafe_pickle=options.allow_unsafe_pickle
    )
    # A1111 VAE files hold bare ``encoder.*``/``decoder.*`` keys; some keep the prefix.
    # A diffusers folder's own vae/config.json describes its VAE best.
    configs = models.path if models.path.is_dir() else options.configs_for(models.arch)
    vae = _single_file.load_vae(
        state_dict,
        configs,
        arch=models.arch,
        name=vae_path.name,
        dtype=vae_dtype(configs, options.dtype),
        device=options.device,
    )
    return dataclasses.replace(
        models,
        vae=vae,
        vae_path=vae_path,
        vae_name=vae_path.name,
        vae_short_hash=checkpoint_short_hash(vae_path, cache=options.hash_cache),
    )


def _scheduler_config(configs: Path, prediction: str) -> dict:
    config = read_json_config(configs / "scheduler" / "scheduler_config.json")
    return {**config, "prediction_type": prediction}


def _check_config_dir(folder: Path, arch: Arch) -> None:
    needed = ["unet/config.json", "vae/config.json", "scheduler/scheduler_config.json"]
    needed += [f"{sub}/config.json" for sub in arch.text_encoder_folders]
    missing = [n for n in needed if not (folder / n).is_file()]
    if missing:
        raise ModelLoadError(
            f"config folder {folder} lacks {', '.join(missing)} needed for {arch.value} models"
        )


def _file_key(path: Path) -> tuple:
    stat = path.stat()
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns)


class _ModelCache:
    """Least-recently-used `Models` by file version and options; two fit (base + refiner)."""

    def __init__(self, limit: int = 2) -> None:
        self.limit = limit
        self._entries: OrderedDict[tuple, Models] = OrderedDict()

    def get(self, key: tuple) -> Models | None:
        models = self._entries.get(key)
        if models is not None:
            self._entries.move_to_end(key)
        return models

    def put(self, key: tuple, models: Models) -> None:
        self._entries[key] = models
        self._entries.move_to_end(key)
        self.trim()

    def trim(self) -> None:
        while len(self._entries) > self.limit:
            self._entries.popitem(last=False)
            _free_accelerator_memory()

    def clear(self) -> None:
        self._entries.clear()
        _free_accelerator_memory()


def _free_accelerator_memory() -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


_CACHE = _ModelCache()
