"""Write `GenerationParams` as A1111 v1.10 infotext."""

from __future__ import annotations

from pixref.infotext._keys import key_slot, quote, value_text
from pixref.params import ControlNetUnit, GenerationParams, Hires, Inpaint

#: sd-webui-controlnet's unit labels, in ``ControlNetUnit.serialize`` order.
CONTROLNET_LABELS: tuple[tuple[str, str], ...] = (
    ("Module", "module"),
    ("Model", "model"),
    ("Weight", "weight"),
    ("Resize Mode", "resize_mode"),
    ("Processor Res", "processor_res"),
    ("Threshold A", "threshold_a"),
    ("Threshold B", "threshold_b"),
    ("Guidance Start", "guidance_start"),
    ("Guidance End", "guidance_end"),
    ("Pixel Perfect", "pixel_perfect"),
    ("Control Mode", "control_mode"),
)


def format_controlnet_unit(unit: ControlNetUnit) -> str:
    """A unit as the ControlNet extension serializes it (before A1111 quotes it)."""
    items = [(label, getattr(unit, name)) for label, name in CONTROLNET_LABELS]
    items += list(unit.extra)
    return ", ".join(f"{label}: {value_text(value)}" for label, value in items)


def _size(pair: tuple[int, int] | None) -> str | None:
    return None if pair is None else f"{pair[0]}x{pair[1]}"


def _hires_entries(h: Hires) -> list[tuple[str, object]]:
    scale: tuple[str, object] = (
        ("Hires resize", _size(h.resize)) if h.resize is not None else ("Hires upscale", h.upscale)
    )
    return [
        ("Hires checkpoint", h.checkpoint),
        ("Hires sampler", h.sampler),
        ("Hires prompt", h.prompt),
        ("Hires negative prompt", h.negative_prompt),
        ("Hires schedule type", h.schedule_type),
        scale,
        ("Hires steps", h.steps or None),
        ("Hires upscaler", h.upscaler),
    ]


def _inpaint_entries(m: Inpaint) -> list[tuple[str, object]]:
    return [
        ("Mask mode", "Inpaint not masked" if m.invert else None),
        ("Mask blur", m.mask_blur or None),
        ("Inpaint area", "Only masked" if m.only_masked else None),
        ("Masked area padding", m.padding if m.only_masked else None),
        ("Masked content", None if m.masked_content == "original" else m.masked_content),
    ]


def _entries(p: GenerationParams) -> list[tuple[str, object]]:
    entries: list[tuple[str, object]] = [
        ("Steps", p.steps),
        ("Sampler", p.sampler),
        ("Schedule type", p.schedule_type),
        ("CFG scale", p.cfg_scale),
        ("Seed", p.seed),
        ("Size", f"{p.width}x{p.height}"),
        ("Model hash", p.model_hash),
        ("Model", p.model),
        ("VAE hash", p.vae_hash),
        ("VAE", p.vae),
        ("Variation seed", p.variation_seed),
        ("Variation seed strength", p.variation_strength),
        ("Seed resize from", _size(p.seed_resize_from)),
        ("Denoising strength", p.denoising_strength),
        ("Clip skip", p.clip_skip if p.clip_skip > 1 else None),
        ("ENSD", p.ensd or None),
        ("RNG", None if p.rng == "GPU" else p.rng),
    ]
    if p.hires is not None:
        entries += _hires_entries(p.hires)
    if p.inpaint is not None:
        entries += _inpaint_entries(p.inpaint)
    entries += [(f"ControlNet {i}", format_controlnet_unit(u)) for i, u in enumerate(p.controlnets)]
    if p.lora_hashes:
        entries.append(("Lora hashes", ", ".join(f"{n}: {h}" for n, h in p.lora_hashes)))
    entries += [
        ("Eta", p.eta),
        ("Refiner", p.refiner),
        ("Refiner switch at", p.refiner_switch_at),
        *p.extra,
        ("Version", p.version),
    ]
    return [(k, v) for k, v in entries if v is not None]


def format_params_line(p: GenerationParams) -> str:
    """The ``Steps: 20, Sampler: ..., ...`` line alone."""
    entries = sorted(_entries(p), key=lambda kv: key_slot(kv[0]))  # stable: keeps read order
    return ", ".join(f"{key}: {quote(value)}" for key, value in entries)


def format_infotext(p: GenerationParams) -> str:
    """Write ``p`` exactly as A1111 v1.10 writes its infotext.

    The prompt, then ``Negative prompt: ...`` when the negative is not empty,
    then one line of ``Key: value`` entries in A1111's key order, values quoted
    by A1111's rule (JSON when they hold ``,``, ``:`` or a newline).

    >>> from pixref.params import GenerationParams
    >>> print(format_infotext(GenerationParams(prompt="a cat", seed=1, steps=20)))
    a cat
    Steps: 20, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 1, Size: 512x512
    """
    negative = f"\nNegative prompt: {p.negative_prompt}" if p.negative_prompt else ""
    return f"{p.prompt}{negative}\n{format_params_line(p)}".strip()
