"""``/api/jobs``: listing, cancelling, and the event stream."""

import json
import threading
import time


def submit(client, fn, kind="snap", on_device=False):
    return client.app.state.pixref.jobs.submit(kind, fn, on_device=on_device)


def test_list_get_and_cancel(client):
    release, started = threading.Event(), threading.Event()

    def block(ctx):
        started.set()
        release.wait(5)

    running = submit(client, block, "txt2img", on_device=True)
    queued = submit(client, lambda ctx: None, "txt2img", on_device=True)
    started.wait(5)
    listed = client.get("/api/jobs").json()
    assert [j["id"] for j in listed] == [queued.id, running.id]
    assert [j["state"] for j in listed] == ["queued", "running"]
    cancelled = client.post(f"/api/jobs/{queued.id}/cancel").json()
    assert cancelled["state"] == "cancelled" and cancelled["finished"] is not None
    release.set()
    running.future.result(5)
    shown = client.get(f"/api/jobs/{running.id}").json()
    assert shown["state"] == "done" and shown["progress"] == 1.0 and shown["eta"] == 0.0


def parse_events(lines):
    event = {}
    for line in lines:
        if line.startswith("event: "):
            event["event"] = line[7:]
        elif line.startswith("data: "):
            event["data"] = json.loads(line[6:])
        elif not line and event:
            yield event
            event = {}


def test_events_stream_progress(client):
    def work(ctx):
        for i in range(1, 4):
            ctx.progress(i / 4, f"part {i}")
            time.sleep(0.01)

    with client.stream("GET", "/api/jobs/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        threading.Timer(0.2, lambda: submit(client, work)).start()
        seen = []
        for event in parse_events(stream.iter_lines()):
            seen.append((event["event"], event["data"]["progress"]))
            if event["event"] == "done":
                break
    assert seen == [("queued", 0.0), ("started", 0.0), ("progress", 0.25), ("progress", 0.5),
                    ("progress", 0.75), ("done", 1.0)]  # fmt: skip
