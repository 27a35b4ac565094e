"""Whether a checkpoint predicts noise (epsilon) or v, decided as A1111 decides.

For a single-file checkpoint, in this order:

1. the ``prediction_type`` argument;
2. a ``v_pred`` key in the file (the convention of v-prediction SDXL/SD2 fine-tunes,
   read by ComfyUI and Forge);
3. SD 1.x, SDXL and the refiner: epsilon;
4. SD 2.x with a ``<checkpoint>.yaml`` beside the file: ``parameterization: "v"``
   means v, any other yaml means epsilon (A1111 uses such a yaml as the model config);
5. SD 2.x inpainting: epsilon (A1111 picks its inpainting config before testing);
6. SD 2.x otherwise: A1111's test, ``is_using_v_parameterization_for_sd2``: run the
   UNet once on a constant 8x8 latent at t=999 with a constant context; a
   v-prediction UNet returns an output whose mean minus the input is below -1.

diffusers' own single-file loader instead assumes v-prediction for every SD 2.x file
unless told its training step (``global_step == 875000`` means SD 2 base), which
misreads SD 2.x 512 fine-tunes; pixref follows A1111 so the same file means the same
images. A diffusers folder's scheduler config states its prediction type.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch

from pixref.engine.models._detect import Arch, Detection

PREDICTION_TYPES = ("epsilon", "v_prediction")


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


def single_file_prediction(
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
