"""The server's device lane on Ray: jobs side by side, saved once here, stopped on request.

Tests run in file order: the first starts (and stops) its own actors from the
settings; the others share `ray_server_backend`, two CPU actors on the `ray_cluster`.
"""

from __future__ import annotations

import base64
import io
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from pixref.infotext import parse_infotext
from pixref.library import open_library
from pixref.server import ServerSettings, create_app
from tests.dist.test_ray_sweep import torch_threads

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TINY = {"prompt": "a knight, pixel art", "steps": 3, "width": 64, "height": 64, "seed": 7}


def checkpoint(name: str) -> dict:
    return {"override_settings": {"sd_model_checkpoint": name}}


@pytest.fixture(scope="module")
def ray_server_backend(ray_cluster, tiny_models):
    """Two CPU generation actors, lent to each test's app."""
    from pixref.dist import RayBackend

    started = RayBackend.start(
        ray_cluster, device="cpu", actors=2, models_dir=tiny_models.models_dir
    )
    yield started
    started.close()


@pytest.fixture
def ray_client(ray_server_backend, tiny_models):
    settings = ServerSettings(models_dir=tiny_models.models_dir, device="cpu")
    with TestClient(create_app(settings, backend=ray_server_backend)) as client:
        yield client


def decoded(b64: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))))


def loaded(backend, name: str) -> list[int]:
    """Per actor, how many times checkpoint ``name`` (given by name or path) was loaded."""
    return [sum(n for key, n in loads.items() if Path(key).name == name)
            for loads in backend.loads()]  # fmt: skip


def library_count() -> int:
    with open_library() as lib:
        return lib.count()


def job_summaries(client, kind: str) -> list[dict]:
    return [j for j in client.get("/api/jobs").json() if j["kind"] == kind]


def in_threads(*calls):
    """Run each ``call()`` in its own thread at once; their results, in order."""
    results: list = [None] * len(calls)

    def run(i, call):
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    return threads, results


def wait_until(predicate, timeout=60.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
    return found


def test_settings_start_the_actors_with_the_app_and_shutdown_stops_them(ray_cluster, tiny_models):
    import ray

    settings = ServerSettings(models_dir=tiny_models.models_dir, device="cpu", ray=ray_cluster,
                              ray_actors=2)  # fmt: skip
    app = create_app(settings)  # the actors are up before the app is returned
    state = app.state.pixref
    backend = state.generation.backend
    assert backend.capacity == 2 and state.jobs.device_slots == 2
    handles = [a.handle for a in backend._actors]
    with TestClient(app) as client:
        r = client.post("/sdapi/v1/txt2img", json=TINY)
        assert r.status_code == 200, r.text
        assert len(r.json()["images"]) == 1 and library_count() == 1
    assert backend.capacity == 0  # closed with the app
    with pytest.raises(ray.exceptions.RayActorError):
        ray.get(handles[0].describe.remote(), timeout=30)
    assert ray.is_initialized()  # the server joined this Ray; it leaves it running


def test_two_txt2img_jobs_run_at_once_and_are_saved_once_each(ray_client, ray_server_backend):
    payload = {**TINY, "steps": 30, **checkpoint("tiny-b")}
    threads, replies = in_threads(
        lambda: ray_client.post("/sdapi/v1/txt2img", json={**payload, "seed": 1}),
        lambda: ray_client.post("/sdapi/v1/txt2img", json={**payload, "seed": 2}),
    )
    seen_together = wait_until(
        lambda: (
            sum(j["state"] == "running" for j in job_summaries(ray_client, "txt2img")) == 2
            or all(not t.is_alive() for t in threads)
        ),
        what="the two jobs",
    )
    for thread in threads:
        thread.join(120)
    assert [r.status_code for r in replies] == [200, 200], [r.text for r in replies]
    a, b = job_summaries(ray_client, "txt2img")
    # both ran at once: each started before the other finished
    assert a["started"] < b["finished"] and b["started"] < a["finished"], (a, b)
    assert seen_together is True
    # one actor each: tiny-b was loaded once on both
    assert loaded(ray_server_backend, "tiny-b") == [1, 1]
    # the server saved and logged each image once
    assert library_count() == 2
    with open_library() as lib:
        seeds = sorted(e.params.seed for e in lib.search())
    assert seeds == [1, 2]
    assert [len(r.json()["images"]) for r in replies] == [1, 1]


def test_images_equal_a_local_server_s(ray_client, ray_server_backend, tiny_models):
    payload = {**TINY, "batch_size": 2, **checkpoint("tiny-a")}
    remote = ray_client.post("/sdapi/v1/txt2img", json=payload)
    assert remote.status_code == 200, remote.text
    # CPU sums in another order with another thread count: compute as an actor does
    local_settings = ServerSettings(models_dir=tiny_models.models_dir, device="cpu")
    with torch_threads(ray_server_backend.describe()[0]["threads"]):
        with TestClient(create_app(local_settings)) as local_client:
            assert local_client.app.state.pixref.jobs.device_slots == 1
            local = local_client.post("/sdapi/v1/txt2img", json=payload)
    assert local.status_code == 200, local.text
    ours, theirs = remote.json()["images"], local.json()["images"]
    assert len(ours) == len(theirs) == 2
    for a, b in zip(ours, theirs, strict=True):
        assert np.array_equal(decoded(a), decoded(b))
    with open_library() as lib:
        entries = lib.search()
    by_seed: dict[int, list] = {}
    for e in entries:  # two per seed, logged once by each server
        by_seed.setdefault(e.params.seed, []).append((e.infotext, e.image_hash))
    assert sorted(by_seed) == [7, 8] and len(entries) == 4
    assert all(ray == local for ray, local in by_seed.values()), by_seed  # text and pixels


def test_interrupt_keeps_the_finished_batch_of_a_ray_job(ray_client):
    payload = {**TINY, "steps": 300, "n_iter": 2}
    threads, replies = in_threads(lambda: ray_client.post("/sdapi/v1/txt2img", json=payload))

    def second_batch() -> bool:
        state = ray_client.get("/sdapi/v1/progress").json()["state"]
        return state["job_no"] >= 1 and state["sampling_step"] > 0

    wait_until(second_batch, what="the second batch's steps")
    assert ray_client.post("/sdapi/v1/interrupt").status_code == 200
    threads[0].join(60)
    reply = replies[0]
    assert reply.status_code == 200, reply.text
    assert len(reply.json()["images"]) == 1  # the first batch, finished before the stop
    (job,) = job_summaries(ray_client, "txt2img")
    assert job["state"] == "cancelled"
    assert library_count() == 1
    assert ray_client.get("/sdapi/v1/progress").json()["state"]["interrupted"] is True


def test_skip_abandons_the_current_batch_of_a_ray_job(ray_client):
    payload = {**TINY, "steps": 300, "n_iter": 2, "seed": 60}
    threads, replies = in_threads(lambda: ray_client.post("/sdapi/v1/txt2img", json=payload))

    def first_batch() -> bool:
        state = ray_client.get("/sdapi/v1/progress").json()["state"]
        return state["job_no"] == 0 and state["sampling_step"] > 0

    wait_until(first_batch, what="the first batch's steps")
    assert ray_client.post("/sdapi/v1/skip").status_code == 200
    threads[0].join(60)
    info = json.loads(replies[0].json()["info"])
    assert [parse_infotext(t).seed for t in info["infotexts"]] == [61]
    (job,) = job_summaries(ray_client, "txt2img")
    assert job["state"] == "done" and library_count() == 1


def test_interrupt_stops_every_running_ray_job(ray_client):
    payload = {**TINY, "steps": 5000}
    started = time.monotonic()
    threads, replies = in_threads(
        lambda: ray_client.post("/sdapi/v1/txt2img", json=payload),
        lambda: ray_client.post("/sdapi/v1/txt2img", json={**payload, "seed": 8}),
    )
    wait_until(
        lambda: [j["step"] > 0 for j in job_summaries(ray_client, "txt2img")] == [True, True],
        what="both jobs sampling",
    )
    progress = ray_client.get("/sdapi/v1/progress").json()
    assert progress["state"]["sampling_steps"] == 5000 and progress["current_task"]
    ray_client.post("/sdapi/v1/interrupt")
    for thread in threads:
        thread.join(60)
    assert [r.status_code for r in replies] == [200, 200]
    assert all(r.json()["images"] == [] for r in replies)
    jobs = job_summaries(ray_client, "txt2img")
    assert [j["state"] for j in jobs] == ["cancelled", "cancelled"]
    assert all(j["step"] < 5000 for j in jobs)
    assert time.monotonic() - started < 60 and library_count() == 0


def test_a_sweep_over_the_api_spreads_over_the_actors(ray_client, ray_server_backend):
    body = {**TINY, "model": "tiny-c", "axes": ["seed=1-4"], "batch_size": 1}
    r = ray_client.post("/api/sweeps?wait=true", json=body)
    assert r.status_code == 200, r.text
    sweep = r.json()
    assert sweep["job"]["state"] == "done"
    result = sweep["result"]
    assert result["generated"] == 4 and len(result["cells"]) == 4
    assert all(c["image_id"] is not None for c in result["cells"])
    assert library_count() == 4  # logged once each, by the server
    assert loaded(ray_server_backend, "tiny-c") == [1, 1]
    grid = ray_client.get(f"/api/sweeps/{sweep['job']['id']}/grid")
    assert grid.status_code == 200 and grid.content[:4] == b"\x89PNG"


def test_refresh_makes_the_actors_forget_their_models(ray_client, ray_server_backend):
    payload = {**TINY, **checkpoint("tiny-a")}
    assert ray_client.post("/sdapi/v1/txt2img", json=payload).status_code == 200
    before = sum(loaded(ray_server_backend, "tiny-a"))
    ray_client.app.state.pixref.generation.refresh()
    assert ray_client.post("/sdapi/v1/txt2img", json=payload).status_code == 200
    after = sum(loaded(ray_server_backend, "tiny-a"))
    assert after == before + 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_with_an_unreachable_ray_address_fails_fast_in_one_line(tmp_path):
    pytest.importorskip("ray")
    code = "import sys; from pixref.cli import app; sys.exit(app())"
    args = ["serve", "--ray", "127.0.0.1:1", "--port", str(free_port()), "--models-dir",
            str(tmp_path)]  # fmt: skip
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), done.stderr
    assert "127.0.0.1:1" in lines[0] and "serving" not in done.stdout + done.stderr
    assert time.monotonic() - started < 60


def test_ray_actors_without_ray_is_refused():
    from pixref.server import ServerConfigError

    with pytest.raises(ServerConfigError, match="--ray-actors needs --ray"):
        create_app(ServerSettings(ray_actors=2))
