"""/api/pose against pixref.pose: render, mirror and edit give what the stage gives."""

import json
from pathlib import Path

import numpy as np
import pytest

from pixref.pose import mirror_pose, parse_pose, pose_to_dict, render_pose
from tests.server.helpers import assert_one_line_error, read_png


def coco_pose(width=64, height=48) -> dict:
    body = [0.0] * 54
    for index, (x, y) in {0: (32, 8), 1: (32, 20), 2: (20, 20), 3: (16, 32), 5: (44, 20),
                          8: (26, 40), 11: (38, 40)}.items():  # fmt: skip
        body[3 * index : 3 * index + 3] = [x, y, 1.0]
    return {"people": [{"pose_keypoints_2d": body}], "canvas_width": width,
            "canvas_height": height}  # fmt: skip


@pytest.fixture
def shared_pose() -> dict:
    for folder in Path(__file__).resolve().parents:
        path = folder / "shared" / "data" / "poses" / "ultimate_editor_body25_hands_720x1280.json"
        if path.is_file():
            return json.loads(path.read_text())
    pytest.skip("../shared/data/poses is not beside this checkout")


def test_render_equals_render_pose(client):
    r = client.post("/api/pose/render", json={"pose": coco_pose()})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    expected = render_pose(parse_pose(json.dumps(coco_pose())))
    assert np.array_equal(np.asarray(read_png(r.content)), expected)


def test_render_a_shared_body25_pose_at_a_size_mirrored_without_face(client, shared_pose):
    r = client.post(
        "/api/pose/render",
        json={"pose": shared_pose, "width": 360, "height": 640, "mirror": True, "face": False},
    )
    assert r.status_code == 200, r.text
    pose = mirror_pose(parse_pose(json.dumps(shared_pose)))
    expected = render_pose(pose, size=(360, 640), face=False)
    assert np.array_equal(np.asarray(read_png(r.content)), expected)


def test_canvas_for_a_pose_without_one(client):
    pose = coco_pose()
    del pose["canvas_width"], pose["canvas_height"]
    assert_one_line_error(
        client.post("/api/pose/render", json={"pose": pose}), 400, "no `canvas_width`"
    )
    r = client.post("/api/pose/render", json={"pose": pose, "canvas": [64, 48]})
    assert read_png(r.content).size == (64, 48)


def test_mirror_and_edit_are_the_stage_edits(client):
    mirrored = client.post("/api/pose/mirror", json={"pose": coco_pose()}).json()
    assert mirrored["pose"] == pose_to_dict(mirror_pose(parse_pose(json.dumps(coco_pose()))))
    assert (mirrored["width"], mirrored["height"], mirrored["people"]) == (64, 48, 1)
    edited = client.post(
        "/api/pose/edit",
        json={"pose": coco_pose(), "operations": [
            {"op": "move", "index": 0, "x": 30, "y": 6},
            {"op": "scale", "factor": 0.5},
            {"op": "translate", "dx": 2, "dy": -1},
            {"op": "retarget", "width": 128, "height": 128, "mode": "just_resize"},
        ]},
    )  # fmt: skip
    assert edited.status_code == 200, edited.text
    body = edited.json()["pose"]["people"][0]["pose_keypoints_2d"]
    # move, then scale about the canvas centre (32, 24), shift, stretch to 128x128
    assert body[0] == pytest.approx(((30 - 32) * 0.5 + 32 + 2) * 2)
    assert body[1] == pytest.approx(((6 - 24) * 0.5 + 24 - 1) * 128 / 48)
    assert edited.json()["width"] == 128


@pytest.mark.parametrize(
    ("url", "body", "status", "words"),
    [
        ("render", {"pose": {"people": []}}, 400, ["no people"]),
        ("render", {"pose": {"nobody": 1}}, 400, ["no `people` list"]),
        ("render", {"pose": [1, 2]}, 400, ["holds 2 poses"]),
        ("render", {"pose": coco_pose(), "width": 0}, 422, ["`width`"]),
        ("render", {"pose": coco_pose(), "width": 9000, "height": 9000}, 400, ["limit"]),
        ("render", {"pose": coco_pose(100000, 100000)}, 400, ["limit"]),
        ("edit", {"pose": coco_pose(), "operations": [{"op": "move", "index": 40, "x": 1,
                                                       "y": 1}]}, 400, ["`index` must be"]),
        ("edit", {"pose": coco_pose(), "operations": [{"op": "move", "part": "face",
                                                       "index": 0, "x": 1, "y": 1}]},
         400, ["no face keypoints"]),
        ("edit", {"pose": coco_pose(), "operations": [{"op": "spin"}]}, 422, ["`operations"]),
        ("mirror", {"pose": coco_pose(), "extra": 1}, 422, ["`extra`"]),
    ],
)  # fmt: skip
def test_bad_poses_are_one_line_4xx(client, url, body, status, words):
    assert_one_line_error(client.post(f"/api/pose/{url}", json=body), status, *words)
