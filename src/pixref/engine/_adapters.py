"""Glue between the recipe in `_generate` and the engine's parts.

Models come from `pixref.engine.models`, text conditioning from `pixref.prompt`,
sigmas and samplers from `pixref.engine.samplers`, noise from `pixref.engine.noise`.
Each function here is one step's use of those, kept out of the recipe so it
reads as A1111's processing does.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import torch

from pixref.engine._denoiser import CondSchedule, TextCond
from pixref.engine.models import Arch, Models
from pixref.engine.noise import ImageNoise, batch_seeds, resolve_seed
from pixref.engine.samplers import (
    ModelSigmas,
    img2img_sigmas,
    noise_scale,
    resolve_schedule,
    sampler_knobs,
    sampler_spec,
    sigmas_for,
)
from pixref.params import GenerationParams
from pixref.prompt import PromptEncoder

__all__ = ["Models"]

_FAMILY = {
    Arch.sd1: "sd1",
    Arch.sd2: "sd2",
    Arch.sd2_v: "sd2",
    Arch.sdxl: "sdxl",
    Arch.sdxl_refiner: "sdxl_refiner",
}
_encoders: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_sigma_tables: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def check_sampler(sampler: str, schedule: str | None) -> None:
    """Raise `SamplerError` (listing valid names) for an unknown sampler or schedule."""
    resolve_schedule(sampler, schedule or "Automatic")


def infotext_schedule(sampler: str, schedule: str | None) -> str:
    """The ``Schedule type`` A1111 writes: the sampler's own default label, or "Automatic".

    A1111 overwrites "Automatic" with the label only for samplers that have a
    default schedule (DPM++ 2M -> Karras); Euler a and the timestep samplers keep it.
    """
    spec = sampler_spec(sampler)
    if schedule in (None, "Automatic"):
        if spec.timesteps or spec.schedule == "Uniform":
            return "Automatic"
        return spec.schedule
    return resolve_schedule(sampler, schedule)


def resolve_seeds(p: GenerationParams, count: int) -> tuple[list[int], list[int]]:
    """Every image's seed and variation seed, A1111's way (-1 becomes a recorded random seed)."""
    strength = p.variation_strength or 0.0
    seed = resolve_seed(p.seed)
    subseed = resolve_seed(-1 if p.variation_seed is None else p.variation_seed)
    return batch_seeds(seed, subseed, strength, count)


def image_seeds(pairs: Sequence[tuple[int, int | None]]) -> tuple[list[int], list[int]]:
    """Seeds and variation seeds given per image, each resolved as a single generation's.

    ``pairs`` are ``(seed, variation_seed)``; -1 (or a None variation seed) becomes a
    recorded random seed, with no batch increments.
    """
    seeds = [resolve_seed(seed) for seed, _ in pairs]
    subseeds = [resolve_seed(-1 if sub is None else sub) for _, sub in pairs]
    return seeds, subseeds


def model_sigmas(models: Models) -> ModelSigmas:
    table = _sigma_tables.get(models.unet)
    if table is None:
        table = ModelSigmas.from_alphas_cumprod(models.alphas_cumprod)
        _sigma_tables[models.unet] = table
    return table


def log_sigmas(models: Models) -> torch.Tensor:
    return model_sigmas(models).log_sigmas.to(models.device)


@dataclass
class SigmaPlan:
    """The sigmas a pass runs and how its start latent is made."""

    sigmas: torch.Tensor
    start: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor]


def sigma_plan(models: Models, p: GenerationParams, *, img2img: bool) -> SigmaPlan:
    schedule = p.schedule_type or "Automatic"
    table = model_sigmas(models)
    if img2img:
        plan = img2img_sigmas(p.sampler, schedule, p.steps, float(p.denoising_strength), table)
        sigmas = plan.sigmas.to(models.device)
        return SigmaPlan(sigmas, lambda noise, x0: plan.start(x0, noise))
    sigmas = sigmas_for(p.sampler, schedule, p.steps, table).to(models.device)
    scale = noise_scale(p.sampler, sigmas[0])
    return SigmaPlan(sigmas, lambda noise, x0: noise * scale)


def make_noise(
    models: Models, p: GenerationParams, seeds: Sequence[int], subseeds: Sequence[int]
) -> ImageNoise:
    channels = models.unet.config.out_channels
    # A1111 re-seeds step noise whenever ENSD is set (it records the key only for
    # samplers where that matters), so the delta is always passed on.
    return ImageNoise(
        seeds,
        subseeds,
        float(p.variation_strength or 0.0),
        (channels, p.height // 8, p.width // 8),
        seed_resize_from=p.seed_resize_from,
        rng=p.rng,
        device=models.device,
        ensd=p.ensd,
    )


@dataclass
class Conds:
    """Per-step conditioning: the AND parts with weights, and the negative."""

    positive: list[tuple[CondSchedule, float]]
    negative: CondSchedule
    warnings: tuple[str, ...]


def _encoder(models: Models, embeddings: Mapping) -> PromptEncoder:
    key = tuple(sorted((name, str(e.path)) for name, e in embeddings.items()))
    cached = _encoders.get(models.unet)
    if cached is None or cached[0] != key:
        vectors = {name: e.vectors for name, e in embeddings.items()}
        family = _FAMILY[Arch(models.arch)]
        cached = (key, PromptEncoder(models.text_encoders, family, embeddings=vectors))
        _encoders[models.unet] = cached
    return cached[1]


def _schedule(part, models: Models, time_ids: torch.Tensor | None) -> CondSchedule:
    def at(step: int) -> TextCond:
        entry = part.at_step(step)
        pooled = None if entry.pooled is None else entry.pooled[None].to(models.device)
        embeds = entry.embeds[None].to(models.device, models.unet.dtype)
        return TextCond(embeds, pooled, time_ids)

    return at


def denoiser_calls(p: GenerationParams) -> int:
    """A1111's ``total_steps``: twice the steps for second-order samplers."""
    return p.steps * 2 if sampler_spec(p.sampler).second_order else p.steps


def encode_prompts(
    models: Models,
    p: GenerationParams,
    loras: Sequence = (),
    embeddings: Mapping | None = None,
    *,
    first_pass_calls: int | None = None,
) -> Conds:
    """Encode prompt and negative for ``p.steps`` denoiser calls (twice that for 2nd order).

    With ``first_pass_calls`` (the first pass's `denoiser_calls`), ``p`` is a
    hires second pass and its prompt editing follows A1111's hires timeline:
    ``[a:b:25]`` after 20 first-pass calls switches at call 5 of this pass,
    ``[a:b:1.5]`` halfway through it (A1111 ``calculate_hr_conds``).
    """
    encoder = _encoder(models, embeddings or {})
    calls = denoiser_calls(p)
    if first_pass_calls is None:
        steps, hires_steps = calls, None
    else:
        steps, hires_steps = first_pass_calls, calls
    # LoRAs change the text encoders' weights, so they are part of the cache key.
    applied = tuple((lora.short_hash, lora.te_weight) for lora in loras)
    state = (models.short_hash or str(models.path), str(models.dtype), applied)
    options = {"hires_steps": hires_steps, "clip_skip": p.clip_skip, "model_state": state}
    cond = encoder.encode_prompt(p.prompt, steps, **options)
    uncond = encoder.encode_negative(p.negative_prompt, steps, **options)
    pos_ids, neg_ids = _time_ids(models, p)
    positive = [(_schedule(part, models, pos_ids), part.weight) for part in cond.parts]
    negative = _schedule(uncond.parts[0], models, neg_ids)
    return Conds(positive, negative, cond.warnings + uncond.warnings)


def _time_ids(models: Models, p: GenerationParams):
    from pixref.prompt import sdxl_time_ids

    arch = Arch(models.arch)
    if arch == Arch.sdxl:
        ids = sdxl_time_ids(p.height, p.width)[None].to(models.device, models.unet.dtype)
        return ids, ids
    if arch == Arch.sdxl_refiner:
        pos = sdxl_time_ids(p.height, p.width, aesthetic_score=6.0)[None]
        neg = sdxl_time_ids(p.height, p.width, aesthetic_score=2.5)[None]
        return pos.to(models.device, models.unet.dtype), neg.to(models.device, models.unet.dtype)
    return None, None


def sample(
    p: GenerationParams,
    models: Models,
    denoiser: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    sigmas: torch.Tensor,
    noise: ImageNoise,
    on_step: Callable[..., None],
) -> torch.Tensor:
    """Run ``p.sampler`` over ``sigmas`` from ``x`` with the one denoiser."""
    spec = sampler_spec(p.sampler)
    knobs = sampler_knobs(p.sampler, eta=p.eta)
    if spec.timesteps:
        knobs["model"] = model_sigmas(models)
    return spec.function(denoiser, x, sigmas, noise=noise, on_step=on_step, **knobs)
