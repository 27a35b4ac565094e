"""``pixref batch`` on this machine: a jobs file of records and infotexts, checks, --resume."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest
from typer.testing import CliRunner

from pixref.cli import app
from pixref.home import paths
from pixref.library import open_library
from pixref.metadata import read_metadata

runner = CliRunner()

#: (prompt, seed, cfg) each line asks for; the third line is an infotext.
WANTED = [("a knight, pixel art", 1, 5), ("a slime", 2, 7), ("a bat\nwings", 3, 4)]


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    """``models/Stable-diffusion/tiny``: a tiny random SD 1.x diffusers folder."""
    pytest.importorskip("diffusers")
    from tests.engine import tiny

    root = tmp_path_factory.mktemp("batch-models")
    built = tiny.build("sd1", root / "build")
    folder = root / "models" / "Stable-diffusion"
    folder.mkdir(parents=True)
    shutil.copytree(built.diffusers_dir, folder / "tiny")
    return root / "models"


def jobs_file(folder, *extra_lines):
    lines = [
        json.dumps(
            {
                "prompt": WANTED[0][0],
                "seed": 1,
                "cfg_scale": 5,
                "steps": 2,
                "width": 64,
                "height": 64,
                "model": "tiny",
            }
        ),  # fmt: skip
        "",  # blank lines are skipped but counted
        json.dumps(
            {
                "prompt": WANTED[1][0],
                "negative_prompt": "blurry",
                "seed": 2,
                "steps": 2,
                "width": 64,
                "height": 64,
            }
        ),  # fmt: skip
        json.dumps(
            f"{WANTED[2][0]}\nSteps: 2, Sampler: Euler a, CFG scale: 4, Seed: 3, Size: 64x64"
        ),  # fmt: skip
        *extra_lines,
    ]
    path = folder / "jobs.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def batch(jobs, models_dir, *args):
    return runner.invoke(app, ["batch", str(jobs), "--model", "tiny", "--models-dir",
                               str(models_dir), "--device", "cpu", *args])  # fmt: skip


def entries_by_path():
    with open_library() as lib:
        found = lib.search()
        assert lib.count() == len(found)
    return {e.source_path: e for e in found}


def test_three_lines_make_their_images_saved_and_logged_as_a1111(tmp_path, models_dir):
    result = batch(jobs_file(tmp_path), models_dir)
    assert result.exit_code == 0, result.output
    printed = result.stdout.split()
    folder = paths().outputs / "txt2img-images" / date.today().isoformat()
    assert printed == [str(folder / f"{i:05d}-{i + 1}.png") for i in range(3)]
    logged = entries_by_path()
    assert sorted(logged) == sorted(printed)  # one library entry per image
    for path, (prompt, seed, cfg) in zip(printed, WANTED, strict=True):
        meta = read_metadata(path)
        p = meta.params
        assert (p.prompt, p.seed, p.cfg_scale, p.steps, p.size) == (prompt, seed, cfg, 2, (64, 64))
        assert p.model == "tiny"
        assert logged[path].infotext == meta.infotext and logged[path].params.seed == seed
    assert read_metadata(printed[1]).params.negative_prompt == "blurry"
    # the progress file maps each line to what it made
    done = [json.loads(r) for r in (tmp_path / "jobs.jsonl.done").read_text().splitlines()]
    made = {r["line"]: r["paths"] for r in done if r["event"] == "done"}
    assert made == {1: [printed[0]], 3: [printed[1]], 4: [printed[2]]}
    assert "batch: 3 lines, 3 images, 6 sampling steps" in result.stderr


@pytest.mark.parametrize(
    ("line", "model", "expected"),
    [
        ('{"prompt": "x", "steps": 2', "tiny", "not valid JSON"),
        ('{"prompt": "x", "cfg": 5}', "tiny", "unknown key(s) `cfg` (did you mean `cfg_scale`?)"),
        ('{"prompt": "x", "steps": "many"}', "tiny", "`steps` must be a whole number"),
        ('{"prompt": "x", "model": "nope"}', "tiny", "nope"),
        ('{"prompt": "x"}', None, "no model"),
        ("42", "tiny", "expected a JSON object"),
        ('"just a prompt"', "tiny", "the infotext cannot be read"),
        ('{"prompt": "x", "init_image": "missing.png"}', "tiny", "missing.png does not exist"),
    ],
)
def test_a_bad_line_is_one_error_line_and_nothing_is_written(
    tmp_path, models_dir, line, model, expected
):
    good = json.dumps({"prompt": "fine", "steps": 2, "width": 64, "height": 64, "model": "tiny"})
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(f"{good}\n\n# a comment\n{line}\n{good}\n", encoding="utf-8")
    args = ["batch", str(jobs), "--models-dir", str(models_dir), "--device", "cpu"]
    result = runner.invoke(app, [*args, *(["--model", model] if model else [])])
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.stderr
    assert lines[0].startswith(f"error: {jobs} line 4: ") and expected in lines[0], lines[0]
    assert not paths().outputs.exists()
    assert not (tmp_path / "jobs.jsonl.done").exists()
    assert result.stdout == ""


def test_resume_makes_only_the_lines_a_stopped_run_did_not(tmp_path, models_dir):
    from pixref import engine
    from pixref.batch import BatchInterrupted, read_jobs, run_batch

    jobs = jobs_file(tmp_path)
    job_list, _ = read_jobs(jobs, model="tiny", models_dir=models_dir)
    saved = []
    with engine.LocalBackend(models_dir, "cpu") as backend:
        with pytest.raises(BatchInterrupted) as stopped:  # stopped after its first line
            run_batch(job_list, jobs, backend=backend, on_saved=lambda j, p, i: saved.extend(p),
                      should_stop=lambda: bool(saved))  # fmt: skip
    assert list(stopped.value.result.made) == [1]
    first = str(saved[0])
    first_bytes = open(first, "rb").read()

    again = batch(jobs, models_dir)  # without --resume the recorded work is not redone
    assert again.exit_code == 1 and "--resume" in again.stderr
    resumed = batch(jobs, models_dir, "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert "kept 1 finished lines" in resumed.stderr
    made = resumed.stdout.split()
    assert len(made) == 2 and first not in made
    assert [read_metadata(p).params.seed for p in made] == [2, 3]
    logged = entries_by_path()
    assert sorted(logged) == sorted([first, *made])  # each image logged once
    assert open(first, "rb").read() == first_bytes
    assert len(list(paths().outputs.rglob("*.png"))) == 3


def test_resume_completes_a_line_cut_short_after_its_files_were_written(tmp_path, models_dir):
    jobs = jobs_file(tmp_path)
    first = batch(jobs, models_dir, "-o", str(tmp_path / "out"), "--no-log")
    assert first.exit_code == 0, first.output
    journal = tmp_path / "jobs.jsonl.done"
    records = journal.read_text().splitlines()
    # the run died after writing line 4's file, before logging it or recording it done,
    # in the middle of writing the record
    journal.write_text("\n".join(records[:-1]) + '\n{"event": "done", "li', encoding="utf-8")
    resumed = batch(jobs, models_dir, "-o", str(tmp_path / "out"), "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert resumed.stdout == ""  # nothing made again
    assert "kept 3 finished lines" in resumed.stderr and "completed 1 line" in resumed.stderr
    assert sorted(entries_by_path()) == [first.stdout.split()[-1]]  # now logged, once
    assert len(list((tmp_path / "out").glob("*.png"))) == 3
    # the torn record did not swallow the one appended after it
    assert json.loads(journal.read_text().splitlines()[-1])["line"] == 4


def test_img2img_line_with_an_init_image_beside_the_file(tmp_path, models_dir):
    from PIL import Image

    Image.new("RGB", (64, 48), (200, 30, 30)).save(tmp_path / "red.png")
    line = {"prompt": "a red knight", "seed": 9, "steps": 2, "init_image": "red.png"}
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text(json.dumps(line) + "\n", encoding="utf-8")
    result = batch(jobs, models_dir, "-q")
    assert result.exit_code == 0, result.output
    (made,) = result.stdout.split()
    assert f"img2img-images{'/'}" in made
    p = read_metadata(made).params
    assert (p.size, p.denoising_strength, p.seed) == ((64, 48), 0.75, 9)
