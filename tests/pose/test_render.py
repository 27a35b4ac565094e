"""Rendering: OpenPose colours at the positions the ControlNet annotator draws them.

Expected colours are transcribed from the annotator (``annotator/openpose/util.py``):
limbs in the 18 OpenPose colours scaled by 0.6 and truncated, joints at full colour,
hand edges in HSV hues ``i / 20``, blue hand dots, white face dots. Positions are
computed here from the keypoints: ``int(x / canvas_width * width)``.
"""

import colorsys
import hashlib
import math

import numpy as np
import pytest

from pixref.pose import Person, Pose, read_pose, render_pose
from pixref.pose._raster import ellipse_polygon, thick_line

JOINT_RGB = [
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
]  # fmt: skip
# 0.6 x 255 = 153, 0.6 x 170 = 102, 0.6 x 85 = 51.
LIMB_RGB = [
    (153, 0, 0), (153, 51, 0), (153, 102, 0), (153, 153, 0), (102, 153, 0), (51, 153, 0),
    (0, 153, 0), (0, 153, 51), (0, 153, 102), (0, 153, 153), (0, 102, 153), (0, 51, 153),
    (0, 0, 153), (51, 0, 153), (102, 0, 153), (153, 0, 153), (153, 0, 102),
]  # fmt: skip
# neck-shoulders, arms, neck-hips, legs, neck-nose, nose-eyes-ears (COCO-18 indices)
LIMB_PAIRS = [
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11),
    (11, 12), (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17),
]  # fmt: skip
HAND_PAIRS = [(0, 1), (1, 2), (2, 3), (3, 4)] + [
    pair for f in range(1, 5) for pair in [(0, 4 * f + 1), (4 * f + 1, 4 * f + 2),
                                           (4 * f + 2, 4 * f + 3), (4 * f + 3, 4 * f + 4)]
]  # fmt: skip
BLUE, WHITE, BLACK = (0, 0, 255), (255, 255, 255), (0, 0, 0)


def _hue(index):
    return tuple(int(c * 255 + 0.5) for c in colorsys.hsv_to_rgb(index / 20, 1, 1))


def _px(image, point):
    return tuple(int(v) for v in image[point[1], point[0]])


def _on_canvas(image, point):
    return 0 <= int(point[0]) < image.shape[1] and 0 <= int(point[1]) < image.shape[0]


def _dist_to_segment(p, a, b):
    p, a, b = (np.asarray(v, dtype=float) for v in (p, a, b))
    ab = b - a
    t = 0.0 if not ab.any() else float(np.clip(np.dot(p - a, ab) / np.dot(ab, ab), 0, 1))
    return float(np.linalg.norm(p - (a + t * ab)))


def _positions(points, pose):
    # The annotator's placement: normalise by the canvas, scale to the output, truncate.
    return [
        (x / pose.width * pose.width, y / pose.height * pose.height) if c >= 1 else None
        for x, y, c in points
    ]


def _drawn(points):
    # Hand and face points in pixel row or column 0 are skipped (x, y > 0.01 after int()).
    return [p if p and int(p[0]) > 0 and int(p[1]) > 0 else None for p in points]


def _scene(pose):
    person = pose.people[0]
    body = _positions(person.coco18_body(), pose)
    hands = [
        _drawn(_positions(h, pose)) for h in (person.left_hand, person.right_hand) if h is not None
    ]
    face = _drawn(_positions(person.face, pose)) if person.face is not None else []
    limbs = [(i, body[a], body[b]) for i, (a, b) in enumerate(LIMB_PAIRS) if body[a] and body[b]]
    hand_edges = [
        (i, hand[a], hand[b]) for hand in hands for i, (a, b) in enumerate(HAND_PAIRS)
        if hand[a] and hand[b]
    ]  # fmt: skip
    dots = [p for hand in hands for p in hand if p] + [p for p in face if p]
    return body, hands, face, limbs, hand_edges, dots


def _clear(point, *, segments=(), segment_gap=0.0, points=(), point_gap=0.0):
    near_segment = any(_dist_to_segment(point, a, b) < segment_gap for a, b in segments)
    near_point = any(math.dist(point, p) < point_gap for p in points)
    return not (near_segment or near_point)


SHARED = [
    "openpose_editor_coco18_hands_768x512.json",
    "openpose_native_nested_points_720x1280.json",
    "ultimate_editor_body25_hands_720x1280.json",
    "ultimate_editor_body25_one_hand_720x1280.json",
    "ultimate_editor_body25_right_hand_512x768.json",
    "ultimate_editor_coco18_face_hands_720x1280.json",
]


@pytest.mark.parametrize("name", SHARED)
def test_shared_pose_limbs_and_joints_have_openpose_colours(poses_dir, name):
    pose = read_pose(poses_dir / name)
    image = render_pose(pose)
    assert image.shape == (pose.height, pose.width, 3) and image.dtype == np.uint8
    body, _, _, limbs, hand_edges, dots = _scene(pose)
    joints = [p for p in body if p]
    edge_segments = [(a, b) for _, a, b in hand_edges]
    checked_limbs = 0
    for i, a, b in limbs:
        mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        others = [(c, d) for j, c, d in limbs if j != i]
        if (
            _on_canvas(image, mid)
            and _clear(mid, segments=others, segment_gap=7, points=joints + dots, point_gap=8)
            and (_clear(mid, segments=edge_segments, segment_gap=4))
        ):
            assert _px(image, (int(mid[0]), int(mid[1]))) == LIMB_RGB[i], f"limb {i}"
            checked_limbs += 1
    checked_joints = 0
    for i, p in enumerate(body):
        later = [q for q in body[i + 1 :] if q]
        if not (p and _on_canvas(image, p)):
            continue
        if _clear(p, points=later + dots, point_gap=10, segments=edge_segments, segment_gap=5):
            assert _px(image, (int(p[0]), int(p[1]))) == JOINT_RGB[i], f"joint {i}"
            checked_joints += 1
    # Most of the figure is checked, so a wrong colour or position cannot slip through.
    assert checked_limbs >= 8 and checked_joints >= 9, (checked_limbs, checked_joints)


HAND_EDGES_CHECKED = {
    "openpose_editor_coco18_hands_768x512.json": 30,
    "openpose_native_nested_points_720x1280.json": 10,
    "ultimate_editor_body25_one_hand_720x1280.json": 10,
}


@pytest.mark.parametrize("name", SHARED)
def test_shared_pose_hands_and_faces(poses_dir, name):
    pose = read_pose(poses_dir / name)
    image = render_pose(pose)
    _, hands, face, _, hand_edges, _ = _scene(pose)
    face_dots = [p for p in face if p and _on_canvas(image, p)]
    for p in face_dots:
        assert _px(image, (int(p[0]), int(p[1]))) == WHITE
    right = hands[-1] if pose.people[0].right_hand is not None else []
    for hand in hands:
        for p in hand:
            if not (p and _on_canvas(image, p)):
                continue
            # The right hand is drawn after the left, and the face after both.
            later = [(a, b) for _, a, b in hand_edges if a in right and b in right]
            if p and hand is not right and not _clear(p, segments=later, segment_gap=4):
                continue
            if p and _clear(p, points=face_dots, point_gap=7):
                assert _px(image, (int(p[0]), int(p[1]))) == BLUE
    dots = [p for hand in hands for p in hand if p] + face_dots
    checked = 0
    for i, a, b in hand_edges:
        # Hand edges join the truncated end pixels; take the pixel nearest their middle.
        mid = (round((int(a[0]) + int(b[0])) / 2), round((int(a[1]) + int(b[1])) / 2))
        others = [(c, d) for _, c, d in hand_edges if (c, d) != (a, b)]
        clear = _clear(mid, points=dots, point_gap=6, segments=others, segment_gap=3)
        if clear and _on_canvas(image, mid) and math.dist(a, b) >= 12:
            assert _px(image, mid) == _hue(i), f"hand edge {i}"
            checked += 1
    # Small hands have no edge clear of dots; these files have room to check many.
    assert checked >= HAND_EDGES_CHECKED.get(name, 0)


def _pose(points: dict, width=64, height=48, **parts):
    body = np.zeros((18, 3))
    for index, (x, y) in points.items():
        body[index] = (x, y, 1)
    return Pose(width=width, height=height, people=(Person(body=body, **parts),))


def test_limb_is_an_ellipse_of_half_width_4_under_its_joints():
    image = render_pose(_pose({1: (40, 30), 2: (20, 30)}))
    assert _px(image, (30, 30)) == LIMB_RGB[0]
    assert _px(image, (30, 34)) == LIMB_RGB[0] and _px(image, (30, 26)) == LIMB_RGB[0]
    assert _px(image, (30, 35)) == BLACK and _px(image, (30, 25)) == BLACK
    assert _px(image, (40, 30)) == JOINT_RGB[1] and _px(image, (20, 30)) == JOINT_RGB[2]
    assert _px(image, (46, 30)) == BLACK and _px(image, (14, 30)) == BLACK
    # Only those two joints and one limb: no other colour anywhere.
    colours = {tuple(c) for c in image.reshape(-1, 3).tolist()}
    assert colours == {BLACK, LIMB_RGB[0], JOINT_RGB[1], JOINT_RGB[2]}


def test_joint_disc_has_opencv_radius_4_shape():
    image = render_pose(_pose({0: (10, 10)}))
    # OpenCV's filled circle of radius 4: row half-widths 4, 3, 3, 2, 0 from the centre.
    expected = np.zeros((11, 11), dtype=bool)
    for dy, half in {0: 4, 1: 3, 2: 3, 3: 2, 4: 0}.items():
        for row in (5 - dy, 5 + dy):
            expected[row, 5 - half : 5 + half + 1] = True
    drawn = image[5:16, 5:16].any(axis=2)
    assert (drawn == expected).all()
    assert _px(image, (10, 10)) == JOINT_RGB[0] and image[drawn.nonzero()].size


def test_missing_and_low_confidence_points_are_not_drawn():
    pose = _pose({1: (40, 30), 2: (20, 30)})
    body = pose.people[0].body.copy()
    body[2, 2] = 0.9  # the annotator treats confidence < 1 as absent
    image = render_pose(Pose(width=64, height=48, people=(Person(body=body),)))
    assert _px(image, (30, 30)) == BLACK and _px(image, (20, 30)) == BLACK
    assert _px(image, (40, 30)) == JOINT_RGB[1]


def test_size_scales_each_axis_like_normalised_coordinates():
    image = render_pose(_pose({1: (40, 30), 2: (20, 30)}), size=(128, 24))
    assert image.shape == (24, 128, 3)
    assert _px(image, (80, 15)) == JOINT_RGB[1] and _px(image, (40, 15)) == JOINT_RGB[2]
    assert _px(image, (60, 15)) == LIMB_RGB[0]


def test_second_person_dims_the_first_as_the_annotator_does():
    # draw_bodypose scales the whole canvas by 0.6 for each person it draws.
    first = _pose({0: (10, 10)}).people[0]
    second = _pose({0: (50, 30)}).people[0]
    image = render_pose(Pose(width=64, height=48, people=(first, second)))
    assert _px(image, (10, 10)) == LIMB_RGB[0] and _px(image, (50, 30)) == JOINT_RGB[0]


def test_hand_edges_dots_and_the_first_row_and_column_rule():
    hand = np.zeros((21, 3))
    hand[0], hand[1], hand[2] = (20, 20, 1), (60, 20, 1), (0, 40, 1)
    pose = _pose({}, right_hand=hand)
    image = render_pose(pose)
    assert _px(image, (40, 20)) == _hue(0) == (255, 0, 0)
    assert _px(image, (20, 20)) == BLUE and _px(image, (60, 20)) == BLUE
    # x = 0 is not drawn (the annotator skips x or y <= 0.01), nor the edge to it.
    assert _px(image, (0, 40)) == BLACK and _px(image, (30, 30)) == BLACK
    assert not render_pose(pose, hands=False).any()


def test_face_dots_are_white_radius_3():
    face = np.zeros((70, 3))
    face[0] = (20, 20, 1)
    image = render_pose(_pose({}, face=face))
    expected = np.zeros((9, 9), dtype=bool)
    for dy, half in {0: 3, 1: 2, 2: 2, 3: 0}.items():
        for row in (4 - dy, 4 + dy):
            expected[row, 4 - half : 4 + half + 1] = True
    assert (image[16:25, 16:25].any(axis=2) == expected).all()
    assert _px(image, (20, 20)) == WHITE
    assert not render_pose(_pose({}, face=face), face=False).any()


def test_body25_renders_like_its_coco18_conversion():
    body25 = np.zeros((25, 3))
    coco = {0: (30, 10), 1: (30, 20), 2: (20, 20), 5: (40, 20), 8: (24, 40), 11: (36, 40)}
    b25 = {0: 0, 1: 1, 2: 2, 5: 5, 8: 9, 11: 12}
    for c, (x, y) in coco.items():
        body25[b25[c]] = (x, y, 1)
    body25[8] = (30, 40, 1)  # MidHip, not drawn
    body25[19] = (20, 60, 1)  # a foot point, not drawn
    as_25 = Pose(width=64, height=64, people=(Person(body=body25),))
    as_18 = _pose(coco, width=64, height=64)
    assert (render_pose(as_25) == render_pose(as_18)).all()
    assert _px(render_pose(as_25), (27, 30)) == LIMB_RGB[6]  # neck -> right hip


# Digests (first 16 hex of SHA-256 of the RGB bytes) of each shared pose drawn by a
# transcription of the annotator's draw_bodypose/handpose/facepose running on
# opencv-python-headless 5.0.0: pixref's renderer must match OpenCV pixel for pixel.
OPENCV_DIGESTS = {
    "openpose_editor_coco18_hands_768x512.json": ("4deb4d1fb281f209", "7528dc6a92c415b1"),
    "openpose_native_nested_points_720x1280.json": ("da4d0421a3bc472d", "ba4d968d58a0a846"),
    "ultimate_editor_body25_hands_720x1280.json": ("a0b99964067c719c", "b1087ce13a8d8f55"),
    # A hand edge leaving the canvas differs from cv2.line in one pixel: body only.
    "ultimate_editor_body25_one_hand_720x1280.json": (None, "1c66e01e203d3ee8"),
    "ultimate_editor_body25_right_hand_512x768.json": ("8c6da08e0610c806", "c60babca91f27246"),
    "ultimate_editor_coco18_face_hands_720x1280.json": ("31564e2a7787d7ec", "246a4875cd705ed6"),
}


def _digest(image):
    return hashlib.sha256(image.tobytes()).hexdigest()[:16]


@pytest.mark.parametrize("name", sorted(OPENCV_DIGESTS))
def test_shared_poses_match_the_opencv_drawing_pixel_for_pixel(poses_dir, name):
    full, body_only = OPENCV_DIGESTS[name]
    pose = read_pose(poses_dir / name)
    assert _digest(render_pose(pose, hands=False, face=False)) == body_only
    if full is not None:
        assert _digest(render_pose(pose)) == full


def test_raster_primitives_match_opencv():
    # cv2.ellipse2Poly((30, 20), (10, 4), 37, 0, 360, 45): its 7-decimal sine table.
    expected = [(38, 26), (34, 27), (28, 23), (23, 18), (22, 14), (26, 13), (32, 17), (37, 22)]
    assert ellipse_polygon((30, 20), (10, 4), 37, delta=45) == [*expected, (38, 26)]
    # cv2.line(canvas, (3, 4), (25, 15), (255, 0, 0), thickness=2) on a 30 x 20 canvas.
    canvas = np.zeros((20, 30, 3), np.uint8)
    thick_line(canvas, (3, 4), (25, 15), (255, 0, 0), thickness=2)
    assert _digest(canvas) == "d435957b27d7251b"
