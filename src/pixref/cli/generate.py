"""``pixref txt2img | img2img | inpaint``: generate as A1111 does, from the command line."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pixref.cli._console import console, err_console
from pixref.home import paths
from pixref.infotext import InfotextError, parse_infotext
from pixref.metadata import MetadataError, read_metadata
from pixref.params import GenerationParams, Hires, Inpaint, PixrefError

Opt = typer.Option


def _size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    w, sep, h = text.lower().partition("x")
    if not sep or not w.isdigit() or not h.isdigit():
        raise typer.BadParameter(f"expected WIDTHxHEIGHT such as 512x768, got {text!r}")
    return int(w), int(h)


def base_params(source: str | None) -> GenerationParams:
    """Parameters to start from: a library id (``12``/``#12``), an earlier image, an
    infotext, or A1111's defaults."""
    if source is None:
        return GenerationParams()
    path = Path(source)
    if source.strip().lstrip("#").isdigit() and not path.is_file():
        from pixref.library import open_library

        with open_library() as lib:
            return lib.params_for(source)
    if path.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp") or path.is_file():
        meta = read_metadata(path)
        if meta.params is None:
            raise MetadataError(f"`{source}` carries no generation parameters to start from")
        return meta.params
    try:
        return parse_infotext(source)
    except InfotextError as exc:
        raise PixrefError(f"`--from` is neither an image file nor infotext: {exc}") from None


def _changes(**options: object) -> dict[str, object]:
    return {key: value for key, value in options.items() if value is not None}


def _run(
    params: GenerationParams,
    *,
    kind: str,
    model: str | None,
    models_dir: Path | None,
    out: Path | None,
    init_image: Path | None = None,
    mask: Path | None = None,
    device: str | None = None,
    quiet: bool = False,
    source: str | None = None,
    load_options: dict | None = None,
    controls: tuple[GenerationParams, list] | None = None,
) -> None:
    from pixref import engine  # torch is imported only when generating

    if controls is not None:
        params, units = controls
    else:
        units = []

    cache = engine.ModelCache(models_dir, device, load_options)
    models = cache.checkpoint(params, model)
    refiner = cache.refiner(params)
    loras = engine.resolve_loras(params.prompt, models_dir=models_dir)
    control_inputs = _load_controls(engine, units, models, cache)
    embeddings = cache.embeddings(models)
    init = _open_image(init_image) if init_image is not None else None
    mask_image = _open_image(mask) if mask is not None else None
    total = params.steps * params.batch_size * params.batch_count
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=True, disable=quiet) as progress:
        task = progress.add_task(f"{kind} {escape(models.name)}", total=total)
        result = engine.generate(
            params,
            models,
            init_image=init,
            mask=mask_image,
            on_step=lambda event: progress.advance(task),
            loras=loras,
            embeddings=embeddings,
            refiner=refiner,
            controlnets=control_inputs,
        )
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    from pixref.library import save_outputs

    saved = save_outputs(
        result.images, result.params, result.infotexts, kind=kind, out=out,
        init_image=init_image, inpaint=mask is not None, variation_of=source,
    )  # fmt: skip
    for target in saved.paths:
        console.print(str(target), markup=False)
    for entry_id in saved.entry_ids:
        if entry_id is not None:
            err_console.print(f"logged as #{entry_id}")
    if saved.log_error:
        err_console.print(
            f"[yellow]warning:[/yellow] not logged in the library: {escape(saved.log_error)}; "
            "`pixref log import` can add the images later"
        )


def _open_image(path: Path):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            return image.copy()
    except FileNotFoundError:
        raise PixrefError(f"`{path}` does not exist") from None
    except (UnidentifiedImageError, OSError):
        raise PixrefError(f"`{path}` is not an image pixref can read") from None


# Shared options, written once and reused by the three commands.
PromptArg = Annotated[
    str | None, typer.Argument(help="Prompt (A1111 syntax). Optional with --from.")
]
NegativeOpt = Annotated[str | None, Opt("-n", "--negative", help="Negative prompt.")]
StepsOpt = Annotated[int | None, Opt("--steps", help="Sampling steps [20].")]
SamplerOpt = Annotated[
    str | None, Opt("--sampler", help='A1111 sampler, e.g. "Euler a" [Euler a].')
]
ScheduleOpt = Annotated[
    str | None, Opt("--schedule", help="Schedule type, e.g. Karras [Automatic].")
]
CfgOpt = Annotated[float | None, Opt("--cfg", "--cfg-scale", help="CFG scale [7].")]
SeedOpt = Annotated[int | None, Opt("--seed", help="Seed; -1 picks one at random [-1].")]
VarSeedOpt = Annotated[int | None, Opt("--variation-seed", help="Variation seed (-1: random).")]
VarStrengthOpt = Annotated[
    float | None, Opt("--variation-strength", help="Variation strength 0-1.")
]
SeedResizeOpt = Annotated[str | None, Opt("--seed-resize-from", help="Make noise as for WxH.")]
SizeOpt = Annotated[str | None, Opt("--size", help="WIDTHxHEIGHT in pixels [512x512].")]
BatchSizeOpt = Annotated[int | None, Opt("--batch-size", help="Images per batch [1].")]
BatchCountOpt = Annotated[int | None, Opt("--batch-count", help="Number of batches [1].")]
ModelOpt = Annotated[str | None, Opt("--model", help="Checkpoint name, file or diffusers folder.")]
ModelsDirOpt = Annotated[Path | None, Opt("--models-dir", help="A1111-style models folder.")]
ClipSkipOpt = Annotated[int | None, Opt("--clip-skip", help="A1111 Clip skip [1].")]
RngOpt = Annotated[str | None, Opt("--rng", help="Noise source: cpu or gpu [gpu].")]
EnsdOpt = Annotated[int | None, Opt("--ensd", help="Eta noise seed delta [0].")]
FromOpt = Annotated[
    str | None, Opt("--from", help="Start from an earlier image's parameters or an infotext.")
]
OutOpt = Annotated[Path | None, Opt("-o", "--output", help="Output PNG file or folder.")]
DeviceOpt = Annotated[str | None, Opt("--device", help="cpu, cuda, cuda:1 ... [cuda if present].")]
QuietOpt = Annotated[bool, Opt("--quiet", "-q", help="No progress display.")]
VaeOpt = Annotated[str | None, Opt("--vae", help="A separate VAE (name in models/VAE or a path).")]
RefinerOpt = Annotated[
    str | None, Opt("--refiner", help="Refiner checkpoint that takes over mid-sampling.")
]
RefinerSwitchOpt = Annotated[
    float | None, Opt("--refiner-switch", help="Fraction of sampling when it takes over [0.8].")
]
HiresScaleOpt = Annotated[float | None, Opt("--hires-scale", help="Hires fix: upscale by.")]
HiresResizeOpt = Annotated[str | None, Opt("--hires-resize", help="Hires fix: resize to WxH.")]
HiresStepsOpt = Annotated[int | None, Opt("--hires-steps", help="Hires second-pass steps [steps].")]
HiresDenoiseOpt = Annotated[float | None, Opt("--hires-denoise", help="Hires denoising [0.7].")]
HiresUpscalerOpt = Annotated[
    str | None, Opt("--hires-upscaler", help="Latent, Latent (nearest), Lanczos, ... [Latent].")
]
ControlNetOpt = Annotated[
    list[str] | None,
    Opt(
        "--controlnet",
        help="ControlNet model (name in models/ControlNet or a path); repeat for units.",
    ),
]
ControlImageOpt = Annotated[
    list[Path] | None,
    Opt(
        "--control-image", "--pose", help="Control image, or an OpenPose .json pose; one per unit."
    ),
]
ControlWeightOpt = Annotated[list[float] | None, Opt("--control-weight", help="Unit weight [1].")]
ControlStartOpt = Annotated[list[float] | None, Opt("--control-start", help="Guidance start [0].")]
ControlEndOpt = Annotated[list[float] | None, Opt("--control-end", help="Guidance end [1].")]
ControlModeOpt = Annotated[
    list[str] | None,
    Opt("--control-mode", help="balanced, prompt (my prompt is more important), controlnet."),
]
UnsafeOpt = Annotated[
    bool,
    Opt("--allow-unsafe-pickle", help="Allow .ckpt/.pt files, which can run code when loaded."),
]


def _common(
    source, prompt, negative, steps, sampler, schedule, cfg, seed, variation_seed,
    variation_strength, seed_resize_from, size, batch_size, batch_count, clip_skip, rng, ensd,
) -> GenerationParams:  # fmt: skip
    base = base_params(source)
    if prompt is None and source is None:
        raise typer.BadParameter("give a prompt, or --from an earlier image or infotext")
    wh = _size(size)
    if rng is not None and rng.lower() not in ("cpu", "gpu"):
        raise typer.BadParameter(f"--rng must be cpu or gpu, got {rng!r}")
    if cfg is not None and float(cfg).is_integer():
        cfg = int(cfg)  # "CFG scale: 7" as A1111's slider writes it, not 7.0
    return base.replace(
        **_changes(
            prompt=prompt, negative_prompt=negative, steps=steps, sampler=sampler,
            schedule_type=schedule, cfg_scale=cfg, seed=seed, variation_seed=variation_seed,
            variation_strength=variation_strength,
            seed_resize_from=_size(seed_resize_from), width=wh[0] if wh else None,
            height=wh[1] if wh else None, batch_size=batch_size, batch_count=batch_count,
            clip_skip=clip_skip, rng=rng.upper() if rng else None, ensd=ensd,
        )
    )  # fmt: skip


def txt2img(
    prompt: PromptArg = None, negative: NegativeOpt = None, steps: StepsOpt = None,
    sampler: SamplerOpt = None, schedule: ScheduleOpt = None, cfg: CfgOpt = None,
    seed: SeedOpt = None, variation_seed: VarSeedOpt = None,
    variation_strength: VarStrengthOpt = None, seed_resize_from: SeedResizeOpt = None,
    size: SizeOpt = None, batch_size: BatchSizeOpt = None, batch_count: BatchCountOpt = None,
    model: ModelOpt = None, models_dir: ModelsDirOpt = None, clip_skip: ClipSkipOpt = None,
    rng: RngOpt = None, ensd: EnsdOpt = None, source: FromOpt = None, output: OutOpt = None,
    device: DeviceOpt = None, quiet: QuietOpt = False, vae: VaeOpt = None,
    allow_unsafe_pickle: UnsafeOpt = False, refiner: RefinerOpt = None,
    refiner_switch: RefinerSwitchOpt = None, hires_scale: HiresScaleOpt = None,
    hires_resize: HiresResizeOpt = None, hires_steps: HiresStepsOpt = None,
    hires_denoise: HiresDenoiseOpt = None, hires_upscaler: HiresUpscalerOpt = None,
    controlnet: ControlNetOpt = None, control_image: ControlImageOpt = None,
    control_weight: ControlWeightOpt = None, control_start: ControlStartOpt = None,
    control_end: ControlEndOpt = None, control_mode: ControlModeOpt = None,
) -> None:  # fmt: skip
    """Generate images from a prompt, as A1111's txt2img tab does."""
    params = _common(
        source, prompt, negative, steps, sampler, schedule, cfg, seed, variation_seed,
        variation_strength, seed_resize_from, size, batch_size, batch_count, clip_skip, rng, ensd,
    )  # fmt: skip
    params = _with_refiner(params.replace(inpaint=None), refiner, refiner_switch)
    params = _with_hires(params, hires_scale, hires_resize, hires_steps, hires_denoise,
                         hires_upscaler)  # fmt: skip
    _run(params, kind="txt2img", model=model, models_dir=models_dir, out=output,
         device=device, quiet=quiet, source=source,
         load_options={"vae": vae, "allow_unsafe_pickle": allow_unsafe_pickle},
         controls=_control_units(params, controlnet, control_image, control_weight,
                                 control_start, control_end, control_mode))  # fmt: skip


DenoiseOpt = Annotated[float | None, Opt("--denoise", help="Denoising strength 0-1 [0.75].")]


MockupOpt = Annotated[
    Path | None,
    Opt("--mockup", help="Render this .pixmock.json as the init image (then no INIT argument).",
        exists=True, dir_okay=False),
]  # fmt: skip


def img2img(
    init: Annotated[Path | None, typer.Argument(help="Init image (omit with --mockup).")] = None,
    prompt: PromptArg = None, negative: NegativeOpt = None, steps: StepsOpt = None,
    sampler: SamplerOpt = None, schedule: ScheduleOpt = None, cfg: CfgOpt = None,
    seed: SeedOpt = None, variation_seed: VarSeedOpt = None,
    variation_strength: VarStrengthOpt = None, seed_resize_from: SeedResizeOpt = None,
    size: SizeOpt = None, batch_size: BatchSizeOpt = None, batch_count: BatchCountOpt = None,
    model: ModelOpt = None, models_dir: ModelsDirOpt = None, clip_skip: ClipSkipOpt = None,
    rng: RngOpt = None, ensd: EnsdOpt = None, source: FromOpt = None, output: OutOpt = None,
    device: DeviceOpt = None, quiet: QuietOpt = False, denoise: DenoiseOpt = None,
    vae: VaeOpt = None, allow_unsafe_pickle: UnsafeOpt = False, mockup: MockupOpt = None,
    refiner: RefinerOpt = None, refiner_switch: RefinerSwitchOpt = None,
    controlnet: ControlNetOpt = None, control_image: ControlImageOpt = None,
    control_weight: ControlWeightOpt = None, control_start: ControlStartOpt = None,
    control_end: ControlEndOpt = None, control_mode: ControlModeOpt = None,
) -> None:  # fmt: skip
    """Generate from an init image, as A1111's img2img tab does (size defaults to the image's)."""
    init, prompt = _init_image(init, prompt, mockup)
    params = _common(
        source, prompt, negative, steps, sampler, schedule, cfg, seed, variation_seed,
        variation_strength, seed_resize_from, size, batch_size, batch_count, clip_skip, rng, ensd,
    )  # fmt: skip
    params = _with_refiner(_img2img_defaults(params, init, size, denoise), refiner, refiner_switch)
    _run(params, kind="img2img", model=model, models_dir=models_dir, out=output,
         init_image=init, device=device, quiet=quiet, source=source,
         load_options={"vae": vae, "allow_unsafe_pickle": allow_unsafe_pickle},
         controls=_control_units(params, controlnet, control_image, control_weight,
                                 control_start, control_end, control_mode))  # fmt: skip


_MODES = {
    "balanced": "Balanced",
    "prompt": "My prompt is more important",
    "controlnet": "ControlNet is more important",
}


def _nth(values, i, default):
    return values[i] if values and i < len(values) else default


def _control_units(params, models, images, weights, starts, ends, modes):
    """``(params, [(model name, image path, unit)])`` from the repeatable ControlNet flags.

    Units brought by ``--from`` keep their settings (flags override them) but need
    a control image again; without one they are dropped, with a warning.
    """
    from pixref.params import ControlNetUnit

    base = list(params.controlnets)
    count = max(len(models or []), len(images or []))
    if base and not images:
        err_console.print("[yellow]warning:[/yellow] ControlNet units from --from need "
                          "--control-image again; generating without them")  # fmt: skip
    units = []
    for i in range(count):
        image = _nth(images, i, None)
        old = _nth(base, i, ControlNetUnit())
        model = _nth(models, i, old.model if i < len(base) else None)
        if image is None or model is None:
            raise typer.BadParameter(
                f"ControlNet unit {i} needs both --controlnet and --control-image"
            )
        mode = _nth(modes, i, None)
        if mode is not None and mode.lower() not in _MODES:
            raise typer.BadParameter(
                f"--control-mode must be one of {', '.join(_MODES)}, got {mode!r}"
            )
        unit = replace(
            old, module="none", model=model,
            **_changes(weight=_nth(weights, i, None), guidance_start=_nth(starts, i, None),
                       guidance_end=_nth(ends, i, None),
                       control_mode=_MODES[mode.lower()] if mode else None),
        )  # fmt: skip
        units.append((model, image, unit))
    return params.replace(controlnets=()), units


def _load_controls(engine, units, models, cache):
    return [
        engine.ControlInput(cache.controlnet(model, models), _control_image(path), unit)
        for model, path, unit in units
    ]


def _control_image(path: Path):
    """A control image file, or an OpenPose JSON file rendered as its pose image."""
    if path.suffix.lower() == ".json":
        from PIL import Image

        from pixref.pose import read_pose, render_pose

        return Image.fromarray(render_pose(read_pose(path)))
    return _open_image(path)


def _with_refiner(params: GenerationParams, refiner, switch) -> GenerationParams:
    if switch is not None and not 0 < switch <= 1:
        raise typer.BadParameter(f"--refiner-switch must be within 0-1, got {switch}")
    if refiner is not None:
        params = params.replace(refiner=refiner, refiner_switch_at=switch or 0.8)
    elif switch is not None:
        params = params.replace(refiner_switch_at=switch)
    return params


def _with_hires(params: GenerationParams, scale, resize, steps, denoise, upscaler):
    """Hires fix from flags, on top of any hires settings ``--from`` brought."""
    flags = (scale, resize, steps, denoise, upscaler)
    if all(v is None for v in flags):
        return params if params.hires else params.replace(denoising_strength=None)
    hires = params.hires or Hires()
    changes = _changes(steps=steps, upscaler=upscaler)
    if scale is not None:
        changes.update(upscale=scale, resize=None)
    if resize is not None:
        changes.update(resize=_size(resize), upscale=None)
    strength = denoise if denoise is not None else params.denoising_strength or 0.7
    return params.replace(hires=replace(hires, **changes), denoising_strength=strength)


def _init_image(init: Path | None, prompt: str | None, mockup: Path | None):
    """With ``--mockup`` the first argument is the prompt and the render is the init image;
    the render is logged as a mockup entry, so the generation links to it as its parent."""
    if mockup is None:
        if init is None:
            raise typer.BadParameter("give an init image, or --mockup DOC.pixmock.json")
        return init, prompt
    if init is not None and prompt is not None:
        raise typer.BadParameter("give either an init image or --mockup, not both")
    from pixref.cli.mockup import render_to_png

    name = mockup.name.removesuffix(".json").removesuffix(".pixmock")
    rendered = paths().outputs / "mockups" / f"{name}.png"
    render_to_png(mockup, rendered)
    err_console.print(f"mockup rendered to {escape(str(rendered))}")
    return rendered, (str(init) if init is not None else prompt)


def _img2img_defaults(params, init: Path, size: str | None, denoise: float | None):
    strength = denoise if denoise is not None else (params.denoising_strength or 0.75)
    params = params.replace(denoising_strength=strength)
    if size is None:
        image = _open_image(init)
        params = params.replace(width=image.width, height=image.height)
    return params


def inpaint(
    init: Annotated[Path, typer.Argument(help="Init image.")],
    mask: Annotated[Path, typer.Argument(help="Mask: white (or opaque) = regenerate.")],
    prompt: PromptArg = None, negative: NegativeOpt = None, steps: StepsOpt = None,
    sampler: SamplerOpt = None, schedule: ScheduleOpt = None, cfg: CfgOpt = None,
    seed: SeedOpt = None, variation_seed: VarSeedOpt = None,
    variation_strength: VarStrengthOpt = None, seed_resize_from: SeedResizeOpt = None,
    size: SizeOpt = None, batch_size: BatchSizeOpt = None, batch_count: BatchCountOpt = None,
    model: ModelOpt = None, models_dir: ModelsDirOpt = None, clip_skip: ClipSkipOpt = None,
    rng: RngOpt = None, ensd: EnsdOpt = None, source: FromOpt = None, output: OutOpt = None,
    device: DeviceOpt = None, quiet: QuietOpt = False, denoise: DenoiseOpt = None,
    vae: VaeOpt = None, allow_unsafe_pickle: UnsafeOpt = False,
    refiner: RefinerOpt = None, refiner_switch: RefinerSwitchOpt = None,
    controlnet: ControlNetOpt = None, control_image: ControlImageOpt = None,
    control_weight: ControlWeightOpt = None, control_start: ControlStartOpt = None,
    control_end: ControlEndOpt = None, control_mode: ControlModeOpt = None,
    mask_blur: Annotated[int, Opt("--mask-blur", help="Mask blur in pixels.")] = 4,
    masked_content: Annotated[
        str, Opt("--masked-content", help="fill, original, latent noise, latent nothing.")
    ] = "original",
    only_masked: Annotated[bool, Opt("--only-masked", help="Inpaint area: only masked.")] = False,
    padding: Annotated[int, Opt("--padding", help="Only-masked padding in pixels.")] = 32,
    invert_mask: Annotated[bool, Opt("--invert-mask", help="Inpaint not masked.")] = False,
) -> None:  # fmt: skip
    """Regenerate the masked part of an image, as A1111's inpaint tab does."""
    from pixref.params import MASKED_CONTENT

    if masked_content not in MASKED_CONTENT:
        raise typer.BadParameter(f"--masked-content must be one of {', '.join(MASKED_CONTENT)}")
    params = _common(
        source, prompt, negative, steps, sampler, schedule, cfg, seed, variation_seed,
        variation_strength, seed_resize_from, size, batch_size, batch_count, clip_skip, rng, ensd,
    )  # fmt: skip
    params = _with_refiner(_img2img_defaults(params, init, size, denoise), refiner, refiner_switch)
    params = params.replace(
        inpaint=Inpaint(mask_blur=mask_blur, invert=invert_mask, only_masked=only_masked,
                        padding=padding, masked_content=masked_content)
    )  # fmt: skip
    _run(params, kind="img2img", model=model, models_dir=models_dir, out=output,
         init_image=init, mask=mask, device=device, quiet=quiet, source=source,
         load_options={"vae": vae, "allow_unsafe_pickle": allow_unsafe_pickle},
         controls=_control_units(params, controlnet, control_image, control_weight,
                                 control_start, control_end, control_mode))  # fmt: skip


def samplers_command(
    as_json: Annotated[bool, Opt("--json", help="Print JSON.")] = False,
) -> None:
    """List the A1111 sampler names and schedule types pixref runs."""
    import json

    from pixref.engine.samplers import SAMPLER_SPECS
    from pixref.infotext import SAMPLERS, SCHEDULES

    runs = [name for name in SAMPLERS if name in SAMPLER_SPECS]
    read_only = [name for name in SAMPLERS if name not in SAMPLER_SPECS]
    if as_json:
        data = {"samplers": runs, "schedule_types": list(SCHEDULES), "read_only": read_only}
        console.print(json.dumps(data, indent=2), markup=False)
        return
    console.print("samplers:       " + ", ".join(runs), markup=False)
    console.print("schedule types: " + ", ".join(SCHEDULES), markup=False)
    err_console.print("read from infotexts but not run yet: " + ", ".join(read_only))


def register(app: typer.Typer) -> None:
    app.command("txt2img")(txt2img)
    app.command("img2img")(img2img)
    app.command("inpaint")(inpaint)
    app.command("samplers")(samplers_command)
