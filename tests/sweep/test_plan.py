"""The plan: cells, generation order (costliest axis outermost) and seed batches."""

from __future__ import annotations

import pytest

from pixref.params import GenerationParams
from pixref.sweep import MAX_CELLS, SweepError, plan_sweep

BASE = GenerationParams(prompt="a cat", seed=5)


def test_cells_in_grid_order_with_axis_values():
    plan = plan_sweep(BASE, ["cfg=3,5,7", "seed=1,2"])
    assert plan.shape == (3, 2, 1)
    assert [(c.params.cfg_scale, c.params.seed) for c in plan.cells] == [
        (3, 1), (5, 1), (7, 1), (3, 2), (5, 2), (7, 2),
    ]  # fmt: skip
    assert plan.axis_values(plan.cell(2, 1, 0)) == {"X: CFG Scale": 7, "Y: Seed": 2}
    assert all(c.params.replace(cfg_scale=7, seed=5) == plan.base for c in plan.cells)


def test_costliest_axis_outermost_and_seeds_innermost():
    plan = plan_sweep(BASE, ["seed=1,2", "cfg=3,5", "checkpoint=a,b"])
    models = [c.params.model for c in plan.order()]
    assert models == ["a"] * 4 + ["b"] * 4  # each checkpoint loads once
    assert [c.params.seed for c in plan.order()][:2] == [1, 2]


def test_consecutive_seeds_share_a_batch():
    plan = plan_sweep(BASE, ["cfg=3,5", "seed=1-4"])
    batches = plan.batches(4)
    # seeds innermost: each CFG value's four seeds form one batch
    assert [[c.params.seed for c in b] for b in batches] == [[1, 2, 3, 4], [1, 2, 3, 4]]
    assert [len(b) for b in plan.batches(3)] == [3, 3, 2]
    assert [len(b) for b in plan.batches(8)] == [8]
    assert [len(b) for b in plan.batches(1)] == [1] * 8


def test_any_seeds_and_cfgs_share_a_batch():
    assert [len(b) for b in plan_sweep(BASE, ["seed=1,3,5"]).batches(4)] == [3]
    assert [len(b) for b in plan_sweep(BASE, ["seed=9,2,40"]).batches(2)] == [2, 1]
    assert [len(b) for b in plan_sweep(BASE, ["cfg=3,5,7"]).batches(4)] == [3]
    plan = plan_sweep(BASE, ["cfg=3,7", "seed=1,5"])
    (batch,) = plan.batches(4)
    assert [(c.params.cfg_scale, c.params.seed) for c in batch] == [(3, 1), (3, 5), (7, 1), (7, 5)]


def test_other_axes_do_not_batch_and_keep_the_costly_order():
    assert [len(b) for b in plan_sweep(BASE, ["steps=3,5,7"]).batches(4)] == [1, 1, 1]
    plan = plan_sweep(BASE, ["cfg=3,5", "steps=10,20", "checkpoint=a,b"])
    batches = plan.batches(4)
    assert [len(b) for b in batches] == [2, 2, 2, 2]
    for batch in batches:  # one key per batch: same model and steps, CFG differs
        assert len({(c.params.model, c.params.steps) for c in batch}) == 1
        assert [c.params.cfg_scale for c in batch] == [3, 5]
    assert [b[0].params.model for b in batches] == ["a", "a", "b", "b"]  # each loads once
    # resume: only the cells still to make are grouped, in the order given
    todo = [c for c in plan.order() if c.params.cfg_scale == 5 or c.params.steps == 10]
    assert [len(b) for b in plan.batches(4, todo)] == [2, 1, 2, 1]


def test_variation_seeds_batch_when_a_strength_is_set():
    base = BASE.replace(variation_strength=0.3)
    plan = plan_sweep(base, ["var seed=10-13"])
    assert [len(b) for b in plan.batches(4)] == [4]
    plan = plan_sweep(base, ["var seed=10,3", "var strength=0.3,0.5"])
    assert [len(b) for b in plan.batches(4)] == [2, 2]


def test_base_seed_minus_one_fixed_once():
    plan = plan_sweep(BASE.replace(seed=-1), ["cfg=3,5"])
    assert plan.cells[0].params.seed == plan.cells[1].params.seed >= 0
    kept = plan_sweep(BASE.replace(seed=-1), ["cfg=3,5"], keep_random_seeds=True)
    assert kept.cells[0].params.seed == -1


@pytest.mark.parametrize(
    ("specs", "match"),
    [
        ([], "at least one axis"),
        (["cfg=1", "steps=1", "seed=1", "width=64"], "at most three"),
        (["cfg=1", "CFG Scale=2"], "given twice"),
        (["seed=1-20", "steps=1-20", "cfg=1-20 (+1)"], f"at most {MAX_CELLS}"),
    ],
)
def test_invalid_plans(specs, match):
    with pytest.raises(SweepError, match=match):
        plan_sweep(BASE, specs)


def test_invalid_base_sampler():
    with pytest.raises(SweepError, match="unknown sampler"):
        plan_sweep(BASE.replace(sampler="Nope"), ["cfg=3"])


def test_a1111_grid_infotext_gives_the_axes():
    from pixref.infotext import parse_infotext
    from pixref.sweep import a1111_axes

    text = (
        "a cat\nSteps: 3, Sampler: Euler a, CFG scale: 3, Seed: 1, Size: 64x64, "
        'Script: X/Y/Z plot, X Type: CFG Scale, X Values: "3,5,7", Y Type: Seed, '
        'Y Values: "-1,-1", Fixed Y Values: "11, 12", Z Type: Nothing, Z Values: ""'
    )
    params, specs = a1111_axes(parse_infotext(text))
    assert specs == ["CFG Scale=3,5,7", "Seed=11, 12"] and params.extra == ()
    plan = plan_sweep(params, specs)
    assert plan.shape == (3, 2, 1) and plan.cell(2, 1, 0).params.seed == 12
