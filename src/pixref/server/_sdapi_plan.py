"""One A1111 generation request from check to answer: plan, resize, response.

`plan_request` does every check that can fail before the job is queued (so a bad
request is a 400 at once, not after waiting for the device); `response` builds
A1111's ``{"images", "parameters", "info"}`` from what the job made.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pixref.server import _sdapi_listings as listings
from pixref.server._generation import ControlRequest, Generated, GenerationService
from pixref.server._generation import GenerationRequest as Work
from pixref.server._sdapi_convert import (
    Converted,
    Unsupported,
    apply_infotext,
    echo,
    from_engine,
    inpaint_settings,
    processed_info,
    to_params,
)
from pixref.server._sdapi_images import Upload, decode_image, file_base64
from pixref.server._sdapi_options import Options
from pixref.server._sdapi_schemas import GenerationRequest, GenerationResponse, Img2ImgRequest
from pixref.server._sdapi_scripts import apply_scripts
from pixref.server._settings import ServerSettings


@dataclass
class Plan:
    """One checked request: its parameters and images, ready for the device queue.

    ``options`` are the options the request ran with (its ``override_settings``
    applied); ``arch`` picks the live preview's colours.
    """

    body: GenerationRequest
    converted: Converted
    work: Work
    options: Options
    arch: str | None
    inpainting_model: bool
    resize_mode: int = 0


def plan_request(
    body: GenerationRequest,
    kind: str,
    options: Options,
    settings: ServerSettings,
    service: GenerationService,
) -> Plan:
    """Check and convert a txt2img/img2img request (A1111's order: scripts, infotext, options).

    Raises
    ------
    PixrefError
        Anything pixref cannot run as asked (400), or `NoCheckpoint` (503).
    """
    units = apply_scripts(body, settings.max_image_pixels)
    apply_infotext(body)
    options = options.updated(
        body.override_settings or {}, settings.models_dir, "override_settings"
    )
    checkpoint = options.sd_model_checkpoint or service.default_checkpoint()
    converted = to_params(
        body, replace(options, sd_model_checkpoint=checkpoint), img2img=kind == "img2img"
    )
    p = converted.params
    if p.width * p.height > settings.max_image_pixels:
        raise Unsupported(
            f"`width` x `height` {p.width}x{p.height} is over the server's limit of "
            f"{settings.max_image_pixels} pixels"
        )
    listings.check_models(p, [u.model for u in units], settings.models_dir)
    init = mask = None
    if isinstance(body, Img2ImgRequest):
        init = _init_image(body, settings.max_image_pixels)
        if body.mask:
            mask = decode_image(body.mask, "mask", settings.max_image_pixels)
            p = p.replace(inpaint=inpaint_settings(body, converted.warnings))
    controls = []
    for i, unit in enumerate(units):
        source = unit.upload or init
        if source is None:
            raise Unsupported(f"ControlNet unit {i} has no `image` (txt2img needs one per unit)")
        controls.append(ControlRequest(unit.model, source.image, unit.unit))
    work = Work(
        params=p, kind=kind, init_image=init.image if init else None,
        mask=mask.image if mask else None, controls=tuple(controls),
        init_bytes=init.data if init else None,
    )  # fmt: skip
    arch, inpainting = listings.checkpoint_arch(checkpoint)
    resize = body.resize_mode if isinstance(body, Img2ImgRequest) else 0
    return Plan(body, replace(converted, params=p), work, options, arch, inpainting, resize)


def _init_image(body: Img2ImgRequest, max_pixels: int) -> Upload:
    if not body.init_images:
        raise Unsupported("`init_images` must hold one base64 image")
    if len(body.init_images) > 1:
        raise Unsupported(f"pixref takes one init image, got {len(body.init_images)}")
    if body.resize_mode not in (0, 1, 2):
        raise Unsupported(
            f"`resize_mode` {body.resize_mode} is not supported; use 0 (just resize), "
            "1 (crop and resize) or 2 (resize and fill)"
        )
    return decode_image(body.init_images[0], "init_images[0]", max_pixels)


def resized(plan: Plan) -> Work:
    """The work with A1111's crop-and-resize / resize-and-fill applied to init and mask.

    Plain resize (0) is the engine's own; "only masked" inpainting crops from the
    original image and ignores the resize mode, as A1111 does.
    """
    work = plan.work
    only_masked = work.mask is not None and work.params.inpaint and work.params.inpaint.only_masked
    if work.init_image is None or plan.resize_mode == 0 or only_masked:
        return work
    resize_image = from_engine("pixref.engine", "resize_image")
    size = (work.params.width // 8 * 8, work.params.height // 8 * 8)
    init = resize_image(work.init_image, *size, plan.resize_mode)
    mask = resize_image(work.mask, *size, plan.resize_mode) if work.mask is not None else None
    return replace(work, init_image=init, mask=mask)


def response(plan: Plan, generated: Generated | None, timestamp: str) -> GenerationResponse:
    """A1111's answer: the saved PNGs (infotext inside) as base64, the request, ``info``.

    ``generated`` is None when the job was cancelled before it began; an interrupted
    job answers with the images finished before the interrupt, as A1111 does.
    """
    body = plan.body
    result = generated.result if generated is not None else None
    paths = generated.paths if generated is not None else []
    warnings = list(plan.converted.warnings) + list(generated.warnings if generated else ())
    if generated is not None and generated.interrupted:
        warnings.append(f"interrupted: {len(paths)} image(s) finished before the interrupt")
    info = processed_info(
        body, plan.converted, list(result.params) if result else [],
        list(result.infotexts) if result else [], job_timestamp=timestamp,
        inpainting_model=plan.inpainting_model, warnings=warnings,
        entry_ids=list(generated.entry_ids) if generated is not None else [],
    )  # fmt: skip
    images = [file_base64(path) for path in paths] if body.send_images else []
    return GenerationResponse(images=images, parameters=echo(body), info=info)
