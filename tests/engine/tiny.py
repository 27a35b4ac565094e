"""Tiny random-weight SD 1.x, SD 2.x, SDXL and SDXL-refiner models, saved as real files.

A test utility, not package code. Each model keeps the real architecture's *shape*
(UNet block layout, 8x VAE, CLIP vocabulary of 49,408 tokens and 77 positions) with
tiny widths, and is saved three ways:

- a diffusers folder (``model_index.json`` and one folder per component, no tokenizer);
- a single ``.safetensors`` file in the original A1111/CompVis/SGM key layout, written
  by `to_original_layout`, the inverse of what diffusers' single-file loader undoes;
- a config folder shaped like ``pixref/engine/configs/<arch>``, for ``config_dir``.

SDXL's two tiny text encoders get different widths (32 and 48): diffusers picks the
converter for each encoder by comparing widths, as real SDXL files (768 vs 1280) allow.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import AutoencoderKL, ControlNetModel, UNet2DConditionModel
from safetensors.torch import save_file
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

from pixref.engine.models import builtin_config_dir

ARCHES = ("sd1", "sd2", "sdxl", "sdxl-refiner")


@dataclass
class TinyModel:
    """One tiny model and where its three saved forms are."""

    arch: str
    unet: UNet2DConditionModel
    vae: AutoencoderKL
    text_encoders: tuple
    single_file: Path
    diffusers_dir: Path
    config_dir: Path
    vae_file: Path  # the VAE alone, in A1111's VAE-file layout (bare encoder./decoder. keys)


# --- configs --------------------------------------------------------------------------


def _clip(hidden: int, act: str, *, projection: int) -> CLIPTextConfig:
    return CLIPTextConfig(
        vocab_size=49408,
        max_position_embeddings=77,
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=2,
        num_attention_heads=4,
        hidden_act=act,
        projection_dim=projection,
        bos_token_id=0,
        eos_token_id=2,
        pad_token_id=1,
    )


def _vae_config(arch: str) -> dict:
    xl = arch.startswith("sdxl")
    return {
        "block_out_channels": [8, 16, 16, 16],  # 4 levels: SD's 8x latent factor
        "down_block_types": ["DownEncoderBlock2D"] * 4,
        "up_block_types": ["UpDecoderBlock2D"] * 4,
        "layers_per_block": 1,
        "norm_num_groups": 4,
        "latent_channels": 4,
        "sample_size": 64,
        "scaling_factor": 0.13025 if xl else 0.18215,
        "force_upcast": xl,
    }


def _unet_config(arch: str, in_channels: int) -> dict:
    common = {
        "sample_size": 8,
        "in_channels": in_channels,
        "out_channels": 4,
        "layers_per_block": 2,
        "block_out_channels": [16, 32],
        "norm_num_groups": 8,
    }
    if arch == "sd1":
        return common | {
            "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
            "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
            "cross_attention_dim": 32,
            "attention_head_dim": 4,
        }
    if arch == "sd2":
        return common | {
            "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
            "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
            "cross_attention_dim": 32,
            "attention_head_dim": [2, 4],
            "use_linear_projection": True,
        }
    refiner = arch == "sdxl-refiner"
    return common | {
        "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D"],
        "up_block_types": ["CrossAttnUpBlock2D", "UpBlock2D"],
        "transformer_layers_per_block": [1, 2],
        "attention_head_dim": [2, 4],
        "use_linear_projection": True,
        "addition_embed_type": "text_time",
        "addition_time_embed_dim": 8,
        # time ids (5 for the refiner, 6 for the base) * 8 + pooled width 32
        "projection_class_embeddings_input_dim": (5 if refiner else 6) * 8 + 32,
        "cross_attention_dim": 48 if refiner else 32 + 48,
    }


def _text_encoders(arch: str) -> tuple:
    clip_l = _clip(32, "quick_gelu", projection=32)
    if arch == "sd1":
        return (CLIPTextModel(clip_l),)
    if arch == "sd2":
        return (CLIPTextModel(_clip(32, "gelu", projection=16)),)
    big_g = CLIPTextModelWithProjection(_clip(48, "gelu", projection=32))
    if arch == "sdxl-refiner":
        return (big_g,)
    return (CLIPTextModel(clip_l), big_g)


# --- building and saving --------------------------------------------------------------


def build(arch: str, root: Path, *, seed: int = 0, inpainting: bool = False) -> TinyModel:
    """Build the tiny ``arch`` model from ``seed`` and save its three forms under ``root``."""
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(**_unet_config(arch, 9 if inpainting else 4)).eval()
    vae = AutoencoderKL(**_vae_config(arch)).eval()
    encoders = tuple(e.eval() for e in _text_encoders(arch))
    folders = _encoder_folders(arch)
    root.mkdir(parents=True, exist_ok=True)
    stem = f"tiny-{arch}{'-inpainting' if inpainting else ''}"

    config_dir = root / f"{stem}-configs"
    _save_configs(config_dir, arch, unet, vae, encoders, folders)

    diffusers_dir = root / f"{stem}-diffusers"
    _save_configs(diffusers_dir, arch, unet, vae, encoders, folders)
    unet.save_pretrained(diffusers_dir / "unet")
    vae.save_pretrained(diffusers_dir / "vae")
    for encoder, folder in zip(encoders, folders, strict=True):
        encoder.save_pretrained(diffusers_dir / folder)

    single_file = root / f"{stem}.safetensors"
    save_file(_contiguous(to_original_layout(arch, unet, vae, encoders)), single_file)
    vae_file = root / f"{stem}-vae.safetensors"
    save_file(_contiguous(vae_to_original(vae.state_dict(), vae.config)), vae_file)
    return TinyModel(arch, unet, vae, encoders, single_file, diffusers_dir, config_dir, vae_file)


def save_vae_file(arch: str, path: Path, *, seed: int) -> AutoencoderKL:
    """Save a tiny VAE as A1111's ``VAE/`` files hold it (bare ``encoder.``/``decoder.`` keys)."""
    torch.manual_seed(seed)
    vae = AutoencoderKL(**_vae_config(arch)).eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(_contiguous(vae_to_original(vae.state_dict(), vae.config)), path)
    return vae


def _encoder_folders(arch: str) -> tuple[str, ...]:
    return {"sdxl": ("text_encoder", "text_encoder_2"), "sdxl-refiner": ("text_encoder_2",)}.get(
        arch, ("text_encoder",)
    )


def _save_configs(folder: Path, arch: str, unet, vae, encoders, encoder_folders) -> None:
    shipped = builtin_config_dir("sd2" if arch == "sd2" else arch)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model_index.json").write_text((shipped / "model_index.json").read_text())
    (folder / "scheduler").mkdir(exist_ok=True)
    scheduler = shipped / "scheduler" / "scheduler_config.json"
    (folder / "scheduler" / "scheduler_config.json").write_text(scheduler.read_text())
    unet.save_config(folder / "unet")
    vae.save_config(folder / "vae")
    for encoder, sub in zip(encoders, encoder_folders, strict=True):
        encoder.config.save_pretrained(folder / sub)


def _contiguous(state_dict: dict) -> dict:
    return {k: v.detach().contiguous().clone() for k, v in state_dict.items()}


# --- diffusers -> original key layout -------------------------------------------------

_TEXT_PREFIXES = {
    "sd1": ("cond_stage_model.transformer.",),
    "sd2": ("cond_stage_model.model.",),
    "sdxl": ("conditioner.embedders.0.transformer.", "conditioner.embedders.1.model."),
    "sdxl-refiner": ("conditioner.embedders.0.model.",),
}


def to_original_layout(arch: str, unet, vae, encoders) -> dict[str, torch.Tensor]:
    """The single-file state dict A1111 would hold for these diffusers components."""
    out = {"model.diffusion_model." + k: v for k, v in unet_to_original(unet).items()}
    out |= {
        "first_stage_model." + k: v
        for k, v in vae_to_original(vae.state_dict(), vae.config).items()
    }
    for encoder, prefix in zip(encoders, _TEXT_PREFIXES[arch], strict=True):
        convert = clip_to_original if prefix.endswith(".transformer.") else open_clip_to_original
        out |= {prefix + k: v for k, v in convert(encoder).items()}
    # Buffers real checkpoints carry and loaders must ignore.
    out["alphas_cumprod"] = torch.linspace(0.99, 0.01, 1000)
    return out


_RESNET = {
    "norm1": "in_layers.0",
    "conv1": "in_layers.2",
    "time_emb_proj": "emb_layers.1",
    "norm2": "out_layers.0",
    "conv2": "out_layers.3",
    "conv_shortcut": "skip_connection",
}
_UNET_FIXED = {
    "time_embedding.linear_1": "time_embed.0",
    "time_embedding.linear_2": "time_embed.2",
    "add_embedding.linear_1": "label_emb.0.0",
    "add_embedding.linear_2": "label_emb.0.2",
    "conv_in": "input_blocks.0.0",
    "conv_norm_out": "out.0",
    "conv_out": "out.2",
}


def unet_to_original(unet) -> dict[str, torch.Tensor]:
    """Rename a diffusers UNet state dict to ldm ``openaimodel.UNetModel`` names.

    ldm numbers blocks flat: ``input_blocks.0`` is conv_in, then each level has
    ``layers_per_block`` (resnet[, attention]) blocks and, except the last level, one
    downsampler; ``output_blocks`` have one block more per level, the last of which
    carries the upsampler after its resnet (and attention, if any).
    """
    n = unet.config.layers_per_block + 1
    up_attention = [t.startswith("CrossAttn") for t in unet.config.up_block_types]
    return {_unet_key(k, n, up_attention): v for k, v in unet.state_dict().items()}


def _unet_key(key: str, n: int, up_attention: list[bool]) -> str:
    for old, new in _UNET_FIXED.items():
        if key.startswith(old + "."):
            return new + key[len(old) :]
    if m := re.fullmatch(r"down_blocks\.(\d+)\.resnets\.(\d+)\.(\w+)\.(.+)", key):
        return f"input_blocks.{1 + int(m[1]) * n + int(m[2])}.0.{_RESNET[m[3]]}.{m[4]}"
    if m := re.fullmatch(r"down_blocks\.(\d+)\.attentions\.(\d+)\.(.+)", key):
        return f"input_blocks.{1 + int(m[1]) * n + int(m[2])}.1.{m[3]}"
    if m := re.fullmatch(r"down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)", key):
        return f"input_blocks.{1 + int(m[1]) * n + n - 1}.0.op.{m[2]}"
    if m := re.fullmatch(r"mid_block\.resnets\.(\d+)\.(\w+)\.(.+)", key):
        return f"middle_block.{2 * int(m[1])}.{_RESNET[m[2]]}.{m[3]}"
    if m := re.fullmatch(r"mid_block\.attentions\.0\.(.+)", key):
        return f"middle_block.1.{m[1]}"
    if m := re.fullmatch(r"up_blocks\.(\d+)\.resnets\.(\d+)\.(\w+)\.(.+)", key):
        return f"output_blocks.{int(m[1]) * n + int(m[2])}.0.{_RESNET[m[3]]}.{m[4]}"
    if m := re.fullmatch(r"up_blocks\.(\d+)\.attentions\.(\d+)\.(.+)", key):
        return f"output_blocks.{int(m[1]) * n + int(m[2])}.1.{m[3]}"
    if m := re.fullmatch(r"up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)", key):
        slot = 2 if up_attention[int(m[1])] else 1
        return f"output_blocks.{int(m[1]) * n + n - 1}.{slot}.conv.{m[2]}"
    raise KeyError(f"no original name for UNet key {key}")


_VAE_ATTENTION = {
    "group_norm": "norm",
    "to_q": "q",
    "to_k": "k",
    "to_v": "v",
    "to_out.0": "proj_out",
}


def vae_to_original(state_dict: dict, config) -> dict[str, torch.Tensor]:
    """Rename a diffusers AutoencoderKL state dict to ldm ``AutoencoderKL`` names.

    ldm numbers decoder levels from the bottom (``up.0`` is the last to run) and stores
    the mid-block attention projections as 1x1 convolutions.
    """
    levels = len(config.up_block_types)
    return dict(_vae_item(k, v, levels) for k, v in state_dict.items())


def _vae_item(key: str, value: torch.Tensor, levels: int) -> tuple[str, torch.Tensor]:
    if m := re.fullmatch(r"(encoder|decoder)\.conv_norm_out\.(.+)", key):
        return f"{m[1]}.norm_out.{m[2]}", value
    if m := re.fullmatch(r"encoder\.down_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", key):
        return f"encoder.down.{m[1]}.block.{m[2]}.{_nin(m[3])}", value
    if m := re.fullmatch(r"encoder\.down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)", key):
        return f"encoder.down.{m[1]}.downsample.conv.{m[2]}", value
    if m := re.fullmatch(r"decoder\.up_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", key):
        return f"decoder.up.{levels - 1 - int(m[1])}.block.{m[2]}.{_nin(m[3])}", value
    if m := re.fullmatch(r"decoder\.up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)", key):
        return f"decoder.up.{levels - 1 - int(m[1])}.upsample.conv.{m[2]}", value
    if m := re.fullmatch(r"(encoder|decoder)\.mid_block\.resnets\.(\d+)\.(.+)", key):
        return f"{m[1]}.mid.block_{int(m[2]) + 1}.{_nin(m[3])}", value
    if m := re.fullmatch(r"(encoder|decoder)\.mid_block\.attentions\.0\.(.+)\.(weight|bias)", key):
        is_projection = m[2] != "group_norm" and m[3] == "weight"
        value = value[:, :, None, None] if is_projection else value
        return f"{m[1]}.mid.attn_1.{_VAE_ATTENTION[m[2]]}.{m[3]}", value
    if key.startswith(("encoder.conv_", "decoder.conv_", "quant_conv.", "post_quant_conv.")):
        return key, value
    raise KeyError(f"no original name for VAE key {key}")


def _nin(rest: str) -> str:
    return rest.replace("conv_shortcut", "nin_shortcut")


def _text_state(encoder) -> dict[str, torch.Tensor]:
    # transformers >= 5.6 dropped the "text_model." level of CLIPTextModel only.
    return {k.removeprefix("text_model."): v for k, v in encoder.state_dict().items()}


def clip_to_original(encoder) -> dict[str, torch.Tensor]:
    """OpenAI CLIP as ldm's ``FrozenCLIPEmbedder`` saves it: HF names under ``text_model.``."""
    out = {f"text_model.{k}": v for k, v in _text_state(encoder).items()}
    # Real SD 1.x files carry this buffer; the loader must cope with it.
    out["text_model.embeddings.position_ids"] = torch.arange(77)[None]
    return out


_OPEN_CLIP_LAYER = {
    "self_attn.out_proj": "attn.out_proj",
    "layer_norm1": "ln_1",
    "layer_norm2": "ln_2",
    "mlp.fc1": "mlp.c_fc",
    "mlp.fc2": "mlp.c_proj",
}


def open_clip_to_original(encoder) -> dict[str, torch.Tensor]:
    """OpenCLIP names (``FrozenOpenCLIPEmbedder``): fused q/k/v, transposed projection."""
    state = _text_state(encoder)
    out: dict[str, torch.Tensor] = {
        "token_embedding.weight": state.pop("embeddings.token_embedding.weight"),
        "positional_embedding": state.pop("embeddings.position_embedding.weight"),
        "logit_scale": torch.tensor(4.6052),
    }
    hidden = out["positional_embedding"].shape[1]
    projection = state.pop("text_projection.weight", None)
    # SD 2.x files keep OpenCLIP's projection although SD never uses it.
    out["text_projection"] = (
        projection.T
        if projection is not None
        else torch.randn(hidden, encoder.config.projection_dim)
    )
    for key in list(state):
        if m := re.fullmatch(r"encoder\.layers\.(\d+)\.self_attn\.q_proj\.(weight|bias)", key):
            parts = [state.pop(f"encoder.layers.{m[1]}.self_attn.{p}_proj.{m[2]}") for p in "qkv"]
            out[f"transformer.resblocks.{m[1]}.attn.in_proj_{m[2]}"] = torch.cat(parts)
    for key, value in state.items():
        if key.startswith("final_layer_norm."):
            out["ln_final." + key.removeprefix("final_layer_norm.")] = value
            continue
        m = re.fullmatch(r"encoder\.layers\.(\d+)\.(.+)\.(weight|bias)", key)
        if m is None or m[2] not in _OPEN_CLIP_LAYER:
            raise KeyError(f"no original name for OpenCLIP key {key}")
        out[f"transformer.resblocks.{m[1]}.{_OPEN_CLIP_LAYER[m[2]]}.{m[3]}"] = value
    return out


def write_model_index_without_text_encoder(folder: Path) -> None:
    """Turn a diffusers folder's model_index into the refiner's (no first text encoder)."""
    index = json.loads((folder / "model_index.json").read_text())
    index["text_encoder"] = [None, None]
    (folder / "model_index.json").write_text(json.dumps(index))


# --- ControlNets ----------------------------------------------------------------------


@dataclass
class TinyControlNet:
    """A tiny ControlNet matching the tiny ``arch`` UNet, and where its forms are saved."""

    arch: str
    model: ControlNetModel
    single_file: Path  # original ``control_model.*`` layout, as lllyasviel's files
    diffusers_file: Path  # diffusers key layout in one file, as most SDXL ControlNets
    diffusers_dir: Path  # save_pretrained folder
    config_dir: Path  # just config.json, for ``load_controlnet(config_dir=...)``


def build_controlnet(arch: str, root: Path, *, seed: int = 0) -> TinyControlNet:
    """A tiny random ControlNet for ``arch``'s tiny UNet, saved three ways under ``root``.

    Every weight is random (``from_unet`` leaves the zero convolutions at zero, which
    would hide a wrong key mapping).
    """
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(**_unet_config(arch, 4))
    controlnet = ControlNetModel.from_unet(unet).eval()
    with torch.no_grad():
        for parameter in controlnet.parameters():
            parameter.copy_(torch.randn_like(parameter) * 0.1)
    stem = f"tiny-controlnet-{arch}"
    root.mkdir(parents=True, exist_ok=True)
    diffusers_dir = root / f"{stem}-diffusers"
    controlnet.save_pretrained(diffusers_dir)
    config_dir = root / f"{stem}-config"
    controlnet.save_config(config_dir)
    single_file = root / f"{stem}.safetensors"
    original = {
        ORIGINAL_CONTROL_PREFIX + k: v for k, v in controlnet_to_original(controlnet).items()
    }
    save_file(_contiguous(original), single_file)
    diffusers_file = root / f"{stem}-diffusers.safetensors"
    save_file(_contiguous(controlnet.state_dict()), diffusers_file)
    return TinyControlNet(arch, controlnet, single_file, diffusers_file, diffusers_dir, config_dir)


ORIGINAL_CONTROL_PREFIX = "control_model."
_CONTROL_FIXED = {
    "controlnet_cond_embedding.conv_in": "input_hint_block.0",
    "controlnet_cond_embedding.conv_out": "input_hint_block.14",
    "controlnet_mid_block": "middle_block_out.0",
}


def controlnet_to_original(controlnet) -> dict[str, torch.Tensor]:
    """Rename a diffusers ControlNet state dict to ``cldm.ControlNet`` names (no prefix).

    The trunk is the UNet encoder (`_unet_key`); ``controlnet_down_blocks.i`` are
    ``zero_convs.i.0``; the hint encoder is a Sequential of convolutions and SiLUs, so
    its convolutions sit at even indices 0, 2, ..., 14.
    """
    n = controlnet.config.layers_per_block + 1
    out = {}
    for key, value in controlnet.state_dict().items():
        out[_control_key(key, n)] = value
    return out


def _control_key(key: str, n: int) -> str:
    for old, new in _CONTROL_FIXED.items():
        if key.startswith(old + "."):
            return new + key[len(old) :]
    if m := re.fullmatch(r"controlnet_down_blocks\.(\d+)\.(.+)", key):
        return f"zero_convs.{m[1]}.0.{m[2]}"
    if m := re.fullmatch(r"controlnet_cond_embedding\.blocks\.(\d+)\.(.+)", key):
        return f"input_hint_block.{2 * (int(m[1]) + 1)}.{m[2]}"
    return _unet_key(key, n, [])
