"""Reading OpenPose JSON: every shared variant, and one-line errors for broken files."""

import json

import numpy as np
import pytest

from pixref.pose import BodyFormat, Person, Pose, PoseError, parse_pose, read_pose, write_pose

# file -> canvas, body points, body format, {part: points}, body[1] (neck) x, y
SHARED = {
    "openpose_editor_coco18_hands_768x512.json": (
        (768, 512), 18, BodyFormat.coco18, {"left_hand": 21, "right_hand": 21}, (367.0, 301.0)
    ),
    "openpose_native_nested_points_720x1280.json": (
        (720, 1280), 25, BodyFormat.coco18_padded, {"left_hand": 21, "right_hand": 21},
        (394.2936299343903, 447.58815982441115),
    ),
    "ultimate_editor_body25_hands_720x1280.json": (
        (720, 1280), 25, BodyFormat.coco18_padded, {"left_hand": 21, "right_hand": 21},
        (373.9211628437042, 355.9990227818489),
    ),
    "ultimate_editor_body25_one_hand_720x1280.json": (
        (720, 1280), 25, BodyFormat.coco18_padded, {"left_hand": 21},
        (385.3331368813912, 446.00018719832104),
    ),
    "ultimate_editor_body25_right_hand_512x768.json": (
        (512, 768), 25, BodyFormat.coco18_padded, {"right_hand": 21},
        (496.10225150982535, 512.2185635964076),
    ),
    "ultimate_editor_coco18_face_hands_720x1280.json": (
        (720, 1280), 18, BodyFormat.coco18, {"left_hand": 21, "right_hand": 21, "face": 70},
        (345.4779620170594, 361.597686767578),
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SHARED))
def test_shared_pose_files_read(poses_dir, name):
    size, body_points, body_format, parts, neck = SHARED[name]
    pose = read_pose(poses_dir / name)
    assert pose.size == size
    assert len(pose.people) == 1
    person = pose.people[0]
    assert person.body.shape == (body_points, 3) and person.body.dtype == np.float64
    assert person.body_format is body_format
    assert {k: len(v) for k, v in person.parts().items() if k != "body"} == parts
    assert tuple(person.body[1, :2]) == neck
    assert person.coco18_body().shape == (18, 3)


def test_shared_files_agree_across_variants(poses_dir):
    # The nested-points variant holds the same numbers as a flat list would.
    raw = json.loads((poses_dir / "openpose_native_nested_points_720x1280.json").read_text())
    pose = read_pose(poses_dir / "openpose_native_nested_points_720x1280.json")
    assert pose.people[0].left_hand.tolist() == raw["people"][0]["hand_left_keypoints_2d"]
    coco = json.loads((poses_dir / "openpose_editor_coco18_hands_768x512.json").read_text())
    flat = coco["people"][0]["pose_keypoints_2d"]
    assert read_pose(poses_dir / "openpose_editor_coco18_hands_768x512.json").people[
        0
    ].body.ravel().tolist() == [float(v) for v in flat]


def _body(points=18, confidence=1.0):
    body = np.zeros((points, 3))
    body[:, 0] = np.arange(points) * 10 + 5
    body[:, 1] = 100 - np.arange(points)
    body[:, 2] = confidence
    return body


def _json(people, **extra):
    return json.dumps({"people": people, **extra})


def test_canvas_size_from_file_name_when_json_has_none(tmp_path):
    path = tmp_path / "walk_640x480.json"
    path.write_text(_json([{"pose_keypoints_2d": _body().ravel().tolist()}]))
    assert read_pose(path).size == (640, 480)
    # The JSON's own canvas wins over the name.
    path.write_text(_json([{"pose_keypoints_2d": _body().ravel().tolist()}], canvas_width=64,
                          canvas_height=32))  # fmt: skip
    assert read_pose(path).size == (64, 32)


def test_body25_with_feet_converts_to_coco18_order():
    body = _body(25)
    body[8] = (body[9, 0] + body[12, 0]) / 2, (body[9, 1] + body[12, 1]) / 2, 1  # MidHip
    person = Person(body=body)
    assert person.body_format is BodyFormat.body25
    coco = person.coco18_body()
    # COCO 8 (right hip) is BODY_25 9; COCO 17 (left ear) is BODY_25 18.
    assert coco[8].tolist() == body[9].tolist() and coco[17].tolist() == body[18].tolist()
    assert coco[:8].tolist() == body[:8].tolist()


def test_write_then_read_round_trips(tmp_path):
    body = _body()
    hand = np.column_stack([np.arange(21.0), np.arange(21.0) * 2, np.ones(21)])
    pose = Pose(width=128, height=96, people=(Person(body=body, right_hand=hand),))
    back = read_pose(write_pose(pose, tmp_path / "p.json"))
    assert back.size == (128, 96)
    assert back.people[0].body.tolist() == body.tolist()
    assert back.people[0].right_hand.tolist() == hand.tolist()
    assert back.people[0].left_hand is None


BAD = {
    "truncated": ('{"people": [{"pose_keypoints_2d": [1, 2,', "not valid JSON"),
    "not a pose": ('{"animals": []}', "no `people` list"),
    "no people": ('{"people": [], "canvas_width": 8, "canvas_height": 8}', "no people"),
    "ragged": (_json([{"pose_keypoints_2d": list(range(53))}], canvas_width=8,
                     canvas_height=8), "not a multiple of 3"),
    "wrong body": (_json([{"pose_keypoints_2d": list(range(60))}], canvas_width=8,
                         canvas_height=8), r"18 \(COCO\) or 25 .*got 20"),
    "short hand": (_json([{"pose_keypoints_2d": _body().ravel().tolist(),
                           "hand_left_keypoints_2d": list(range(60))}], canvas_width=8,
                         canvas_height=8), "21 keypoints"),
    "no body": (_json([{"hand_left_keypoints_2d": list(range(63))}], canvas_width=8,
                      canvas_height=8), "needs a body"),
    "no canvas": (_json([{"pose_keypoints_2d": _body().ravel().tolist()}]), "canvas"),
    "bad canvas": (_json([{"pose_keypoints_2d": _body().ravel().tolist()}], canvas_width=0,
                         canvas_height=8), "positive whole numbers"),
    "strings": (_json([{"pose_keypoints_2d": ["1"] * 54}], canvas_width=8,
                      canvas_height=8), "only numbers"),
    "two frames": ("[" + _json([]) + "," + _json([]) + "]", "2 poses"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_pose_is_a_one_line_pose_error(case):
    text, match = BAD[case]
    with pytest.raises(PoseError, match=match) as info:
        parse_pose(text, source="bad.json")
    assert "\n" not in str(info.value)


def test_truncated_shared_file_is_a_one_line_error(poses_dir, tmp_path):
    text = (poses_dir / "ultimate_editor_coco18_face_hands_720x1280.json").read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) // 2])
    with pytest.raises(PoseError, match=r"cut\.json is not valid JSON"):
        read_pose(cut)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(PoseError, match="not found"):
        read_pose(tmp_path / "nope.json")
    binary = tmp_path / "photo.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    with pytest.raises(PoseError, match="not a text file"):
        read_pose(binary)


def _controlnet_json(**extra) -> str:
    """A pose as the ControlNet extension's preprocessor writes it: 0-1, canvas given."""
    body = [[0.5, 0.1, 1.0], [0.5, 0.25, 1.0], [0.4, 0.25, 1.0]] + [[0.0, 0.0, 0.0]] * 15
    hand = [[0.3, 0.5, 1.0]] + [[-1 / 400, -1 / 600, 1.0]] * 20  # hand points not found
    person = {
        "pose_keypoints_2d": [v for p in body for v in p],
        "hand_right_keypoints_2d": [v for p in hand for v in p],
    }
    return json.dumps({"people": [person], "canvas_width": 400, "canvas_height": 600, **extra})


def test_normalised_coordinates_are_detected_and_scaled():
    pose = parse_pose(_controlnet_json())
    assert pose.size == (400, 600)
    body, hand = pose.people[0].body, pose.people[0].right_hand
    np.testing.assert_allclose(body[:3], [[200, 60, 1], [200, 150, 1], [160, 150, 1]])
    assert (body[3:] == 0).all()
    # The extension's "not found" hand points (-1 / width) do not stop the detection.
    np.testing.assert_allclose(hand[0], [120, 300, 1])
    np.testing.assert_allclose(hand[1:, :2], -1)


def test_normalized_flag_decides():
    as_pixels = parse_pose(_controlnet_json(normalized=False))
    np.testing.assert_allclose(as_pixels.people[0].body[1], [0.5, 0.25, 1])
    data = json.loads(_controlnet_json(normalized=True))
    data["people"][0]["pose_keypoints_2d"][3:6] = [1.5, 0.25, 1.0]  # outside 0-1, still scaled
    np.testing.assert_allclose(parse_pose(json.dumps(data)).people[0].body[1], [600, 150, 1])
    with pytest.raises(PoseError, match="`normalized` must be true or false, got 'yes'"):
        parse_pose(_controlnet_json(normalized="yes"))


def test_pixel_pose_in_the_unit_square_needs_a_coordinate_above_1():
    # Any present coordinate above 1 means pixels, even if most points are small.
    data = json.loads(_controlnet_json())
    data["people"][0]["pose_keypoints_2d"][6:9] = [1.5, 0.25, 1.0]
    np.testing.assert_allclose(parse_pose(json.dumps(data)).people[0].body[1], [0.5, 0.25, 1])


def test_normalised_file_without_canvas_uses_the_given_size(tmp_path):
    data = json.loads(_controlnet_json())
    del data["canvas_width"], data["canvas_height"]
    path = tmp_path / "pose.json"
    path.write_text(json.dumps(data))
    pose = read_pose(path, size=(100, 200))
    np.testing.assert_allclose(pose.people[0].body[1], [50, 50, 1])


def test_write_normalised_then_read_round_trips(tmp_path):
    body = np.zeros((18, 3))
    body[[0, 1, 2]] = [[256, 100, 1], [256, 150, 0.8], [200, 150, 1]]
    hand = np.zeros((21, 3))
    hand[0] = [100, 300, 1]
    pose = Pose(width=512, height=768, people=(Person(body=body, left_hand=hand),))
    path = write_pose(pose, tmp_path / "pose.json", normalized=True)
    data = json.loads(path.read_text())
    assert data["normalized"] is True and data["canvas_height"] == 768
    assert data["people"][0]["pose_keypoints_2d"][:6] == [0.5, 100 / 768, 1.0, 0.5, 150 / 768, 0.8]
    back = read_pose(path)
    np.testing.assert_allclose(back.people[0].body, body)
    np.testing.assert_allclose(back.people[0].left_hand, hand)
    assert "normalized" not in json.loads(write_pose(pose, tmp_path / "px.json").read_text())
