"""``/api/library``: every route's status codes and JSON shapes, against a library of
seven entries with known parameters (see `_library_data.build_library`)."""

import io
import json
import threading
import time
import zipfile

import pytest

from pixref.library import open_library

from ..library.conftest import infotext, png
from ._library_data import build_library


@pytest.fixture
def api(client):
    build_library()
    return client


def ids(response):
    assert response.status_code == 200, response.text
    return [e["id"] for e in response.json()["entries"]]


def test_list_shape_and_paging(api):
    r = api.get("/api/library")
    body = r.json()
    assert (body["total"], body["limit"], body["offset"]) == (7, 50, 0)
    assert ids(r) == [7, 6, 5, 4, 3, 2, 1]
    first = body["entries"][-1]
    assert first["id"] == 1 and first["created_utc"] == "2026-11-01T10:00:00Z"
    assert (first["kind"], first["width"], first["height"]) == ("generation", 32, 32)
    assert (first["sampler"], first["cfg_scale"], first["steps"], first["seed"]) == (
        "Euler a",
        7.0,
        20,
        100,
    )
    assert first["tags"] == ["fairy"] and first["rating"] == 5 and first["keep"] is True
    v = first["image_hash"][:16]
    assert first["image_url"] == f"/api/images/1?v={v}"
    assert first["thumbnail_url"] == f"/api/images/1/thumbnail?size=256&v={v}"
    assert "path" not in first and "source_path" not in first  # files only by id
    page = api.get("/api/library", params={"limit": 2, "offset": 2}).json()
    assert [e["id"] for e in page["entries"]] == [5, 4] and page["total"] == 7


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"q": "kitty"}, [2, 1]),
        ({"q": "kitty -hat"}, []),
        ({"q": "drag*"}, [3]),
        ({"q": "lake"}, [7]),  # file names are searched
        ({"q": "fairy"}, [3, 1]),  # tags are searched
        ({"model": "juggernautxl_v7rundiffusion"}, [6, 5, 3, 2, 1]),
        ({"sampler": "DPM++ 2M"}, [3]),
        ({"schedule": "karras"}, [3]),
        ({"cfg": "7..8"}, [3, 2, 1]),
        ({"cfg": "8.."}, [6, 2]),
        ({"steps": "25.."}, [3]),
        ({"seed": "100"}, [2, 1]),
        ({"seed": "..10"}, [6, 5, 3]),
        ({"size": "768x512"}, [3]),
        ({"width": "700.."}, [3]),
        ({"height": "512"}, [6, 5, 3, 2, 1]),
        ({"lora": "PixelArt"}, [3]),
        ({"tag": "fairy"}, [1]),
        ({"tag": ["fairy", "wings"]}, []),
        ({"rating": "4.."}, [1]),
        ({"keep": "true"}, [1]),
        ({"keep": "false"}, [7, 6, 5, 4, 3, 2]),
        ({"kind": "import"}, [7, 3]),
        ({"kind": "pixelized"}, [4]),
        ({"generator": "a1111"}, [3]),
        ({"since": "2026-11-05"}, [7, 6, 5]),
        ({"until": "2026-11-02"}, [2, 1]),
        ({"since": "2026-11-02", "until": "2026-11-03T10:00"}, [3, 2]),
        ({"controlnet": "false", "kind": "sweep_cell"}, [6, 5]),
        ({"sweep": 1}, [6, 5]),
        ({"parent": 1}, [4, 2]),
        ({"order": "oldest", "limit": 3}, [1, 2, 3]),
        ({"order": "rating", "limit": 1}, [1]),
        ({"q": "kitty", "order": "rank", "cfg": "8"}, [2]),
        ({"q": "drag* OR lake", "raw": "true"}, [7, 3]),
    ],
)
def test_filters_really_filter(api, query, expected):
    r = api.get("/api/library", params=query)
    assert ids(r) == expected
    if "limit" not in query:
        assert r.json()["total"] == len(expected)


@pytest.mark.parametrize(
    "query, status, match",
    [
        ({"cfg": "high"}, 400, "`cfg` must be a number or a range like 6..8"),
        ({"seed": "99999999999999999999"}, 400, "`seed` must lie within"),
        ({"size": "big"}, 400, "`size` must look like 512x768"),
        ({"kind": "photo"}, 400, "`kind` must be one of"),
        ({"since": "last week"}, 400, "`since` must be a date"),
        ({"q": '"unbalanced', "raw": "true"}, 400, "not valid FTS5 syntax"),
        ({"order": "random"}, 422, None),
        ({"limit": 0}, 422, None),
        ({"limit": 100000}, 422, None),
        ({"offset": -1}, 422, None),
        ({"sweep": -1}, 422, None),
        ({"sort": "newest"}, 422, None),  # unknown parameters are refused, not ignored
    ],
)
def test_bad_filters(api, query, status, match):
    r = api.get("/api/library", params=query)
    assert r.status_code == status, r.text
    if match:
        assert r.json()["error"] == "library_error" and match in r.json()["detail"]


def test_show_has_params_infotext_and_lineage(api):
    one = api.get("/api/library/1").json()
    assert one["infotext"].startswith("a cute kitty wearing a hat\nNegative prompt: visible ears")
    assert one["params"]["seed"] == 100 and one["parents"] == []
    assert one["children"] == [
        {"id": 2, "relation": "img2img"},
        {"id": 4, "relation": "pixelized_from"},
    ]
    assert api.get("/api/library/2").json()["parents"] == [{"id": 1, "relation": "img2img"}]
    cell = api.get("/api/library/6").json()
    assert cell["sweep"] == {"id": 1, "name": "owl cfg", "values": {"CFG scale": 9}, "cells": 2}
    plain = api.get("/api/library/7").json()
    assert plain["params"] is None and plain["infotext"] is None and plain["sampler"] is None


@pytest.mark.parametrize("path", ["/api/library/99", "/api/library/99/recall"])
def test_unknown_entry_is_a_404_json_error(api, path):
    r = api.get(path)
    assert r.status_code == 404
    assert r.json() == {
        "error": "entry_not_found",
        "detail": "no library entry 99; `pixref log list` shows the ids",
    }


@pytest.mark.parametrize(
    "bad, status",
    [("0", 422), (str(2**53), 422), ("9" * 40, 422), ("-1", 404), ("abc", 404), ("1.5", 404)],
)
def test_malformed_ids_are_refused(api, bad, status):
    # Only digits reach an id route (Starlette's int convertor), then 1..2**53-1 is checked.
    r = api.get(f"/api/library/{bad}")
    assert r.status_code == status
    if status == 404:
        assert r.json() == {"error": "not_found", "detail": "Not Found"}
    assert api.put(f"/api/library/{bad}/rating", json={"rating": 1}).status_code == status


def test_undeclared_methods_are_405_with_every_allowed_one(api):
    r = api.delete("/api/library/diff")  # not taken for DELETE /api/library/{entry_id}
    assert r.status_code == 405 and r.headers["allow"] == "GET"
    assert api.put("/api/library").headers["allow"] == "GET, PATCH"
    assert api.put("/api/library/3/tags").headers["allow"] == "DELETE, POST"
    assert api.get("/api/library/restore").headers["allow"] == "POST"
    assert r.json() == {"error": "method_not_allowed", "detail": "Method Not Allowed"}


def test_annotations_round_trip(api):
    r = api.post("/api/library/2/tags", json={"tags": ["Big  Hat", "wings"]})
    assert r.status_code == 200 and r.json()["tags"] == ["big hat", "wings"]
    r = api.delete("/api/library/2/tags", params={"tag": ["wings"]})
    assert r.json()["tags"] == ["big hat"]
    assert api.put("/api/library/2/note", json={"note": "use the [left] arm"}).status_code == 200
    assert api.put("/api/library/2/rating", json={"rating": 4}).status_code == 200
    assert api.put("/api/library/2/keep", json={"keep": True}).status_code == 200
    shown = api.get("/api/library/2").json()
    assert (shown["tags"], shown["note"], shown["rating"], shown["keep"]) == (
        ["big hat"],
        "use the [left] arm",
        4,
        True,
    )
    assert ids(api.get("/api/library", params={"q": "left arm"})) == [2]  # the note is indexed
    assert ids(api.get("/api/library", params={"tag": "big hat"})) == [2]
    assert api.put("/api/library/2/keep", json={"keep": False}).json()["keep"] is False
    assert api.put("/api/library/2/note", json={"note": ""}).json()["note"] == ""


@pytest.mark.parametrize(
    "method, path, body, status",
    [
        ("put", "/api/library/1/rating", {"rating": 6}, 422),
        ("put", "/api/library/1/rating", {"rating": "lots"}, 422),
        ("put", "/api/library/1/rating", {"rating": "4"}, 422),  # JSON as typed
        ("put", "/api/library/1/keep", {"keep": 0}, 422),
        ("put", "/api/library/1/note", {}, 422),
        ("post", "/api/library/1/tags", {"tags": []}, 422),
        ("post", "/api/library/1/tags", {"tags": ["  "]}, 400),
        ("put", "/api/library/99/rating", {"rating": 3}, 404),
        ("post", "/api/library/99/tags", {"tags": ["x"]}, 404),
    ],
)
def test_bad_annotations(api, method, path, body, status):
    r = getattr(api, method)(path, json=body)
    assert r.status_code == status, r.text
    assert api.get("/api/library/1").json()["rating"] == 5  # nothing changed


def test_delete_restore_and_purge(api):
    r = api.delete("/api/library/3")
    assert r.status_code == 200 and r.json()["in_trash"] is True
    assert 3 not in ids(api.get("/api/library"))
    assert ids(api.get("/api/library", params={"trash": "true"})) == [3]
    assert api.get("/api/library/3").status_code == 200  # still shown, restorable
    back = api.post("/api/library/3/restore")
    assert back.status_code == 200 and back.json()["in_trash"] is False
    assert 3 in ids(api.get("/api/library"))

    api.delete("/api/library/3")
    api.delete("/api/library/5")
    assert api.post("/api/library/restore", json={"ids": [5]}).json() == {"ids": [5]}
    refused = api.post("/api/library/purge", json={"ids": [5]})
    assert refused.status_code == 400 and "not in the trash" in refused.json()["detail"]
    assert api.post("/api/library/purge", json={}).json() == {"ids": [3]}
    assert api.get("/api/library/3").status_code == 404
    assert api.get("/api/images/3").status_code == 404
    assert api.post("/api/library/purge", json={"ids": [99]}).status_code == 404


def test_diff(api):
    d = api.get("/api/library/diff", params={"a": 1, "b": 2}).json()
    assert (d["a"], d["b"]) == (1, 2)
    assert d["changes"] == [{"name": "cfg_scale", "a": 7.0, "b": 8.0}]
    assert d["prompt"] == [{"op": "=", "text": "a cute kitty wearing a hat"}]
    d = api.get("/api/library/diff", params={"a": 1, "b": 3}).json()
    names = [c["name"] for c in d["changes"]]
    assert {"sampler", "schedule_type", "steps", "seed", "size"} <= set(names)
    assert d["prompt_text"] == (
        "{+tiny fairy riding+} a [-cute kitty wearing a hat-] {+dragonfly <lora:pixelart:0.8>+}"
    )
    assert d["prompt"][:2] == [{"op": "+", "text": "tiny fairy riding"}, {"op": "=", "text": "a"}]
    no_params = api.get("/api/library/diff", params={"a": 1, "b": 7})
    assert no_params.status_code == 400 and "no generation parameters" in no_params.text
    assert api.get("/api/library/diff", params={"a": 1, "b": 99}).status_code == 404
    assert api.get("/api/library/diff", params={"a": 1}).status_code == 422


def test_similar(api):
    s = api.get("/api/library/1/similar").json()
    assert s["id"] == 1
    assert [(g["parameter"], g["base_value"]) for g in s["groups"]] == [("cfg_scale", 7.0)]
    (item,) = s["groups"][0]["entries"]
    assert item["value"] == 8.0 and item["entry"]["id"] == 2
    assert item["entry"]["thumbnail_url"].startswith("/api/images/2/thumbnail?size=256&v=")
    cells = api.get("/api/library/5/similar").json()["groups"]
    assert [(g["parameter"], [i["entry"]["id"] for i in g["entries"]]) for g in cells] == [
        ("cfg_scale", [6])
    ]


def test_recall(api):
    r = api.get("/api/library/2/recall").json()
    assert r["id"] == 2 and r["params"]["cfg_scale"] == 8
    assert r["infotext"].startswith("a cute kitty wearing a hat\nNegative prompt: visible ears\n")
    assert r["command"].startswith(
        "pixref txt2img 'a cute kitty wearing a hat' -n 'visible ears' --steps 20"
    )
    assert "--cfg 8" in r["command"] and "--seed 100" in r["command"]
    assert r["from_command"] == "pixref txt2img --from 2" and r["not_in_command"] == []
    r = api.get("/api/library/4/recall")
    assert r.status_code == 400 and "no generation parameters" in r.json()["detail"]


def test_tree(api):
    t = api.get("/api/library/4/tree").json()
    root = t["root"]
    assert t["id"] == 4 and root["entry"]["id"] == 1 and root["relation"] is None
    assert [(c["relation"], c["entry"]["id"]) for c in root["children"]] == [
        ("img2img", 2),
        ("pixelized_from", 4),
    ]
    assert t["sweep"] is None
    assert api.get("/api/library/5/tree").json()["sweep"]["values"] == {"CFG scale": 5}


def test_sweep(api):
    s = api.get("/api/library/sweeps/1").json()
    assert (s["id"], s["name"], s["axes"]) == (
        1,
        "owl cfg",
        [{"axis": "CFG scale", "values": [5, 9]}],
    )
    assert [(c["values"], c["entry"]["id"], c["entry"]["cfg_scale"]) for c in s["cells"]] == [
        ({"CFG scale": 5}, 5, 5.0),
        ({"CFG scale": 9}, 6, 9.0),
    ]
    missing = api.get("/api/library/sweeps/9")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert api.get("/api/library/sweeps/x").status_code == 404


def test_check_and_repair(api):
    assert api.get("/api/library/check").json()["ok"] is True
    with open_library() as lib:
        lib.get(7).path.unlink()
    found = api.get("/api/library/check").json()
    assert found["ok"] is False and found["missing"] == [7]
    assert api.get("/api/images/7").status_code == 404
    fixed = api.post("/api/library/check", json={"repair": True}).json()
    assert fixed["removed_rows"] == [7]
    assert api.post("/api/library/check", json={}).json()["ok"] is True


def test_export_zip(api):
    r = api.post("/api/library/export", json={"ids": [1, 7]})
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        names = sorted(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        with open_library() as lib:
            assert zf.read("000007-lake.jpg") == lib.get(7).path.read_bytes()
    assert names == ["000001-image", "000007-lake.jpg", "manifest.csv", "manifest.json"]
    assert [m["id"] for m in manifest] == [1, 7]
    assert api.post("/api/library/export", json={"ids": [1, 99]}).status_code == 404
    assert api.post("/api/library/export", json={"ids": []}).status_code == 422


def _wait(api, job_id, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.get(f"/api/jobs/{job_id}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def test_import_job_runs_with_progress(api, tmp_path):
    src = tmp_path / "a1111" / "outputs"
    src.mkdir(parents=True)
    for i in range(6):
        (src / f"{i:05d}-{i}.png").write_bytes(
            png(color=(i, 9, 9), text={"parameters": infotext(seed=1000 + i)})
        )
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nxx")
    progress = []
    with api.stream("GET", "/api/jobs/events") as events:
        r = api.post("/api/library/import", json={"folders": [str(src)], "tags": ["a1111"]})
        assert r.status_code == 202, r.text
        job = r.json()
        assert job["kind"] == "import" and job["state"] in ("queued", "running", "done")
        for line in events.iter_lines():
            if line.startswith("data:"):
                event = json.loads(line[5:])
                progress.append(event["progress"])
                if event["state"] == "done":
                    break
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert len([p for p in progress if 0 < p < 1]) >= 3  # it moved, file by file
    done = _wait(api, job["id"])
    assert done["state"] == "done"
    assert done["message"] == "added 6, unchanged 0, duplicates 0, skipped 1"
    status = api.get(f"/api/library/import/{job['id']}").json()
    report = status["report"]
    assert len(report["added"]) == 6 and report["unchanged"] == 0 and not report["stopped"]
    assert [s["path"].endswith("broken.png") for s in report["skipped"]] == [True]
    assert ids(api.get("/api/library", params={"tag": "a1111"})) == report["added"][::-1]
    assert ids(api.get("/api/library", params={"seed": "1000..1005"})) == report["added"][::-1]

    again = api.post("/api/library/import", json={"folders": [str(src)]}).json()
    assert _wait(api, again["id"])["message"].startswith("added 0, unchanged 7")


@pytest.mark.parametrize(
    "body, status, match",
    [
        ({"folders": []}, 422, None),
        ({"folders": ["relative/outputs"]}, 400, "must be absolute paths"),
        ({"folders": ["/no/such/folder"]}, 400, "none of the `folders` exists"),
        ({"folders": ["/"], "tags": [" "]}, 400, "empty tag"),
    ],
)
def test_import_refuses_bad_requests(api, body, status, match):
    r = api.post("/api/library/import", json=body)
    assert r.status_code == status, r.text
    if match:
        assert match in r.json()["detail"]
    assert api.get("/api/jobs").json() == []


def test_import_status_of_unknown_or_other_jobs(api):
    assert api.get("/api/library/import/job-77").status_code == 404
    other = api.app.state.pixref.jobs.submit("pixelize", lambda ctx: 1, on_device=False)
    r = api.get(f"/api/library/import/{other.id}")
    assert r.status_code == 404 and "a pixelize job, not an import" in r.json()["detail"]


def test_openapi_documents_the_library(api):
    spec = api.get("/openapi.json").json()
    route = spec["paths"]["/api/library"]["get"]
    assert route["summary"] == "List or search entries"
    params = {p["name"] for p in route["parameters"]}
    assert {"q", "cfg", "seed", "size", "tag", "since", "sweep", "parent", "order"} <= params
    ok = route["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/EntryList"}
    for path in ("/api/library/{entry_id}", "/api/library/diff", "/api/images/{entry_id}"):
        assert spec["paths"][path]["get"]["summary"]


def test_cancelled_import_keeps_what_it_read(api, tmp_path, monkeypatch):
    from pixref.library import _import

    src = tmp_path / "outputs"
    src.mkdir()
    for i in range(5):
        (src / f"{i:05d}-{i}.png").write_bytes(
            png(color=(i, 7, 7), text={"parameters": infotext(seed=2000 + i)})
        )
    second, go = threading.Event(), threading.Event()
    read = _import._read
    calls = []

    def slow_read(path):
        calls.append(path)
        if len(calls) == 2:
            second.set()
            go.wait(10)
        return read(path)

    monkeypatch.setattr(_import, "_read", slow_read)
    job = api.post("/api/library/import", json={"folders": [str(src)]}).json()
    assert second.wait(10)
    assert api.post(f"/api/jobs/{job['id']}/cancel").status_code == 200
    go.set()
    done = _wait(api, job["id"])
    assert done["state"] == "cancelled" and done["message"].startswith("stopped: added 2")
    report = api.get(f"/api/library/import/{job['id']}").json()["report"]
    assert report["stopped"] and len(report["added"]) == 2
    assert api.get("/api/library", params={"seed": "2000..2004"}).json()["total"] == 2


def test_batch_edit(api):
    r = api.patch(
        "/api/library",
        json={"ids": [2, 3], "add_tags": ["Picks"], "rating": 3, "keep": True},
    )
    assert r.status_code == 200, r.text
    assert [(e["id"], e["tags"], e["rating"], e["keep"]) for e in r.json()] == [
        (2, ["picks"], 3, True),
        (3, ["picks"], 3, True),
    ]
    assert ids(api.get("/api/library", params={"tag": "picks", "rating": "3"})) == [3, 2]
    gone = api.patch("/api/library", json={"ids": [2, 3], "trash": True, "remove_tags": ["picks"]})
    assert [(e["in_trash"], e["tags"]) for e in gone.json()] == [(True, []), (True, [])]
    assert (
        api.patch("/api/library", json={"ids": [3], "trash": False}).json()[0]["in_trash"] is False
    )
    refused = api.patch("/api/library", json={"ids": [1, 99], "add_tags": ["x"], "rating": 1})
    assert refused.status_code == 404
    assert api.get("/api/library/1").json()["rating"] == 5  # nothing changed
    assert api.patch("/api/library", json={"ids": [1], "rating": 9}).status_code == 422
    assert api.patch("/api/library", json={"ids": []}).status_code == 422
