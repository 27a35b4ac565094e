"""ControlNet units inside the one denoiser, as the sd-webui-controlnet extension applies them.

Each unit adds its residuals to the UNet's skip connections while the sampling
progress is within ``[guidance_start, guidance_end]``; several units add up.
Control modes: "Balanced" acts on the prompt and the negative alike; "My prompt
is more important" scales the 13 residuals by ``0.825 ** (12 - i)`` (the
extension's soft injection); "ControlNet is more important" acts on the prompt
side only, so CFG pushes the image towards the control.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from PIL import Image

from pixref.engine._images import resize_image
from pixref.params import ControlNetUnit, PixrefError

CONTROL_MODES = ("Balanced", "My prompt is more important", "ControlNet is more important")
RESIZE_MODES = {"Just Resize": 0, "Crop and Resize": 1, "Resize and Fill": 2}


def control_image(image: Image.Image, width: int, height: int, resize_mode: str) -> torch.Tensor:
    """``(1, 3, height, width)`` float32 0-1 tensor of the control image, fitted as A1111 does."""
    fitted = resize_image(image.convert("RGB"), width, height, RESIZE_MODES.get(resize_mode, 1))
    array = np.asarray(fitted, dtype=np.float32) / 255
    return torch.from_numpy(array).permute(2, 0, 1)[None]


@dataclass
class ActiveUnit:
    """One ControlNet unit ready to run: model, control image, weight and range."""

    model: torch.nn.Module
    image: torch.Tensor  # (1, 3, H, W) 0-1, on the model's device
    weight: float
    guidance_start: float = 0.0
    guidance_end: float = 1.0
    control_mode: str = "Balanced"

    def active(self, progress: float) -> bool:
        return self.weight != 0 and self.guidance_start <= progress <= self.guidance_end


def residuals(
    units: list[ActiveUnit],
    progress: float,
    model_in: torch.Tensor,
    t: torch.Tensor,
    embeds: torch.Tensor,
    added: dict | None,
    cond_rows: int,
) -> tuple[list[torch.Tensor], torch.Tensor] | None:
    """Summed ``(down residuals, mid residual)`` of the units active at ``progress``.

    ``model_in`` stacks the prompt parts first and the negative last; the first
    ``cond_rows`` rows are the prompt side (for "ControlNet is more important").
    """
    total_down: list[torch.Tensor] | None = None
    total_mid: torch.Tensor | None = None
    for unit in units:
        if not unit.active(progress):
            continue
        image = unit.image.to(model_in).expand(model_in.shape[0], -1, -1, -1)
        down, mid = unit.model(
            model_in, t, encoder_hidden_states=embeds, controlnet_cond=image,
            conditioning_scale=unit.weight, added_cond_kwargs=added, return_dict=False,
        )  # fmt: skip
        outs = [*down, mid]
        if unit.control_mode == CONTROL_MODES[1]:
            # SD's 13 residuals get 0.825 ** (12 - i); smaller UNets the same ramp.
            outs = [r * 0.825 ** float(len(outs) - 1 - i) for i, r in enumerate(outs)]
        elif unit.control_mode == CONTROL_MODES[2]:
            keep = torch.zeros(model_in.shape[0], 1, 1, 1, device=model_in.device, dtype=mid.dtype)
            keep[:cond_rows] = 1
            outs = [r * keep for r in outs]
        if total_down is None:
            total_down, total_mid = outs[:-1], outs[-1]
        else:
            total_down = [a + b for a, b in zip(total_down, outs[:-1], strict=True)]
            total_mid = total_mid + outs[-1]
    return None if total_down is None else (total_down, total_mid)


class ControlNetError(PixrefError):
    """A ControlNet unit that cannot run with this checkpoint."""


@dataclass(frozen=True)
class ControlInput:
    """A ControlNet unit to run: loaded model, control image (e.g. a rendered pose), settings.

    ``controlnet`` is what `pixref.engine.models.load_controlnet` returns (its
    ``model``, ``name`` and ``short_hash`` are used) or a bare diffusers
    ``ControlNetModel``; ``unit`` holds weight, guidance range, modes, as A1111 records.
    """

    controlnet: Any
    image: Image.Image
    unit: ControlNetUnit = ControlNetUnit()

    @property
    def model(self) -> torch.nn.Module:
        return getattr(self.controlnet, "model", self.controlnet)

    def recorded(self) -> ControlNetUnit:
        """The unit as the infotext records it (model title ``name [hash]``)."""
        name = getattr(self.controlnet, "name", None)
        if name is None:
            return self.unit
        digest = getattr(self.controlnet, "short_hash", None)
        return replace(self.unit, model=f"{name} [{digest}]" if digest else name)


def check_controlnets(inputs, unet) -> None:
    """Refuse a ControlNet whose text width does not match the checkpoint's UNet."""
    want = unet.config.cross_attention_dim
    for i, control in enumerate(inputs):
        if control.unit.control_mode not in CONTROL_MODES:
            raise ControlNetError(
                f"ControlNet {i}: control mode `{control.unit.control_mode}` is unknown; "
                f"use one of {', '.join(CONTROL_MODES)}"
            )
        got = control.model.config.cross_attention_dim
        if got != want:
            raise ControlNetError(
                f"ControlNet {i} (`{control.recorded().model}`) is for another model family "
                f"(text width {got}, the checkpoint's is {want}); use a matching ControlNet"
            )


def active_units(inputs, width: int, height: int, device) -> list[ActiveUnit]:
    """The runtime units for one pass at ``width`` x ``height`` pixels."""
    return [
        ActiveUnit(
            model=c.model,
            image=control_image(c.image, width, height, c.unit.resize_mode).to(device),
            weight=float(c.unit.weight),
            guidance_start=float(c.unit.guidance_start),
            guidance_end=float(c.unit.guidance_end),
            control_mode=c.unit.control_mode,
        )
        for c in inputs
    ]
