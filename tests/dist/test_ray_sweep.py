"""Sweeps on Ray: same pixels and library entries as locally, model affinity, lost actors."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from pixref.library import open_library
from pixref.params import GenerationParams
from pixref.sweep import plan_sweep, run_sweep

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def base(tiny_models, **changes) -> GenerationParams:
    p = GenerationParams(prompt="a knight, pixel art", steps=2, width=64, height=64, model="tiny-a")
    return p.replace(**changes)


@contextlib.contextmanager
def torch_threads(count: int):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def library_cells(sweep_id):
    """The sweep's library entries as ``{axis values: (infotext, image hash)}``."""
    with open_library() as lib:
        cells = lib.sweep(sweep_id)["cells"]
        entries = {str(sorted(v.items())): lib.get(i) for i, v in cells}
    assert len(entries) == len(cells), "a cell was logged twice"
    return {k: (e.infotext, e.image_hash) for k, e in entries.items()}


def test_4x3_sweep_on_ray_matches_the_local_run(tmp_path, backend, tiny_models):
    plan = plan_sweep(base(tiny_models), ["cfg=3,5,7,9", "seed=1-3"])
    mdir = tiny_models.models_dir
    # CPU sums in another order with another thread count: compute as one actor does
    with torch_threads(backend.describe()[0]["threads"]):
        local = run_sweep(plan, tmp_path / "local.png", models_dir=mdir, device="cpu",
                          batch_size=1)  # fmt: skip
    local_cells = library_cells(local.sweep_id)
    remote = run_sweep(plan, tmp_path / "ray.png", models_dir=mdir, backend=backend,
                       batch_size=1)  # fmt: skip
    assert (remote.generated, len(remote.entries)) == (12, 12)
    for name, path in local.cells.items():
        assert path.read_bytes() == remote.cells[name].read_bytes(), name
    assert library_cells(remote.sweep_id) == local_cells
    ours = Image.open(remote.grids[0])
    assert np.array_equal(np.asarray(ours), np.asarray(Image.open(local.grids[0])))
    # the work was spread: every actor made some of the cells
    assert all(sum(loads.values()) == 1 for loads in backend.loads())


def test_a_killed_actor_s_cells_are_made_by_the_others_exactly_once(tmp_path, backend, tiny_models):
    plan = plan_sweep(base(tiny_models, steps=3), ["cfg=3,5,7,9", "seed=1-3"])
    victim = backend.describe()[0]["pid"]
    made: list[str] = []

    def on_cells(cells, _made) -> None:
        made.extend(c.name for c in cells)
        if len(made) == 1:
            os.kill(victim, signal.SIGKILL)

    result = run_sweep(plan, tmp_path / "g.png", models_dir=tiny_models.models_dir,
                       backend=backend, batch_size=1, on_cells=on_cells)  # fmt: skip
    assert sorted(made) == sorted(c.name for c in plan.cells)  # each cell once
    assert all(p.is_file() for p in result.cells.values())
    assert len(library_cells(result.sweep_id)) == 12 == len(result.entries)
    assert backend.capacity == 2 and victim not in [a["pid"] for a in backend.describe()]
    assert any(f"actor {victim}" in n and "re-queued" in n for n in backend.notices)


def test_model_affinity_loads_each_checkpoint_once_per_actor(ray_cluster, tiny_models, tmp_path):
    from pixref.dist import RayBackend

    plan = plan_sweep(base(tiny_models), ["seed=1-4", "checkpoint=tiny-a,tiny-b,tiny-c"])
    with RayBackend.start(ray_cluster, device="cpu", actors=2,
                          models_dir=tiny_models.models_dir) as two:  # fmt: skip
        # batch size 1: twelve calls the two actors share
        run_sweep(plan, tmp_path / "g.png", models_dir=tiny_models.models_dir, backend=two,
                  batch_size=1, record=False)  # fmt: skip
        loads = two.loads()
    assert all(count == 1 for actor in loads for count in actor.values()), loads
    # together the actors loaded every checkpoint, none more than twice in all
    assert {name for actor in loads for name in actor} == set(tiny_models.names)


def test_a_killed_driver_s_sweep_resumes_without_duplicates(tmp_path, ray_cluster, tiny_models):
    grid = tmp_path / "grid.png"
    args = ["sweep", "a knight", "--model", "tiny-a", "--models-dir",
            str(tiny_models.models_dir), "--steps", "3", "--size", "64x64", "-x", "seed=1-6",
            "-y", "cfg=3,5", "--batch-size", "1", "-o", str(grid), "--device", "cpu",
            "--ray", ray_cluster, "--ray-actors", "2"]  # fmt: skip
    code = "import sys; from pixref.cli import app; sys.exit(app())"
    driver = subprocess.Popen([sys.executable, "-c", code, *args],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    cells = grid.with_name("grid-cells")
    deadline = time.monotonic() + 240
    while len(list(cells.glob("x*.png"))) < 3 and driver.poll() is None:
        assert time.monotonic() < deadline, "the driver made no cells"
        time.sleep(0.05)
    driver.kill()
    stderr = driver.communicate()[1].decode()
    made_before = len(list(cells.glob("x*.png")))
    assert 3 <= made_before < 12, stderr
    from typer.testing import CliRunner

    from pixref.cli import app

    again = CliRunner().invoke(app, [*args, "--resume"])
    assert again.exit_code == 0, again.output
    assert f"kept {made_before} finished cells" in again.stderr
    assert len(list(cells.glob("x*.png"))) == 12 and not list(cells.glob(".*.tmp"))
    with open_library() as lib:
        assert lib.count() == 12
        sweep_id = lib.sweep_of(lib.search()[0].id)["id"]
    assert len(library_cells(sweep_id)) == 12


def test_a_controlnet_sweep_sends_the_units_by_name_and_matches_the_local_run(
    tmp_path, ray_cluster, tiny_models
):
    from PIL import ImageDraw
    from typer.testing import CliRunner

    from pixref.cli import app
    from pixref.metadata import read_metadata

    pose = tmp_path / "pose.png"
    image = Image.new("RGB", (64, 64))
    ImageDraw.Draw(image).line((10, 5, 50, 60), fill=(255, 0, 85), width=6)
    image.save(pose)
    args = ["sweep", "a knight", "--model", "tiny-a", "--models-dir",
            str(tiny_models.models_dir), "--steps", "2", "--size", "64x64", "--seed", "9",
            "-x", "controlnet weight=0,1", "--controlnet", "tiny_openpose",
            "--control-image", str(pose), "--no-log"]  # fmt: skip
    with torch_threads(1):  # as each of the two actors on the 3-CPU cluster
        local = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "local.png")])
    assert local.exit_code == 0, local.output
    on_ray = ["--ray", ray_cluster, "--device", "cpu", "--ray-actors", "2"]
    remote = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "ray.png"), *on_ray])
    assert remote.exit_code == 0, remote.output
    for weight, name in enumerate(["x00-y00-z00", "x01-y00-z00"]):
        ours = tmp_path / "ray-cells" / f"{name}.png"
        assert ours.read_bytes() == (tmp_path / "local-cells" / f"{name}.png").read_bytes()
        (unit,) = read_metadata(ours).params.controlnets
        assert (unit.model, unit.weight) == ("tiny_openpose", weight)
    zero, one = (tmp_path / "ray-cells" / f"x0{i}-y00-z00.png" for i in (0, 1))
    assert not np.array_equal(np.asarray(Image.open(zero)), np.asarray(Image.open(one)))
