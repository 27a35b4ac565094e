"""`load_checkpoint`: one call from a name or path to a `Models` bundle, fully offline.

Prediction type of SD 2.x single files, decided in this order:

1. the ``prediction_type`` argument;
2. a ``v_pred`` key in the file (the convention of v-prediction SDXL/SD2 fine-tunes,
   read by ComfyUI and Forge);
3. a ``<checkpoint>.yaml`` beside the file: ``parameterization: "v"`` means v,
   any other yaml means epsilon (A1111 uses such a yaml as the model config);
4. inpainting SD 2.x: epsilon (A1111 picks its inpainting config before testing);
5. A1111's test, ``is_using_v_parameterization_for_sd2``: run the UNet once on a
   constant 8x8 latent at t=999 with a constant context; a v-prediction UNet
   returns an output whose mean minus the input is below -1.

diffusers' own single-file loader instead assumes v-prediction for every SD 2.x file
unless told its training step (``global_step == 875000`` means SD 2 base), which
misreads SD 2.x 512 fine-tunes; pixref follows A1111 so the same file means the same
images. Other architectures are epsilon unless rule 1 or 2 says otherwise.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from pixref.engine.models import _single_file
from pixref.engine.models._detect import (
    Arch,
    Detection,
    detect_checkpoint,
    detect_diffusers_folder,
    normalize_original_keys,
    read_json_config,
)
from pixref.engine.models._errors import ModelLoadError
from pixref.engine.models._folder import find_checkpoint, find_vae
from pixref.engine.models._hashes import HashCache, checkpoint_short_hash

PREDICTION_TYPES = ("epsilon", "v_prediction")
VAE_TILING_MIN_PIXELS = 2048 * 2048
"""Images with more pixels than this decode in tiles (A1111 never tiles by default)."""

TokenizerFactory = Callable[[Arch], tuple[Any, ...]]
"""Returns the tokenizers for an architecture, one per text encoder, in order."""


@dataclass(frozen=True, eq=False)
class Models:
    """Everything the engine needs from one checkpoint; the engine never sees paths.

    Attributes
    ----------
    arch : Arch
    unet : diffusers.UNet2DConditionModel
    vae : diffusers.AutoencoderKL
        float32 when ``dtype`` is float16 and the VAE config asks for upcasting (SDXL),
        since SDXL's VAE overflows in float16; cast latents to ``vae.dtype``.
    text_encoders : tuple
        ``CLIPTextModel`` (SD 1.x, SD 2.x), ``(CLIPTextModel,
        CLIPTextModelWithProjection)`` (SDXL) or ``(CLIPTextModelWithProjection,)``
        (SDXL refiner).
    tokenizers : tuple
        One per text encoder, from the ``tokenizer_factory``; empty if none was given.
    prediction_type : str
        "epsilon" or "v_prediction".
    alphas_cumprod : torch.Tensor
        float64, shape (1000,), from the scheduler config's betas. A1111 keeps this as a
        float32 buffer: ``alphas_cumprod.float()`` is bit-identical to it.
    is_inpainting : bool
    name : str
        File name without extension (A1111's ``Model:``), or the diffusers folder name.
    short_hash : str or None
        A1111's ``Model hash`` (10 hex); None for diffusers folders.
    path : Path
    dtype : torch.dtype
        dtype of the UNet and text encoders.
    device : torch.device
    scheduler_config : dict
        The full scheduler config, for diffusers schedulers built with ``from_config``.
    vae_path, vae_name, vae_short_hash :
        Set only when a separate VAE file replaced the checkpoint's
        (A1111's ``VAE`` is the file name *with* extension; ``VAE hash`` 10 hex).
    """

    arch: Arch
    unet: Any
    vae: Any
    text_encoders: tuple[Any, ...]
    tokenizers: tuple[Any, ...]
    prediction_type: str
    alphas_cumprod: torch.Tensor
    is_inpainting: bool
    name: str
    short_hash: str | None
    path: Path
    dtype: torch.dtype
    device: torch.device
    scheduler_config: dict = dataclasses.field(default_factory=dict)
    vae_path: Path | None = None
    vae_name: str | None = None
    vae_short_hash: str | None = None

    @property
    def title(self) -> str:
        """A1111's checkpoint title ``name [hash]``, as written for ``Refiner:``."""
        return f"{self.name} [{self.short_hash}]" if self.short_hash else self.name


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


def builtin_config_dir(arch: Arch | str) -> Path:
    """The shipped config folder of ``arch`` (``pixref/engine/configs/<arch>``)."""
    return Path(str(resources.files("pixref.engine") / "configs" / Arch(arch).value))


def alphas_cumprod_from_config(config: dict) -> torch.Tensor:
    """Cumulative products of 1 - beta, float64, as ldm's ``make_beta_schedule`` computes.

    "scaled_linear" (every SD model) is ldm's "linear": betas evenly spaced in sqrt.
    """
    n = int(config.get("num_train_timesteps", 1000))
    start, end = float(config.get("beta_start", 0.00085)), float(config.get("beta_end", 0.012))
    schedule = config.get("beta_schedule", "scaled_linear")
    if config.get("trained_betas"):
        betas = torch.tensor(config["trained_betas"], dtype=torch.float64)
    elif schedule == "scaled_linear":
        betas = torch.linspace(start**0.5, end**0.5, n, dtype=torch.float64) ** 2
    elif schedule == "linear":
        betas = torch.linspace(start, end, n, dtype=torch.float64)
    else:
        raise ModelLoadError(
            f"scheduler `beta_schedule` {schedule!r} is not supported; use scaled_linear or linear"
        )
    return torch.cumprod(1.0 - betas, dim=0)


def configure_vae_tiling(
    vae: Any, width: int, height: int, *, min_pixels: int = VAE_TILING_MIN_PIXELS
) -> bool:
    """Decode in tiles when ``width * height`` exceeds ``min_pixels``; return whether tiled.

    Tiling bounds memory for large images but changes pixels slightly at tile seams,
    so it is off at ordinary sizes; report it in ``Result.warnings`` when on.
    """
    tiled = width * height > min_pixels
    if tiled:
        vae.enable_tiling()
    else:
        vae.disable_tiling()
    return tiled


def is_v_prediction_unet(unet: Any) -> bool:
    """A1111's ``is_using_v_parameterization_for_sd2`` test on a loaded UNet.

    Runs the UNet once on a constant latent (1, 4, 8, 8) = 0.5 at timestep 999 with a
    constant (1, 2, context) = 0.5 context; ``mean(out - x) < -1`` means v-prediction.
    """
    param = next(unet.parameters())
    x = torch.full((1, unet.config.in_channels, 8, 8), 0.5, device=param.device, dtype=param.dtype)
    context = torch.full(
        (1, 2, unet.config.cross_attention_dim), 0.5, device=param.device, dtype=param.dtype
    )
    t = torch.tensor([999], device=param.device)
    with torch.no_grad():
        out = unet(x, t, encoder_hidden_states=context).sample
    return (out.float() - x.float()).mean().item() < -1


def clear_model_cache() -> None:
    """Forget every cached `Models` (and free its accelerator memory)."""
    _CACHE.clear()


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
        models = _load_diffusers_folder(path, options)
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
    prediction = _single_file_prediction(path, state_dict, found, unet, options.prediction_type)
    arch = Arch.sd2_v if found.arch is Arch.sd2 and prediction == "v_prediction" else found.arch
    vae = _single_file.load_vae(
        state_dict, configs, arch=arch, **_vae_placement(configs, options), name=path.name
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


def _single_file_prediction(
    path: Path, state_dict: dict, found: Detection, unet: Any, override: str | None
) -> str:
    if override is not None:
        return override
    if "v_pred" in state_dict:
        return "v_prediction"
    if found.arch is not Arch.sd2:
        return "epsilon"
    from_yaml = _yaml_parameterization(path)
    if from_yaml is not None:
        return from_yaml
    if found.is_inpainting:
        return "epsilon"
    return "v_prediction" if is_v_prediction_unet(unet) else "epsilon"


def _yaml_parameterization(path: Path) -> str | None:
    yaml = path.with_suffix(".yaml")
    if not yaml.is_file():
        return None
    text = yaml.read_text("utf-8", errors="replace")
    # A text search, not a YAML parser: the key appears once in ldm model configs.
    match = re.search(r"^\s*parameterization:\s*[\"']?(\w+)", text, re.MULTILINE)
    return "v_prediction" if match and match.group(1) == "v" else "epsilon"


def _load_diffusers_folder(path: Path, options: _LoadOptions) -> Models:
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    found = detect_diffusers_folder(path)
    scheduler = read_json_config(path / "scheduler" / "scheduler_config.json")
    prediction = options.prediction_type or scheduler.get("prediction_type", "epsilon")
    arch = found.arch
    if arch in (Arch.sd2, Arch.sd2_v):
        arch = Arch.sd2_v if prediction == "v_prediction" else Arch.sd2
    placement = {"torch_dtype": options.dtype, "local_files_only": True}
    unet = _to_device(_pretrained(UNet2DConditionModel, path, "unet", placement), options.device)
    vae_place = _vae_placement(path, options)
    vae = _pretrained(AutoencoderKL, path, "vae", {**placement, "torch_dtype": vae_place["dtype"]})
    encoders = tuple(
        _pretrained(
            CLIPTextModelWithProjection if sub == "text_encoder_2" else CLIPTextModel,
            path,
            sub,
            placement,
            options.device,
        )
        for sub in arch.text_encoder_folders
    )
    scheduler = {**scheduler, "prediction_type": prediction}
    return Models(
        arch=arch,
        unet=unet,
        vae=_to_device(vae, options.device),
        text_encoders=encoders,
        tokenizers=(),
        prediction_type=prediction,
        alphas_cumprod=alphas_cumprod_from_config(scheduler),
        is_inpainting=found.is_inpainting,
        name=path.name,
        short_hash=None,
        path=path,
        dtype=options.dtype,
        device=options.device,
        scheduler_config=scheduler,
    )


def _to_device(model: Any, device: torch.device) -> Any:
    # ``.to()`` on a model already there only makes diffusers warn.
    return model if next(model.parameters()).device == device else model.to(device)


def _pretrained(
    cls: Any, folder: Path, subfolder: str, kwargs: dict, device: torch.device | None = None
) -> Any:
    if not (folder / subfolder).is_dir():
        raise ModelLoadError(f"diffusers folder {folder} has no `{subfolder}/` folder")
    try:
        model = cls.from_pretrained(folder, subfolder=subfolder, **kwargs)
    except Exception as exc:  # diffusers/transformers raise OSError, ValueError, ...
        raise ModelLoadError(
            f"cannot load `{subfolder}` from diffusers folder {folder}: "
            f"{_single_file._first_line(exc)}"
        ) from None
    model = model.eval()
    return _to_device(model, device) if device is not None else model


def _replace_vae(models: Models, vae_path: Path, options: _LoadOptions) -> Models:
    state_dict = _single_file.read_state_dict(
        vae_path, allow_unsafe_pickle=options.allow_unsafe_pickle
    )
    # A1111 VAE files hold bare ``encoder.*``/``decoder.*`` keys; some keep the prefix.
    configs = (
        options.configs_for(models.arch) if options.config_dir else builtin_config_dir(models.arch)
    )
    vae = _single_file.load_vae(
        state_dict,
        configs,
        arch=models.arch,
        name=vae_path.name,
        **_vae_placement(configs, options),
    )
    return dataclasses.replace(
        models,
        vae=vae,
        vae_path=vae_path,
        vae_name=vae_path.name,
        vae_short_hash=checkpoint_short_hash(vae_path, cache=options.hash_cache),
    )


def _vae_placement(configs: Path, options: _LoadOptions) -> dict:
    config = read_json_config(configs / "vae" / "config.json")
    # SDXL's VAE overflows in float16 (its config says force_upcast); keep it float32.
    upcast = options.dtype == torch.float16 and config.get("force_upcast", False)
    return {"dtype": torch.float32 if upcast else options.dtype, "device": options.device}


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
