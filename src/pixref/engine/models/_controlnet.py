"""`load_controlnet`: one ControlNet file or folder to a diffusers ``ControlNetModel``, offline.

A1111 keeps ControlNets in ``models/ControlNet`` in two layouts:

- the original ``cldm`` layout (lllyasviel's ``control_v11p_sd15_openpose.pth``
  and its ``.safetensors`` conversions): ``control_model.`` + ldm UNet names,
  ``zero_convs.N.0``, ``input_hint_block.N``, ``middle_block_out.0``;
- diffusers' layout, as single files (most SDXL ControlNets) or folders with
  ``config.json``.

Single files carry no config, so pixref ships one per family
(``configs/controlnet-sd1``, ``-sd2``, ``-sdxl``, made from the shipped UNet configs
with ``ControlNetModel.from_unet``); SDXL's smaller variants ("mid", "small") differ
only in transformer depth, which is read from the weights.

The extension titles a ControlNet ``name [hash]`` with A1111's legacy 8-hex hash
(``sd_models.model_hash``: SHA-256 of 64 KiB at offset 1 MiB), as in
``Model: control_v11p_sd15_openpose [cab727d4]``.
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from pixref.engine.models import _single_file
from pixref.engine.models._bundle import Models
from pixref.engine.models._detect import (
    Arch,
    controlnet_family,
    controlnet_family_from_config,
    read_json_config,
    what_is_it,
)
from pixref.engine.models._errors import ModelLoadError
from pixref.engine.models._find import find_model
from pixref.engine.models._folder import ModelKind, is_diffusers_controlnet_folder
from pixref.engine.models._hashes import legacy_model_hash
from pixref.engine.models._load import default_device, default_dtype

ORIGINAL_PREFIX = "control_model."
_FAMILY_NAMES = {"sd1": "SD 1.x", "sd2": "SD 2.x", "sdxl": "SDXL"}


@dataclass(frozen=True, eq=False)
class ControlNet:
    """A loaded ControlNet; the denoiser runs ``model`` beside the UNet.

    Attributes
    ----------
    model : diffusers.ControlNetModel
        In eval mode, on ``device`` in ``dtype``.
    arch : Arch
        The family it belongs to: `Arch.sd1`, `Arch.sd2` or `Arch.sdxl`.
    name : str
        File name without extension (or folder name), as the extension shows it.
    short_hash : str or None
        The extension's 8-hex legacy hash; None for diffusers folders.
    path : Path
    dtype : torch.dtype
    device : torch.device
    """

    model: Any
    arch: Arch
    name: str
    short_hash: str | None
    path: Path
    dtype: torch.dtype
    device: torch.device

    @property
    def title(self) -> str:
        """The extension's model title ``name [hash]``, as written in ``ControlNet N:``."""
        return f"{self.name} [{self.short_hash}]" if self.short_hash else self.name


def load_controlnet(
    name_or_path: str | os.PathLike[str],
    *,
    models_dir: str | os.PathLike[str] | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
    config_dir: str | os.PathLike[str] | None = None,
    allow_unsafe_pickle: bool = False,
    use_cache: bool = True,
) -> ControlNet:
    """Load a ControlNet (single file in either layout, or diffusers folder), offline.

    Parameters
    ----------
    name_or_path : str or path-like
        A path, or a name/title (``control_v11p_sd15_openpose [cab727d4]``) in the
        models folder's ``ControlNet/``.
    models_dir : path-like, optional
        The A1111-style models folder; default the data home's ``models``.
    device : str or torch.device, optional
        Default "cuda" when available, else "cpu".
    dtype : torch.dtype, optional
        Default float16 on CUDA, float32 on CPU.
    config_dir : path-like, optional
        A folder holding a ControlNet ``config.json``, used for single files instead of
        the shipped ``configs/controlnet-<family>`` (tiny test models use this).
    allow_unsafe_pickle : bool
        Allow ``.pth``/``.ckpt``/``.pt``/``.bin`` files (lllyasviel's originals are
        ``.pth``), which can run code while loading.
    use_cache : bool
        Reuse a loaded ControlNet with the same file version, dtype, device and config.

    Returns
    -------
    ControlNet

    Raises
    ------
    ModelLoadError
        For a missing, corrupt, refused or unrecognised ControlNet, in one line.
    """
    path = find_model(ModelKind.controlnet, name_or_path, models_dir=models_dir)
    device = torch.device(device) if device is not None else default_device()
    dtype = dtype if dtype is not None else default_dtype(device)
    config = str(Path(config_dir).resolve()) if config_dir is not None else None
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, str(device), str(dtype), config)
    controlnet = _CACHE.get(key) if use_cache else None
    if controlnet is None:
        if path.is_dir():
            controlnet = _load_folder(path, device, dtype)
        else:
            controlnet = _load_file(path, device, dtype, config_dir, allow_unsafe_pickle)
        if use_cache:
            _CACHE.put(key, controlnet)
    return controlnet


def check_controlnet_arch(controlnet: ControlNet, models: Models) -> None:
    """Refuse a ControlNet made for another family than the checkpoint's.

    Raises
    ------
    ModelLoadError
        E.g. an SD 1.x ControlNet with an SDXL checkpoint (their widths cannot match).
    """
    wanted = Arch(models.arch.family) if models.arch is not Arch.sdxl_refiner else None
    if controlnet.arch is wanted:
        return
    have = _FAMILY_NAMES[controlnet.arch.value]
    target = _FAMILY_NAMES.get(models.arch.family, "SDXL refiner")
    fix = f"use an {target} ControlNet" if wanted else "apply ControlNet to the SDXL base model"
    raise ModelLoadError(
        f"ControlNet `{controlnet.name}` is for {have} but checkpoint `{models.name}` is "
        f"{target}; {fix}"
    )


def builtin_controlnet_config_dir(family: Arch | str) -> Path:
    """The shipped config folder for ``family``'s ControlNets (``configs/controlnet-<family>``)."""
    folder = f"controlnet-{Arch(family).family}"
    return Path(str(resources.files("pixref.engine") / "configs" / folder))


def clear_controlnet_cache() -> None:
    """Forget every cached ControlNet."""
    _CACHE.clear()


# --- loading --------------------------------------------------------------------------


def _load_file(
    path: Path,
    device: torch.device,
    dtype: torch.dtype,
    config_dir: str | os.PathLike[str] | None,
    allow_unsafe_pickle: bool,
) -> ControlNet:
    from diffusers import ControlNetModel

    state_dict = _single_file.read_state_dict(path, allow_unsafe_pickle=allow_unsafe_pickle)
    family = _family_of_file(state_dict, path.name)
    folder = Path(config_dir) if config_dir is not None else builtin_controlnet_config_dir(family)
    config = read_json_config(folder / "config.json")
    converted = _to_diffusers_layout(state_dict, config)
    del state_dict
    overrides = _depth_overrides(converted, config)
    model = _single_file._checked(
        lambda: ControlNetModel.from_single_file(
            converted,
            config=str(folder),
            local_files_only=True,
            torch_dtype=_single_file._requested(dtype),
            device=str(device),
            **overrides,
        ),
        "ControlNet",
        path.name,
        family,
        diagnose=lambda: _missing_keys(converted, folder, overrides),
    )
    _check_all_used(converted, model, path.name, family)
    return ControlNet(
        model=model.eval(),  # from_single_file placed it on ``device`` already
        arch=family,
        name=path.stem,
        short_hash=legacy_model_hash(path),
        path=path,
        dtype=dtype,
        device=device,
    )


def _load_folder(path: Path, device: torch.device, dtype: torch.dtype) -> ControlNet:
    from diffusers import ControlNetModel

    if not is_diffusers_controlnet_folder(path):
        raise ModelLoadError(
            f"`{path.name}` is a folder but not a diffusers ControlNet (config.json and "
            "diffusion_pytorch_model.safetensors); use a ControlNet file or such a folder"
        )
    family = controlnet_family_from_config(read_json_config(path / "config.json"))
    if family is None:
        raise ModelLoadError(
            f"`{path.name}/config.json` does not describe an SD 1.x, SD 2.x or SDXL "
            "ControlNet; check the folder"
        )
    model = _single_file._checked(
        lambda: ControlNetModel.from_pretrained(path, local_files_only=True, torch_dtype=dtype),
        "ControlNet",
        path.name,
        Arch(family),
    )
    return ControlNet(
        model=model.to(device).eval(),
        arch=Arch(family),
        name=path.name,
        short_hash=None,
        path=path,
        dtype=dtype,
        device=device,
    )


def _family_of_file(state_dict: dict[str, torch.Tensor], name: str) -> Arch:
    is_original = any(
        k.startswith(ORIGINAL_PREFIX) or k.startswith("input_hint_block.") for k in state_dict
    )
    is_diffusers = "controlnet_cond_embedding.conv_in.weight" in state_dict
    if not (is_original or is_diffusers):
        hint = what_is_it(state_dict)
        looks = f"; it looks like {hint}" if hint and "ControlNet" not in hint else ""
        raise ModelLoadError(
            f"`{name}` is not a ControlNet (no `control_model.*` or "
            f"`controlnet_cond_embedding.*` weights){looks}"
        )
    family = controlnet_family({k: tuple(v.shape) for k, v in state_dict.items()})
    if family is None:
        raise ModelLoadError(
            f"`{name}` is a ControlNet of an unknown family (no cross-attention weights); "
            "pixref loads SD 1.x, SD 2.x and SDXL ControlNets"
        )
    return Arch(family)


def _to_diffusers_layout(state_dict: dict[str, torch.Tensor], config: dict) -> dict:
    """Rename original-layout weights with diffusers' converter; diffusers files pass."""
    from diffusers.loaders.single_file_utils import convert_controlnet_checkpoint

    if "controlnet_cond_embedding.conv_in.weight" in state_dict:
        return state_dict
    # Some files (thibaud's SD 2.1 ControlNets) drop the `control_model.` prefix.
    original = {k.removeprefix(ORIGINAL_PREFIX): v for k, v in state_dict.items()}
    converted = convert_controlnet_checkpoint(original, config)
    # diffusers' converter leaves SDXL's extra embedding (ldm `label_emb`) behind.
    for layer in ("0", "2"):
        for part in ("weight", "bias"):
            key = f"label_emb.0.{layer}.{part}"
            if key in original:
                converted[f"add_embedding.linear_{1 if layer == '0' else 2}.{part}"] = original[key]
    return {k: v for k, v in converted.items() if v is not None}


_TRANSFORMER_BLOCK = re.compile(r"down_blocks\.(\d+)\.attentions\.\d+\.transformer_blocks\.(\d+)\.")
_MID_TRANSFORMER_BLOCK = re.compile(r"mid_block\.attentions\.0\.transformer_blocks\.(\d+)\.")


def _depth_overrides(state_dict: dict, config: dict) -> dict:
    """SDXL ControlNets come in full, "mid" and "small" depths; read it from the weights."""
    if config.get("addition_embed_type") != "text_time":
        return {}
    depth = [0] * len(config["down_block_types"])
    for key in state_dict:
        if m := _TRANSFORMER_BLOCK.match(key):
            depth[int(m[1])] = max(depth[int(m[1])], int(m[2]) + 1)
    mid = [int(m[1]) + 1 for k in state_dict if (m := _MID_TRANSFORMER_BLOCK.match(k))]
    if not any(depth):
        return {}  # no attention at all: leave the config to report what is missing
    # diffusers builds the mid block with the last level's depth.
    if mid and max(mid) != depth[-1]:
        return {}
    types = ["CrossAttnDownBlock2D" if d else "DownBlock2D" for d in depth]
    return {"transformer_layers_per_block": [d or 1 for d in depth], "down_block_types": types}


def _missing_keys(converted: dict, folder: Path, overrides: dict) -> list[str]:
    """Which weights the file lacks for this config (only run after a failed load)."""
    from accelerate import init_empty_weights
    from diffusers import ControlNetModel

    config = {**ControlNetModel.load_config(str(folder)), **overrides}
    with init_empty_weights():
        expected = ControlNetModel.from_config(config).state_dict()
    return sorted(set(expected) - set(converted)) or ["(unknown)"]


def _check_all_used(converted: dict, model: Any, name: str, family: Arch) -> None:
    # Weights the model has no place for mean the config does not fit the file.
    unused = sorted(set(converted) - set(model.state_dict()))
    if unused:
        raise ModelLoadError(
            f"`{name}` has {len(unused)} ControlNet weights the {family.value} layout has no "
            f"place for (first: {unused[0]}); the file is of another ControlNet variant"
        )


class _ControlNetCache:
    """Least-recently-used ControlNets; a few fit, for several units at once."""

    def __init__(self, limit: int = 4) -> None:
        self.limit = limit
        self._entries: OrderedDict[tuple, ControlNet] = OrderedDict()

    def get(self, key: tuple) -> ControlNet | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: tuple, controlnet: ControlNet) -> None:
        self._entries[key] = controlnet
        self._entries.move_to_end(key)
        while len(self._entries) > self.limit:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


_CACHE = _ControlNetCache()
