"""The generation parameter record shared by every stage.

`GenerationParams` is the typed, immutable description of one generation. Field
names are snake_case; their A1111 spellings live in `pixref.infotext` alone.
Numbers keep the type they were written with (``CFG scale: 7`` stays the int 7,
``7.0`` the float 7.0), so an infotext read and written again is unchanged.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from pixref.params._errors import ParamsError

Number = int | float

#: Fields whose A1111 value is a ``WxH`` size.
_PAIR_FIELDS = ("seed_resize_from",)


@dataclass(frozen=True, kw_only=True)
class ControlNetUnit:
    """One ControlNet unit as the sd-webui-controlnet extension records it.

    Parameters
    ----------
    module : str
        Preprocessor name, e.g. ``"openpose_full"`` or ``"none"``.
    model : str
        ControlNet model title, e.g. ``"control_v11p_sd15_openpose [cab727d4]"``.
    weight : int or float
        Control weight, 0–2 in the UI.
    guidance_start, guidance_end : int or float
        Fractions of the sampling steps (0–1) during which the unit acts.
    extra : tuple of (str, str)
        Keys the unit carried that have no field here, in order.
    """

    module: str = "none"
    model: str = "None"
    weight: Number = 1.0
    resize_mode: str = "Crop and Resize"
    processor_res: Number | None = 512
    threshold_a: Number | None = 0.5
    threshold_b: Number | None = 0.5
    guidance_start: Number = 0.0
    guidance_end: Number = 1.0
    pixel_perfect: bool = False
    control_mode: str = "Balanced"
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class Hires:
    """Hires-fix settings (A1111 txt2img "Hires. fix").

    ``upscale`` (a factor) and ``resize`` (a target ``(width, height)`` in pixels)
    are alternatives, as in A1111; ``steps`` 0 means "same as the first pass".
    """

    upscale: Number | None = 2.0
    resize: tuple[int, int] | None = None
    steps: int = 0
    upscaler: str | None = "Latent"
    sampler: str | None = None
    schedule_type: str | None = None
    checkpoint: str | None = None
    prompt: str | None = None
    negative_prompt: str | None = None


@dataclass(frozen=True, kw_only=True)
class Inpaint:
    """Mask settings of an inpainting generation (A1111 img2img inpaint tab).

    ``mask_blur`` is the Gaussian blur radius in pixels; ``masked_content`` is one
    of ``"fill"``, ``"original"``, ``"latent noise"``, ``"latent nothing"``;
    ``only_masked`` crops to the mask plus ``padding`` pixels.
    """

    mask_blur: int | None = 4
    invert: bool = False
    only_masked: bool = False
    padding: int = 32
    masked_content: str = "original"


MASKED_CONTENT = ("fill", "original", "latent noise", "latent nothing")


@dataclass(frozen=True, kw_only=True)
class GenerationParams:
    """Everything one Stable Diffusion generation needs, A1111's way.

    Parameters
    ----------
    prompt, negative_prompt : str
        Text as typed, A1111 attention syntax included.
    steps : int
        Sampling steps.
    sampler : str
        A1111 sampler name, e.g. ``"Euler a"``, ``"DPM++ 2M"``.
    schedule_type : str or None
        A1111 schedule label, e.g. ``"Automatic"``, ``"Karras"``; None when the
        record predates schedule types (A1111 < 1.9), which means "Automatic".
    cfg_scale : int or float
        Classifier-free guidance scale.
    seed : int
        Seed of this image; ``-1`` means "pick one at random".
    variation_seed, variation_strength : int or None, float or None
        A1111 "Variation seed" and its strength (0–1).
    seed_resize_from : (int, int) or None
        ``(width, height)`` the noise is made for, in pixels.
    width, height : int
        Image size in pixels.
    batch_size, batch_count : int
        Images per batch and number of batches (not part of an infotext).
    model, model_hash, vae, vae_hash : str or None
        Checkpoint name (file name without extension), its A1111 short hash,
        and the separately loaded VAE, if any.
    clip_skip : int
        A1111 "Clip skip"; 1 uses the last text-encoder layer.
    denoising_strength : float or None
        img2img strength (0–1), or the hires second pass strength.
    inpaint : Inpaint or None
        Mask settings when inpainting.
    refiner, refiner_switch_at : str or None, float or None
        Refiner checkpoint title and the fraction of sampling where it takes over.
    controlnets : tuple of ControlNetUnit
    hires : Hires or None
    lora_hashes : tuple of (str, str)
        ``(name, hash)`` of each LoRA used, as A1111's "Lora hashes".
    rng : str
        Noise source: ``"GPU"`` (A1111's default), ``"CPU"`` or ``"NV"``.
    eta : float or None
        Ancestral/SDE noise scale when not the default.
    ensd : int
        "Eta noise seed delta".
    version : str or None
        Version of the program that wrote the record.
    extra : tuple of (str, str)
        Every other key, in the order it was read; never dropped.
    """

    prompt: str = ""
    negative_prompt: str = ""
    steps: int = 20
    sampler: str = "Euler a"
    schedule_type: str | None = "Automatic"
    cfg_scale: Number = 7
    seed: int = -1
    variation_seed: int | None = None
    variation_strength: Number | None = None
    seed_resize_from: tuple[int, int] | None = None
    width: int = 512
    height: int = 512
    batch_size: int = 1
    batch_count: int = 1
    model: str | None = None
    model_hash: str | None = None
    vae: str | None = None
    vae_hash: str | None = None
    clip_skip: int = 1
    denoising_strength: Number | None = None
    inpaint: Inpaint | None = None
    refiner: str | None = None
    refiner_switch_at: Number | None = None
    controlnets: tuple[ControlNetUnit, ...] = ()
    hires: Hires | None = None
    lora_hashes: tuple[tuple[str, str], ...] = ()
    rng: str = "GPU"
    eta: Number | None = None
    ensd: int = 0
    version: str | None = None
    extra: tuple[tuple[str, str], ...] = field(default=())

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels."""
        return (self.width, self.height)

    def replace(self, **changes: Any) -> GenerationParams:
        """Return a copy with ``changes`` applied (see `dataclasses.replace`)."""
        return dataclasses.replace(self, **changes)

    def extra_value(self, key: str) -> str | None:
        """Return the value of an extra (unmodelled) key, or None."""
        for name, value in self.extra:
            if name == key:
                return value
        return None

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view of every field that differs from its default.

        The storage format (``pixref.library``); A1111 infotext is a separate view
        owned by `pixref.infotext`.
        """
        out: dict[str, Any] = {"version_record": 1}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value == f.default and type(value) is type(f.default):
                continue
            out[f.name] = _to_jsonable(value)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GenerationParams:
        """Inverse of `to_dict`; raises `ParamsError` on an unknown field."""
        data = dict(data)
        data.pop("version_record", None)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ParamsError(f"unknown generation parameter field(s): {', '.join(unknown)}")
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            kwargs[key] = _from_jsonable(key, value)
        return cls(**kwargs)


def _to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _to_jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) != f.default
            or type(getattr(value, f.name)) is not type(f.default)
        }
    if isinstance(value, tuple):
        return [_to_jsonable(v) for v in value]
    return value


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in value)


def _from_jsonable(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in ("extra", "lora_hashes"):
        return _pairs(value)
    if key in _PAIR_FIELDS:
        return (int(value[0]), int(value[1]))
    if key == "controlnets":
        return tuple(
            ControlNetUnit(**{**unit, "extra": _pairs(unit.get("extra", ()))}) for unit in value
        )
    if key == "hires":
        resize = value.get("resize")
        return Hires(**{**value, "resize": tuple(resize) if resize else None})
    if key == "inpaint":
        return Inpaint(**value)
    return value
