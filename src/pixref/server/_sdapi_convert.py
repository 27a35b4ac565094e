"""A1111 API requests -> pixref parameters, and pixref results -> A1111's ``info``.

The rules are A1111 v1.10's (``modules/api/api.py``, ``processing.py``,
``sd_samplers.get_sampler_and_scheduler``); where pixref is stricter (an unknown
sampler or schedule is refused instead of silently replaced) the message says why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pixref.infotext import (
    SCHEDULES,
    canonical_sampler,
    canonical_schedule,
    parse_infotext,
    split_params_line,
    split_sampler_name,
    unquote,
)
from pixref.params import MASKED_CONTENT, GenerationParams, Hires, Inpaint, PixrefError
from pixref.server._sdapi_options import Options
from pixref.server._sdapi_schemas import GenerationRequest, Img2ImgRequest, Txt2ImgRequest


class SamplerNotFound(PixrefError):
    """A sampler name A1111 and pixref do not know (A1111: HTTP 400 "Sampler not found")."""


class Unsupported(PixrefError):
    """A request field whose effect pixref cannot reproduce."""


class GenerationUnavailable(PixrefError):
    """The server runs without the engine's packages (the ``gen`` extra)."""


def from_engine(module: str, name: str) -> Any:
    """``name`` from the engine's ``module`` (torch loads here), or say which extra is missing."""
    import importlib

    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise GenerationUnavailable(
            f"generation needs the `gen` extra ({exc.name} is missing): "
            "pip install 'pixref[gen]', then restart `pixref serve`"
        ) from None


_SAME = ("", "None", "Use same checkpoint", "Use same sampler", "Use same scheduler")


def resolve_sampler(name: str | None, scheduler: str | None) -> tuple[str, str]:
    """``(sampler, schedule)`` as A1111 1.10 resolves the API's names.

    ``name`` may carry a pre-1.9 schedule suffix ("DPM++ 2M Karras"), which fills
    the schedule only when ``scheduler`` is empty; ``scheduler`` matches A1111's
    names and labels in any case ("automatic", "Karras").
    """
    sampler, legacy = split_sampler_name(name or "Euler")
    label = canonical_sampler(sampler)
    if label is None:
        raise SamplerNotFound(f"Sampler not found: {name!r}; GET /sdapi/v1/samplers lists them")
    runnable = runnable_samplers()
    if label not in runnable:
        raise SamplerNotFound(
            f"Sampler not found: {label!r} is not run by pixref yet; use one of "
            f"{', '.join(runnable)}"
        )
    if not scheduler:
        return label, legacy or "Automatic"
    schedule = canonical_schedule(scheduler)
    if schedule is None:
        raise Unsupported(
            f"`scheduler` {scheduler!r} is unknown; use one of {', '.join(SCHEDULES)} "
            "(GET /sdapi/v1/schedulers)"
        )
    return label, schedule


def runnable_samplers() -> list[str]:
    """A1111's sampler labels pixref runs, in A1111's order."""
    return list(from_engine("pixref.engine.samplers", "SAMPLER_SPECS"))


# --- the request's infotext (A1111 1.8+) ----------------------------------------------------


def apply_infotext(req: GenerationRequest) -> None:
    """Fill every field the request did not set from its ``infotext`` (A1111's ``apply_infotext``).

    The checkpoint is not switched (A1111's ``disable_weights_auto_swap`` default);
    Clip skip, ENSD and RNG become ``override_settings`` the request did not give.
    """
    if not req.infotext:
        return
    p = parse_infotext(req.infotext)
    given = set(req.model_fields_set)
    values: dict[str, Any] = {
        "prompt": p.prompt, "negative_prompt": p.negative_prompt, "steps": p.steps,
        "sampler_name": p.sampler, "scheduler": p.schedule_type, "cfg_scale": p.cfg_scale,
        "seed": p.seed, "width": p.width, "height": p.height, "eta": p.eta,
        "denoising_strength": p.denoising_strength, "refiner_checkpoint": p.refiner,
        "refiner_switch_at": p.refiner_switch_at,
    }  # fmt: skip
    if p.variation_seed is not None:
        values.update(subseed=p.variation_seed, subseed_strength=p.variation_strength or 0.0)
    if p.seed_resize_from:
        values.update(
            seed_resize_from_w=p.seed_resize_from[0], seed_resize_from_h=p.seed_resize_from[1]
        )
    if isinstance(req, Txt2ImgRequest) and p.hires is not None:
        values.update(_hires_fields(p.hires))
    if isinstance(req, Img2ImgRequest) and p.inpaint is not None:
        m = p.inpaint
        values.update(
            mask_blur=m.mask_blur, inpainting_mask_invert=int(m.invert),
            inpaint_full_res=m.only_masked, inpaint_full_res_padding=m.padding,
            inpainting_fill=MASKED_CONTENT.index(m.masked_content),
        )  # fmt: skip
    for name, value in values.items():
        if name not in given and value is not None:
            setattr(req, name, value)
    overrides = dict(req.override_settings or {})
    for key, value in (("CLIP_stop_at_last_layers", p.clip_skip if p.clip_skip > 1 else None),
                       ("eta_noise_seed_delta", p.ensd or None),
                       ("randn_source", None if p.rng == "GPU" else p.rng)):  # fmt: skip
        if value is not None and key not in overrides:
            overrides[key] = value
    req.override_settings = overrides


def _hires_fields(h: Hires) -> dict[str, Any]:
    resize = h.resize or (0, 0)
    return {
        "enable_hr": True, "hr_scale": h.upscale if h.upscale is not None else 2.0,
        "hr_upscaler": h.upscaler, "hr_second_pass_steps": h.steps, "hr_resize_x": resize[0],
        "hr_resize_y": resize[1], "hr_sampler_name": h.sampler, "hr_scheduler": h.schedule_type,
        "hr_prompt": h.prompt, "hr_negative_prompt": h.negative_prompt,
        "hr_checkpoint_name": h.checkpoint,
    }  # fmt: skip


# --- request -> parameters ------------------------------------------------------------------


@dataclass
class Converted:
    """What a request asks for, in pixref's terms, and what it had to leave out."""

    params: GenerationParams
    seeds: list[int]
    subseeds: list[int]
    warnings: list[str] = field(default_factory=list)


def to_params(req: GenerationRequest, options: Options, *, img2img: bool) -> Converted:
    """The `GenerationParams` of an A1111 API request (seeds resolved as A1111 does)."""
    resolve_seed = from_engine("pixref.engine.noise", "resolve_seed")
    batch_seeds = from_engine("pixref.engine.noise", "batch_seeds")
    warnings = _ignored(req)
    sampler, schedule = resolve_sampler(req.sampler_name or req.sampler_index, req.scheduler)
    seed, subseed = resolve_seed(req.seed), resolve_seed(req.subseed)
    count = req.batch_size * req.n_iter
    if req.batch_size < 1 or req.n_iter < 1:
        raise Unsupported("`batch_size` and `n_iter` must be at least 1")
    strength = req.denoising_strength
    if img2img and (strength is None or not 0 <= strength <= 1):
        raise Unsupported(f"`denoising_strength` must be within 0-1 for img2img, got {strength}")
    seeds, subseeds = batch_seeds(seed, subseed, req.subseed_strength, count)
    resize_from = (req.seed_resize_from_w, req.seed_resize_from_h)
    params = GenerationParams(
        prompt=req.prompt, negative_prompt=req.negative_prompt, steps=req.steps,
        sampler=sampler, schedule_type=schedule, cfg_scale=req.cfg_scale, seed=seed,
        variation_seed=subseed, variation_strength=req.subseed_strength,
        seed_resize_from=resize_from if min(resize_from) > 0 else None,
        width=req.width, height=req.height, batch_size=req.batch_size, batch_count=req.n_iter,
        model=options.sd_model_checkpoint,
        vae=None if options.sd_vae in ("Automatic", "None") else options.sd_vae,
        clip_skip=options.CLIP_stop_at_last_layers, rng=options.randn_source,
        ensd=options.eta_noise_seed_delta, eta=_eta(sampler, req.eta),
        denoising_strength=req.denoising_strength if img2img else None,
    )  # fmt: skip
    params = _with_refiner(params, req)
    if isinstance(req, Txt2ImgRequest) and req.enable_hr:
        params = _with_hires(params, req, warnings)
    return Converted(params, seeds, subseeds, warnings)


def _eta(sampler: str, eta: float | None) -> float | None:
    """A1111 records (and uses) ``eta`` only for samplers that take it, when not the default."""
    spec = from_engine("pixref.engine.samplers", "sampler_spec")(sampler)
    if eta is None or not (spec.takes_eta or spec.label == "DDIM"):
        return None
    default = 0.0 if spec.label == "DDIM" else 1.0  # A1111's eta_ddim / eta_ancestral
    return None if eta == default else eta


def _with_refiner(params: GenerationParams, req: GenerationRequest) -> GenerationParams:
    if req.refiner_checkpoint in (None, "", "None"):
        return params
    if req.refiner_switch_at is None or not 0 < req.refiner_switch_at <= 1:
        raise Unsupported(
            f"`refiner_switch_at` must be within 0-1 with `refiner_checkpoint`, got "
            f"{req.refiner_switch_at} (A1111's UI default is 0.8)"
        )
    return params.replace(refiner=req.refiner_checkpoint, refiner_switch_at=req.refiner_switch_at)


def _with_hires(params: GenerationParams, req: Txt2ImgRequest, warnings: list[str]):
    if req.hr_checkpoint_name not in (None, *_SAME):
        raise Unsupported(
            f"`hr_checkpoint_name` {req.hr_checkpoint_name!r}: pixref's hires pass uses the "
            "same checkpoint; leave it empty"
        )
    sampler = schedule = None
    if req.hr_sampler_name not in (None, *_SAME):
        sampler, schedule = resolve_sampler(req.hr_sampler_name, req.hr_scheduler)
    elif req.hr_scheduler not in (None, *_SAME):
        schedule = resolve_sampler(params.sampler, req.hr_scheduler)[1]
    resize = (req.hr_resize_x, req.hr_resize_y)
    hires = Hires(
        upscale=None if any(resize) else req.hr_scale,
        resize=resize if any(resize) else None,
        steps=req.hr_second_pass_steps,
        upscaler=req.hr_upscaler or "Latent",
        sampler=sampler,
        schedule_type=schedule,
        prompt=req.hr_prompt or None,
        negative_prompt=req.hr_negative_prompt or None,
    )
    if req.firstphase_width or req.firstphase_height:
        warnings.append("`firstphase_width`/`firstphase_height` (pre-1.0 hires) are ignored")
    return params.replace(hires=hires, denoising_strength=req.denoising_strength)


def inpaint_settings(req: Img2ImgRequest, warnings: list[str]) -> Inpaint:
    """A1111's API inpainting fields as pixref's `Inpaint` (API defaults: fill, only masked)."""
    if not 0 <= req.inpainting_fill < len(MASKED_CONTENT):
        raise Unsupported(f"`inpainting_fill` must be 0-3, got {req.inpainting_fill}")
    blur = req.mask_blur if req.mask_blur is not None else req.mask_blur_x
    if req.mask_blur is None and req.mask_blur_x != req.mask_blur_y:
        warnings.append(
            f"mask blur {req.mask_blur_x}x{req.mask_blur_y}: pixref blurs both ways by {blur}"
        )
    if not req.mask_round:
        warnings.append("`mask_round` false is not supported; the latent mask is rounded")
    return Inpaint(
        mask_blur=blur,
        invert=bool(req.inpainting_mask_invert),
        only_masked=req.inpaint_full_res,
        padding=req.inpaint_full_res_padding,
        masked_content=MASKED_CONTENT[req.inpainting_fill],
    )


def _ignored(req: GenerationRequest) -> list[str]:
    """Warnings for fields pixref accepts but cannot honour (the image is still as asked)."""
    if req.script_name:
        raise Unsupported(f"`script_name` {req.script_name!r}: pixref runs no A1111 scripts")
    warnings = []
    flags = {
        "restore_faces": "face restoration is not part of pixref",
        "tiling": "tiling is not supported",
        "do_not_save_samples": "pixref saves and logs every image it makes",
        "disable_extra_networks": "LoRA tags in the prompt are always applied",
    }
    warnings += [f"`{name}` ignored: {why}" for name, why in flags.items() if getattr(req, name)]
    if req.styles:
        warnings.append(f"`styles` ignored: pixref has no prompt styles ({', '.join(req.styles)})")
    knobs = {"s_churn": 0.0, "s_tmin": 0.0, "s_noise": 1.0, "s_min_uncond": 0.0}
    warnings += [
        f"`{name}` {getattr(req, name)} ignored: pixref uses A1111's default {default}"
        for name, default in knobs.items()
        if getattr(req, name) not in (None, default)
    ]
    if isinstance(req, Img2ImgRequest) and req.initial_noise_multiplier not in (None, 1.0):
        warnings.append("`initial_noise_multiplier` ignored: pixref uses 1.0")
    return warnings


# --- result -> A1111's info -------------------------------------------------------------------

#: Infotext keys ``Processed.js()`` reports as fields of its own, not extra params.
_OWN_KEYS = {
    "Steps", "Sampler", "CFG scale", "Seed", "Size", "Model hash", "Model", "VAE hash", "VAE",
    "Variation seed", "Variation seed strength", "Seed resize from", "Denoising strength",
    "Clip skip", "ENSD", "RNG", "Version", "Face restoration", "Tiling",
}  # fmt: skip


def processed_info(
    req: GenerationRequest,
    converted: Converted,
    result_params: list[GenerationParams],
    infotexts: list[str],
    *,
    job_timestamp: str,
    inpainting_model: bool,
    warnings: list[str],
    entry_ids: list[int | None] = (),
) -> str:
    """A1111's ``Processed.js()``: the run's settings, per-image seeds and infotexts, as JSON.

    Two keys are pixref's own (clients ignore keys they do not know): ``warnings``
    (what was adjusted or ignored) and ``pixref_entry_ids`` (each image's library id).
    """
    p, first = converted.params, (result_params[0] if result_params else converted.params)
    count = req.batch_size * req.n_iter
    extra = dict(split_params_line(infotexts[0].rsplit("\n", 1)[-1])) if infotexts else {}
    resize = p.seed_resize_from or (req.seed_resize_from_w, req.seed_resize_from_h)
    info = {
        "prompt": req.prompt, "all_prompts": [req.prompt] * count,
        "negative_prompt": req.negative_prompt,
        "all_negative_prompts": [req.negative_prompt] * count,
        "seed": converted.seeds[0], "all_seeds": converted.seeds,
        "subseed": converted.subseeds[0], "all_subseeds": converted.subseeds,
        "subseed_strength": req.subseed_strength, "width": first.width, "height": first.height,
        "sampler_name": p.sampler, "cfg_scale": req.cfg_scale, "steps": req.steps,
        "batch_size": req.batch_size, "restore_faces": req.restore_faces,
        "face_restoration_model": None, "sd_model_name": first.model,
        "sd_model_hash": first.model_hash, "sd_vae_name": first.vae, "sd_vae_hash": first.vae_hash,
        "seed_resize_from_w": resize[0], "seed_resize_from_h": resize[1],
        "denoising_strength": req.denoising_strength,
        "extra_generation_params": {
            k: unquote(v) for k, v in extra.items() if k not in _OWN_KEYS
        },
        "index_of_first_image": 0, "infotexts": infotexts, "styles": req.styles or [],
        "job_timestamp": job_timestamp, "clip_skip": p.clip_skip,
        "is_using_inpainting_conditioning": inpainting_model, "version": first.version,
        "warnings": warnings, "pixref_entry_ids": list(entry_ids),
    }  # fmt: skip
    return json.dumps(info)


def echo(req: GenerationRequest) -> dict[str, Any]:
    """The request as A1111 echoes it in ``parameters`` (``seed`` stays -1)."""
    data = req.model_dump()
    if isinstance(req, Img2ImgRequest) and not req.include_init_images:
        data["init_images"] = data["mask"] = None
    return data
