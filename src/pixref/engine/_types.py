"""The engine's results, progress events and errors, importable without torch.

A driver that only hands calls to Ray actors (`pixref.dist`) uses them without
loading torch itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image

from pixref.params import GenerationParams, PixrefError

if TYPE_CHECKING:
    import torch


class GenerationError(PixrefError):
    """Generation parameters or inputs the engine cannot use."""


class Interrupted(PixrefError):
    """The generation was stopped between steps; nothing was written.

    ``partial`` holds the batches finished before the stop (possibly none), so a
    caller may keep them as A1111's API returns what was made before Interrupt.
    """

    partial: Result | None = None


@dataclass(frozen=True)
class StepEvent:
    """Progress of one sampling step (``step`` counts from 1 to ``total``).

    ``denoised`` is the sampler's current estimate of the clean latents
    ``(batch, C, H/8, W/8)``, for live previews; treat it as read-only.
    """

    step: int
    total: int
    image_index: int
    batch_total: int
    denoised: torch.Tensor | None = None


@dataclass(frozen=True)
class Result:
    """What one `generate` call made.

    ``images[i]`` was made with ``params[i]`` (its own seed), described by
    ``infotexts[i]``; ``warnings`` say what was adjusted (e.g. a rounded size).
    """

    images: list[Image.Image]
    params: list[GenerationParams]
    infotexts: list[str]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ImageOverrides:
    """One image's own seed, variation seed and CFG scale in a batch (`generate`'s ``per_image``).

    Each field holds what ``GenerationParams`` would hold for a single generation of
    that image: ``seed`` -1 and ``variation_seed`` None or -1 are random (recorded).
    The image then equals ``generate(params.replace(seed=..., variation_seed=...,
    cfg_scale=..., batch_size=1))``: its own noise generators, its own CFG.
    """

    seed: int
    variation_seed: int | None
    cfg_scale: int | float
