"""The pose model: a canvas and the people on it, keypoints as ``(N, 3)`` float arrays.

Keypoints are in canvas pixels, columns x, y, confidence, as OpenPose writes them.
A confidence of 0 marks a missing point; like the ControlNet extension's JSON reader
(``decode_json_as_poses``), rendering treats any confidence below 1 as missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from pixref.pose._errors import PoseError


class BodyFormat(StrEnum):
    """The order of a person's body keypoints.

    ``coco18_padded`` is COCO-18 followed by seven absent points, as the ComfyUI pose
    editors save 25-point bodies; the ControlNet extension draws the first 18 points
    of any body in COCO order, so these render as COCO-18.
    """

    coco18 = "coco18"
    body25 = "body25"
    coco18_padded = "coco18_padded"


HAND_POINTS = 21
FACE_POINTS = 70
BODY_POINTS = (18, 25)

# COCO-18 index i takes BODY_25 index BODY25_TO_COCO18[i]: BODY_25 adds MidHip (8)
# and six foot points (19-24), which the 18-point ControlNet renderer does not draw.
BODY25_TO_COCO18 = (0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18)

# Left/right partners, swapped when mirroring (the labels follow the body, not the image).
COCO18_MIRROR = (0, 1, 5, 6, 7, 2, 3, 4, 11, 12, 13, 8, 9, 10, 15, 14, 17, 16)
BODY25_MIRROR = (
    *(0, 1, 5, 6, 7, 2, 3, 4, 8, 12, 13, 14, 9, 10, 11, 16, 15, 18, 17),
    *(22, 23, 24, 19, 20, 21),
)
# The 68 iBUG face landmarks plus two pupils, as OpenPose orders them.
FACE70_MIRROR = (
    *range(16, -1, -1),  # jaw line
    *range(26, 21, -1),  # right brow <-> left brow
    *range(21, 16, -1),
    27, 28, 29, 30,  # nose bridge
    *range(35, 30, -1),  # nostrils
    45, 44, 43, 42, 47, 46,  # right eye <-> left eye
    39, 38, 37, 36, 41, 40,
    *range(54, 47, -1),  # outer lips, upper
    *range(59, 54, -1),  # outer lips, lower
    *range(64, 59, -1),  # inner lips, upper
    67, 66, 65,  # inner lips, lower
    69, 68,  # pupils
)  # fmt: skip


def keypoint_array(points: object, *, what: str = "keypoints") -> np.ndarray:
    """Return ``points`` as a new ``(N, 3)`` float64 array, or raise `PoseError`."""
    array = np.array(points, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 3:
        raise PoseError(f"`{what}` must be an (N, 3) array of x, y, confidence, got {array.shape}")
    if not np.isfinite(array).all():
        raise PoseError(f"`{what}` holds NaN or infinite values; use finite pixel coordinates")
    return array


@dataclass(frozen=True, eq=False)
class Person:
    """One person's keypoints, in canvas pixels.

    Attributes
    ----------
    body : ndarray, shape (18, 3) or (25, 3), float64
        x, y (pixels) and confidence (0-1) per body keypoint, in `body_format` order.
    left_hand, right_hand : ndarray, shape (21, 3), float64, or None
    face : ndarray, shape (70, 3), float64, or None
    """

    body: np.ndarray
    left_hand: np.ndarray | None = None
    right_hand: np.ndarray | None = None
    face: np.ndarray | None = None

    def __post_init__(self) -> None:
        body = keypoint_array(self.body, what="body")
        if len(body) not in BODY_POINTS:
            raise PoseError(
                f"`body` must have 18 (COCO) or 25 (BODY_25) keypoints, got {len(body)}"
            )
        object.__setattr__(self, "body", body)
        for name, count in (("left_hand", HAND_POINTS), ("right_hand", HAND_POINTS)):
            object.__setattr__(self, name, _part(getattr(self, name), name, count))
        object.__setattr__(self, "face", _part(self.face, "face", FACE_POINTS))

    @property
    def body_format(self) -> BodyFormat:
        """COCO-18, BODY_25, or COCO-18 padded to 25 points (see `body_format_of`)."""
        return body_format_of(self.body)

    def coco18_body(self) -> np.ndarray:
        """The body in COCO-18 order (BODY_25's MidHip and feet dropped), a new array."""
        if self.body_format is BodyFormat.body25:
            return self.body[list(BODY25_TO_COCO18)].copy()
        return self.body[:18].copy()

    def parts(self) -> dict[str, np.ndarray]:
        """The keypoint arrays present, by name (``body``, ``left_hand``, ...)."""
        names = ("body", "left_hand", "right_hand", "face")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


def body_format_of(body: np.ndarray) -> BodyFormat:
    """Tell COCO-18, BODY_25 and COCO-18 padded to 25 points apart.

    A 25-point body is padded COCO-18 when points 18-24 are all absent, unless point 8
    sits where BODY_25's MidHip would, halfway between the hips (points 9 and 12);
    in padded COCO-18, point 8 is the right hip and 9 and 12 are the knees.
    """
    if len(body) == 18:
        return BodyFormat.coco18
    if (body[18:, 2] > 0).any():
        return BodyFormat.body25
    if (body[[8, 9, 12], 2] > 0).all():
        mid = (body[9, :2] + body[12, :2]) / 2
        hip_width = np.linalg.norm(body[9, :2] - body[12, :2])
        if np.linalg.norm(body[8, :2] - mid) <= 0.25 * hip_width:
            return BodyFormat.body25
    return BodyFormat.coco18_padded


def _part(points: object, name: str, count: int) -> np.ndarray | None:
    if points is None:
        return None
    array = keypoint_array(points, what=name)
    if len(array) != count:
        raise PoseError(f"`{name}` must have {count} keypoints, got {len(array)}")
    return array


@dataclass(frozen=True, eq=False)
class Pose:
    """People on a canvas, as an OpenPose JSON file describes them.

    Attributes
    ----------
    width, height : int
        Canvas size in pixels; keypoints are in this canvas's pixels.
    people : tuple of Person
    """

    width: int
    height: int
    people: tuple[Person, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for name in ("width", "height"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise PoseError(f"canvas `{name}` must be a positive integer, got {value!r}")
            object.__setattr__(self, name, int(value))
        object.__setattr__(self, "people", tuple(self.people))

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels."""
        return (self.width, self.height)
