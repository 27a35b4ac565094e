"""Running a sweep: generate every cell through the engine, save, log, draw the grid.

The sweep definition (base params and the axes with their values as used) travels
in the grid PNG's ``pixref-sweep`` text chunk and in ``<grid>-cells/sweep.json``,
so a sweep can be repeated (``--from GRID.png``) or resumed (``--resume``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from pixref.metadata import read_metadata, save_png
from pixref.params import GenerationParams, PixrefError
from pixref.sweep._errors import SweepError, SweepInterrupted
from pixref.sweep._grid import render_grid, render_sheet
from pixref.sweep._plan import AXIS_LETTERS, Cell, Plan, plan_sweep

SWEEP_CHUNK = "pixref-sweep"
STATE_FILE = "sweep.json"


def definition(plan: Plan) -> dict[str, Any]:
    """The JSON sweep definition: base params, resolved axis specs, and what was asked."""
    request = plan.request if plan.request is not None else plan.base
    return {
        "version": 1,
        "base": plan.base.to_dict(),
        "axes": [axis.resolved_spec() for axis in plan.axes],
        "requested": list(plan.requested),
        "request": request.to_dict(),
    }


def plan_from_definition(data: dict[str, Any]) -> Plan:
    """Re-plan a stored definition exactly (its seeds are already fixed)."""
    try:
        base = GenerationParams.from_dict(data["base"])
        specs = list(data["axes"])
        request = GenerationParams.from_dict(data.get("request") or data["base"])
        requested = tuple(data.get("requested") or specs)
    except (KeyError, TypeError) as exc:
        raise SweepError(f"the stored sweep definition is incomplete ({exc})") from None
    plan = plan_sweep(base, specs, keep_random_seeds=True)
    return dataclasses.replace(plan, requested=requested, request=request)


_SCRIPT_KEYS = {"Script", *(f"{a} {k}" for a in AXIS_LETTERS for k in ("Type", "Values"))}
_SCRIPT_KEYS |= {f"Fixed {a} Values" for a in AXIS_LETTERS}


def a1111_axes(params: GenerationParams) -> tuple[GenerationParams, list[str]]:
    """Split A1111's ``Script: X/Y/Z plot`` keys off ``params``: the rest and the axis specs.

    A1111 writes them into its grid's infotext; ``Fixed X Values`` (the seeds it
    picked for ``-1``) win over ``X Values``.
    """
    extra = dict(params.extra)
    specs = []
    if extra.get("Script") == "X/Y/Z plot":
        for letter in AXIS_LETTERS:
            kind = extra.get(f"{letter} Type")
            values = extra.get(f"Fixed {letter} Values") or extra.get(f"{letter} Values")
            if kind and kind != "Nothing" and values:
                specs.append(f"{kind}={values.strip().strip(chr(34))}")
    rest = tuple((k, v) for k, v in params.extra if k not in _SCRIPT_KEYS)
    return params.replace(extra=rest), specs


def read_definition(path: Path) -> dict[str, Any] | None:
    """The ``pixref-sweep`` definition a grid PNG carries, or None."""
    text = read_metadata(path).raw.get(SWEEP_CHUNK)
    return json.loads(text) if text else None


@dataclass
class SweepResult:
    """What a run made: grid files, cell files by cell name, the library sweep id."""

    grids: list[Path]
    cells: dict[str, Path]
    generated: int
    skipped: int
    sweep_id: int | None
    warnings: list[str] = field(default_factory=list)
    entries: list[int] = field(default_factory=list)


def cells_folder(grid: Path) -> Path:
    return grid.with_name(f"{grid.stem}-cells")


def run_sweep(
    plan: Plan,
    grid: Path,
    *,
    models_dir: Path | None = None,
    device: str | None = None,
    load_options: dict[str, Any] | None = None,
    controls: Sequence[Any] = (),
    batch_size: int = 4,
    resume: bool = False,
    record: bool = True,
    on_cells: Callable[[Sequence[Cell], bool], None] | None = None,
    on_step: Callable[[Any], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    backend: Any = None,
    gap: int = 0,
) -> SweepResult:
    """Generate the cells of ``plan`` not yet made, save them, log them, draw the grid.

    Cells go to ``<grid stem>-cells/<x..-y..-z..>.png``, each with its own
    infotext. With ``resume``, a cell whose file exists is kept as it is (and
    logged, if the run that made it stopped before logging it).
    A stored sweep asked the same way (same specs and base params, before random
    seeds were fixed) is resumed with its own seeds. ``controls`` are
    `engine.ControlRequest` (or loaded `engine.ControlInput`) units; a ControlNet
    weight axis sets their weights. ``on_cells(cells, made)`` is called after each
    engine call with the cells it made (``made`` True), and once with the cells
    kept by ``resume``.
    ``should_stop()`` is asked between sampling steps (and batches); True ends the
    run with `SweepInterrupted`, keeping the finished cells for a later ``resume``.
    ``backend`` runs the engine calls (by default an `engine.LocalBackend` of
    ``models_dir``, ``device`` and ``load_options``; the server passes its own, and a
    `pixref.dist.RayBackend` spreads them over a cluster);
    this process saves and logs every cell whichever backend made it.
    """
    from pixref import engine  # torch loads only when generating

    check_models(plan, models_dir)
    folder = cells_folder(grid)
    folder.mkdir(parents=True, exist_ok=True)
    if resume:  # a run killed while writing a cell leaves its temporary file
        for stale in folder.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
    state_path = folder / STATE_FILE
    state = _load_state(state_path) if resume else None
    if state is not None and _same_request(state.get("definition", {}), plan):
        plan = plan_from_definition(state["definition"])
    warnings: list[str] = []
    sweep_id = _open_sweep(plan, state, record, warnings, grid)
    state = {"definition": definition(plan), "library_sweep": sweep_id}
    state_path.write_text(json.dumps(state, indent=2, ensure_ascii=False), encoding="utf-8")

    paths = {cell.name: folder / f"{cell.name}.png" for cell in plan.cells}
    done = {c.name for c in plan.cells if resume and _finished(paths[c.name], c.params)}
    entries: list[int] = []
    if done:
        kept = [c for c in plan.cells if c.name in done]
        entries += _record_unlogged(plan, kept, paths, sweep_id, warnings)
        if on_cells:
            on_cells(kept, False)
    todo = [c for c in plan.order() if c.name not in done]
    if backend is None:
        backend = engine.LocalBackend(models_dir, device, load_options)
    calls = [_engine_call(batch, controls) for batch in plan.batches(batch_size, todo)]
    made = 0
    try:
        for finished in backend.run(calls, on_step=on_step, should_stop=should_stop):
            batch = finished.call.tag
            result = finished.result
            made += len(batch)
            warnings.extend(w for w in result.warnings if w not in warnings)
            for cell, file, q_out, text in zip(
                batch, finished.files(), result.params, result.infotexts, strict=True
            ):
                save_png(file, paths[cell.name], infotext=text)
                entry = _record(plan, cell, paths[cell.name], q_out, text, sweep_id, warnings)
                if entry is not None:
                    entries.append(entry)
            if on_cells:
                on_cells(batch, True)
    except engine.Interrupted:
        # A batch stopped part-way made no image; the finished ones are saved.
        _interrupted(plan, grid, paths, gap, made, done, sweep_id, warnings, entries)
    grids = save_grids(plan, grid, paths, gap=gap)
    return SweepResult(grids, paths, len(todo), len(done), sweep_id, warnings, entries)


def _engine_call(batch: Sequence[Cell], controls: Sequence[Any]):
    """The engine call making ``batch``: its first cell's params, each cell's seed and CFG."""
    from pixref import engine

    first = batch[0].params
    units = first.controlnets or [c.unit for c in controls]
    return engine.EngineCall(
        first.replace(batch_size=len(batch), controlnets=()),
        controls=tuple(
            dataclasses.replace(c, unit=unit) for c, unit in zip(controls, units, strict=True)
        ),
        per_image=tuple(
            engine.ImageOverrides(
                seed=c.params.seed,
                variation_seed=c.params.variation_seed,
                cfg_scale=c.params.cfg_scale,
            )
            for c in batch
        ),
        tag=list(batch),
    )


def _interrupted(plan, grid, paths, gap, made, done, sweep_id, warnings, entries) -> None:
    """Draw the grid of the cells finished so far, then raise `SweepInterrupted`."""
    finished = [name for name, path in paths.items() if path.is_file()]
    grids = save_grids(plan, grid, paths, gap=gap) if finished else []
    partial = SweepResult(grids, paths, made, len(done), sweep_id, warnings, entries)
    raise SweepInterrupted(
        f"sweep interrupted after {len(finished)} of {len(plan.cells)} cells; "
        "run it again with resume to finish it",
        partial,
    )


def default_grid_path() -> Path:
    """Where a sweep's grid goes when none is given, as A1111 names it:
    ``outputs/txt2img-grids/DATE/NNNNN-xyz_grid.png``.

    The name is reserved by creating its cells folder (`cells_folder`), so sweeps
    started side by side, in one process or several, never share a grid.
    """
    from datetime import date

    from pixref.home import paths
    from pixref.library import next_counter

    folder = paths().outputs / "txt2img-grids" / date.today().isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    number = next_counter(folder)
    while True:
        grid = folder / f"{number:05d}-xyz_grid.png"
        try:
            cells_folder(grid).mkdir()
        except FileExistsError:  # another sweep took this number, its grid not yet written
            number += 1
            continue
        return grid


def check_models(plan: Plan, models_dir: Path | None = None) -> None:
    """Find every checkpoint, VAE and refiner the cells name, before any image is made."""
    from pixref.engine.models import find_checkpoint, find_vae

    seen: set[tuple[str, str]] = set()
    for cell in plan.cells:
        p = cell.params
        wanted = [("checkpoint", p.model), ("vae", p.vae), ("refiner", p.refiner)]
        for kind, name in wanted:
            if name is None or (kind, name) in seen:
                continue
            seen.add((kind, name))
            if kind == "vae":
                find_vae(name, models_dir=models_dir)
            else:
                find_checkpoint(name, models_dir=models_dir)
    if not plan.base.model and not any(c.params.model for c in plan.cells):
        raise SweepError("no model given: pass --model NAME or sweep `checkpoint=...`")


def _load_state(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _same_request(old: dict[str, Any], plan: Plan) -> bool:
    request = plan.request if plan.request is not None else plan.base
    return old.get("requested") == list(plan.requested) and old.get("request") == request.to_dict()


def _open_sweep(plan, state, record, warnings, grid) -> int | None:
    if state is not None:
        old = state.get("definition", {})
        if old.get("axes") != [a.resolved_spec() for a in plan.axes]:
            raise SweepError(
                f"`--resume`: the sweep in {cells_folder(grid)} has other axes "
                f"({'; '.join(old.get('axes', []))}); drop --resume or choose another -o"
            )
        if state.get("library_sweep") is not None or not record:
            return state.get("library_sweep")
    if not record:
        return None
    from pixref.library import open_library

    try:
        with open_library() as lib:
            axes = [
                {"axis": AXIS_LETTERS[i], "name": a.name, "spec": a.resolved_spec()}
                for i, a in enumerate(plan.axes)
            ]
            return lib.new_sweep(grid.stem, axes)
    except PixrefError as exc:
        warnings.append(f"not logged in the library: {exc}")
        return None


def _finished(path: Path, params: GenerationParams) -> bool:
    """A cell file from an earlier run counts when its infotext reads back as this cell."""
    try:
        meta = read_metadata(path)
    except (PixrefError, OSError):
        return False
    if meta.params is None:
        return False
    return all(getattr(meta.params, name) == getattr(params, name) for name in _RESUME_FIELDS)


#: The fields an infotext round-trips exactly, compared when resuming.
_RESUME_FIELDS = ("prompt", "negative_prompt", "seed", "steps", "cfg_scale", "sampler",
                  "width", "height", "clip_skip", "variation_strength")  # fmt: skip


def _record(plan, cell, path, q, text, sweep_id, warnings) -> int | None:
    if sweep_id is None:
        return None
    from pixref.library import Kind, open_library

    try:
        with open_library() as lib:
            return lib.add(path, params=q, infotext=text, kind=Kind.sweep_cell,
                    sweep=(sweep_id, plan.axis_values(cell)), source_path=str(path)).id  # fmt: skip
    except PixrefError as exc:
        message = f"not logged in the library: {exc}"
        if message not in warnings:
            warnings.append(message)
        return None


def _record_unlogged(plan, cells, paths, sweep_id, warnings) -> list[int]:
    """Log the kept cells the sweep's library record lacks (a run stopped between
    writing a cell and logging it), so a resumed sweep has each cell once."""
    if sweep_id is None:
        return []
    from pixref.library import open_library

    try:
        with open_library() as lib:
            found = lib.sweep(sweep_id)
    except PixrefError:
        return []
    logged = [values for _, values in (found or {}).get("cells", [])]
    entries = []
    for cell in cells:
        if plan.axis_values(cell) in logged:
            continue
        meta = read_metadata(paths[cell.name])
        entry = _record(plan, cell, paths[cell.name], meta.params, meta.infotext, sweep_id,
                        warnings)  # fmt: skip
        if entry is not None:
            entries.append(entry)
    return entries


def grid_infotext(plan: Plan, first_text: str | None) -> str:
    """The first cell's infotext plus A1111's ``Script: X/Y/Z plot`` keys."""
    keys = ["Script: X/Y/Z plot"]
    for letter, axis in zip(AXIS_LETTERS, plan.axes, strict=False):
        values = axis.resolved_spec().partition("=")[2]
        keys.append(f"{letter} Type: {axis.name}")
        keys.append(f"{letter} Values: {json.dumps(values, ensure_ascii=False)}")
    head = (first_text or "").rstrip()
    return f"{head}, {', '.join(keys)}" if head else ", ".join(keys)


def save_grids(
    plan: Plan,
    grid: Path,
    paths: dict[str, Path],
    *,
    gap: int = 0,
) -> list[Path]:
    """Draw and save the grid (one sheet; with a Z axis also one file per Z value)."""
    cols, rows, grids = plan.shape
    x_axis = plan.axes[0]
    y_axis = plan.axes[1] if len(plan.axes) > 1 else None
    col_labels = [x_axis.label(v) for v in x_axis.values]
    row_labels = [y_axis.label(v) for v in y_axis.values] if y_axis else [""]
    first_text = None
    if paths[plan.cells[0].name].is_file():
        first_text = read_metadata(paths[plan.cells[0].name]).infotext
    chunk = {SWEEP_CHUNK: json.dumps(definition(plan), ensure_ascii=False)}
    infotext = grid_infotext(plan, first_text)
    subgrids = []
    for z in range(grids):
        images = [[_open(paths[plan.cell(x, y, z).name]) for x in range(cols)] for y in range(rows)]
        subgrids.append(render_grid(images, col_labels, row_labels, gap=gap))
    saved = []
    if len(plan.axes) == 3:
        z_axis = plan.axes[2]
        sheet = render_sheet(subgrids, [z_axis.label(v) for v in z_axis.values], gap=gap)
        for z, sub in enumerate(subgrids):
            target = grid.with_name(f"{grid.stem}-z{z:02d}{grid.suffix}")
            saved.append(save_png(sub, target, infotext=infotext, extra_text=chunk))
    else:
        sheet = subgrids[0]
    saved.insert(0, save_png(sheet, grid, infotext=infotext, extra_text=chunk))
    return saved


def _open(path: Path) -> Image.Image | None:
    if not path.is_file():
        return None
    with Image.open(path) as image:
        image.load()
        return image.copy()
