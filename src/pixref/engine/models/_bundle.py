"""The `Models` bundle and the facts every loader shares (shipped configs, schedules)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from pixref.engine.models._detect import Arch, read_json_config
from pixref.engine.models._errors import ModelLoadError

VAE_TILING_MIN_PIXELS = 2048 * 2048
"""Images with more pixels than this decode in tiles (A1111 never tiles by default)."""


@dataclass(frozen=True, eq=False)
class Models:
    """Everything the engine needs from one checkpoint; the engine never sees paths.

    Attributes
    ----------
    arch : Arch
    unet : diffusers.UNet2DConditionModel
    vae : diffusers.AutoencoderKL
        float32 when ``dtype`` is float16 and the VAE config asks for upcasting (SDXL),
        since SDXL's VAE overflows in float16; cast latents to ``vae.dtype``.
    text_encoders : tuple
        ``CLIPTextModel`` (SD 1.x, SD 2.x), ``(CLIPTextModel,
        CLIPTextModelWithProjection)`` (SDXL) or ``(CLIPTextModelWithProjection,)``
        (SDXL refiner).
    tokenizers : tuple
        One per text encoder, from the ``tokenizer_factory``; empty if none was given.
    prediction_type : str
        "epsilon" or "v_prediction".
    alphas_cumprod : torch.Tensor
        float64, shape (1000,), from the scheduler config's betas. A1111 keeps this as a
        float32 buffer: ``alphas_cumprod.float()`` is bit-identical to it.
    is_inpainting : bool
    name : str
        File name without extension (A1111's ``Model:``), or the diffusers folder name.
    short_hash : str or None
        A1111's ``Model hash`` (10 hex); None for diffusers folders.
    path : Path
    dtype : torch.dtype
        dtype of the UNet and text encoders.
    device : torch.device
    scheduler_config : dict
        The full scheduler config, for diffusers schedulers built with ``from_config``.
    vae_path, vae_name, vae_short_hash :
        Set only when a separate VAE file replaced the checkpoint's
        (A1111's ``VAE`` is the file name *with* extension; ``VAE hash`` 10 hex).
    """

    arch: Arch
    unet: Any
    vae: Any
    text_encoders: tuple[Any, ...]
    tokenizers: tuple[Any, ...]
    prediction_type: str
    alphas_cumprod: torch.Tensor
    is_inpainting: bool
    name: str
    short_hash: str | None
    path: Path
    dtype: torch.dtype
    device: torch.device
    scheduler_config: dict = dataclasses.field(default_factory=dict)
    vae_path: Path | None = None
    vae_name: str | None = None
    vae_short_hash: str | None = None

    @property
    def title(self) -> str:
        """A1111's checkpoint title ``name [hash]``, as written for ``Refiner:``."""
        return f"{self.name} [{self.short_hash}]" if self.short_hash else self.name


def builtin_config_dir(arch: Arch | str) -> Path:
    """The shipped config folder of ``arch`` (``pixref/engine/configs/<arch>``)."""
    return Path(str(resources.files("pixref.engine") / "configs" / Arch(arch).value))


def alphas_cumprod_from_config(config: dict) -> torch.Tensor:
    """Cumulative products of 1 - beta, float64, as ldm's ``make_beta_schedule`` computes.

    "scaled_linear" (every SD model) is ldm's "linear": betas evenly spaced in sqrt.
    """
    n = int(config.get("num_train_timesteps", 1000))
    start, end = float(config.get("beta_start", 0.00085)), float(config.get("beta_end", 0.012))
    schedule = config.get("beta_schedule", "scaled_linear")
    if config.get("trained_betas"):
        betas = torch.tensor(config["trained_betas"], dtype=torch.float64)
    elif schedule == "scaled_linear":
        betas = torch.linspace(start**0.5, end**0.5, n, dtype=torch.float64) ** 2
    elif schedule == "linear":
        betas = torch.linspace(start, end, n, dtype=torch.float64)
    else:
        raise ModelLoadError(
            f"scheduler `beta_schedule` {schedule!r} is not supported; use scaled_linear or linear"
        )
    return torch.cumprod(1.0 - betas, dim=0)


def configure_vae_tiling(
    vae: Any, width: int, height: int, *, min_pixels: int = VAE_TILING_MIN_PIXELS
) -> bool:
    """Decode in tiles when ``width * height`` exceeds ``min_pixels``; return whether tiled.

    Tiling bounds memory for large images but changes pixels slightly at tile seams,
    so it is off at ordinary sizes; report it in ``Result.warnings`` when on.
    """
    tiled = width * height > min_pixels
    if tiled:
        vae.enable_tiling()
    else:
        vae.disable_tiling()
    return tiled


def vae_dtype(vae_config_dir: Path, dtype: torch.dtype) -> torch.dtype:
    """The VAE's dtype: float32 where the config asks for upcasting and ``dtype`` is float16.

    SDXL's VAE overflows in float16 (its config says ``force_upcast``).
    """
    config = read_json_config(vae_config_dir / "vae" / "config.json")
    upcast = dtype == torch.float16 and config.get("force_upcast", False)
    return torch.float32 if upcast else dtype
