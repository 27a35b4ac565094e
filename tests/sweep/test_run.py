"""Sweeps end to end on a tiny random SD 1.x model: library, batching, resume, --from."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from pixref.cli import app
from pixref.metadata import read_metadata
from pixref.params import GenerationParams
from pixref.sweep import SWEEP_CHUNK, cells_folder, plan_sweep, run_sweep

runner = CliRunner()
TINY = ["--steps", "2", "--size", "64x64"]


def pixels(path):
    return np.asarray(Image.open(path).convert("RGB"))


@pytest.fixture
def counted(monkeypatch):
    """Count engine calls and the images asked of each."""
    from pixref import engine

    calls: list[int] = []
    real = engine.generate

    def generate(params, *args, **kwargs):
        calls.append(params.batch_size)
        return real(params, *args, **kwargs)

    monkeypatch.setattr("pixref.engine._generate.generate", generate)
    return calls


def test_3x2_sweep_logs_6_cells_differing_exactly_by_the_axes(tmp_path, tiny_sd1, private_home):
    grid = tmp_path / "grid.png"
    args = ["sweep", "a cat", "--model", str(tiny_sd1), *TINY, "-x", "cfg=3,5,7", "-y", "seed=1,2"]
    result = runner.invoke(app, ["--home", str(private_home), *args, "-o", str(grid)])
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == [str(grid)]
    assert "6 images" in result.stderr and "sweep #1" in result.stderr
    listed = json.loads(
        runner.invoke(app, ["--home", str(private_home), "log", "list", "--json"]).stdout
    )
    assert len(listed) == 6 and {e["kind"] for e in listed} == {"sweep_cell"}
    from pixref.library import open_library

    with open_library() as lib:
        entries = [lib.get(e["id"]) for e in listed]
        sweeps = [lib.sweep_of(e.id) for e in entries]
    assert {s["id"] for s in sweeps} == {1} and len(sweeps[0]["cells"]) == 6
    seen = set()
    for entry, sw in zip(entries, sweeps, strict=True):
        q = entry.params
        values = sw["values"]
        assert (q.cfg_scale, q.seed) == (values["X: CFG Scale"], values["Y: Seed"])
        seen.add((q.cfg_scale, q.seed))
        rest = q.replace(cfg_scale=7, seed=1).to_dict()
        assert rest == entries[0].params.replace(cfg_scale=7, seed=1).to_dict()
    assert seen == {(c, s) for c in (3, 5, 7) for s in (1, 2)}
    # the grid: 3 columns x 2 rows of 64px cells plus label margins, and its definition
    meta = read_metadata(grid)
    width, height = Image.open(grid).size
    assert width > 3 * 64 and height > 2 * 64
    assert json.loads(meta.raw[SWEEP_CHUNK])["axes"] == ["cfg=3,5,7", "seed=1,2"]
    assert "X Type: CFG Scale" in meta.infotext
    cell = read_metadata(cells_folder(grid) / "x02-y01-z00.png").params
    assert (cell.cfg_scale, cell.seed) == (7, 2)
    # `pixref log show sweep:ID` lists the cells with their axis values.
    shown = runner.invoke(app, ["--home", str(private_home), "log", "show", "sweep:1", "--json"])
    assert shown.exit_code == 0, shown.output
    shown_cells = json.loads(shown.stdout)["cells"]
    assert sorted(c[0] for c in shown_cells) == sorted(e.id for e in entries)
    assert "log show sweep:1" in result.stderr
    missing = runner.invoke(app, ["--home", str(private_home), "log", "show", "sweep:99"])
    assert missing.exit_code == 1 and "no sweep #99" in missing.stderr


def test_batching_gives_the_same_pixels_as_one_by_one(tmp_path, tiny_sd1, counted):
    base = GenerationParams(prompt="a fox", steps=2, width=64, height=64, model=str(tiny_sd1))
    plan = plan_sweep(base, ["seed=100-103"])
    one = run_sweep(plan, tmp_path / "one.png", batch_size=1, record=False, device="cpu")
    assert counted == [1] * 4
    counted.clear()
    batched = run_sweep(plan, tmp_path / "batched.png", batch_size=4, record=False, device="cpu")
    assert counted == [4]
    for name, path in one.cells.items():
        a, b = pixels(path), pixels(batched.cells[name])
        # the same noise per seed; batched matmuls may differ by float rounding only
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1, name
        assert read_metadata(path).params == read_metadata(batched.cells[name]).params


def test_cfg_by_seed_sweep_is_one_engine_call(tmp_path, tiny_sd1, counted):
    base = GenerationParams(prompt="a fox", steps=2, width=64, height=64, model=str(tiny_sd1),
                            sampler="Euler a")  # fmt: skip
    plan = plan_sweep(base, ["cfg=3,7", "seed=1,5"])
    one = run_sweep(plan, tmp_path / "one.png", batch_size=1, record=False, device="cpu")
    assert counted == [1] * 4
    counted.clear()
    batched = run_sweep(plan, tmp_path / "batched.png", batch_size=4, record=False, device="cpu")
    assert counted == [4]
    for name, path in one.cells.items():
        a, b = pixels(path), pixels(batched.cells[name])
        # per-image noise and CFG as one by one; batched matmuls may round 1 level apart
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1, name
        assert read_metadata(path).infotext == read_metadata(batched.cells[name]).infotext
    cell = read_metadata(batched.cells["x01-y00-z00"]).params
    assert (cell.cfg_scale, cell.seed) == (7, 1)


def test_resume_skips_finished_cells(tmp_path, tiny_sd1, counted, private_home):
    base = GenerationParams(prompt="a fox", steps=2, width=64, height=64, model=str(tiny_sd1))
    plan = plan_sweep(base, ["cfg=3,5", "seed=-1"])
    grid = tmp_path / "grid.png"
    first = run_sweep(plan, grid, batch_size=1, device="cpu")
    assert counted == [1, 1]
    counted.clear()
    before = pixels(first.cells["x00-y00-z00"])
    first.cells["x01-y00-z00"].unlink()
    # a fresh plan of the same command would pick another random seed; resume keeps the old
    again = run_sweep(plan_sweep(base, ["cfg=3,5", "seed=-1"]), grid, resume=True, device="cpu")
    assert (again.generated, again.skipped, counted) == (1, 1, [1])
    assert again.sweep_id == first.sweep_id
    assert np.array_equal(pixels(again.cells["x00-y00-z00"]), before)


def test_should_stop_ends_between_steps_and_resume_finishes(tmp_path, tiny_sd1, counted):
    from pixref.sweep import SweepInterrupted

    base = GenerationParams(prompt="a fox", steps=2, width=64, height=64, model=str(tiny_sd1))
    plan = plan_sweep(base, ["cfg=3,5"])
    grid, steps = tmp_path / "grid.png", []
    with pytest.raises(SweepInterrupted, match="after 1 of 2 cells") as stop:
        run_sweep(plan, grid, batch_size=1, device="cpu", on_step=steps.append,
                  should_stop=lambda: len(steps) >= 3)  # fmt: skip
    partial = stop.value.partial
    assert partial.generated == 1 and len(partial.entries) == 1 and partial.grids == [grid]
    assert partial.cells["x00-y00-z00"].is_file() and not partial.cells["x01-y00-z00"].exists()
    counted.clear()
    again = run_sweep(plan, grid, batch_size=1, device="cpu", resume=True)
    assert (again.generated, again.skipped, counted) == (1, 1, [1])
    assert again.sweep_id == partial.sweep_id


def test_resume_refuses_another_sweep_in_the_same_place(tmp_path, tiny_sd1):
    from pixref.sweep import SweepError

    base = GenerationParams(prompt="a fox", steps=1, width=64, height=64, model=str(tiny_sd1))
    run_sweep(plan_sweep(base, ["cfg=3"]), tmp_path / "g.png", record=False, device="cpu")
    with pytest.raises(SweepError, match="other axes"):
        run_sweep(plan_sweep(base, ["cfg=4"]), tmp_path / "g.png", resume=True, device="cpu")


def test_from_grid_repeats_the_sweep(tmp_path, tiny_sd1, private_home):
    home = ["--home", str(private_home)]
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    made = runner.invoke(app, [*home, "sweep", "a fox", "--model", str(tiny_sd1), *TINY,
                               "-x", "seed=-1,7", "-o", str(first), "--no-log"])  # fmt: skip
    assert made.exit_code == 0, made.output
    again = runner.invoke(app, [*home, "sweep", "--from", str(first), "--model", str(tiny_sd1),
                                "-o", str(second), "--no-log"])  # fmt: skip
    assert again.exit_code == 0, again.output
    assert np.array_equal(pixels(first), pixels(second))


def test_bad_axis_fails_before_any_model_loads(tmp_path, private_home):
    result = runner.invoke(app, ["--home", str(private_home), "sweep", "a cat", "--model",
                                 str(tmp_path / "missing"), "-x", "steps=1-5 (2)",
                                 "-o", str(tmp_path / "g.png")])  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "error:" in result.stderr and "steps" in result.stderr
    assert not (tmp_path / "g-cells").exists()


def test_missing_checkpoint_fails_before_any_image(tmp_path, private_home):
    args = ["sweep", "a cat", "--model", "no_such_model", "-x", "cfg=3,5"]
    result = runner.invoke(app, ["--home", str(private_home), *args, "-o", str(tmp_path / "g.png")])
    assert result.exit_code == 1 and "error:" in result.stderr
    assert not (tmp_path / "g-cells").exists()


def test_checkpoint_axis_loads_each_model_once(tmp_path, tiny_sd1, monkeypatch):
    from pixref import engine

    loads: list[str] = []
    real = engine.load_models

    def load_models(name, **kwargs):
        loads.append(str(name))
        return real(name, **kwargs)

    monkeypatch.setattr("pixref.engine._load.load_models", load_models)
    other = tmp_path / "copy" / tiny_sd1.name  # the same weights under another name
    import shutil

    shutil.copytree(tiny_sd1, other)
    base = GenerationParams(prompt="a fox", steps=1, width=64, height=64)
    plan = plan_sweep(base, ["seed=1,2", f"checkpoint={tiny_sd1},{other}", "cfg=3,5"])
    result = run_sweep(plan, tmp_path / "g.png", batch_size=1, record=False, device="cpu")
    assert loads == [str(tiny_sd1), str(other)]
    assert len(result.grids) == 3  # the sheet and one grid per Z value
    a, b = result.cells["x00-y00-z00"], result.cells["x00-y01-z00"]
    assert np.array_equal(pixels(a), pixels(b))  # same weights, same seed


def test_interrupted_sweep_says_how_to_resume(tmp_path, tiny_sd1, private_home, monkeypatch):
    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("pixref.engine._generate.generate", stop)
    args = ["sweep", "a cat", "--model", str(tiny_sd1), *TINY, "-x", "cfg=3,5"]
    result = runner.invoke(app, ["--home", str(private_home), *args, "-o", str(tmp_path / "g.png")])
    assert result.exit_code == 130
    assert "interrupted after 0 of 2 cells" in result.stderr and "--resume" in result.stderr


def test_lora_weight_axis_changes_the_image(tmp_path, tiny_sd1):
    from safetensors.torch import save_file

    from pixref.engine import load_models
    from tests.engine.test_lora import kohya_lora

    models = load_models(tiny_sd1, device="cpu")
    lora_dir = tmp_path / "models" / "Lora"
    lora_dir.mkdir(parents=True)
    save_file(kohya_lora(models.unet, models.text_encoders[0]), lora_dir / "pixelart.safetensors")
    base = GenerationParams(prompt="a knight <lora:pixelart:0.5>", steps=2, width=64, height=64,
                            seed=9, model=str(tiny_sd1))  # fmt: skip
    plan = plan_sweep(base, ["lora weight=0,1"])
    result = run_sweep(plan, tmp_path / "g.png", models_dir=tmp_path / "models", record=False,
                       device="cpu")  # fmt: skip
    zero, one = result.cells["x00-y00-z00"], result.cells["x01-y00-z00"]
    assert np.abs(pixels(zero).astype(int) - pixels(one).astype(int)).mean() > 1
    meta = read_metadata(one)
    assert meta.params.prompt == "a knight <lora:pixelart:1>"
    assert [name for name, _ in meta.params.lora_hashes] == ["pixelart"]


def test_controlnet_weight_axis_sets_the_unit_weight(tmp_path, tiny_sd1):
    from PIL import ImageDraw

    from pixref.engine import ControlInput, load_models
    from pixref.params import ControlNetUnit
    from tests.engine.test_controlnet import _random_controlnet

    models = load_models(tiny_sd1, device="cpu")
    pose = Image.new("RGB", (64, 64))
    ImageDraw.Draw(pose).line((10, 5, 50, 60), fill=(255, 0, 85), width=6)
    control = ControlInput(_random_controlnet(models.unet, 1), pose, ControlNetUnit())
    base = GenerationParams(prompt="a knight", steps=2, width=64, height=64, seed=9,
                            model=str(tiny_sd1), controlnets=(ControlNetUnit(),))  # fmt: skip
    plan = plan_sweep(base, ["controlnet weight=0,1"])
    result = run_sweep(plan, tmp_path / "g.png", controls=[control], record=False, device="cpu")
    zero, one = result.cells["x00-y00-z00"], result.cells["x01-y00-z00"]
    assert np.abs(pixels(zero).astype(int) - pixels(one).astype(int)).mean() > 1
    assert [u.weight for u in read_metadata(zero).params.controlnets] == [0]
    assert [u.weight for u in read_metadata(one).params.controlnets] == [1]


def test_from_an_a1111_xyz_grid(tmp_path, tiny_sd1, private_home):
    from pixref.metadata import save_png

    grid = tmp_path / "a1111-grid.png"
    text = ("a fox\nSteps: 2, Sampler: Euler a, CFG scale: 3, Seed: 4, Size: 64x64, "
            'Script: X/Y/Z plot, X Type: CFG Scale, X Values: "3,5"')  # fmt: skip
    save_png(Image.new("RGB", (64, 64)), grid, infotext=text)
    out = tmp_path / "again.png"
    args = ["sweep", "--from", str(grid), "--model", str(tiny_sd1), "-o", str(out), "--no-log"]
    result = runner.invoke(app, ["--home", str(private_home), *args])
    assert result.exit_code == 0, result.output
    cells = [read_metadata(cells_folder(out) / f"x0{i}-y00-z00.png").params for i in (0, 1)]
    assert [(q.cfg_scale, q.seed, q.prompt) for q in cells] == [(3, 4, "a fox"), (5, 4, "a fox")]
    assert "Script" not in dict(cells[0].extra)


def test_resume_remakes_a_cell_whose_file_differs(tmp_path, tiny_sd1, counted):
    import shutil

    base = GenerationParams(prompt="a fox", steps=1, width=64, height=64, model=str(tiny_sd1))
    plan = plan_sweep(base.replace(seed=3), ["cfg=3,5"])
    first = run_sweep(plan, tmp_path / "g.png", batch_size=1, record=False, device="cpu")
    # put cell x00's file (CFG 3) where cell x01 (CFG 5) belongs
    shutil.copy(first.cells["x00-y00-z00"], first.cells["x01-y00-z00"])
    counted.clear()
    again = run_sweep(plan, tmp_path / "g.png", resume=True, record=False, device="cpu")
    assert (again.generated, again.skipped, counted) == (1, 1, [1])
    assert read_metadata(again.cells["x01-y00-z00"]).params.cfg_scale == 5


def test_default_grid_paths_asked_side_by_side_differ(private_home):
    from pixref.sweep import default_grid_path

    first, second = default_grid_path(), default_grid_path()  # neither grid written yet
    assert first.parent == second.parent
    assert (first.name, second.name) == ("00000-xyz_grid.png", "00001-xyz_grid.png")
    assert cells_folder(first).is_dir() and cells_folder(second).is_dir()
