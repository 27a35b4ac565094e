"""Render poses as the ControlNet OpenPose annotator draws them.

Reproduces sd-webui-controlnet's ``annotator/openpose`` ``draw_poses``: a black
canvas; per person the body, then the left and right hands, then the face.

- Body (``draw_bodypose``): 17 limbs as filled ellipses of half-width 4 in the
  first 17 of the 18 OpenPose colours, after which the *whole canvas* is scaled by
  0.6 (so limbs show at 60 %), then 18 joint discs of radius 4 at full colour.
- Hands (``draw_handpose``): 20 edges 2 pixels wide, edge ``i`` in HSV hue
  ``i / 20`` at full saturation and value, then blue ``(0, 0, 255)`` discs of radius 4.
- Face (``draw_facepose``): white discs of radius 3.

Like the annotator, keypoints with confidence below 1 are missing, positions are
normalised by the pose canvas and scaled to the output size, then truncated to
whole pixels; hand and face points in column or row 0 are skipped.
"""

from __future__ import annotations

import colorsys
import math

import numpy as np

from pixref.pose._model import Pose
from pixref.pose._raster import ellipse_polygon, fill_circle, fill_polygon, thick_line

# The 18 OpenPose colours (RGB), one per COCO-18 joint; limb i uses colour i.
OPENPOSE_COLORS = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0),
    (0, 255, 0), (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255),
    (0, 0, 255), (85, 0, 255), (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)  # fmt: skip
# COCO-18 index pairs of the 17 limbs, in drawing (and colour) order.
LIMBS = (
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10),
    (1, 11), (11, 12), (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17),
)  # fmt: skip
HAND_EDGES = (
    (0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (5, 6), (6, 7), (7, 8), (0, 9), (9, 10),
    (10, 11), (11, 12), (0, 13), (13, 14), (14, 15), (15, 16), (0, 17), (17, 18),
    (18, 19), (19, 20),
)  # fmt: skip
LIMB_HALF_WIDTH = 4
JOINT_RADIUS = 4
LIMB_ALPHA = 0.6
HAND_LINE_WIDTH = 2
HAND_DOT_RADIUS = 4
HAND_DOT_COLOR = (0, 0, 255)
FACE_DOT_RADIUS = 3
FACE_DOT_COLOR = (255, 255, 255)
_EPS = 0.01  # the annotator's threshold on pixel positions for hands and faces


def hand_edge_color(index: int) -> tuple[int, int, int]:
    """The RGB colour of hand edge ``index`` (0-19): hue ``index / 20``, rounded as OpenCV does.

    >>> hand_edge_color(0), hand_edge_color(1)
    ((255, 0, 0), (255, 77, 0))
    """
    rgb = colorsys.hsv_to_rgb(index / len(HAND_EDGES), 1.0, 1.0)
    # OpenCV converts the float colour with saturate_cast, which rounds half to even.
    return tuple(int(np.rint(c * 255)) for c in rgb)  # type: ignore[return-value]


def render_pose(
    pose: Pose,
    *,
    size: tuple[int, int] | None = None,
    hands: bool = True,
    face: bool = True,
    body: bool = True,
) -> np.ndarray:
    """Draw ``pose`` as the ControlNet OpenPose annotator does.

    Parameters
    ----------
    pose : Pose
    size : (int, int), optional
        Output ``(width, height)`` in pixels; default the pose canvas. Keypoints
        scale with each axis separately, as the annotator's normalised coordinates do.
    hands, face, body : bool
        Which parts to draw (the annotator's ``openpose``, ``openpose_hand``,
        ``openpose_face`` and ``openpose_full`` choose among these).

    Returns
    -------
    ndarray, shape (H, W, 3), uint8
        RGB, black background.
    """
    width, height = size if size is not None else pose.size
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    for person in pose.people:
        if body:
            canvas = draw_body(canvas, _scaled(person.coco18_body(), pose, width, height))
        if hands:
            for hand in (person.left_hand, person.right_hand):
                if hand is not None:
                    draw_hand(canvas, _scaled(hand, pose, width, height))
        if face and person.face is not None:
            draw_face(canvas, _scaled(person.face, pose, width, height))
    return canvas


def _scaled(points: np.ndarray, pose: Pose, width: int, height: int) -> list:
    # Same float operations as the annotator: normalise by the canvas, scale, truncate.
    out: list[tuple[float, float] | None] = []
    for x, y, confidence in points:
        present = confidence >= 1.0
        point = ((x / pose.width) * float(width), (y / pose.height) * float(height))
        out.append(point if present else None)
    return out


def draw_body(canvas: np.ndarray, joints: list) -> np.ndarray:
    """Limbs, the 0.6 dimming, then joints; returns the new canvas (the dimming copies)."""
    for (a, b), color in zip(LIMBS, OPENPOSE_COLORS, strict=False):
        if joints[a] is None or joints[b] is None:
            continue
        (x0, y0), (x1, y1) = joints[a], joints[b]
        length = ((x0 - x1) ** 2 + (y0 - y1) ** 2) ** 0.5
        angle = math.degrees(math.atan2(y0 - y1, x0 - x1))
        center = (int((x0 + x1) / 2), int((y0 + y1) / 2))
        polygon = ellipse_polygon(center, (int(length / 2), LIMB_HALF_WIDTH), int(angle))
        fill_polygon(canvas, polygon, color)
    canvas = (canvas * LIMB_ALPHA).astype(np.uint8)
    for joint, color in zip(joints, OPENPOSE_COLORS, strict=False):
        if joint is not None:
            fill_circle(canvas, (int(joint[0]), int(joint[1])), JOINT_RADIUS, color)
    return canvas


def draw_hand(canvas: np.ndarray, points: list) -> None:
    """Hand edges in their hue colours, then blue dots, in place."""
    pixels = [None if p is None else (int(p[0]), int(p[1])) for p in points]
    for index, (a, b) in enumerate(HAND_EDGES):
        p0, p1 = pixels[a], pixels[b]
        if p0 is None or p1 is None or not (_visible(p0) and _visible(p1)):
            continue
        thick_line(canvas, p0, p1, hand_edge_color(index), thickness=HAND_LINE_WIDTH)
    for point in pixels:
        if point is not None and _visible(point):
            fill_circle(canvas, point, HAND_DOT_RADIUS, HAND_DOT_COLOR)


def draw_face(canvas: np.ndarray, points: list) -> None:
    """White face dots, in place."""
    for point in points:
        if point is not None:
            pixel = (int(point[0]), int(point[1]))
            if _visible(pixel):
                fill_circle(canvas, pixel, FACE_DOT_RADIUS, FACE_DOT_COLOR)


def _visible(pixel: tuple[int, int]) -> bool:
    return pixel[0] > _EPS and pixel[1] > _EPS
