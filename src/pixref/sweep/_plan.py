"""The sweep plan: every cell's parameters, the generation order, and the batches.

Cells are addressed ``(x, y, z)`` by value index. They are generated with the
costliest axis outermost (A1111's ``cost``: checkpoint, then VAE), seeds innermost,
so models load once per value. Cells that differ only by seed, variation seed and
CFG scale share one engine batch (each image gets its own values, see
`engine.ImageOverrides`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from pixref.params import GenerationParams
from pixref.sweep._axes import Axis, Value, parse_axis
from pixref.sweep._errors import SweepError

AXIS_LETTERS = ("X", "Y", "Z")
#: A1111 refuses grids over ``img_max_size_mp``; pixref refuses sweeps over this many cells.
MAX_CELLS = 1000


@dataclass(frozen=True)
class Cell:
    """One image of the sweep: its grid position, axis values and parameters."""

    index: tuple[int, int, int]
    values: tuple[Value, ...]
    params: GenerationParams

    @property
    def name(self) -> str:
        """File-name stem, ``x00-y01-z00``."""
        x, y, z = self.index
        return f"x{x:02d}-y{y:02d}-z{z:02d}"


@dataclass(frozen=True)
class Plan:
    """A parsed sweep: base params, axes (X, then Y, then Z) and all cells.

    ``requested`` and ``request`` are the axis specs and base params as asked,
    before random seeds were fixed; ``--resume`` matches a stored sweep by them.
    """

    base: GenerationParams
    axes: tuple[Axis, ...]
    cells: tuple[Cell, ...]
    requested: tuple[str, ...] = ()
    request: GenerationParams | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(columns, rows, grids)``; a missing axis counts 1."""
        sizes = [len(a.values) for a in self.axes] + [1, 1, 1]
        return sizes[0], sizes[1], sizes[2]

    def cell(self, x: int, y: int, z: int) -> Cell:
        cols, rows, _ = self.shape
        return self.cells[(z * rows + y) * cols + x]

    def axis_values(self, cell: Cell) -> dict[str, Value]:
        """``{"X: CFG Scale": 7, ...}``, what the library records for a cell."""
        return {
            f"{AXIS_LETTERS[i]}: {axis.name}": _jsonable(value)
            for i, (axis, value) in enumerate(zip(self.axes, cell.values, strict=True))
        }

    def order(self) -> list[Cell]:
        """Cells in generation order: costliest axis outermost, cheapest innermost."""
        dims = sorted(range(len(self.axes)), key=lambda i: (-self.axes[i].type.cost, -i))
        cols, rows, grids = self.shape
        sizes = (cols, rows, grids)
        ordered = []
        loops = [range(sizes[d]) for d in dims]
        for combo in itertools.product(*loops):
            pos = [0, 0, 0]
            for d, value in zip(dims, combo, strict=True):
                pos[d] = value
            ordered.append(self.cell(*pos))
        return ordered

    def batches(self, batch_size: int, cells: Sequence[Cell] | None = None) -> list[list[Cell]]:
        """Groups of cells that one engine call can make together, up to ``batch_size``.

        Cells whose params are equal but for seed, variation seed and CFG scale
        (any values) share a batch; the engine gives each image its own
        (`engine.ImageOverrides`). Groups come in the order their first cell has
        in ``cells`` (default: generation order), so the costliest axis stays
        outermost and each model still loads once; within a group cells keep
        their order.
        """
        if batch_size < 1:
            raise SweepError(f"`--batch-size` must be at least 1, got {batch_size}")
        groups: list[tuple[GenerationParams, list[Cell]]] = []
        for cell in self.order() if cells is None else cells:
            key = batch_key(cell.params)
            group = next((g for k, g in groups if k == key), None)
            if group is None:
                groups.append((key, [cell]))
            else:
                group.append(cell)
        return [
            group[start : start + batch_size]
            for _, group in groups
            for start in range(0, len(group), batch_size)
        ]


#: What may differ between the images of one engine batch (`engine.ImageOverrides`).
PER_IMAGE_FIELDS = ("seed", "variation_seed", "cfg_scale")


def batch_key(params: GenerationParams) -> GenerationParams:
    """``params`` with the per-image fields blanked: cells with equal keys batch together."""
    return params.replace(seed=0, variation_seed=None, cfg_scale=0)


def _jsonable(value: Value) -> Value:
    return list(value) if isinstance(value, tuple) else value


def plan_sweep(
    base: GenerationParams, specs: Sequence[str], *, keep_random_seeds: bool = False
) -> Plan:
    """Parse up to three axis specs (X, Y, Z) against ``base`` and list every cell.

    Everything is validated here, before any model loads. A base seed of -1 is
    fixed to one random seed for the whole sweep, as A1111 does.
    """
    from pixref.infotext import canonical_sampler, canonical_schedule

    specs = [s for s in specs if s is not None]
    request = base
    if not specs:
        raise SweepError("a sweep needs at least one axis: -x NAME=VALUES")
    if len(specs) > 3:
        raise SweepError(f"a sweep has at most three axes (X, Y, Z), got {len(specs)}")
    if canonical_sampler(base.sampler) is None:
        raise SweepError(f"unknown sampler {base.sampler!r}; see `pixref samplers`")
    if base.schedule_type is not None and canonical_schedule(base.schedule_type) is None:
        raise SweepError(f"unknown schedule type {base.schedule_type!r}; see `pixref samplers`")
    base = base.replace(batch_size=1, batch_count=1)
    if base.seed == -1 and not keep_random_seeds:
        from random import Random

        base = base.replace(seed=Random().randrange(4294967294))
    axes = tuple(parse_axis(s, base, keep_random_seeds=keep_random_seeds) for s in specs)
    seen: set[str] = set()
    for axis in axes:
        if axis.type.key in seen and axis.type.key != "prompt_sr":
            raise SweepError(f"axis `{axis.name}` is given twice; sweep it on one axis only")
        seen.add(axis.type.key)
    count = 1
    for axis in axes:
        count *= len(axis.values)
    if count > MAX_CELLS:
        raise SweepError(f"the sweep has {count} cells; at most {MAX_CELLS}, use fewer values")
    cells = []
    ranges = [range(len(a.values)) for a in axes] + [range(1)] * (3 - len(axes))
    for z, y, x in itertools.product(ranges[2], ranges[1], ranges[0]):
        pos = (x, y, z)
        values = tuple(axis.values[pos[i]] for i, axis in enumerate(axes))
        params = base
        for axis, value in zip(axes, values, strict=True):
            params = axis.apply(params, value)
        cells.append(Cell(pos, values, params))
    return Plan(base, axes, tuple(cells), tuple(specs), request)
