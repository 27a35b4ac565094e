"""/api/sweeps on a tiny random SD 1.x checkpoint: cells logged, progress, cancel, resume.

`sd_client` (conftest) serves the session's tiny checkpoint, shared with the sdapi tests.
"""

import threading
import time

import pytest

from pixref.library import open_library
from tests.server.helpers import assert_one_line_error, read_png

TINY = {"prompt": "a fox", "steps": 2, "width": 64, "height": 64}


def wait_for(client, job_id, states=("done", "cancelled", "failed"), timeout=120):
    deadline = time.time() + timeout
    while (sweep := client.get(f"/api/sweeps/{job_id}").json())["job"]["state"] not in states:
        assert time.time() < deadline, sweep["job"]
        time.sleep(0.05)
    return sweep


def test_a_2x2_sweep_logs_4_cells_differing_by_the_axis_values(sd_client):
    r = sd_client.post(
        "/api/sweeps?wait=true",
        json={**TINY, "axes": ["cfg=3,5", "seed=11,12"], "batch_size": 2},
    )
    assert r.status_code == 200, r.text
    sweep = r.json()
    job, result = sweep["job"], sweep["result"]
    assert job["state"] == "done" and job["progress"] == 1.0
    assert (job["step"], job["steps"], sweep["steps"]) == (8, 8, 8)
    assert sweep["shape"] == [2, 2, 1] and [a["name"] for a in sweep["axes"]] == ["CFG Scale",
                                                                                "Seed"]  # fmt: skip
    assert result["generated"] == 4 and result["skipped"] == 0 and len(result["cells"]) == 4
    seen = set()
    with open_library() as lib:
        for cell in result["cells"]:
            entry = lib.get(cell["image_id"])
            assert entry.kind == "sweep_cell" and cell["url"] == f"/api/images/{entry.id}"
            assert lib.sweep_of(entry.id)["id"] == result["sweep_id"]
            cfg, seed = cell["values"]["X: CFG Scale"], cell["values"]["Y: Seed"]
            assert (entry.params.cfg_scale, entry.params.seed) == (cfg, seed)
            assert (entry.params.steps, entry.params.width, entry.params.prompt) == (2, 64, "a fox")
            seen.add((cfg, seed))
    assert seen == {(3, 11), (5, 11), (3, 12), (5, 12)}
    grid = sd_client.get(result["grid_url"])
    assert grid.status_code == 200 and grid.headers["content-type"] == "image/png"
    assert read_png(grid.content).width >= 128
    listed = sd_client.get("/api/sweeps").json()
    assert [s["job"]["id"] for s in listed] == [job["id"]]


def test_cancel_stops_between_steps_and_resume_finishes(sd_client, monkeypatch):
    """Cancel when the second cell has made one step; resume makes only what is missing."""
    from pixref.engine import _generate

    reached, proceed, calls = threading.Event(), threading.Event(), []
    real = _generate.generate

    def generate(params, models, *args, on_step=None, **kwargs):
        calls.append(params.batch_size)

        def step(event):
            on_step(event)
            if len(calls) == 2 and event.step == 1 and not reached.is_set():
                reached.set()
                proceed.wait(30)

        return real(params, models, *args, on_step=step, **kwargs)

    monkeypatch.setattr(_generate, "generate", generate)
    started = sd_client.post("/api/sweeps", json={**TINY, "axes": ["cfg=3,5,7"], "batch_size": 1})
    assert started.status_code == 202, started.text
    job_id = started.json()["job"]["id"]
    assert started.json()["result"] is None
    assert reached.wait(60)
    running = sd_client.get(f"/api/sweeps/{job_id}").json()["job"]
    assert running["state"] == "running" and (running["step"], running["steps"]) == (3, 6)
    assert sd_client.delete(f"/api/sweeps/{job_id}").json()["job"]["state"] == "running"
    proceed.set()
    cancelled = wait_for(sd_client, job_id)
    assert cancelled["job"]["state"] == "cancelled" and len(calls) == 2
    partial = cancelled["result"]
    assert [c["name"] for c in partial["cells"]] == ["x00-y00-z00"] and partial["generated"] == 1
    assert sd_client.get(partial["grid_url"]).status_code == 200

    calls.clear()
    resumed = sd_client.post(f"/api/sweeps/{job_id}/resume?wait=true").json()
    assert resumed["job"]["state"] == "done" and calls == [1, 1]
    result = resumed["result"]
    assert (result["generated"], result["skipped"]) == (2, 1)
    assert result["sweep_id"] == partial["sweep_id"] and len(result["cells"]) == 3
    assert result["cells"][0]["image_id"] == partial["cells"][0]["image_id"]
    with open_library() as lib:
        assert len(lib.sweep(result["sweep_id"])["cells"]) == 3


def test_cancel_through_the_jobs_api_and_of_a_queued_sweep(sd_client):
    state = sd_client.app.state.pixref
    release = threading.Event()
    blocker = state.jobs.submit("txt2img", lambda ctx: release.wait(30), on_device=True)
    queued = sd_client.post("/api/sweeps", json={**TINY, "axes": ["cfg=3,5"]}).json()
    assert queued["job"]["state"] == "queued"
    cancelled = sd_client.post(f"/api/jobs/{queued['job']['id']}/cancel").json()
    assert cancelled["state"] == "cancelled"
    release.set()
    assert blocker.future.result(30).state == "done"
    sweep = sd_client.get(f"/api/sweeps/{queued['job']['id']}").json()
    assert sweep["result"] is None and sweep["job"]["state"] == "cancelled"
    assert_one_line_error(
        sd_client.get(f"/api/sweeps/{queued['job']['id']}/grid"), 404, "no grid yet"
    )
    resumed = sd_client.post(f"/api/sweeps/{queued['job']['id']}/resume?wait=true").json()
    assert resumed["result"]["generated"] == 2


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"axes": ["cfg=1-5 (x)"]}, 400, ["cfg"]),
        ({"axes": ["wobble=1,2"]}, 400, ["wobble"]),
        ({"axes": ["sampler=Euler a,Nope"]}, 400, ["unknown sampler 'Nope'"]),
        ({"axes": ["cfg=3"], "sampler_name": "Nope"}, 400, ["unknown sampler 'Nope'"]),
        ({"axes": ["checkpoint=tiny,missing"]}, 400, ["missing"]),
        ({"axes": []}, 422, ["`axes`"]),
        ({"axes": ["cfg=3", "seed=1", "steps=2", "size=64x64"]}, 422, ["`axes`"]),
        ({"axes": ["cfg=3"], "from_id": 5}, 404, ["no library entry 5"]),
        ({"axes": ["cfg=3"], "steps": 0}, 422, ["`steps`"]),
    ],
)
def test_bad_sweeps_are_refused_before_queuing(sd_client, body, status, words):
    assert_one_line_error(sd_client.post("/api/sweeps", json={**TINY, **body}), status, *words)
    assert sd_client.get("/api/jobs").json() == []


def test_no_checkpoint_installed_is_503_with_where_to_put_one(client):
    r = client.post("/api/sweeps", json={**TINY, "axes": ["cfg=3,5"]})
    assert_one_line_error(r, 503, "no checkpoint installed", "Stable-diffusion")
    assert client.get("/api/jobs").json() == []


def test_other_jobs_are_not_sweeps(client):
    job = client.app.state.pixref.jobs.submit("pixelize", lambda ctx: 1, on_device=False)
    assert_one_line_error(client.get(f"/api/sweeps/{job.id}"), 404, "not a sweep")
    assert_one_line_error(client.delete("/api/sweeps/job-99"), 404, "no job 'job-99'")
