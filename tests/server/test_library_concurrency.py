"""Many requests at once: searches, annotations and an import must never meet
"database is locked" (readers are pooled, the server's writes share one writer)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from pixref.library import _import, open_library

from ..library.conftest import infotext, png
from ._library_data import build_library

SEARCHES = [
    {"q": "kitty"},
    {"q": "owl", "cfg": "5..9"},
    {"sampler": "Euler a", "order": "rating"},
    {"q": "fairy -kitty"},
    {"tag": "fairy"},
    {"seed": "1000..1100", "order": "oldest"},
    {"q": "kit*", "order": "rank"},
    {},
]


def _outputs(folder, n):
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"{i:05d}-{1000 + i}.png").write_bytes(
            png(color=(i % 256, i // 256, 3), text={"parameters": infotext(seed=1000 + i)})
        )
    return folder


def _run_all(api, src, *, extra_writer=None, searches=200):
    """200 searches from 16 threads while an import job and annotation writes run."""
    failures, statuses = [], []
    job = api.post("/api/library/import", json={"folders": [str(src)]}).json()

    def search(i):
        r = api.get("/api/library", params={**SEARCHES[i % len(SEARCHES)], "limit": 20})
        statuses.append(r.status_code)
        if r.status_code != 200:
            failures.append(r.text)
        return r

    def annotate(k):
        for i in range(k, 40, 4):
            entry = 1 + i % 3
            for r in (
                api.post(f"/api/library/{entry}/tags", json={"tags": [f"t{i}"]}),
                api.put(f"/api/library/{entry}/rating", json={"rating": i % 6}),
                api.put(f"/api/library/{entry}/keep", json={"keep": bool(i % 2)}),
                api.delete("/api/library/5"),
                api.post("/api/library/5/restore"),
            ):
                statuses.append(r.status_code)
                if r.status_code != 200:
                    failures.append(r.text)

    writers = [threading.Thread(target=annotate, args=(k,)) for k in range(4)]
    if extra_writer is not None:
        writers.append(threading.Thread(target=extra_writer, args=(failures,)))
    for t in writers:
        t.start()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(search, range(searches)))
    for t in writers:
        t.join(30)
    deadline = time.monotonic() + 30
    while api.get(f"/api/jobs/{job['id']}").json()["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the import did not finish"
        time.sleep(0.02)
    return job, failures, statuses


@pytest.fixture
def api(client, monkeypatch):
    monkeypatch.setattr(_import, "BATCH", 10)  # many small import commits among the writes
    build_library()
    return client


def test_server_writes_never_wait_for_each_other(api, tmp_path):
    # No busy timeout at all: any wait for SQLite's write lock would fail, so the
    # server's own writes (four annotating clients and the import's batches) must
    # queue on its single writer. (Without it, this test fails most runs.)
    api.app.state.pixref.library.timeout = 0.0
    src = _outputs(tmp_path / "outputs", 60)
    job, failures, statuses = _run_all(api, src)
    assert failures == [] and len(statuses) == 200 + 40 * 5
    report = api.get(f"/api/library/import/{job['id']}").json()
    assert report["job"]["state"] == "done" and len(report["report"]["added"]) == 60
    assert api.get("/api/library", params={"seed": "1000..1059"}).json()["total"] == 60
    shown = api.get("/api/library/1").json()
    assert set(shown["tags"]) >= {f"t{i}" for i in range(0, 40, 3)}


def test_another_process_writing_at_the_same_time(api, tmp_path):
    """The CLI (its own connection) tags entries meanwhile: the busy timeout covers it."""
    src = _outputs(tmp_path / "outputs", 30)

    def cli(failures):
        try:
            with open_library() as lib:
                for i in range(30):
                    lib.tag([7], add=[f"cli{i}"])
                    lib.set_note(7, f"note {i}")
        except Exception as exc:  # noqa: BLE001 - reported below, with the others
            failures.append(repr(exc))

    job, failures, _ = _run_all(api, src, extra_writer=cli, searches=100)
    assert failures == []
    assert api.get(f"/api/jobs/{job['id']}").json()["state"] == "done"
    seven = api.get("/api/library/7").json()
    assert seven["note"] == "note 29" and len(seven["tags"]) == 30
