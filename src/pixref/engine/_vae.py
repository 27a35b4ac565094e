"""Pixels to latents and back through the checkpoint's VAE."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image


def to_latent(models, image: Image.Image) -> torch.Tensor:
    """``(1, C, H/8, W/8)`` float32 latent of an RGB image, scaled as the UNet expects."""
    array = np.asarray(image.convert("RGB"), dtype=np.float32) / 127.5 - 1
    pixels = torch.from_numpy(array).permute(2, 0, 1)[None].to(models.device, models.vae.dtype)
    with torch.no_grad():
        # The distribution's mode: deterministic, where A1111 samples (std ~1e-3 of the mean).
        latent = models.vae.encode(pixels).latent_dist.mode()
    return latent.float() * models.vae.config.scaling_factor


def to_images(models, latents: torch.Tensor) -> list[Image.Image]:
    """Decode ``(B, C, h, w)`` latents into B RGB images."""
    with torch.no_grad():
        scaled = latents.to(models.vae.dtype) / models.vae.config.scaling_factor
        pixels = models.vae.decode(scaled).sample.float()
    pixels = ((pixels + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
    return [Image.fromarray(p.permute(1, 2, 0).cpu().numpy()) for p in pixels]
