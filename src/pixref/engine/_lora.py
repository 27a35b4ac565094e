"""LoRAs from A1111 prompt tags: ``<lora:name:weight>`` and ``<lora:name:te:unet>``.

Files are found in the models folder's ``Lora/``; diffusers converts their
kohya/A1111 key layout and peft injects them. They are applied for one
generation and removed afterwards, so a cached model is never left altered.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pixref.engine.models import (
    Arch,
    ModelKind,
    ModelLoadError,
    Models,
    detect_lora_arch,
    find_model,
    lora_short_hash,
    read_safetensors_header,
)
from pixref.prompt import parse_prompt

_ARCH_FAMILY = {"sd1": "sd1", "sd2": "sd2", "sd2-v": "sd2", "sdxl": "sdxl", "sdxl-refiner": "sdxl"}


@dataclass(frozen=True)
class Lora:
    """One LoRA to apply: file, A1111 short hash, text-encoder and UNet weights."""

    name: str
    path: Path
    te_weight: float
    unet_weight: float
    short_hash: str


def resolve_loras(
    prompt: str, *, models_dir: str | os.PathLike[str] | None = None
) -> tuple[Lora, ...]:
    """The LoRAs a prompt's ``<lora:...>`` tags name, found in ``models_dir/Lora``.

    Raises `ModelLoadError` (one line, listing what exists) for a name not found.
    """
    found = []
    for network in parse_prompt(prompt).networks:
        if network.kind not in ("lora", "lyco"):
            continue
        path = find_model(ModelKind.lora, network.name, models_dir=models_dir)
        te, unet = network.te_weight, network.unet_weight
        found.append(Lora(network.name, path, float(te), float(unet), lora_short_hash(path)))
    return tuple(found)


def check_loras(models: Models, loras: Sequence[Lora]) -> None:
    """Refuse a LoRA trained for another architecture, before anything is loaded."""
    want = _ARCH_FAMILY[Arch(models.arch).value]
    for lora in loras:
        if lora.path.suffix.lower() != ".safetensors":
            continue
        shapes = read_safetensors_header(lora.path).shapes
        arch = detect_lora_arch(shapes)
        if arch is not None and _ARCH_FAMILY.get(arch, arch) != want:
            raise ModelLoadError(
                f"LoRA `{lora.name}` is for {arch}, but the checkpoint `{models.name}` is {want}; "
                "use a LoRA trained for this model family"
            )


def _loader(models: Models):
    from diffusers.loaders import StableDiffusionLoraLoaderMixin, StableDiffusionXLLoraLoaderMixin

    if Arch(models.arch) in (Arch.sdxl, Arch.sdxl_refiner):
        return StableDiffusionXLLoraLoaderMixin, ("text_encoder", "text_encoder_2")
    return StableDiffusionLoraLoaderMixin, ("text_encoder",)


@contextmanager
def loras_applied(models: Models, loras: Sequence[Lora]) -> Iterator[None]:
    """Inject ``loras`` into the UNet and text encoders for the duration of the block."""
    if not loras:
        yield
        return
    from diffusers.loaders.lora_base import set_adapters_for_text_encoder
    from peft.tuners.tuners_utils import BaseTunerLayer

    loader, prefixes = _loader(models)
    encoders = list(zip(models.text_encoders, prefixes, strict=False))
    names: list[str] = []
    try:
        for index, lora in enumerate(loras):
            adapter = f"pixref_lora_{index}"
            state, alphas = loader.lora_state_dict(str(lora.path))
            loader.load_lora_into_unet(state, alphas, models.unet, adapter_name=adapter)
            for encoder, prefix in encoders:
                loader.load_lora_into_text_encoder(
                    state, alphas, encoder, prefix=prefix, adapter_name=adapter
                )
            names.append(adapter)
        models.unet.set_adapters(names, weights=[lora.unet_weight for lora in loras])
        for encoder, _ in encoders:
            if any(isinstance(m, BaseTunerLayer) for m in encoder.modules()):
                set_adapters_for_text_encoder(names, encoder, [lora.te_weight for lora in loras])
        yield
    finally:
        _remove(models, names)


def _remove(models: Models, names: list[str]) -> None:
    """Take every LoRA layer out again, so the cached modules are exactly as loaded."""
    from diffusers.loaders.lora_base import recurse_remove_peft_layers

    if names:
        models.unet.delete_adapters(names)
    for module in (models.unet, *models.text_encoders):
        # delete_adapters leaves peft's wrapper layers (``to_k.base_layer``) behind.
        recurse_remove_peft_layers(module)
        module.__dict__.pop("peft_config", None)
        if getattr(module, "_hf_peft_config_loaded", False):
            module._hf_peft_config_loaded = False
