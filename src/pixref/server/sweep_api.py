"""``/api/sweeps``: X/Y/Z sweeps as jobs — start, follow, cancel, resume, fetch the grid.

Thin over `pixref.sweep`, as ``pixref sweep`` is: axes are the CLI's specs
(``"cfg=3,5,7"``, ``"seed=1-4"``, ``"sampler=Euler a,DPM++ 2M"``), planned and checked
before anything is queued; the job runs `run_sweep` on the device lane through the
server's backend (its loaded models; on Ray, the cells spread over the actors, and
the server saves and logs them), reports progress in sampling steps over all cells, and stops
between steps when cancelled. A cancelled sweep keeps its finished cells and
resumes from them. While it runs, `GET /api/sweeps/{job}` lists the cells finished so
far; ``POST /api/sweeps/check`` plans a sweep without queueing it, for forms.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from pixref.params import GenerationParams
from pixref.server._errors import API_ERROR_RESPONSES, Conflict, NotFound
from pixref.server._jobs import FINISHED, Cancelled, Job, JobState
from pixref.server._results import image_url
from pixref.server._state import ServerState, State
from pixref.server._uploads import LibraryId, Seed, library_entry
from pixref.sweep import (
    AXIS_LETTERS,
    Plan,
    SweepInterrupted,
    SweepResult,
    cells_folder,
    check_models,
    default_grid_path,
    parse_axis,
    plan_sweep,
    run_sweep,
)
from pixref.sweep._run import STATE_FILE

router = APIRouter(prefix="/api/sweeps", tags=["sweeps"], responses=API_ERROR_RESPONSES)
KIND = "sweep"


class SweepIn(BaseModel):
    """A sweep: base parameters (A1111's API names) and up to three axes."""

    model_config = ConfigDict(extra="forbid")

    axes: list[str] = Field(
        min_length=1, max_length=3,
        description='X, then Y, then Z, as `pixref sweep` takes them: "cfg=3,5,7", '
        '"seed=1-4", "steps=10-30 (+10)", "Prompt S/R=cat,fox".',
    )  # fmt: skip
    from_id: LibraryId | None = Field(None, description="Start from a library entry's parameters.")
    prompt: str | None = None
    negative_prompt: str | None = None
    steps: int | None = Field(None, ge=1, le=500)
    sampler_name: str | None = Field(None, description='e.g. "Euler a".')
    scheduler: str | None = Field(None, description='Schedule type, e.g. "Karras".')
    cfg_scale: float | None = Field(None, ge=0)
    seed: Seed | None = Field(None, description="-1: one random seed for the whole sweep.")
    subseed: Seed | None = Field(None, description="Variation seed.")
    subseed_strength: float | None = Field(None, ge=0, le=1, description="Variation strength.")
    width: int | None = Field(None, ge=64, le=8192)
    height: int | None = Field(None, ge=64, le=8192)
    clip_skip: int | None = Field(None, ge=1, le=12)
    model: str | None = Field(None, description="Checkpoint name [the server's default].")
    batch_size: int = Field(
        4, ge=1, le=64, description="Most cells per engine batch (cells differing by seed)."
    )
    keep_random_seeds: bool = Field(False, description="-1 seeds stay random per cell.")
    grid_margin: int = Field(0, ge=0, le=500, description="Pixels between cells.")


class SweepCheckIn(SweepIn):
    """A sweep to check: `SweepIn`, its numbers and booleans taken only as typed (a
    check answers 200 for what it refuses to plan, so what does not parse must be a 422)."""

    @field_validator(
        "from_id", "steps", "cfg_scale", "seed", "subseed", "subseed_strength", "width",
        "height", "clip_skip", "batch_size", "grid_margin", mode="before",
    )  # fmt: skip
    @classmethod
    def _number(cls, value: Any) -> Any:
        if isinstance(value, str | bool):  # 4.0 is a number, as JSON Schema says
            raise ValueError("must be a number, not text or true/false")
        return value

    @field_validator("keep_random_seeds", mode="before")
    @classmethod
    def _bool(cls, value: Any) -> Any:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value


@dataclass
class SweepRun:
    """What a sweep job runs (kept as its ``params``, so it can be resumed)."""

    plan: Plan
    batch_size: int
    gap: int
    grid: Path | None = None
    resume: bool = False
    live: SweepResultOut | None = None  # the cells finished so far, while running


class AxisOut(BaseModel):
    axis: str
    name: str
    spec: str = Field(description="The values as used (random seeds fixed).")
    values: list[Any]


class CellOut(BaseModel):
    name: str = Field(description="`x00-y01-z00`.")
    position: tuple[int, int, int]
    values: dict[str, Any] = Field(description="Axis values, as the library records them.")
    image_id: int | None
    url: str | None


class SweepResultOut(BaseModel):
    sweep_id: int | None = Field(description="The library sweep (`pixref log show sweep:ID`).")
    cells: list[CellOut] = Field(description="Every finished cell; all of them when done.")
    grid_url: str | None = Field(description="The labelled grid PNG.")
    generated: int = Field(description="Cells made by this job.")
    skipped: int = Field(description="Cells kept from an earlier, cancelled run.")
    warnings: list[str] = []


class AxisCheck(BaseModel):
    axis: str = Field(description="X, Y or Z.")
    spec: str = Field(description="The axis as asked.")
    name: str | None = Field(description="Its label (`CFG Scale`) when it parses.")
    values: list[Any] | None = Field(description="Its values when it parses (-1 seeds kept).")
    error: str | None = Field(description="Why this axis is refused, in one line.")


class SweepCheckOut(BaseModel):
    ok: bool = Field(description="`POST /api/sweeps` would queue this sweep.")
    axes: list[AxisCheck]
    shape: tuple[int, int, int] | None = Field(description="Columns, rows, grids.")
    cells: int | None
    steps: int | None = Field(description="Sampling steps over all cells.")
    error: str | None = Field(description="A problem not of one axis, in one line.")
    field: str | None = Field(
        description="The request field `error` comes from (`sampler_name`, `model`, "
        "`from_id`, ...); none for the sweep as a whole."
    )


class SweepOut(BaseModel):
    job: dict[str, Any] = Field(description="The job's summary (state, progress, steps).")
    axes: list[AxisOut]
    shape: tuple[int, int, int] = Field(description="Columns, rows, grids.")
    cells: int
    steps: int = Field(description="Sampling steps over all cells.")
    base: dict[str, Any] = Field(
        description="The base parameters as used, a -1 seed fixed (pixref's storage format: "
        "fields left at their default are left out)."
    )
    result: SweepResultOut | None = Field(
        None,
        description="When done or cancelled: what was made; while running, the cells "
        "finished so far (no grid yet).",
    )


def _params(body: SweepIn, state: ServerState) -> GenerationParams:
    base = GenerationParams()
    if body.from_id is not None:
        entry = library_entry(body.from_id)
        if entry.params is None:
            raise NotFound(f"library entry {body.from_id} has no generation parameters")
        base = entry.params
    cfg = body.cfg_scale
    if cfg is not None and float(cfg).is_integer():
        cfg = int(cfg)  # "CFG scale: 7", as A1111 writes it
    changes = {
        "prompt": body.prompt, "negative_prompt": body.negative_prompt, "steps": body.steps,
        "sampler": body.sampler_name, "schedule_type": body.scheduler, "cfg_scale": cfg,
        "seed": body.seed, "variation_seed": body.subseed,
        "variation_strength": body.subseed_strength, "width": body.width,
        "height": body.height, "clip_skip": body.clip_skip, "model": body.model,
    }  # fmt: skip
    params = base.replace(**{k: v for k, v in changes.items() if v is not None})
    if not params.model:
        params = params.replace(model=state.generation.default_checkpoint())
    return params


def _check(body: SweepIn, state: ServerState) -> SweepCheckOut:
    """Plan ``body`` as `start_sweep` would and say what is wrong next to its cause."""
    from pixref.engine.models import find_checkpoint, find_vae
    from pixref.infotext import canonical_sampler, canonical_schedule
    from pixref.params import PixrefError

    models_dir = state.settings.models_dir
    rows = [AxisCheck(axis=AXIS_LETTERS[i], spec=s, name=None, values=None, error=None)
            for i, s in enumerate(body.axes)]  # fmt: skip
    problem: tuple[str | None, str] | None = None  # (field, message), the first found
    try:
        params = _params(body, state)
    except PixrefError as exc:
        field = "from_id" if isinstance(exc, NotFound) and body.from_id is not None else "model"
        problem, params = (field, str(exc)), None
    base = params or GenerationParams(
        prompt=body.prompt or "", negative_prompt=body.negative_prompt or ""
    )
    if problem is None and canonical_sampler(base.sampler) is None:
        problem = ("sampler_name", f"unknown sampler {base.sampler!r}; see `pixref samplers`")
    if problem is None and base.schedule_type is not None:
        if canonical_schedule(base.schedule_type) is None:
            message = f"unknown schedule type {base.schedule_type!r}; see `pixref samplers`"
            problem = ("scheduler", message)
    seen: set[str] = set()
    finders = {"model": find_checkpoint, "vae": find_vae}
    for row in rows:
        try:
            axis = parse_axis(row.spec, base, keep_random_seeds=True)
            if axis.type.key in seen and axis.type.key != "prompt_sr":
                raise PixrefError(f"axis `{axis.name}` is given twice; sweep it on one axis only")
            seen.add(axis.type.key)
            for value in axis.values if axis.type.key in finders else ():
                finders[axis.type.key](value, models_dir=models_dir)
        except PixrefError as exc:
            row.error = str(exc)
            continue
        row.name = axis.name
        row.values = [json.loads(json.dumps(v, default=str)) for v in axis.values]
    out = SweepCheckOut(ok=False, axes=rows, shape=None, cells=None, steps=None, error=None,
                        field=None)  # fmt: skip
    if problem is not None:
        out.field, out.error = problem
    if problem is not None or any(row.error for row in rows):
        return out
    try:
        plan = plan_sweep(params, body.axes, keep_random_seeds=True)  # e.g. too many cells
    except PixrefError as exc:
        out.error = str(exc)
        return out
    try:
        check_models(plan, models_dir)  # the axes' checkpoints are found: the base's
    except PixrefError as exc:
        out.field, out.error = "model", str(exc)
        return out
    planned = _plan_out(plan)
    out.ok, out.shape = True, planned["shape"]
    out.cells, out.steps = planned["cells"], planned["steps"]
    return out


def _plan_out(plan: Plan) -> dict[str, Any]:
    return {
        "axes": [
            AxisOut(
                axis=AXIS_LETTERS[i],
                name=a.name,
                spec=a.resolved_spec(),
                values=[json.loads(json.dumps(v, default=str)) for v in a.values],
            )
            for i, a in enumerate(plan.axes)
        ],  # fmt: skip
        "shape": plan.shape,
        "cells": len(plan.cells),
        "steps": sum(c.params.steps for c in plan.cells),
    }


def _sweep_out(job: Job) -> SweepOut:
    run: SweepRun = job.params
    result = job.result if isinstance(job.result, SweepResultOut) else None
    if result is None and job.state == JobState.running:
        result = run.live
    base = run.plan.base.to_dict()
    return SweepOut(job=job.summary(), base=base, result=result, **_plan_out(run.plan))


def _result(job_id: str, run: SweepRun, made) -> SweepResultOut:
    """The API view of a `SweepResult`: each finished cell with its library id."""
    from pixref.library import open_library
    from pixref.params import PixrefError

    recorded: dict[str, int] = {}
    if made.sweep_id is not None:
        try:
            with open_library() as lib:
                found = lib.sweep(made.sweep_id) or {"cells": []}
            recorded = {json.dumps(values, sort_keys=True): eid for eid, values in found["cells"]}
        except PixrefError:
            pass  # the warnings already say the library failed
    cells = []
    for cell in run.plan.cells:
        if not made.cells[cell.name].is_file():
            continue
        values = json.loads(json.dumps(run.plan.axis_values(cell), ensure_ascii=False))
        entry_id = recorded.get(json.dumps(values, sort_keys=True))
        cells.append(CellOut(name=cell.name, position=cell.index, values=values,
                             image_id=entry_id, url=image_url(entry_id)))  # fmt: skip
    return SweepResultOut(
        sweep_id=made.sweep_id,
        cells=cells,
        grid_url=f"/api/sweeps/{job_id}/grid" if made.grids else None,
        generated=made.generated,
        skipped=made.skipped,
        warnings=list(made.warnings),
    )


def _live_result(job_id: str, run: SweepRun, generated: int, skipped: int) -> SweepResultOut:
    """The cells finished so far (each logged before `on_cells` is told of it)."""
    folder = cells_folder(run.grid)
    try:
        stored = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored = {}
    paths = {cell.name: folder / f"{cell.name}.png" for cell in run.plan.cells}
    made = SweepResult([], paths, generated, skipped, stored.get("library_sweep"))
    return _result(job_id, run, made).model_copy(update={"grid_url": None})


def _job_function(state: ServerState, run: SweepRun):
    plan = run.plan
    total = max(1, sum(c.params.steps for c in plan.cells))

    def work(ctx) -> SweepResultOut:
        if run.grid is None:
            run.grid = default_grid_path()
        job, count = ctx.job, {"done": 0, "live": 0, "cells": 0, "made": 0, "kept": 0}
        run.live = None
        job.steps, job.images = total, len(plan.cells)

        def report() -> None:
            steps = min(count["done"] + count["live"], total)
            job.step, job.image = steps, count["cells"]
            ctx.progress(steps / total, f"{count['cells']} of {len(plan.cells)} cells")

        def on_step(event) -> None:
            count["live"] += event.batch_total  # one step of each image of the batch
            report()

        def on_cells(cells, made: bool) -> None:
            count["done"] += sum(c.params.steps for c in cells)
            count["live"], count["cells"] = 0, count["cells"] + len(cells)
            count["made"] += len(cells) if made else 0
            count["kept"] += 0 if made else len(cells)
            run.live = _live_result(job.id, run, count["made"], count["kept"])
            report()  # after `live`: a client told of the progress finds the new cells

        ctx.progress(0.0, "loading models")
        service = state.generation
        try:
            made = run_sweep(
                plan, run.grid, models_dir=service.models_dir, device=service.device,
                backend=service.active_backend(), batch_size=run.batch_size, resume=run.resume,
                on_cells=on_cells, on_step=on_step, should_stop=ctx.should_stop, gap=run.gap,
            )  # fmt: skip
        except SweepInterrupted as stop:
            raise Cancelled(str(stop), _result(job.id, run, stop.partial)) from None
        return _result(job.id, run, made)

    return work


def _submit(state: ServerState, run: SweepRun) -> Job:
    plan = run.plan
    title = f"sweep {' x '.join(a.name for a in plan.axes)} ({len(plan.cells)} cells)"
    return state.jobs.submit(
        KIND, _job_function(state, run), title=title, on_device=True, params=run
    )


async def _answer(state: ServerState, job: Job, wait: bool) -> JSONResponse:
    if wait:
        await state.jobs.wait(job)
    body = _sweep_out(job).model_dump(mode="json")
    return JSONResponse(body, status_code=200 if wait else 202)


@router.post(
    "",
    summary="Start a sweep (an X/Y/Z grid) as a job",
    response_model=SweepOut,
    status_code=202,
)
async def start_sweep(
    body: SweepIn,
    state: State,
    wait: Annotated[bool, Query(description="Wait until the sweep ends.")] = False,
):
    """Plan the sweep (bad axes, unknown samplers and missing checkpoints are refused
    now, 400; no checkpoint installed at all is 503) and queue it on the device.
    Follow it with `GET /api/sweeps/{job}` or `GET /api/jobs/events`."""
    params = _params(body, state)
    plan = plan_sweep(params, body.axes, keep_random_seeds=body.keep_random_seeds)
    check_models(plan, state.settings.models_dir)
    run = SweepRun(plan, batch_size=body.batch_size, gap=body.grid_margin)
    return await _answer(state, _submit(state, run), wait)


@router.post("/check", summary="Check a sweep without starting it")
def check_sweep(body: SweepCheckIn, state: State) -> SweepCheckOut:
    """Plan the sweep as `POST /api/sweeps` does and queue nothing: the grid's shape,
    cells and steps, or what is wrong. Problems are said next to their cause rather
    than as an HTTP error: an axis's in its `error`, a base field's in `error` with
    the `field` named, so a form can show each in place. Answers 200 whenever the
    body parses."""
    return _check(body, state)


def _sweep_job(state: ServerState, job_id: str) -> Job:
    job = state.jobs.get(job_id)
    if job.kind != KIND:
        raise NotFound(f"job {job_id} is a {job.kind} job, not a sweep")
    return job


@router.get("", summary="The sweeps the server knows, newest first")
def list_sweeps(state: State) -> list[SweepOut]:
    return [_sweep_out(job) for job in state.jobs.jobs() if job.kind == KIND]


@router.get("/{job_id}", summary="A sweep's progress and, once ended, its cells")
def get_sweep(job_id: str, state: State) -> SweepOut:
    return _sweep_out(_sweep_job(state, job_id))


@router.delete("/{job_id}", summary="Cancel a sweep (finished cells are kept)")
def cancel_sweep(job_id: str, state: State) -> SweepOut:
    """Same as `POST /api/jobs/{id}/cancel`: a queued sweep ends now, a running one
    between two sampling steps; `POST /api/sweeps/{job}/resume` finishes it later."""
    job = _sweep_job(state, job_id)
    return _sweep_out(state.jobs.cancel(job.id))


@router.post(
    "/{job_id}/resume", summary="Finish a cancelled sweep", response_model=SweepOut, status_code=202
)
async def resume_sweep(
    job_id: str,
    state: State,
    wait: Annotated[bool, Query(description="Wait until the sweep ends.")] = False,
):
    """A new job for the same sweep: cells already made are kept, the rest are made,
    and the grid is drawn again (same library sweep, same seeds)."""
    job = _sweep_job(state, job_id)
    if job.state not in FINISHED:
        raise Conflict(f"sweep {job_id} is {job.state}; cancel it before resuming")
    old: SweepRun = job.params
    run = replace(old, resume=old.grid is not None, live=None)
    return await _answer(state, _submit(state, run), wait)


@router.get(
    "/{job_id}/grid",
    summary="The sweep's labelled grid PNG",
    response_class=FileResponse,
    responses={200: {"content": {"image/png": {}}}},
)
def sweep_grid(job_id: str, state: State) -> FileResponse:
    run: SweepRun = _sweep_job(state, job_id).params
    if run.grid is None or not run.grid.is_file():
        raise NotFound(f"sweep {job_id} has no grid yet")
    return FileResponse(run.grid, media_type="image/png", filename=run.grid.name)
