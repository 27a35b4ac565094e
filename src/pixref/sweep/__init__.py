"""Sweeps: X/Y/Z grids over any generation parameter, A1111's X/Y/Z plot and more.

Axis parsing and planning are torch-free; `run_sweep` drives `pixref.engine` and
records every cell in `pixref.library` as a sweep member.

    plan = plan_sweep(params, ["cfg=3,5,7", "seed=1-2"])
    result = run_sweep(plan, Path("grid.png"), batch_size=4)
"""

from pixref.sweep._axes import AXIS_NAMES, Axis, AxisType, parse_axis
from pixref.sweep._errors import SweepError, SweepInterrupted
from pixref.sweep._grid import Layout, layout_grid, render_grid, render_sheet
from pixref.sweep._plan import AXIS_LETTERS, MAX_CELLS, Cell, Plan, plan_sweep
from pixref.sweep._run import (
    SWEEP_CHUNK,
    SweepResult,
    a1111_axes,
    cells_folder,
    check_models,
    default_grid_path,
    definition,
    grid_infotext,
    plan_from_definition,
    read_definition,
    run_sweep,
    save_grids,
)

__all__ = [
    "AXIS_LETTERS",
    "AXIS_NAMES",
    "MAX_CELLS",
    "SWEEP_CHUNK",
    "Axis",
    "AxisType",
    "Cell",
    "Layout",
    "Plan",
    "SweepError",
    "SweepInterrupted",
    "SweepResult",
    "a1111_axes",
    "cells_folder",
    "check_models",
    "default_grid_path",
    "definition",
    "grid_infotext",
    "layout_grid",
    "parse_axis",
    "plan_from_definition",
    "plan_sweep",
    "read_definition",
    "render_grid",
    "render_sheet",
    "run_sweep",
    "save_grids",
]
