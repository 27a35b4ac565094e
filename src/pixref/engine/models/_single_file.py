"""Read a single-file checkpoint once and build diffusers components from it, offline.

The file is read into one state dict (safetensors, or a pickle only when the user
allows it); each component is then built by diffusers' own converters from the
original (A1111/CompVis/SGM) key layout, with pixref's shipped configs instead of
hub downloads.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import torch

from pixref.engine.models._detect import Arch
from pixref.engine.models._errors import ModelLoadError
from pixref.engine.models._header import read_safetensors_header

PICKLE_SUFFIXES = (".ckpt", ".pt", ".pth", ".bin")


def read_state_dict(path: Path, *, allow_unsafe_pickle: bool = False) -> dict[str, torch.Tensor]:
    """Read every tensor of a ``.safetensors`` file (or, if allowed, a pickle) to CPU.

    Pickles (``.ckpt``, ``.pt``, ``.pth``, ``.bin``) can run arbitrary code while
    loading, so they need ``allow_unsafe_pickle``; even then torch's restricted
    ``weights_only`` unpickler is tried first.

    Raises
    ------
    ModelLoadError
        For a missing, corrupt or truncated file, a refused pickle, or an unknown format.
    """
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        return _read_safetensors(path)
    if suffix in PICKLE_SUFFIXES:
        if not allow_unsafe_pickle:
            raise ModelLoadError(
                f"`{path.name}` is a pickle checkpoint, which can run arbitrary code when "
                "loaded; use a .safetensors version, or pass --allow-unsafe-pickle "
                "(allow_unsafe_pickle=True) if you trust its source"
            )
        return _read_pickle(path)
    raise ModelLoadError(
        f"`{path.name}` has an unknown model file type `{path.suffix}`; "
        "use a .safetensors file or a diffusers folder"
    )


def _read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    read_safetensors_header(path)  # one-line errors for corrupt and truncated files
    try:
        return load_file(path, device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelLoadError(
            f"`{path.name}` could not be read as safetensors ({first_line(exc)}); "
            "re-download or re-export it"
        ) from None


def _read_pickle(path: Path) -> dict[str, torch.Tensor]:
    try:
        try:
            data = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:
            # Old checkpoints pickle training objects; the user allowed full unpickling.
            data = torch.load(path, map_location="cpu", weights_only=False)
    except FileNotFoundError:
        raise ModelLoadError(f"model file not found: {path}") from None
    except Exception as exc:  # torch raises many types for damaged archives
        raise ModelLoadError(
            f"`{path.name}` could not be read as a torch checkpoint ({first_line(exc)}); "
            "re-download it"
        ) from None
    # Lightning checkpoints nest the weights, sometimes twice.
    while isinstance(data, dict) and isinstance(data.get("state_dict"), dict):
        data = data["state_dict"]
    if not isinstance(data, dict):
        raise ModelLoadError(f"`{path.name}` holds a {type(data).__name__}, not a state dict")
    return {k: v for k, v in data.items() if isinstance(v, torch.Tensor)}


def load_unet(
    state_dict: dict[str, torch.Tensor],
    config_dir: Path,
    *,
    in_channels: int,
    dtype: torch.dtype,
    device: torch.device,
    name: str,
    arch: Arch,
):
    """Build the UNet from ``model.diffusion_model.*`` keys."""
    from diffusers import UNet2DConditionModel

    return _checked(
        lambda: UNet2DConditionModel.from_single_file(
            state_dict,
            config=str(config_dir),
            subfolder="unet",
            local_files_only=True,
            torch_dtype=_requested(dtype),
            device=str(device),
            in_channels=in_channels,  # 9 for inpainting checkpoints
        ),
        "UNet",
        name,
        arch,
        diagnose=lambda: _missing_keys("unet", state_dict, config_dir, in_channels=in_channels),
    )


def load_vae(
    state_dict: dict[str, torch.Tensor],
    config_dir: Path,
    *,
    dtype: torch.dtype,
    device: torch.device,
    name: str,
    arch: Arch,
):
    """Build the VAE from ``first_stage_model.*`` keys, or from an unprefixed VAE file."""
    from diffusers import AutoencoderKL

    return _checked(
        lambda: AutoencoderKL.from_single_file(
            state_dict,
            config=str(config_dir),
            subfolder="vae",
            local_files_only=True,
            torch_dtype=_requested(dtype),
            device=str(device),
        ),
        "VAE",
        name,
        arch,
        diagnose=lambda: _missing_keys("vae", state_dict, config_dir),
    )


def load_text_encoder(
    state_dict: dict[str, torch.Tensor],
    config_dir: Path,
    subfolder: str,
    *,
    dtype: torch.dtype,
    device: torch.device,
    name: str,
    arch: Arch,
):
    """Build one text encoder (``text_encoder`` or ``text_encoder_2``) from its keys."""
    from diffusers.loaders.single_file_utils import create_diffusers_clip_model_from_ldm
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    # SDXL's second encoder has a projection head that makes the pooled embedding.
    cls = CLIPTextModelWithProjection if subfolder == "text_encoder_2" else CLIPTextModel
    model = _checked(
        lambda: create_diffusers_clip_model_from_ldm(
            cls,
            state_dict,
            subfolder=subfolder,
            config=str(config_dir),
            torch_dtype=dtype,
            local_files_only=True,
        ),
        f"text encoder ({subfolder})",
        name,
        arch,
    )
    return model.to(device)


def _requested(dtype: torch.dtype) -> torch.dtype | None:
    # float32 is what diffusers builds anyway; naming it only triggers a cast warning.
    return None if dtype == torch.float32 else dtype


def _checked(build, component: str, name: str, arch: Arch, diagnose=None) -> Any:
    try:
        model = build()
    except ModelLoadError:
        raise
    except Exception as exc:  # diffusers reports layout problems as assorted exceptions
        if "meta tensor" in str(exc) and diagnose is not None:
            # Weights absent from the file stay on the meta device and fail to move.
            _raise_missing(diagnose(), component, name, arch)
        raise ModelLoadError(
            f"`{name}`: its {component} weights do not fit the {arch.value} layout "
            f"({type(exc).__name__}: {first_line(exc)}); the file may be damaged or of "
            "another architecture"
        ) from None
    _raise_missing(
        [n for n, p in model.named_parameters() if p.device.type == "meta"], component, name, arch
    )
    return model


def _raise_missing(missing: list[str], component: str, name: str, arch: Arch) -> None:
    if missing:
        raise ModelLoadError(
            f"`{name}` lacks {len(missing)} {component} weights of the {arch.value} layout "
            f"(first: {missing[0]}); the file is incomplete or of another architecture"
        )


def _missing_keys(subfolder: str, state_dict: dict, config_dir: Path, **overrides) -> list[str]:
    """Which diffusers weights the converted checkpoint lacks (only run after a failure)."""
    from accelerate import init_empty_weights
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from diffusers.loaders.single_file_utils import (
        convert_ldm_unet_checkpoint,
        convert_ldm_vae_checkpoint,
    )

    cls, convert = {
        "unet": (UNet2DConditionModel, convert_ldm_unet_checkpoint),
        "vae": (AutoencoderKL, convert_ldm_vae_checkpoint),
    }[subfolder]
    config = {**cls.load_config(str(config_dir), subfolder=subfolder), **overrides}
    with init_empty_weights():
        expected = cls.from_config(config).state_dict()
    converted = convert(checkpoint=state_dict, config=config)
    return sorted(set(expected) - set(converted)) or ["(unknown)"]


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
