"""What A1111's listing routes answer, read from pixref's models folder and name tables.

Everything is read from disk when asked (so A1111's ``refresh-*`` calls have
nothing to do); checkpoint hashes are computed once per file version and cached
in the data home, as ``pixref models --hash`` does.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import Any

from pixref.engine.models import (
    ModelInfo,
    ModelKind,
    describe_model_file,
    file_sha256,
    find_checkpoint,
    find_model,
    list_models,
    read_safetensors_header,
)
from pixref.infotext import SAMPLERS, SCHEDULES, split_params_line, unquote
from pixref.params import GenerationParams
from pixref.server._generation import GenerationService
from pixref.server._sdapi_convert import from_engine
from pixref.server._sdapi_schemas import (
    EmbeddingItem,
    EmbeddingsResponse,
    LatentUpscaleModeItem,
    LoraItem,
    PNGInfoResponse,
    SamplerItem,
    SchedulerItem,
    SDModelItem,
    SDVaeItem,
    UpscalerItem,
)
from pixref.server._settings import ServerSettings

# --- checkpoints ------------------------------------------------------------------------------


def _checkpoints(models_dir: Path | None) -> list[ModelInfo]:
    return list_models(models_dir, kinds=(ModelKind.checkpoint,), compute_hashes=True)


def sd_models(models_dir: Path | None) -> list[SDModelItem]:
    """A1111's ``/sd-models``: title ``name.safetensors [hash]``, short and full hash."""
    return [
        SDModelItem(
            title=info.title,
            # A1111: the relative name without extension, folders joined by "_".
            model_name=os.path.splitext(info.relative.replace("/", "_"))[0]
            if info.format != "diffusers"
            else info.relative.replace("/", "_"),
            hash=info.short_hash,
            sha256=info.hash,
            filename=str(info.path),
            config=None,
        )
        for info in _checkpoints(models_dir)
    ]


def current_checkpoint(service: GenerationService, models_dir: Path | None) -> ModelInfo | None:
    """The checkpoint a request without one uses (A1111's ``sd_model_checkpoint``).

    Only that file is hashed (once per file version), so ``GET /options`` stays quick.
    """
    infos = list_models(models_dir, kinds=(ModelKind.checkpoint,))
    if service.checkpoint is None:
        info = infos[0] if infos else None
    else:
        chosen = Path(service.checkpoint).resolve()
        info = next((i for i in infos if i.path.resolve() == chosen), None)
    if info is None or info.hash or info.format == "diffusers" or info.problem:
        return info
    return dataclasses.replace(info, hash=file_sha256(info.path))


def checkpoint_arch(path: str) -> tuple[str | None, bool]:
    """``(arch, is_inpainting)`` of a checkpoint from its header or configs."""
    try:
        info = describe_model_file(ModelKind.checkpoint, path)
    except Exception:  # a name the loader will resolve (or refuse) itself
        return None, False
    return info.arch, info.is_inpainting


def check_models(p: GenerationParams, controlnets: list[str], models_dir: Path | None) -> None:
    """Refuse a missing refiner or ControlNet now, not after the job waited its turn."""
    if p.refiner:
        find_checkpoint(p.refiner, models_dir=models_dir)
    for name in controlnets:
        find_model(ModelKind.controlnet, name, models_dir=models_dir)


# --- other model kinds ------------------------------------------------------------------------


def sd_vaes(models_dir: Path | None) -> list[SDVaeItem]:
    found = list_models(models_dir, kinds=(ModelKind.vae,))
    return [SDVaeItem(model_name=i.relative, filename=str(i.path)) for i in found]


def loras(models_dir: Path | None) -> list[LoraItem]:
    """The Lora extension's ``/loras``: name, alias (training output name), path, metadata."""
    out = []
    for info in list_models(models_dir, kinds=(ModelKind.lora,)):
        metadata: dict[str, Any] = {}
        if info.format == "safetensors":
            try:
                metadata = dict(read_safetensors_header(info.path).metadata)
            except Exception:  # unreadable header: listed without metadata
                metadata = {}
        alias = metadata.get("ss_output_name") or info.name
        out.append(LoraItem(name=info.name, alias=alias, path=str(info.path), metadata=metadata))
    return out


def embeddings(service: GenerationService, models_dir: Path | None) -> EmbeddingsResponse:
    """Embeddings that fit the current checkpoint ("loaded") and those that do not."""
    current = current_checkpoint(service, models_dir)
    family = (current.arch or "").replace("sd2-v", "sd2") if current else ""
    loaded, skipped = {}, {}
    for info in list_models(models_dir, kinds=(ModelKind.embedding,)):
        item = EmbeddingItem(**_embedding_shape(info))
        fits = info.arch is None or not family or info.arch == family
        (loaded if fits else skipped)[info.name] = item
    return EmbeddingsResponse(loaded=loaded, skipped=skipped)


def _embedding_shape(info: ModelInfo) -> dict[str, int]:
    if info.format != "safetensors":
        return {}
    try:
        shapes = read_safetensors_header(info.path).shapes
    except Exception:
        return {}
    shape = shapes.get("emb_params") or shapes.get("clip_l")
    return {"vectors": int(shape[0]), "shape": int(shape[-1])} if shape and len(shape) == 2 else {}


def controlnets(models_dir: Path | None) -> list[str]:
    found = list_models(models_dir, kinds=(ModelKind.controlnet,), compute_hashes=True)
    return [info.title for info in found]


# --- samplers, schedules, upscalers ---------------------------------------------------------

# A1111 v1.10 ``sd_schedulers.py`` facts for ``/schedulers``: default rho, and which
# schedules need the model's own sigmas.
_DEFAULT_RHO = {"Karras": 7.0, "Polyexponential": 1.0}
_NEEDS_MODEL = ("Uniform", "SGM Uniform", "Simple", "Normal", "DDIM")


def samplers() -> list[SamplerItem]:
    """Samplers pixref runs, with aliases and A1111's option flags (as strings, as A1111)."""
    items = []
    for label, spec in from_engine("pixref.engine.samplers", "SAMPLER_SPECS").items():
        options: dict[str, str] = {}
        if spec.schedule not in ("Uniform", "DDIM") and not spec.timesteps:
            options["scheduler"] = SCHEDULES[spec.schedule][0]
        for flag in ("second_order", "brownian_noise", "uses_ensd", "discard_next_to_last_sigma"):
            if getattr(spec, flag):
                options[flag] = "True"
        items.append(SamplerItem(name=label, aliases=list(SAMPLERS[label]), options=options))
    return items


def schedulers() -> list[SchedulerItem]:
    return [
        SchedulerItem(
            name=names[0],
            label=label,
            aliases=list(names[1:]) or None,
            default_rho=_DEFAULT_RHO.get(label, -1.0),
            need_inner_model=label in _NEEDS_MODEL,
        )
        for label, names in SCHEDULES.items()
    ]


def upscalers() -> list[UpscalerItem]:
    names = from_engine("pixref.engine", "PIXEL_UPSCALERS")
    return [UpscalerItem(name=name, scale=4) for name in names]


def latent_upscale_modes() -> list[LatentUpscaleModeItem]:
    modes = from_engine("pixref.engine", "LATENT_UPSCALERS")
    return [LatentUpscaleModeItem(name=name) for name in modes]


def cmd_flags(settings: ServerSettings) -> dict[str, Any]:
    models = settings.models_dir
    return {
        "api": True,
        "nowebui": True,
        "listen": settings.host not in ("127.0.0.1", "localhost", "::1"),
        "port": settings.port,
        "api_auth": None,  # never echoed; whether auth is on is not the client's business
        "ckpt_dir": str(models / "Stable-diffusion") if models else None,
        "lora_dir": str(models / "Lora") if models else None,
        "vae_dir": str(models / "VAE") if models else None,
        "controlnet_dir": str(models / "ControlNet") if models else None,
        "device_id": settings.device,
    }


# --- PNG info ---------------------------------------------------------------------------------

#: What A1111's ``parse_generation_parameters`` fills in when a key is missing.
_PARSE_DEFAULTS: dict[str, Any] = {
    "Clip skip": "1", "Hires resize-1": 0, "Hires resize-2": 0,
    "Hires sampler": "Use same sampler", "Hires schedule type": "Use same scheduler",
    "Hires checkpoint": "Use same checkpoint", "Hires prompt": "", "Hires negative prompt": "",
    "Mask mode": "Inpaint masked", "Masked content": "original", "Inpaint area": "Whole picture",
    "Masked area padding": 32, "RNG": "GPU", "Schedule type": "Automatic",
}  # fmt: skip


def png_info(data: bytes) -> PNGInfoResponse:
    """A1111's ``/png-info`` from an image's bytes, read by `pixref.metadata.read_metadata`."""
    from pixref.metadata import read_metadata

    with tempfile.TemporaryDirectory(prefix="pixref-pnginfo-") as folder:
        path = Path(folder) / "image"
        path.write_bytes(data)
        meta = read_metadata(path)
    items = {k: v for k, v in meta.raw.items() if k != "parameters"}
    if not meta.infotext or meta.params is None:
        return PNGInfoResponse(info=meta.infotext or "", items=items, parameters={})
    return PNGInfoResponse(info=meta.infotext, items=items, parameters=_parsed(meta))


def _parsed(meta) -> dict[str, Any]:
    p = meta.params
    out: dict[str, Any] = {"Prompt": p.prompt, "Negative prompt": p.negative_prompt}
    for key, raw in split_params_line(meta.infotext.strip().rsplit("\n", 1)[-1]):
        value = unquote(raw)
        w, sep, h = value.partition("x")
        if sep and w.isdigit() and h.isdigit():
            out[f"{key}-1"], out[f"{key}-2"] = w, h
        else:
            out[key] = value
    return {**_PARSE_DEFAULTS, **out}
