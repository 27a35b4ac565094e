"""``pixref sweep``: X/Y/Z grids over any generation parameter, as A1111's X/Y/Z plot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pixref.cli import generate as g
from pixref.cli._backend import RayActorsOpt, RayOpt, start_backend
from pixref.cli._console import console, err_console

Opt = typer.Option

XOpt = Annotated[str | None, Opt("-x", "--x", help='X axis NAME=VALUES, e.g. "cfg=3,5,7".')]
YOpt = Annotated[str | None, Opt("-y", "--y", help='Y axis, e.g. "seed=1-4".')]
ZOpt = Annotated[str | None, Opt("-z", "--z", help='Z axis, e.g. "sampler=Euler a,DPM++ 2M".')]
GridOpt = Annotated[
    Path | None, Opt("-o", "--output", help="Grid PNG [outputs/txt2img-grids/DATE/].")
]
SweepBatchOpt = Annotated[
    int,
    Opt(
        "--batch-size",
        help="Most cells per engine batch; cells that differ only by seed, variation seed "
        "or CFG share one.",
        min=1,
    ),
]
ResumeOpt = Annotated[
    bool, Opt("--resume", help="Keep the cells an interrupted run of this sweep already made.")
]
KeepRandomOpt = Annotated[
    bool, Opt("--keep-random-seeds", help="-1 seeds stay random per cell, not fixed per sweep.")
]
NoLogOpt = Annotated[bool, Opt("--no-log", help="Do not record the cells in the library.")]
MarginOpt = Annotated[int, Opt("--grid-margin", help="Pixels between cells.", min=0, max=500)]


def _source_sweep(source: str | None) -> dict | None:
    """The sweep definition a grid PNG given to ``--from`` carries, if any."""
    if source is None or not Path(source).is_file():
        return None
    from pixref.metadata import MetadataError
    from pixref.sweep import read_definition

    try:
        return read_definition(Path(source))
    except (MetadataError, ValueError):
        return None


def sweep(
    prompt: g.PromptArg = None,
    x: XOpt = None, y: YOpt = None, z: ZOpt = None, output: GridOpt = None,
    batch_size: SweepBatchOpt = 4, resume: ResumeOpt = False,
    keep_random_seeds: KeepRandomOpt = False, no_log: NoLogOpt = False, margin: MarginOpt = 0,
    negative: g.NegativeOpt = None, steps: g.StepsOpt = None, sampler: g.SamplerOpt = None,
    schedule: g.ScheduleOpt = None, cfg: g.CfgOpt = None, seed: g.SeedOpt = None,
    variation_seed: g.VarSeedOpt = None, variation_strength: g.VarStrengthOpt = None,
    seed_resize_from: g.SeedResizeOpt = None, size: g.SizeOpt = None,
    model: g.ModelOpt = None, models_dir: g.ModelsDirOpt = None, clip_skip: g.ClipSkipOpt = None,
    rng: g.RngOpt = None, ensd: g.EnsdOpt = None, source: g.FromOpt = None,
    device: g.DeviceOpt = None, quiet: g.QuietOpt = False, vae: g.VaeOpt = None,
    allow_unsafe_pickle: g.UnsafeOpt = False, refiner: g.RefinerOpt = None,
    refiner_switch: g.RefinerSwitchOpt = None, hires_scale: g.HiresScaleOpt = None,
    hires_resize: g.HiresResizeOpt = None, hires_steps: g.HiresStepsOpt = None,
    hires_denoise: g.HiresDenoiseOpt = None, hires_upscaler: g.HiresUpscalerOpt = None,
    controlnet: g.ControlNetOpt = None, control_image: g.ControlImageOpt = None,
    control_weight: g.ControlWeightOpt = None, control_start: g.ControlStartOpt = None,
    control_end: g.ControlEndOpt = None, control_mode: g.ControlModeOpt = None,
    ray: RayOpt = None, ray_actors: RayActorsOpt = None,
) -> None:  # fmt: skip
    """Generate an X/Y/Z grid: one image per combination of axis values, labelled.

    Axes are NAME=VALUES with A1111's syntax: lists ("3,5,7"), ranges ("1-5",
    "1-5 (+2)", "7-9 [3]"); names are fields or A1111 labels (seed, var seed,
    var strength, cfg, steps, sampler, schedule type, width, height, size,
    denoising, checkpoint, vae, refiner switch, clip skip, controlnet weight,
    lora weight, "Prompt S/R", weight:TERM). Each cell is saved beside the grid
    in GRID-cells/ with its own infotext and logged in the library.
    `--from GRID.png` repeats a sweep pixref made, or an A1111 X/Y/Z grid.
    `--ray ADDRESS` spreads the cells over a Ray cluster's GPUs; this process still
    writes every file and library row.
    """
    from pixref.sweep import a1111_axes, plan_from_definition, plan_sweep

    stored = _source_sweep(source)
    if stored is not None:
        from pixref.params import GenerationParams

        base = GenerationParams.from_dict(stored["base"])
        if prompt is not None:
            base = base.replace(prompt=prompt)
        source_for_common = None
    else:
        source_for_common = source
    params = g._common(
        source_for_common, prompt if stored is None else base.prompt, negative, steps, sampler,
        schedule, cfg, seed, variation_seed, variation_strength, seed_resize_from, size, None,
        None, clip_skip, rng, ensd,
    )  # fmt: skip
    if stored is not None:
        params = _overlay(base, params)
    params = g._with_refiner(params.replace(inpaint=None), refiner, refiner_switch)
    params = g._with_hires(params, hires_scale, hires_resize, hires_steps, hires_denoise,
                           hires_upscaler)  # fmt: skip
    if model is not None:
        params = params.replace(model=model)
    if vae is not None:
        params = params.replace(vae=vae)
    params, units = g._control_units(params, controlnet, control_image, control_weight,
                                     control_start, control_end, control_mode)  # fmt: skip
    params = params.replace(controlnets=tuple(unit for _, _, unit in units))
    params, a1111_specs = a1111_axes(params)  # --from an A1111 X/Y/Z grid
    specs = [s for s in (x, y, z) if s] or a1111_specs
    if not specs and stored is not None:
        plan = plan_from_definition({**stored, "base": params.to_dict()})
    else:
        if not specs:
            raise typer.BadParameter("give at least one axis: -x NAME=VALUES")
        if z and not y:
            raise typer.BadParameter("give -y before -z")
        if y and not x:
            raise typer.BadParameter("give -x before -y")
        plan = plan_sweep(params, specs, keep_random_seeds=keep_random_seeds)
    grid = output
    if grid is not None and grid.suffix.lower() != ".png":
        grid = grid / "xyz_grid.png" if grid.suffix == "" else grid.with_suffix(".png")
    if grid is not None:
        grid.parent.mkdir(parents=True, exist_ok=True)
    _go(plan, grid, models_dir=models_dir, device=device, quiet=quiet, units=units,
        load_options={"allow_unsafe_pickle": allow_unsafe_pickle}, batch_size=batch_size,
        resume=resume, record=not no_log, margin=margin, ray=ray,
        ray_actors=ray_actors)  # fmt: skip


def _overlay(base, flags):
    """Flags given on the command line override the stored sweep's base params."""
    from pixref.params import GenerationParams

    default = GenerationParams()
    changes = {
        name: getattr(flags, name)
        for name in ("negative_prompt", "steps", "sampler", "schedule_type", "cfg_scale", "seed",
                     "variation_seed", "variation_strength", "seed_resize_from", "width",
                     "height", "clip_skip", "rng", "ensd")
        if getattr(flags, name) != getattr(default, name)
    }  # fmt: skip
    return base.replace(**changes)


def _go(plan, grid, *, models_dir, device, quiet, units, load_options, batch_size,
        resume, record, margin, ray=None, ray_actors=None) -> None:  # fmt: skip
    from pixref import engine
    from pixref.sweep import check_models, default_grid_path, run_sweep

    cols, rows, grids = plan.shape
    total = len(plan.cells)
    steps = sum(c.params.steps for c in plan.cells)
    err_console.print(
        f"sweep: {cols}x{rows}x{grids} = {total} images, {steps} sampling steps", highlight=False
    )
    check_models(plan, models_dir)  # every checkpoint/VAE found before anything loads
    controls = [
        engine.ControlRequest(model, g._control_image(path), unit) for model, path, unit in units
    ]
    backend = start_backend(ray, ray_actors, models_dir, device, load_options)
    if grid is None:  # reserved only once nothing can refuse the sweep any more
        grid = default_grid_path()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())  # fmt: skip
    progress = Progress(*columns, console=err_console, transient=True, disable=quiet)
    with backend, progress:
        cells = progress.add_task("sweep cells", total=total)
        image_steps = progress.add_task("steps", total=steps)

        def on_cells(done, made: bool) -> None:
            progress.advance(cells, len(done))
            if not made:  # cells kept by --resume: their steps count as done
                progress.advance(image_steps, sum(c.params.steps for c in done))

        try:
            result = run_sweep(
                plan, grid, models_dir=models_dir, device=device, load_options=load_options,
                controls=controls, batch_size=batch_size, resume=resume, record=record,
                on_cells=on_cells, backend=backend,
                on_step=lambda event: progress.advance(image_steps), gap=margin,
            )  # fmt: skip
        except KeyboardInterrupt:
            done = int(progress.tasks[0].completed)
            err_console.print(
                f"interrupted after {done} of {total} cells; the same command with --resume "
                "finishes the sweep",
                highlight=False,
            )
            raise typer.Exit(130) from None
    for warning in [*result.warnings, *getattr(backend, "notices", ())]:
        err_console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    if result.skipped:
        err_console.print(f"resumed: kept {result.skipped} finished cells", highlight=False)
    if result.sweep_id is not None and result.entries:
        first = min(result.entries)
        err_console.print(
            f"logged as sweep #{result.sweep_id}: {len(result.entries)} cells from #{first}; "
            f"`pixref log show sweep:{result.sweep_id}` lists them",
            highlight=False,
        )
    for path in result.grids:
        console.print(str(path), markup=False)


def register(app: typer.Typer) -> None:
    app.command("sweep")(sweep)
