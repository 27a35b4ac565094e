"""``generate``: txt2img, img2img and inpainting through one denoising loop.

Reads as A1111's processing does, as a numbered recipe: 1. check, 2. encode
prompt, 3. sigmas, 4. initial latents, 5. loop, 6. decode, 7. infotext. Modes
differ only in steps 3, 4 and 6 (where the loop starts, what it starts from,
and what is pasted back), so they combine freely with variation seeds, prompt
editing, AND, LoRAs, ControlNet units, the refiner switch and hires fix (a
second `_Pass`). Longer than the house's 400 lines because inpainting's
preparation and paste-back belong with the recipe that uses them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from PIL import Image

from pixref.engine import _adapters as adapters
from pixref.engine._controlnet import ControlInput, active_units, check_controlnets
from pixref.engine._denoiser import Denoiser
from pixref.engine._embeddings import Embedding
from pixref.engine._hires import hires_plan
from pixref.engine._images import (
    binary_mask,
    blur_mask,
    crop_region,
    expand_crop_region,
    fill_masked,
    flatten_alpha,
    resize_image,
)
from pixref.engine._lora import Lora, check_loras, loras_applied
from pixref.engine._refiner import Refiner
from pixref.engine._types import (
    GenerationError,
    ImageOverrides,
    Interrupted,
    Result,
    StepEvent,
)
from pixref.engine._vae import to_images as _to_images
from pixref.engine._vae import to_latent as _to_latent
from pixref.engine.models import configure_vae_tiling
from pixref.engine.samplers import records_ensd
from pixref.infotext import format_infotext
from pixref.metadata import VERSION_TAG
from pixref.params import GenerationParams, Inpaint
from pixref.prompt import find_embedding_names


class _Skipped(Exception):
    """``should_skip()`` abandoned the current batch (A1111's Skip)."""


@dataclass
class _Job:
    params: GenerationParams
    width: int
    height: int
    seeds: list[int]
    subseeds: list[int]
    cfg_scales: list[int | float]
    warnings: list[str] = field(default_factory=list)


# 1. check ------------------------------------------------------------------------------------


def check_inputs(
    params: GenerationParams,
    models: adapters.Models,
    init_image: Image.Image | None,
    mask: Image.Image | None,
    per_image: Sequence[ImageOverrides] | None = None,
) -> _Job:
    """Validate everything before any tensor work; resolve sizes and seeds."""
    if params.steps < 1:
        raise GenerationError(f"`steps` must be at least 1, got {params.steps}")
    if params.cfg_scale < 0:
        raise GenerationError(f"`cfg_scale` must be 0 or more, got {params.cfg_scale}")
    if params.batch_size < 1 or params.batch_count < 1:
        raise GenerationError("`batch_size` and `batch_count` must be at least 1")
    _check_per_image(params, per_image)
    if mask is not None and init_image is None:
        raise GenerationError("inpainting needs an init image as well as the mask")
    if init_image is not None:
        strength = params.denoising_strength
        if strength is None or not 0 <= strength <= 1:
            raise GenerationError(f"`denoising_strength` must be within 0-1, got {strength}")
    if params.width < 8 or params.height < 8:
        raise GenerationError(f"size must be at least 8x8, got {params.width}x{params.height}")
    adapters.check_sampler(params.sampler, params.schedule_type)
    warnings = []
    width, height = params.width // 8 * 8, params.height // 8 * 8
    if (width, height) != (params.width, params.height):
        # A1111 makes latents of size // 8, so its images come out at the rounded size.
        warnings.append(
            f"size {params.width}x{params.height} is not a multiple of 8; "
            f"generated at {width}x{height} as A1111 does"
        )
    count = params.batch_size * params.batch_count
    if per_image is None:
        seeds, subseeds = adapters.resolve_seeds(params, count)
        cfg_scales = [params.cfg_scale] * count
    else:
        seeds, subseeds = adapters.image_seeds([(o.seed, o.variation_seed) for o in per_image])
        cfg_scales = [o.cfg_scale for o in per_image]
    return _Job(params, width, height, seeds, subseeds, cfg_scales, warnings)


def _check_per_image(params: GenerationParams, per_image) -> None:
    if per_image is None:
        return
    if params.batch_count != 1 or len(per_image) != params.batch_size:
        raise GenerationError(
            f"`per_image` needs one entry per image of one batch (`batch_size` "
            f"{params.batch_size}, `batch_count` 1), got {len(per_image)} entries "
            f"and `batch_count` {params.batch_count}"
        )
    for i, o in enumerate(per_image):
        if not isinstance(o, ImageOverrides):
            raise GenerationError(f"`per_image[{i}]` must be an ImageOverrides, got {o!r}")
        if o.cfg_scale < 0:
            raise GenerationError(
                f"`per_image[{i}].cfg_scale` must be 0 or more, got {o.cfg_scale}"
            )


# 6. decode and paste back --------------------------------------------------------------------


@dataclass
class _Inpaint:
    """Everything the loop and the paste-back need for one inpainting job."""

    overlay: Image.Image  # the original, transparent where it will be regenerated
    latent_mask: torch.Tensor  # (1, 1, h, w): 1 where the latent is regenerated
    paste_box: tuple[int, int, int, int] | None  # "only masked": crop region in the original
    original: Image.Image
    work_mask: Image.Image  # (H, W) L mask at the generation size, 255 = regenerate


def _prepare_inpaint(
    image: Image.Image, mask_image: Image.Image, settings: Inpaint, width: int, height: int
) -> tuple[Image.Image, _Inpaint | None]:
    """The init image as the loop sees it, and what is pasted back after decoding."""
    mask = binary_mask(mask_image.resize(image.size, Image.NEAREST))
    if settings.invert:
        mask = 255 - mask
    mask = blur_mask(mask, settings.mask_blur)
    box = None
    if settings.only_masked:
        region = crop_region(mask, settings.padding)
        if region is None:  # empty mask: A1111 falls back to plain img2img
            return resize_image(image, width, height), None
        box = expand_crop_region(region, width, height, *image.size)
        overlay_mask = mask
        work = resize_image(image.crop(box), width, height, 2)
        work_mask = resize_image(Image.fromarray(mask).crop(box), width, height, 2)
    else:
        image = resize_image(image, width, height)
        mask = np.asarray(resize_image(Image.fromarray(mask), width, height))
        overlay_mask = np.clip(mask.astype(np.int32) * 2, 0, 255).astype(np.uint8)
        work, work_mask = image, Image.fromarray(mask)
    original = image
    overlay = original.convert("RGBA")
    overlay.putalpha(Image.fromarray(255 - overlay_mask))
    if settings.masked_content == "fill":
        work = fill_masked(work, np.asarray(work_mask))
    latent_mask = np.asarray(work_mask.resize((width // 8, height // 8)), dtype=np.float32) / 255
    latent_mask = torch.from_numpy(np.around(latent_mask))[None, None]
    return work, _Inpaint(overlay, latent_mask, box, original, work_mask)


def _paste_back(image: Image.Image, job: _Inpaint) -> Image.Image:
    """A1111's overlay: unmasked pixels come back from the original image exactly."""
    if job.paste_box is not None:
        x1, y1, x2, y2 = job.paste_box
        base = job.original.convert("RGBA")
        base.paste(image.resize((x2 - x1, y2 - y1), Image.LANCZOS), (x1, y1))
        image = base
    out = image.convert("RGBA")
    out.alpha_composite(job.overlay)
    return out.convert("RGB")


# the recipe ----------------------------------------------------------------------------------


def generate(
    params: GenerationParams,
    models: adapters.Models,
    *,
    init_image: Image.Image | None = None,
    mask: Image.Image | None = None,
    on_step: Callable[[StepEvent], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    should_skip: Callable[[], bool] | None = None,
    loras: Sequence[Lora] = (),
    embeddings: Mapping[str, Embedding] | None = None,
    refiner: adapters.Models | None = None,
    controlnets: Sequence[ControlInput] = (),
    per_image: Sequence[ImageOverrides] | None = None,
) -> Result:
    """Generate ``params.batch_count`` batches of ``params.batch_size`` images.

    txt2img when ``init_image`` is None; img2img with ``init_image`` and
    ``params.denoising_strength``; inpainting with ``mask`` (white = regenerate)
    and ``params.inpaint`` settings. ``loras`` (from `resolve_loras`) are applied
    for this call only; ``embeddings`` (from `load_embeddings`) are the
    textual-inversion words the prompts may use. ``refiner`` (loaded like
    ``models``) takes over at ``params.refiner_switch_at``. ``controlnets`` are
    the ControlNet units (model, control image, settings), acting in every pass.
    ``should_skip()`` is asked between steps as ``should_stop()`` is; True abandons
    the current batch (no image is made of it) and goes on with the next, as
    A1111's Skip does.

    ``per_image`` (one `ImageOverrides` per image, ``batch_count`` 1) gives each
    image of the batch its own seed, variation seed and CFG scale instead of
    A1111's batch increments; each image is the one a single generation with its
    values makes (up to float rounding of batched matmuls), and its ``params`` and
    infotext carry its own values. A sweep uses it to batch cells.

    Raises
    ------
    GenerationError
        Bad parameters or inputs (checked before any model runs).
    Interrupted
        ``should_stop()`` returned True between two steps.
    """
    # 1. check
    job = check_inputs(params, models, init_image, mask, per_image)
    check_loras(models, loras)
    check_controlnets(controlnets, models.unet)
    refiner_stage = Refiner(refiner, models) if refiner is not None else None
    extras = _Extras(tuple(loras), dict(embeddings or {}), refiner_stage, tuple(controlnets))
    stops = _Stops(should_stop, should_skip)
    with loras_applied(models, loras):
        return _generate(params, models, job, init_image, mask, on_step, stops, extras)


@dataclass(frozen=True)
class _Extras:
    """Extra networks of one call: LoRAs and textual-inversion embeddings."""

    loras: tuple[Lora, ...]
    embeddings: dict[str, Embedding]
    refiner: Refiner | None = None
    controlnets: tuple[ControlInput, ...] = ()

    def hashes(self, p: GenerationParams) -> dict[str, object]:
        """``lora_hashes`` and A1111's ``TI hashes`` for the infotext."""
        used = find_embedding_names(f"{p.prompt}\n{p.negative_prompt}", self.embeddings)
        extra = p.extra
        if used:
            ti = ", ".join(f"{n}: {self.embeddings[n].short_hash}" for n in used)
            extra = (*[kv for kv in extra if kv[0] != "TI hashes"], ("TI hashes", ti))
        lora_hashes = tuple((lora.name, lora.short_hash) for lora in self.loras)
        units = tuple(c.recorded() for c in self.controlnets)
        return {"lora_hashes": lora_hashes, "extra": extra, "controlnets": units}


@dataclass(frozen=True)
class _Stops:
    should_stop: Callable[[], bool] | None
    should_skip: Callable[[], bool] | None


def _generate(params, models, job, init_image, mask, on_step, stops, extras) -> Result:
    try:
        return _run(params, models, job, init_image, mask, on_step, stops, extras)
    except torch.cuda.OutOfMemoryError:
        torch.cuda.empty_cache()
        raise GenerationError(
            f"out of GPU memory at {job.width}x{job.height} with batch size {params.batch_size}; "
            "use a smaller size or batch, or close other GPU programs"
        ) from None


def _run(params, models, job, init_image, mask, on_step, stops, extras) -> Result:
    p = replace(params, width=job.width, height=job.height)
    inpaint = None
    init_latent = init_pixels = None
    if init_image is not None:
        image = flatten_alpha(init_image)
        if mask is not None:
            settings = p.inpaint or Inpaint()
            image, inpaint = _prepare_inpaint(image, mask, settings, job.width, job.height)
        else:
            image = resize_image(image, job.width, job.height)
        init_pixels = image
        init_latent = _to_latent(models, image)
    # 2. encode prompt
    conds = adapters.encode_prompts(models, p, extras.loras, extras.embeddings)
    hires = hires_plan(p) if init_image is None else None
    second = hr_conds = None
    first_pass_calls = adapters.denoiser_calls(p)
    if hires is not None:
        # The hires pass's prompt editing counts on from the first pass (A1111's
        # hires timeline), in denoiser calls as the first pass counts them.
        second = hires.second_pass(p)
        hr_conds = adapters.encode_prompts(
            models,
            second,
            extras.loras,
            extras.embeddings,
            first_pass_calls=first_pass_calls,
        )
    final_w, final_h = hires.size if hires else (job.width, job.height)
    if configure_vae_tiling(_final_vae(models, extras), final_w, final_h):
        job.warnings.append("large image: the VAE decodes in tiles (faint seams are possible)")
    network_hashes = extras.hashes(p)
    warnings = job.warnings + list(conds.warnings)
    if hr_conds is not None:
        warnings += [w for w in hr_conds.warnings if w not in warnings]
    image_cond = _inpainting_model_conditioning(models, init_pixels, inpaint, job)
    passes = _Passes(models, p, conds, image_cond, inpaint, extras, init_latent, hires, second,
                     hr_conds, first_pass_calls)  # fmt: skip
    images: list[Image.Image] = []
    out_params: list[GenerationParams] = []
    total_images = p.batch_size * p.batch_count
    for first in range(0, total_images, p.batch_size):
        seeds = job.seeds[first : first + p.batch_size]
        subseeds = job.subseeds[first : first + p.batch_size]
        cfg_scales = job.cfg_scales[first : first + p.batch_size]
        callback = _step_callback(on_step, stops, first, total_images)
        try:
            latents, switched = passes.run(seeds, subseeds, cfg_scales, callback)
        except _Skipped:
            continue
        except Interrupted as stop:
            infotexts = [format_infotext(q) for q in out_params]
            stop.partial = Result(images, out_params, infotexts, tuple(warnings))
            raise
        # 6. decode
        decoder = extras.refiner.models if switched else models
        for offset, image in enumerate(_to_images(decoder, latents)):
            images.append(_paste_back(image, inpaint) if inpaint is not None else image)
            image_params = _image_params(
                p, models, seeds[offset], subseeds[offset], cfg_scales[offset]
            )
            refiner_keys = _refiner_keys(extras.refiner, switched)
            out_params.append(replace(image_params, **network_hashes, **refiner_keys))
    # 7. infotext
    return Result(images, out_params, [format_infotext(q) for q in out_params], tuple(warnings))


@dataclass(frozen=True)
class _Passes:
    """The sampling passes every batch of one job goes through: the first pass, then
    the hires pass when hires fix is on (A1111's refiner default: the last pass)."""

    models: adapters.Models
    p: GenerationParams
    conds: adapters.Conds
    image_cond: torch.Tensor | None
    inpaint: _Inpaint | None
    extras: _Extras
    init_latent: torch.Tensor | None
    hires: object | None = None
    second: GenerationParams | None = None
    hr_conds: adapters.Conds | None = None
    first_pass_calls: int = 0

    def run(self, seeds, subseeds, cfg_scales, callback) -> tuple[torch.Tensor, bool]:
        """The denoised latents of one batch, and whether the refiner took over."""
        extras, hires = self.extras, self.hires
        first_pass = _Pass(
            self.models,
            self.p,
            self.conds,
            self.image_cond,
            self.inpaint,
            None if hires else extras.refiner,
            extras.controlnets,
        )
        latents, switched = first_pass.run(seeds, subseeds, cfg_scales, self.init_latent, callback)
        if hires is not None:
            upscaled = hires.upscale(self.models, latents)
            hr_pass = _Pass(
                self.models,
                self.second,
                self.hr_conds,
                None,
                None,
                extras.refiner,
                extras.controlnets,
                first_pass_calls=self.first_pass_calls,
            )
            latents, switched = hr_pass.run(seeds, subseeds, cfg_scales, upscaled, callback)
        return latents, switched


def _final_vae(models, extras: _Extras):
    return extras.refiner.models.vae if extras.refiner is not None else models.vae


def _refiner_keys(refiner: Refiner | None, switched: bool) -> dict[str, object]:
    """A1111 writes ``Refiner`` and ``Refiner switch at`` only when the switch happened."""
    if refiner is None or not switched:
        return {"refiner": None, "refiner_switch_at": None}
    return {"refiner": refiner.title}


@dataclass
class _Pass:
    """One sampling pass: sigmas, start latent, the one denoiser, the sampler."""

    models: adapters.Models
    p: GenerationParams
    conds: adapters.Conds
    image_cond: torch.Tensor | None
    inpaint: _Inpaint | None
    refiner: Refiner | None
    controlnets: tuple[ControlInput, ...] = ()
    first_pass_calls: int | None = None  # set for the hires pass: its prompt-editing timeline

    def run(self, seeds, subseeds, cfg_scales, init_latent, callback) -> tuple[torch.Tensor, bool]:
        models, p, inpaint = self.models, self.p, self.inpaint
        # 3. sigmas
        plan = adapters.sigma_plan(models, p, img2img=init_latent is not None)
        # 4. initial latents
        noise = adapters.make_noise(models, p, seeds, subseeds)
        start_latent = _masked_content(init_latent, inpaint, noise, p)
        x = plan.start(noise.initial(), start_latent)
        keep = None if inpaint is None else (1 - inpaint.latent_mask).to(x)
        image_cond = self.image_cond
        denoiser = Denoiser(
            unet=models.unet,
            log_sigmas=adapters.log_sigmas(models),
            prediction_type=models.prediction_type,
            positive=self.conds.positive,
            negative=self.conds.negative,
            cfg_scale=_cfg_scale(cfg_scales),
            image_cond=None if image_cond is None else image_cond.expand(len(seeds), -1, -1, -1),
            init_latent=start_latent if inpaint is not None else None,
            keep_mask=keep,
            refiner=None
            if self.refiner is None
            else self.refiner.stage(p, first_pass_calls=self.first_pass_calls),
            controlnets=active_units(self.controlnets, p.width, p.height, models.device),
            total_calls=adapters.denoiser_calls(p),
        )
        # 5. loop
        with torch.no_grad():
            latents = adapters.sample(
                p, models, denoiser, x, plan.sigmas, noise, callback(len(plan.sigmas) - 1)
            )
        if keep is not None:
            latents = start_latent * keep + latents * (1 - keep)
        return latents, denoiser.switched_at is not None


def _cfg_scale(cfg_scales: Sequence[float]) -> float | torch.Tensor:
    """One float when the batch shares its CFG scale, else a (B, 1, 1, 1) float64 CPU tensor.

    float64 so that ``weight * cfg`` rounds to float32 exactly as the float path
    does; the denoiser moves it to the latents' device and dtype.
    """
    if len(set(cfg_scales)) == 1:
        return float(cfg_scales[0])
    return torch.tensor([float(c) for c in cfg_scales], dtype=torch.float64).view(-1, 1, 1, 1)


def _step_callback(on_step, stops: _Stops, first: int, total_images: int):
    def for_pass(total: int):
        def callback(i: int, x=None, sigma=None, denoised=None) -> None:
            if stops.should_stop is not None and stops.should_stop():
                raise Interrupted("generation interrupted; nothing was saved")
            if stops.should_skip is not None and stops.should_skip():
                raise _Skipped
            if on_step is not None:
                on_step(StepEvent(i + 1, total, first, total_images, denoised))

        return callback

    return for_pass


def _masked_content(init_latent, inpaint, noise, p: GenerationParams):
    """A1111's "latent noise" / "latent nothing": what the masked latent starts as."""
    if inpaint is None or p.inpaint is None:
        return init_latent
    keep = (1 - inpaint.latent_mask).to(init_latent)
    if p.inpaint.masked_content == "latent noise":
        # A1111 draws this from fresh generators seeded like the images.
        fresh = type(noise)(noise.seeds, shape=noise.shape, rng=noise.rng, device=noise.device)
        return init_latent * keep + fresh.initial() * (1 - keep)
    if p.inpaint.masked_content == "latent nothing":
        return init_latent * keep
    return init_latent


def _inpainting_model_conditioning(models, init_pixels, inpaint, job):
    """The 5 extra input channels of a 9-channel inpainting UNet: mask + masked-image latent.

    As A1111: txt2img and plain img2img get a full mask over a grey (zero) image.
    """
    if not models.is_inpainting:
        return None
    h, w = job.height // 8, job.width // 8
    if init_pixels is None or inpaint is None:
        grey = Image.new("RGB", (job.width, job.height), (128, 128, 128))
        mask = torch.ones(1, 1, h, w)
        masked = _to_latent(models, grey)
    else:
        pixel_mask = np.asarray(inpaint.work_mask, dtype=np.float32)[..., None] / 255
        rounded = np.around(pixel_mask)
        kept = np.asarray(init_pixels, dtype=np.float32) * (1 - rounded) + 127.5 * rounded
        masked = _to_latent(models, Image.fromarray(kept.round().astype(np.uint8)))
        mask = inpaint.latent_mask
    return torch.cat([mask.to(masked), masked], dim=1).to(models.device, models.unet.dtype)


def _image_params(
    p: GenerationParams, models: adapters.Models, seed: int, subseed: int, cfg_scale: int | float
) -> GenerationParams:
    variation = p.variation_strength not in (None, 0)
    return replace(
        p,
        seed=seed,
        cfg_scale=cfg_scale,
        variation_seed=subseed if variation else None,
        variation_strength=p.variation_strength if variation else None,
        schedule_type=adapters.infotext_schedule(p.sampler, p.schedule_type),
        ensd=p.ensd if records_ensd(p.sampler, p.eta) else 0,
        model=models.name,
        model_hash=models.short_hash,
        rng=p.rng,
        version=VERSION_TAG,
        batch_size=1,
        batch_count=1,
    )
