"""Load a diffusers folder (``model_index.json`` and one folder per component), offline.

Tokenizer folders, if present, are ignored: pixref tokenizes with its own CLIP
vocabulary, as A1111 does for every model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from pixref.engine.models._bundle import Models, alphas_cumprod_from_config, vae_dtype
from pixref.engine.models._detect import Arch, detect_diffusers_folder, read_json_config
from pixref.engine.models._errors import ModelLoadError
from pixref.engine.models._single_file import first_line


def load_diffusers_folder(
    path: Path, *, device: torch.device, dtype: torch.dtype, prediction_type: str | None
) -> Models:
    """Load every component of the diffusers folder ``path``."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    found = detect_diffusers_folder(path)
    scheduler = read_json_config(path / "scheduler" / "scheduler_config.json")
    prediction = prediction_type or scheduler.get("prediction_type", "epsilon")
    arch = found.arch
    if arch in (Arch.sd2, Arch.sd2_v):
        arch = Arch.sd2_v if prediction == "v_prediction" else Arch.sd2
    placement = {"torch_dtype": dtype, "local_files_only": True}
    unet = _to_device(_pretrained(UNet2DConditionModel, path, "unet", placement), device)
    vae_placement = {**placement, "torch_dtype": vae_dtype(path, dtype)}
    vae = _pretrained(AutoencoderKL, path, "vae", vae_placement)
    encoders = tuple(
        _pretrained(
            CLIPTextModelWithProjection if sub == "text_encoder_2" else CLIPTextModel,
            path,
            sub,
            placement,
            device,
        )
        for sub in arch.text_encoder_folders
    )
    scheduler = {**scheduler, "prediction_type": prediction}
    return Models(
        arch=arch,
        unet=unet,
        vae=_to_device(vae, device),
        text_encoders=encoders,
        tokenizers=(),
        prediction_type=prediction,
        alphas_cumprod=alphas_cumprod_from_config(scheduler),
        is_inpainting=found.is_inpainting,
        name=path.name,
        short_hash=None,
        path=path,
        dtype=dtype,
        device=device,
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
            f"cannot load `{subfolder}` from diffusers folder {folder}: {first_line(exc)}"
        ) from None
    model = model.eval()
    return _to_device(model, device) if device is not None else model
