"""Editing poses by code: move, translate, scale, mirror, retarget."""

import numpy as np
import pytest

from pixref.pose import (
    Person,
    Pose,
    PoseError,
    mirror_pose,
    move_keypoint,
    read_pose,
    render_pose,
    retarget_pose,
    scale_pose,
    translate_pose,
)
from pixref.pose._model import BODY25_MIRROR, COCO18_MIRROR, FACE70_MIRROR


def _pose():
    body = np.zeros((18, 3))
    body[0], body[1], body[2], body[5] = (50, 20, 1), (50, 40, 1), (30, 40, 1), (70, 40, 1)
    left = np.column_stack([np.full(21, 80.0), np.arange(21.0) + 50, np.ones(21)])
    face = np.column_stack([np.arange(70.0) + 10, np.full(70, 15.0), np.ones(70)])
    return Pose(width=100, height=120, people=(Person(body=body, left_hand=left, face=face),))


def _same(a: Pose, b: Pose) -> bool:
    pairs = zip(a.people, b.people, strict=True)
    return a.size == b.size and all(
        p.parts().keys() == q.parts().keys()
        and all(np.allclose(p.parts()[k], q.parts()[k]) for k in p.parts())
        for p, q in pairs
    )


@pytest.mark.parametrize("table", [COCO18_MIRROR, BODY25_MIRROR, FACE70_MIRROR])
def test_mirror_tables_are_involutions(table):
    assert sorted(table) == list(range(len(table)))
    assert [table[i] for i in table] == list(range(len(table)))


def test_mirror_twice_is_identity_for_every_shared_file(poses_dir):
    for path in sorted(poses_dir.glob("*.json")):
        pose = read_pose(path)
        assert _same(mirror_pose(mirror_pose(pose)), pose), path.name
        assert not _same(mirror_pose(pose), pose), path.name


def test_mirror_flips_x_and_swaps_sides():
    pose = _pose()
    flipped = mirror_pose(pose).people[0]
    # The right shoulder (2) takes the mirrored left shoulder (5): x 70 -> 100 - 70.
    assert flipped.body[2].tolist() == [30.0, 40.0, 1.0]
    assert flipped.body[5].tolist() == [70.0, 40.0, 1.0]
    assert flipped.body[0].tolist() == [50.0, 20.0, 1.0]
    # The left hand becomes the right hand, at 100 - 80.
    assert flipped.left_hand is None and np.allclose(flipped.right_hand[:, 0], 20)
    # Face point 0 (right jaw end) takes the mirrored point 16: x 26 -> 74.
    assert flipped.face[0, 0] == 100 - 26
    # Missing points stay at (0, 0), where editors expect them.
    assert flipped.body[3].tolist() == [0.0, 0.0, 0.0]


def test_mirrored_render_is_the_flipped_render_with_sides_swapped(poses_dir):
    pose = read_pose(poses_dir / "openpose_editor_coco18_hands_768x512.json")
    image = render_pose(mirror_pose(pose))
    # The neck (1) is at x 367 on a 768 canvas -> 401 after mirroring; its colour stays.
    assert image[301, 401].tolist() == [255, 85, 0]
    # The right elbow (3) at (104.9, 376.3) is now the left elbow (6) at (663.1, 376.3).
    assert image[376, 663].tolist() == [0, 255, 0]


def test_move_keypoint_moves_one_point_and_leaves_the_original():
    pose = _pose()
    moved = move_keypoint(pose, "body", 2, 25.5, 44.0)
    assert moved.people[0].body[2].tolist() == [25.5, 44.0, 1.0]
    assert np.array_equal(
        np.delete(moved.people[0].body, 2, 0), np.delete(pose.people[0].body, 2, 0)
    )
    assert pose.people[0].body[2].tolist() == [30.0, 40.0, 1.0]
    # A missing point becomes visible when moved.
    assert move_keypoint(pose, "body", 3, 1, 2).people[0].body[3].tolist() == [1, 2, 1]
    hand = move_keypoint(pose, "left_hand", 20, 5, 6, confidence=0.5).people[0].left_hand
    assert hand[20].tolist() == [5, 6, 0.5]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("body", 18, 0, 0), "`index` must be 0-17"),
        (("tail", 0, 0, 0), "`part` must be one of"),
        (("right_hand", 0, 0, 0), "no right_hand"),
    ],
)
def test_move_keypoint_errors(args, match):
    with pytest.raises(PoseError, match=match):
        move_keypoint(_pose(), *args)
    with pytest.raises(PoseError, match="`person` must be 0-0"):
        move_keypoint(_pose(), "body", 0, 0, 0, person=1)


def test_translate_moves_present_points_only():
    moved = translate_pose(_pose(), 5, -3).people[0]
    assert moved.body[1].tolist() == [55, 37, 1] and moved.body[3].tolist() == [0, 0, 0]
    assert np.allclose(moved.face[:, 1], 12)


def test_scale_about_a_point_keeps_it_fixed():
    pose = _pose()
    scaled = scale_pose(pose, 2.0, center=(50, 40)).people[0]
    assert scaled.body[1].tolist() == [50, 40, 1]  # the centre itself
    assert scaled.body[0].tolist() == [50, 0, 1]  # 20 above -> 40 above
    assert scaled.body[5].tolist() == [90, 40, 1]
    # Default centre: the canvas centre (50, 60); separate y factor.
    other = scale_pose(pose, 0.5, factor_y=1.0).people[0]
    assert other.body[2].tolist() == [40, 40, 1]
    with pytest.raises(PoseError, match="> 0"):
        scale_pose(pose, 0)


def test_retarget_modes():
    pose = _pose()  # 100 x 120
    stretched = retarget_pose(pose, 200, 60, mode="just_resize")
    assert stretched.size == (200, 60) and stretched.people[0].body[1].tolist() == [100, 20, 1]
    # Fit into 240 x 240: scale 2 (120 -> 240), centred: x offset (240 - 200) / 2 = 20.
    fit = retarget_pose(pose, 240, 240)
    assert fit.people[0].body[1].tolist() == [120, 80, 1]
    # Cover 240 x 240: scale 2.4 (100 -> 240), y offset (240 - 288) / 2 = -24.
    cover = retarget_pose(pose, 240, 240, mode="crop_and_resize")
    assert np.allclose(cover.people[0].body[1], [120, 72, 1])
    with pytest.raises(PoseError, match="`mode` must be one of"):
        retarget_pose(pose, 10, 10, mode="zoom")
    with pytest.raises(PoseError, match="`width` must be a positive integer"):
        retarget_pose(pose, 0, 10)
