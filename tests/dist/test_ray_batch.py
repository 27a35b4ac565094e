"""``pixref batch --ray``: the same files and library entries as a local run."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pixref.cli import app
from pixref.library import open_library
from tests.dist.test_ray_sweep import torch_threads

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

runner = CliRunner()


def write_jobs(folder) -> object:
    """Five lines over two checkpoints: records (one with two images) and an infotext."""
    folder.mkdir()
    size = {"steps": 2, "width": 64, "height": 64}
    lines = [
        {"prompt": "a knight, pixel art", "seed": 1, "cfg_scale": 5, **size},
        {"prompt": "a slime", "seed": 2, "model": "tiny-b", "batch_size": 2, **size},
        "a bat\nSteps: 2, Sampler: Euler a, CFG scale: 4, Seed: 3, Size: 64x64, Model: tiny-b",
        {"prompt": "a chest", "seed": 4, "sampler": "DPM++ 2M", **size},
        {"prompt": "a torch", "seed": 5, "cfg_scale": 9, **size},
    ]
    path = folder / "jobs.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def made_by_line(jobs) -> dict[int, list[str]]:
    records = [json.loads(r) for r in (jobs.parent / "jobs.jsonl.done").read_text().splitlines()]
    return {r["line"]: r["paths"] for r in records if r["event"] == "done"}


def logged(paths: list[str]) -> list[tuple[str, str]]:
    with open_library() as lib:
        by_path = {e.source_path: e for e in lib.search()}
    return [(by_path[p].infotext, by_path[p].image_hash) for p in paths]


def test_a_batch_on_ray_matches_the_local_run(tmp_path, ray_cluster, tiny_models, monkeypatch):
    from pixref.dist import RayBackend

    threads: list[int] = []  # the torch threads of the actors the command starts
    start = RayBackend.start.__func__

    def spy(cls, *args, **kwargs):
        backend = start(cls, *args, **kwargs)
        threads.extend(actor["threads"] for actor in backend.describe())
        return backend

    monkeypatch.setattr(RayBackend, "start", classmethod(spy))
    common = ["--model", "tiny-a", "--models-dir", str(tiny_models.models_dir), "--device", "cpu"]
    ray_jobs = write_jobs(tmp_path / "ray")
    remote = runner.invoke(app, ["batch", str(ray_jobs), *common, "-o", str(tmp_path / "ray-out"),
                                 "--ray", ray_cluster, "--ray-actors", "2"])  # fmt: skip
    assert remote.exit_code == 0, remote.output
    assert "generating on 2 Ray actor(s)" in remote.stderr
    assert len(set(threads)) == 1, threads
    local_jobs = write_jobs(tmp_path / "local")
    # CPU sums in another order with another thread count: compute as one actor does
    with torch_threads(threads[0]):
        local = runner.invoke(app, ["batch", str(local_jobs), *common,
                                    "-o", str(tmp_path / "local-out")])  # fmt: skip
    assert local.exit_code == 0, local.output
    ours, theirs = made_by_line(ray_jobs), made_by_line(local_jobs)
    assert sorted(ours) == [1, 2, 3, 4, 5] and sorted(theirs) == sorted(ours)
    assert sorted(remote.stdout.split()) == sorted(p for ps in ours.values() for p in ps)
    assert len(ours[2]) == 2
    for line, local_paths in theirs.items():
        ray_paths = ours[line]
        assert [open(p, "rb").read() for p in ray_paths] == [
            open(p, "rb").read() for p in local_paths
        ], f"line {line}"
        assert logged(ray_paths) == logged(local_paths), f"line {line}"
    with open_library() as lib:
        assert lib.count() == 12  # six images each run, each logged once
