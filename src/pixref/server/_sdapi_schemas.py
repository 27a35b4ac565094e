"""A1111's ``/sdapi/v1`` request and response shapes (v1.10), as pydantic models.

Field names and defaults are A1111's (``modules/api/models.py``, generated from the
processing classes' signatures), so a request that works there works here. Fields
pixref cannot honour are accepted and answered with a warning in ``info``, or with
a 400 when ignoring them would give a different image than asked for.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    # A1111's models ignore unknown fields; so do these (clients send extension fields).
    model_config = ConfigDict(extra="ignore")


class GenerationRequest(_Model):
    """Fields txt2img and img2img share (``StableDiffusionProcessing`` plus API extras)."""

    prompt: str = ""
    negative_prompt: str = ""
    styles: list[str] | None = None
    seed: int = -1
    subseed: int = -1
    subseed_strength: float = 0.0
    seed_resize_from_h: int = -1
    seed_resize_from_w: int = -1
    sampler_name: str | None = None
    scheduler: str | None = None
    batch_size: int = 1
    n_iter: int = 1
    steps: int = 50
    cfg_scale: float = 7.0
    width: int = 512
    height: int = 512
    restore_faces: bool | None = None
    tiling: bool | None = None
    do_not_save_samples: bool = False
    do_not_save_grid: bool = False
    eta: float | None = None
    denoising_strength: float | None = None
    s_min_uncond: float | None = None
    s_churn: float | None = None
    s_tmax: float | None = None
    s_tmin: float | None = None
    s_noise: float | None = None
    override_settings: dict[str, Any] | None = None
    override_settings_restore_afterwards: bool = True
    refiner_checkpoint: str | None = None
    refiner_switch_at: float | None = None
    disable_extra_networks: bool = False
    firstpass_image: str | None = None
    comments: dict[str, Any] | None = None
    force_task_id: str | None = None
    # API-only fields
    sampler_index: str = "Euler"
    script_name: str | None = None
    script_args: list[Any] = Field(default_factory=list)
    send_images: bool = True
    save_images: bool = False
    alwayson_scripts: dict[str, Any] = Field(default_factory=dict)
    infotext: str | None = None


class Txt2ImgRequest(GenerationRequest):
    """``POST /sdapi/v1/txt2img`` (``StableDiffusionTxt2ImgProcessingAPI``)."""

    enable_hr: bool = False
    denoising_strength: float | None = 0.75
    firstphase_width: int = 0
    firstphase_height: int = 0
    hr_scale: float = 2.0
    hr_upscaler: str | None = None
    hr_second_pass_steps: int = 0
    hr_resize_x: int = 0
    hr_resize_y: int = 0
    hr_checkpoint_name: str | None = None
    hr_sampler_name: str | None = None
    hr_scheduler: str | None = None
    hr_prompt: str = ""
    hr_negative_prompt: str = ""


class Img2ImgRequest(GenerationRequest):
    """``POST /sdapi/v1/img2img`` (``StableDiffusionImg2ImgProcessingAPI``).

    The inpainting defaults are the API's, not the UI's (a1111-compat §6):
    masked content "fill", "Only masked" with 0 px padding, mask blur 4.
    """

    init_images: list[str] | None = None
    resize_mode: int = 0
    image_cfg_scale: float | None = None
    mask: str | None = None
    mask_blur_x: int = 4
    mask_blur_y: int = 4
    mask_blur: int | None = None
    mask_round: bool = True
    inpainting_fill: int = 0
    inpaint_full_res: bool = True
    inpaint_full_res_padding: int = 0
    inpainting_mask_invert: int = 0
    initial_noise_multiplier: float | None = None
    latent_mask: str | None = None
    include_init_images: bool = False
    denoising_strength: float | None = 0.75


class GenerationResponse(_Model):
    """txt2img/img2img answer: base64 PNGs, the request echoed, ``Processed.js()`` as text."""

    images: list[str] | None = None
    parameters: dict[str, Any]
    info: str


class PNGInfoRequest(_Model):
    image: str


class PNGInfoResponse(_Model):
    info: str
    items: dict[str, Any]
    parameters: dict[str, Any]


class ProgressState(_Model):
    """A1111's ``shared.state.dict()``."""

    skipped: bool = False
    interrupted: bool = False
    stopping_generation: bool = False
    job: str = ""
    job_count: int = 0
    job_timestamp: str = "0"
    job_no: int = 0
    sampling_step: int = 0
    sampling_steps: int = 0


class ProgressResponse(_Model):
    progress: float
    eta_relative: float
    state: ProgressState
    current_image: str | None = None
    textinfo: str | None = None
    current_task: str | None = None


class SamplerItem(_Model):
    name: str
    aliases: list[str]
    # A1111 declares dict[str, str], so its flags read "True".
    options: dict[str, str]


class SchedulerItem(_Model):
    name: str
    label: str
    aliases: list[str] | None
    default_rho: float | None
    need_inner_model: bool | None


class SDModelItem(_Model):
    title: str
    model_name: str
    hash: str | None
    sha256: str | None
    filename: str
    config: str | None = None


class SDVaeItem(_Model):
    model_name: str
    filename: str


class UpscalerItem(_Model):
    name: str
    model_name: str | None = None
    model_path: str | None = None
    model_url: str | None = None
    scale: float | None = None


class LatentUpscaleModeItem(_Model):
    name: str


class ScriptsList(_Model):
    txt2img: list[str]
    img2img: list[str]


class EmbeddingItem(_Model):
    step: int | None = None
    sd_checkpoint: str | None = None
    sd_checkpoint_name: str | None = None
    shape: int | None = None
    vectors: int | None = None


class EmbeddingsResponse(_Model):
    loaded: dict[str, EmbeddingItem]
    skipped: dict[str, EmbeddingItem]


class LoraItem(_Model):
    """The Lora extension's listing entry."""

    name: str
    alias: str
    path: str
    metadata: dict[str, Any] = Field(default_factory=dict)
