"""/api/sweeps for a form: `POST /api/sweeps/check` plans without queueing and says each
problem next to its cause; a running sweep lists the cells finished so far and its base
parameters."""

import threading

import pytest

from pixref.library import open_library
from tests.server.test_sweep_api import TINY, wait_for


def check(client, **body):
    r = client.post("/api/sweeps/check", json={**TINY, **body})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_good_sweep_checks_as_its_shape_and_queues_nothing(sd_client):
    out = check(sd_client, axes=["seed=1,2", "cfg=3,7"], batch_size=2)
    assert out["ok"] and out["error"] is None and out["field"] is None
    assert (out["shape"], out["cells"], out["steps"]) == ([2, 2, 1], 4, 8)
    assert [(a["axis"], a["name"], a["values"], a["error"]) for a in out["axes"]] == [
        ("X", "Seed", [1, 2], None), ("Y", "CFG Scale", [3, 7], None)]  # fmt: skip
    random = check(sd_client, axes=["seed=-1,-1", "size=64x64,64x96"])
    assert random["ok"] and random["axes"][0]["values"] == [-1, -1]
    assert random["axes"][1]["values"] == [[64, 64], [64, 96]]
    assert sd_client.get("/api/jobs").json() == []


@pytest.mark.parametrize(
    ("axes", "bad", "words"),
    [
        (["steps=abc", "cfg=3,7"], 0, ["`steps`", "'abc' is not a number"]),
        (["cfg=3,7", "wobble=1,2"], 1, ["unknown axis `wobble`"]),
        (["cfg=3", "seed=1", "sampler=Euler a,Nope"], 2, ["unknown sampler 'Nope'"]),
        (["checkpoint=tiny,missing"], 0, ["`missing`"]),
        (["cfg=3", "cfg scale=5"], 1, ["given twice"]),
        (["weight:hat=1,2"], 0, ["'hat' does not occur in the prompt"]),
    ],
)
def test_a_bad_axis_is_named_with_the_reason(sd_client, axes, bad, words):
    out = check(sd_client, axes=axes)
    assert not out["ok"] and out["shape"] is None and out["error"] is None
    for i, axis in enumerate(out["axes"]):
        if i == bad:
            assert axis["name"] is None and all(w in axis["error"] for w in words), axis
        else:
            assert axis["error"] is None and axis["name"], axis
    assert sd_client.get("/api/jobs").json() == []


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"sampler_name": "Nope"}, "sampler_name", ["unknown sampler 'Nope'"]),
        ({"scheduler": "Nah"}, "scheduler", ["unknown schedule type 'Nah'"]),
        ({"model": "missing"}, "model", ["`missing`"]),
        ({"from_id": 5}, "from_id", ["no library entry 5"]),
        ({"axes": ["seed=1-100", "cfg=1-11"]}, None, ["1100 cells"]),
    ],
)
def test_a_problem_of_the_base_or_the_whole_names_its_field(sd_client, body, field, words):
    out = check(sd_client, **{"axes": ["cfg=3,5"], **body})
    assert not out["ok"] and out["field"] == field
    assert all(w in out["error"] for w in words), out
    assert sd_client.get("/api/jobs").json() == []


def test_no_checkpoint_installed_is_the_model_fields_problem(client):
    out = check(client, axes=["cfg=3,5"])
    assert not out["ok"] and out["field"] == "model" and "no checkpoint installed" in out["error"]
    assert out["axes"][0]["name"] == "CFG Scale"


def test_a_body_that_does_not_parse_is_still_a_422(sd_client):
    r = sd_client.post("/api/sweeps/check", json={**TINY, "axes": [], "steps": 0})
    assert r.status_code == 422 and "`axes`" in r.json()["detail"]


def test_a_running_sweep_lists_the_cells_finished_so_far(sd_client, monkeypatch):
    """Held in its second engine call, the sweep shows the first cell with its entry."""
    from pixref.engine import _generate

    reached, proceed, calls = threading.Event(), threading.Event(), []
    real = _generate.generate

    def generate(params, models, *args, on_step=None, **kwargs):
        calls.append(params.batch_size)

        def step(event):
            on_step(event)
            if len(calls) == 2 and not reached.is_set():
                reached.set()
                proceed.wait(30)

        return real(params, models, *args, on_step=step, **kwargs)

    monkeypatch.setattr(_generate, "generate", generate)
    started = sd_client.post("/api/sweeps", json={**TINY, "axes": ["cfg=3,5"], "batch_size": 1})
    job_id = started.json()["job"]["id"]
    assert reached.wait(60)
    running = sd_client.get(f"/api/sweeps/{job_id}").json()
    proceed.set()
    assert running["job"]["state"] == "running" and running["job"]["image"] == 1
    assert running["base"]["prompt"] == "a fox" and running["base"]["steps"] == 2
    assert running["base"]["seed"] >= 0  # -1 fixed once for the sweep
    live = running["result"]
    assert live["grid_url"] is None and live["generated"] == 1
    [cell] = live["cells"]
    assert cell["name"] == "x00-y00-z00" and cell["values"] == {"X: CFG Scale": 3}
    with open_library() as lib:
        assert lib.get(cell["image_id"]).params.cfg_scale == 3
    done = wait_for(sd_client, job_id)["result"]
    assert len(done["cells"]) == 2 and done["cells"][0]["image_id"] == cell["image_id"]
    assert done["grid_url"] is not None
