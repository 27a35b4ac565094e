"""A1111's hires fix: generate small, upscale, then a second img2img pass at the big size."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from PIL import Image

from pixref.engine._vae import to_images, to_latent
from pixref.params import GenerationParams, Hires, PixrefError

#: A1111's latent upscale modes: name -> (torch interpolation mode, antialias).
LATENT_UPSCALERS = {
    "Latent": ("bilinear", False),
    "Latent (antialiased)": ("bilinear", True),
    "Latent (bicubic)": ("bicubic", False),
    "Latent (bicubic antialiased)": ("bicubic", True),
    "Latent (nearest)": ("nearest", False),
    "Latent (nearest-exact)": ("nearest-exact", False),
}
#: Upscalers that work in pixels without model weights.
PIXEL_UPSCALERS = {"None": Image.LANCZOS, "Lanczos": Image.LANCZOS, "Nearest": Image.NEAREST}
#: A1111's UI default hires denoising strength.
DEFAULT_HIRES_STRENGTH = 0.7


class HiresError(PixrefError):
    """Hires-fix settings pixref cannot run."""


def _target(p: GenerationParams, h: Hires) -> tuple[int, int, int, int]:
    """``(upscale_w, upscale_h, final_w, final_h)`` in pixels, A1111's arithmetic."""
    w, hgt = p.width, p.height
    if h.resize is None or h.resize == (0, 0):
        scale = float(h.upscale if h.upscale is not None else 2.0)
        to_w, to_h = int(w * scale), int(hgt * scale)
        return to_w, to_h, to_w, to_h
    rx, ry = h.resize
    if ry == 0:
        return rx, rx * hgt // w, rx, rx * hgt // w
    if rx == 0:
        return ry * w // hgt, ry, ry * w // hgt, ry
    # Both given: cover the target at the first pass's aspect, then crop the latent.
    if w / hgt < rx / ry:
        return rx, rx * hgt // w, rx, ry
    return ry * w // hgt, ry, rx, ry


@dataclass(frozen=True)
class HiresPlan:
    """Where the second pass runs and how the first pass's latent gets there."""

    hires: Hires
    upscale_size: tuple[int, int]
    size: tuple[int, int]

    def second_pass(self, p: GenerationParams) -> GenerationParams:
        """The second pass's parameters: hires steps, sampler, size and prompts.

        An unset or empty hires prompt (negative prompt) means the first pass's,
        as A1111's ``setup_prompts`` reads ``hr_prompt == ''``.
        """
        h = self.hires
        return replace(
            p,
            width=self.size[0],
            height=self.size[1],
            steps=h.steps or p.steps,
            sampler=h.sampler or p.sampler,
            schedule_type=h.schedule_type or p.schedule_type,
            prompt=h.prompt or p.prompt,
            negative_prompt=h.negative_prompt or p.negative_prompt,
            denoising_strength=p.denoising_strength or DEFAULT_HIRES_STRENGTH,
            hires=None,
        )

    def upscale(self, models, latents: torch.Tensor) -> torch.Tensor:
        """The first pass's latents at the second pass's size."""
        up_w, up_h = self.upscale_size
        name = self.hires.upscaler or "Latent"
        if name in LATENT_UPSCALERS:
            mode, antialias = LATENT_UPSCALERS[name]
            out = F.interpolate(
                latents, size=(up_h // 8, up_w // 8), mode=mode, antialias=antialias
            )
        else:
            images = [
                im.resize((up_w, up_h), PIXEL_UPSCALERS[name]) for im in to_images(models, latents)
            ]
            out = torch.cat([to_latent(models, im) for im in images])
        crop_x, crop_y = (up_w - self.size[0]) // 8, (up_h - self.size[1]) // 8
        h, w = out.shape[-2:]
        return out[:, :, crop_y // 2 : h - (crop_y + 1) // 2, crop_x // 2 : w - (crop_x + 1) // 2]


def hires_plan(p: GenerationParams) -> HiresPlan | None:
    """The plan for ``p.hires``, or None; raises `HiresError` for an unusable upscaler."""
    if p.hires is None:
        return None
    name = p.hires.upscaler or "Latent"
    if name not in LATENT_UPSCALERS and name not in PIXEL_UPSCALERS:
        known = ", ".join([*LATENT_UPSCALERS, *PIXEL_UPSCALERS])
        raise HiresError(
            f"hires upscaler `{name}` needs model weights pixref does not load yet; "
            f"use one of {known}"
        )
    up_w, up_h, w, h = _target(p, p.hires)
    return HiresPlan(p.hires, (up_w // 8 * 8, up_h // 8 * 8), (w // 8 * 8, h // 8 * 8))
