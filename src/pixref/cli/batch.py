"""``pixref batch``: run a file of generation requests, here or on a Ray cluster."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pixref.cli import generate as g
from pixref.cli._backend import RayActorsOpt, RayOpt, start_backend
from pixref.cli._console import console, err_console

Opt = typer.Option

JobsArg = Annotated[Path, typer.Argument(help="The jobs file: one JSON request per line.")]
OutDirOpt = Annotated[
    Path | None,
    Opt("-o", "--output", file_okay=False,
        help="Folder for the images (default: A1111's outputs/txt2img-images/DATE/)."),
]  # fmt: skip
ResumeOpt = Annotated[
    bool, Opt("--resume", help="Keep the lines an interrupted run of this file already made.")
]
NoLogOpt = Annotated[bool, Opt("--no-log", help="Do not record the images in the library.")]


def batch(
    jobs: JobsArg, model: g.ModelOpt = None, models_dir: g.ModelsDirOpt = None,
    output: OutDirOpt = None, resume: ResumeOpt = False, no_log: NoLogOpt = False,
    device: g.DeviceOpt = None, quiet: g.QuietOpt = False,
    allow_unsafe_pickle: g.UnsafeOpt = False, ray: RayOpt = None,
    ray_actors: RayActorsOpt = None,
) -> None:  # fmt: skip
    """Generate every request in JOBS, a JSON-lines file, for scripts and pipelines.

    Each line is a JSON object, a parameter record as the library stores it
    (prompt, negative_prompt, steps, sampler, cfg_scale, seed, width, height,
    batch_size, model, ...; `init_image` and `mask` paths, relative to the file,
    make it img2img or inpaint), or a JSON string holding an A1111 infotext
    (its line breaks written \\n). Blank lines and lines starting with # are skipped.
    A line without a model uses --model. For example:

        {"prompt": "a knight, pixel art", "seed": 1, "steps": 20, "model": "sd15"}
        "a slime, pixel art\\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 512x512"

    Every line is checked before anything is generated. Images are saved as
    `pixref txt2img` saves them (each path printed) and logged in the library.
    JOBS.done (the file's name plus .done), beside it, records what each line made: after a crash or
    Ctrl-C the same command with --resume makes only the missing lines.
    `--ray ADDRESS` spreads the lines over a Ray cluster's GPUs; this process
    still writes every file and library row.
    """
    from pixref.batch import read_jobs

    job_list, warnings = read_jobs(jobs, model=model, models_dir=models_dir, check=_check_sampler)
    images = sum(job.images for job in job_list)
    steps = sum(job.params.steps * job.images for job in job_list)
    err_console.print(
        f"batch: {len(job_list)} lines, {images} images, {steps} sampling steps", highlight=False
    )
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    load_options = {"allow_unsafe_pickle": allow_unsafe_pickle}
    backend = start_backend(ray, ray_actors, models_dir, device, load_options)
    _go(job_list, jobs, backend, images=images, steps=steps, out=output, record=not no_log,
        resume=resume, quiet=quiet)  # fmt: skip


def _check_sampler(params) -> None:
    """The engine's own check: a sampler A1111 knows may not be run by pixref yet."""
    from pixref.engine._adapters import check_sampler

    check_sampler(params.sampler, params.schedule_type)


def _go(job_list, jobs, backend, *, images, steps, out, record, resume, quiet) -> None:
    from pixref.batch import BatchInterrupted, run_batch

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())  # fmt: skip
    progress = Progress(*columns, console=err_console, transient=True, disable=quiet)
    stop = threading.Event()
    with backend, progress, _stop_on_ctrl_c(stop):
        image_task = progress.add_task("images", total=images)
        step_task = progress.add_task("steps", total=steps)

        def on_kept(kept) -> None:
            progress.advance(image_task, sum(job.images for job in kept))
            progress.advance(step_task, sum(job.params.steps * job.images for job in kept))

        def on_saved(job, paths, ids) -> None:
            progress.advance(image_task, len(paths))
            for path in paths:
                console.print(str(path), markup=False)

        try:
            result = run_batch(
                job_list, jobs, backend=backend, out=out, record=record, resume=resume,
                on_saved=on_saved, on_kept=on_kept, should_stop=stop.is_set,
                on_step=lambda event: progress.advance(step_task),
            )  # fmt: skip
        except (BatchInterrupted, KeyboardInterrupt) as exc:
            partial = getattr(exc, "result", None)
            done = (partial.kept + len(partial.made)) if partial is not None else None
            where = f" after {done} of {len(job_list)} lines" if done is not None else ""
            err_console.print(
                f"interrupted{where}; the same command with --resume finishes the batch",
                highlight=False,
            )
            raise typer.Exit(130) from None
    for warning in [*result.warnings, *getattr(backend, "notices", ())]:
        err_console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    if result.kept:
        err_console.print(f"resumed: kept {result.kept} finished lines", highlight=False)
    if result.completed:
        err_console.print(
            f"completed {result.completed} line(s) a stopped run had saved but not recorded",
            highlight=False,
        )
    if result.entries:
        err_console.print(
            f"logged {len(result.entries)} images as #{min(result.entries)}-#{max(result.entries)}",
            highlight=False,
        )


class _stop_on_ctrl_c:  # noqa: N801 - used as a context manager
    """The first Ctrl-C sets ``stop`` (the run ends at the next step); a second one quits."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.stop.is_set():
            raise KeyboardInterrupt
        self.stop.set()
        err_console.print("stopping at the next step (Ctrl-C again to quit at once)")

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def register(app: typer.Typer) -> None:
    app.command("batch")(batch)
