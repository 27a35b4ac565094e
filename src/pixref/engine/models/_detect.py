"""Which Stable Diffusion family a checkpoint belongs to, from its tensor names (torch-free).

Detection looks at *which* key prefixes exist, never at tensor widths, so a tiny test
model is classified exactly like a 7 GB one. The rules follow A1111's
``modules/sd_models_config.py: guess_model_config_from_state_dict``:

- SDXL base: ``conditioner.embedders.1.model.*`` (OpenCLIP bigG) with
  ``conditioner.embedders.0.transformer.*`` (CLIP ViT-L).
- SDXL refiner: only ``conditioner.embedders.0.model.*`` (OpenCLIP bigG) and a UNet
  with SDXL's extra embedding (``label_emb``).
- SD 2.x: ``cond_stage_model.model.*`` (OpenCLIP ViT-H), or SGM's
  ``conditioner.embedders.0.model.*`` without ``label_emb`` (SD-Turbo), which
  `normalize_original_keys` renames as A1111 does.
- SD 1.x: ``cond_stage_model.transformer.*`` (CLIP ViT-L); old files without the
  ``text_model.`` level are renamed too.
- Inpainting: the UNet's input convolution takes 9 channels (4 latent + 4 masked
  image latent + 1 mask) instead of 4.

Whether an SD 2.x checkpoint predicts v or epsilon is not visible in its keys; see
`pixref.engine.models.load_checkpoint` for that rule.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pixref.engine.models._errors import ModelLoadError

UNET_PREFIX = "model.diffusion_model."
UNET_INPUT_CONV = UNET_PREFIX + "input_blocks.0.0.weight"
SD1_TEXT_PREFIX = "cond_stage_model.transformer."
SD2_TEXT_PREFIX = "cond_stage_model.model."
SDXL_TEXT1_PREFIX = "conditioner.embedders.0.transformer."
SDXL_TEXT2_PREFIX = "conditioner.embedders.1.model."
REFINER_TEXT_PREFIX = "conditioner.embedders.0.model."
VAE_PREFIX = "first_stage_model."

_PREFIXES = (
    UNET_PREFIX,
    SD1_TEXT_PREFIX,
    SD2_TEXT_PREFIX,
    SDXL_TEXT1_PREFIX,
    SDXL_TEXT2_PREFIX,
    REFINER_TEXT_PREFIX,
    VAE_PREFIX,
)


class Arch(StrEnum):
    """A Stable Diffusion architecture; the value names its shipped config folder."""

    sd1 = "sd1"
    sd2 = "sd2"
    sd2_v = "sd2-v"
    sdxl = "sdxl"
    sdxl_refiner = "sdxl-refiner"

    @property
    def family(self) -> str:
        """The architecture without the prediction type: "sd2-v" is "sd2".

        LoRAs, ControlNets and embeddings are made per family (`detect_lora_arch`).
        """
        return "sd2" if self is Arch.sd2_v else self.value

    @property
    def default_size(self) -> int:
        """The side length, in pixels, the architecture was trained at."""
        return {"sd1": 512, "sd2": 512, "sd2-v": 768}.get(self.value, 1024)

    @property
    def text_encoder_folders(self) -> tuple[str, ...]:
        """The config sub-folders of its text encoders, in conditioning order."""
        if self is Arch.sdxl:
            return ("text_encoder", "text_encoder_2")
        if self is Arch.sdxl_refiner:
            return ("text_encoder_2",)
        return ("text_encoder",)


@dataclass(frozen=True)
class Detection:
    """What `detect_checkpoint` found.

    Attributes
    ----------
    arch : Arch
        The family; `Arch.sd2` means "SD 2.x" until the prediction type is decided.
    is_inpainting : bool
        The UNet takes a masked image and a mask (9 input channels).
    """

    arch: Arch
    is_inpainting: bool


def detect_checkpoint(
    shapes: Mapping[str, Sequence[int]], *, name: str = "checkpoint"
) -> Detection:
    """Classify a single-file checkpoint in the original (A1111/CompVis/SGM) key layout.

    Parameters
    ----------
    shapes : mapping of str to sequence of int
        Tensor name to shape, from a safetensors header or a loaded state dict.
    name : str
        File name used in error messages.

    Returns
    -------
    Detection

    Raises
    ------
    ModelLoadError
        If the keys are not those of an SD 1.x, SD 2.x, SDXL or SDXL refiner checkpoint.
    """
    present = _prefixes_present(shapes)
    if UNET_PREFIX not in present:
        raise _unknown(name, shapes, "it has no UNet weights (`model.diffusion_model.*`)")
    if SDXL_TEXT2_PREFIX in present and SDXL_TEXT1_PREFIX in present:
        arch = Arch.sdxl
    elif REFINER_TEXT_PREFIX in present:
        has_label_emb = UNET_PREFIX + "label_emb.0.0.weight" in shapes
        arch = Arch.sdxl_refiner if has_label_emb else Arch.sd2
    elif SD2_TEXT_PREFIX in present:
        arch = Arch.sd2
    elif SD1_TEXT_PREFIX in present:
        arch = Arch.sd1
    else:
        raise _unknown(name, shapes, "it has no text encoder of a known layout")
    return Detection(arch, _is_inpainting(shapes, name))


def normalize_original_keys(state_dict: dict, arch: Arch) -> dict:
    """Rename the key variants A1111 accepts to the layout diffusers' converters expect.

    Follows A1111's ``checkpoint_dict_replacements_sd1`` (CLIP keys saved without the
    ``text_model.`` level by old transformers) and ``checkpoint_dict_replacements_sd2_turbo``
    (SD 2.x in SGM layout). Returns ``state_dict`` itself when nothing needs renaming.
    """
    if arch is Arch.sd2 and REFINER_TEXT_PREFIX in _prefixes_present(state_dict):
        return {
            _replace_prefix(k, "conditioner.embedders.0.", "cond_stage_model."): v
            for k, v in state_dict.items()
        }
    old_clip = SD1_TEXT_PREFIX + "embeddings."
    if arch is Arch.sd1 and any(k.startswith(old_clip) for k in state_dict):
        return {_sd1_text_key(k): v for k, v in state_dict.items()}
    return state_dict


def _replace_prefix(key: str, old: str, new: str) -> str:
    return new + key[len(old) :] if key.startswith(old) else key


def _sd1_text_key(key: str) -> str:
    for part in ("embeddings.", "encoder.", "final_layer_norm."):
        key = _replace_prefix(key, SD1_TEXT_PREFIX + part, SD1_TEXT_PREFIX + "text_model." + part)
    return key


def _prefixes_present(keys: Iterable[str]) -> set[str]:
    present: set[str] = set()
    last = ""
    for key in keys:
        # Keys come grouped by component, so the last prefix usually matches again.
        if last and key.startswith(last):
            continue
        last = next((p for p in _PREFIXES if key.startswith(p)), "")
        if last:
            present.add(last)
    return present


def _is_inpainting(shapes: Mapping[str, Sequence[int]], name: str) -> bool:
    shape = shapes.get(UNET_INPUT_CONV)
    channels = shape[1] if shape is not None and len(shape) == 4 else 4
    if channels not in (4, 9):
        raise ModelLoadError(
            f"`{name}` has a UNet with {channels} input channels; pixref loads ordinary "
            "(4) and inpainting (9) checkpoints, not instruct-pix2pix or other variants"
        )
    return channels == 9


def _unknown(name: str, keys: Iterable[str], why: str) -> ModelLoadError:
    hint = what_is_it(keys)
    looks = f"; it looks like {hint}" if hint else "; use an A1111-style checkpoint"
    return ModelLoadError(
        f"`{name}` is not an SD 1.x, SD 2.x, SDXL or SDXL refiner checkpoint: {why}{looks}"
    )


def what_is_it(keys: Iterable[str]) -> str | None:
    """Guess what kind of weights a file holds when it is not a checkpoint, with advice."""
    keys = list(keys)
    if any(k.startswith("lora_") or ".lora_down." in k or ".lora_A." in k for k in keys):
        return "a LoRA: put it in the `Lora/` folder and use a <lora:name:weight> tag"
    if any(k.startswith("control_model.") or "controlnet_cond_embedding" in k for k in keys):
        return "a ControlNet: put it in the `ControlNet/` folder"
    if any(k in ("emb_params", "string_to_param", "clip_g", "clip_l") for k in keys):
        return "a textual-inversion embedding: put it in the `embeddings/` folder"
    if any(k.startswith("encoder.") for k in keys) and any(k.startswith("decoder.") for k in keys):
        return "a VAE: put it in the `VAE/` folder and select it as the VAE"
    if any(k.startswith(("down_blocks.", "text_model.")) for k in keys):
        return "one component in diffusers layout: load the whole diffusers folder instead"
    if any(
        k.startswith(("double_blocks.", "joint_blocks.", "model.diffusion_model.double_"))
        for k in keys
    ):
        return "a Flux or SD3 model, which pixref does not support"
    return None


# --- the other kinds of model file, classified as far as their header allows ---------

_CONTEXT_DIM_ARCH = {768: "sd1", 1024: "sd2", 2048: "sdxl", 1280: "sdxl-refiner"}
_KOHYA_TE_LAYER = re.compile(r"lora_te_text_model_encoder_layers_(\d+)_")


def detect_lora_arch(shapes: Mapping[str, Sequence[int]]) -> str | None:
    """The architecture a LoRA was trained for, or None when its keys do not say.

    SDXL LoRAs name two text encoders (``lora_te1_``/``lora_te2_``) or use the SGM
    UNet names (``lora_unet_input_blocks_``); otherwise the cross-attention key
    projection's input width is the text encoder width (768 SD 1.x, 1024 SD 2.x).
    """
    if any(k.startswith(("lora_te1_", "lora_te2_", "lora_unet_input_blocks_")) for k in shapes):
        return "sdxl"
    for key, shape in shapes.items():
        is_down = "lora_down" in key or "lora_A" in key or "lora.down" in key
        if is_down and "attn2" in key and "to_k" in key and len(shape) >= 2:
            return _CONTEXT_DIM_ARCH.get(int(shape[1]))
    layers = [int(m.group(1)) for k in shapes if (m := _KOHYA_TE_LAYER.match(k))]
    if layers:
        return "sd2" if max(layers) >= 12 else "sd1"
    return None


def detect_controlnet_arch(shapes: Mapping[str, Sequence[int]]) -> str | None:
    """The architecture a ControlNet belongs to, from its cross-attention width."""
    if any("add_embedding" in k or "label_emb" in k for k in shapes):
        return "sdxl"
    for key, shape in shapes.items():
        if "attn2.to_k.weight" in key and len(shape) == 2:
            return _CONTEXT_DIM_ARCH.get(int(shape[1]))
    return None


def controlnet_family(shapes: Mapping[str, Sequence[int]]) -> str | None:
    """The family ("sd1", "sd2", "sdxl") a ControlNet's weights fit, for picking its config.

    Widths decide first (`detect_controlnet_arch`); for widths of no released model
    (tiny test models), the structure decides as A1111's model guess does: SDXL has the
    extra embedding, SD 2.x linear ``proj_in`` layers, SD 1.x convolutional ones.
    """
    family = detect_controlnet_arch(shapes)
    if family in ("sd1", "sd2", "sdxl"):
        return family
    if family == "sdxl-refiner":
        return "sdxl"
    for key, shape in shapes.items():
        if key.endswith("proj_in.weight"):
            return "sd2" if len(shape) == 2 else "sd1"
    return None


def controlnet_family_from_config(config: Mapping[str, object]) -> str | None:
    """The family of a diffusers ControlNet from its ``config.json`` (torch-free)."""
    if config.get("addition_embed_type") == "text_time":
        return "sdxl"
    width = config.get("cross_attention_dim")
    if isinstance(width, int) and width in _CONTEXT_DIM_ARCH:
        return _CONTEXT_DIM_ARCH[width]
    if "use_linear_projection" in config:
        return "sd2" if config.get("use_linear_projection") else "sd1"
    return None


def detect_embedding_arch(shapes: Mapping[str, Sequence[int]]) -> str | None:
    """The architecture a textual-inversion embedding belongs to (safetensors only)."""
    if "clip_g" in shapes and "clip_l" in shapes:
        return "sdxl"
    shape = shapes.get("emb_params")
    if shape:
        return _CONTEXT_DIM_ARCH.get(int(shape[-1]))
    return None


# --- diffusers folders ----------------------------------------------------------------


def detect_diffusers_folder(folder: Path) -> Detection:
    """Classify a diffusers folder from its JSON configs (no weights are read).

    SDXL-family UNets take "text_time" extra conditioning; the refiner has no first
    text encoder. SD 2.x's OpenCLIP text encoder uses ``gelu`` where SD 1.x's OpenAI
    CLIP uses ``quick_gelu``; the scheduler config decides v-prediction.

    Raises
    ------
    ModelLoadError
        If a config the decision needs is missing or unreadable.
    """
    index = read_json_config(folder / "model_index.json")
    unet = read_json_config(folder / "unet" / "config.json")
    in_channels = int(unet.get("in_channels", 4))
    is_inpainting = _is_inpainting({UNET_INPUT_CONV: (0, in_channels, 3, 3)}, folder.name)
    has_text_encoder = (index.get("text_encoder") or [None])[0] is not None
    if unet.get("addition_embed_type") == "text_time":
        return Detection(Arch.sdxl if has_text_encoder else Arch.sdxl_refiner, is_inpainting)
    text = read_json_config(folder / "text_encoder" / "config.json")
    if text.get("hidden_act") != "gelu":
        return Detection(Arch.sd1, is_inpainting)
    scheduler = read_json_config(folder / "scheduler" / "scheduler_config.json")
    is_v = scheduler.get("prediction_type") == "v_prediction"
    return Detection(Arch.sd2_v if is_v else Arch.sd2, is_inpainting)


def read_json_config(path: Path) -> dict:
    """Read one JSON config file, with a one-line error when it is missing or broken."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(
            f"`{path.parent.name}/{path.name}` is missing in {path.parent.parent}; "
            "a diffusers folder needs model_index.json and each component's config"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"cannot read config {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ModelLoadError(f"config {path} is not a JSON object")
    return data
