"""Edit poses by code: move one keypoint, scale, translate, mirror, retarget the canvas.

Every function returns a new `Pose`. Missing keypoints (confidence 0) stay where they
are, usually at (0, 0), so editors that treat (0, 0) as "absent" still do.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from enum import StrEnum

import numpy as np

from pixref.pose._errors import PoseError
from pixref.pose._model import (
    BODY25_MIRROR,
    COCO18_MIRROR,
    FACE70_MIRROR,
    BodyFormat,
    Person,
    Pose,
)

PARTS = ("body", "left_hand", "right_hand", "face")


class ResizeMode(StrEnum):
    """How a pose fits a canvas of another shape; ControlNet's resize modes."""

    just_resize = "just_resize"  # stretch each axis
    crop_and_resize = "crop_and_resize"  # scale to cover, centre, overflow cropped
    resize_and_fill = "resize_and_fill"  # scale to fit, centre, borders empty


def move_keypoint(
    pose: Pose,
    part: str,
    index: int,
    x: float,
    y: float,
    *,
    person: int = 0,
    confidence: float | None = None,
) -> Pose:
    """Move keypoint ``index`` of ``part`` of person ``person`` to ``(x, y)`` pixels.

    Parameters
    ----------
    part : {"body", "left_hand", "right_hand", "face"}
    index : int
        Keypoint index in that part's order (COCO-18 or BODY_25 for the body).
    x, y : float
        New position, in canvas pixels.
    confidence : float, optional
        New confidence; default: keep it, or 1 if the point was missing (so it shows).

    Raises
    ------
    PoseError
        For an unknown part, a part the person lacks, or an index out of range.
    """
    target = _person(pose, person)
    points = _part_points(target, part, person)
    if not 0 <= index < len(points):
        raise PoseError(
            f"`index` must be 0-{len(points) - 1} for {part} of person {person}, got {index}"
        )
    points = points.copy()
    old = points[index, 2]
    points[index] = (x, y, confidence if confidence is not None else (old if old > 0 else 1.0))
    return _replace_person(pose, person, dataclasses.replace(target, **{part: points}))


def translate_pose(pose: Pose, dx: float, dy: float) -> Pose:
    """Shift every present keypoint by ``(dx, dy)`` pixels."""
    return _map_points(pose, lambda xy: xy + np.array([dx, dy]))


def scale_pose(
    pose: Pose,
    factor: float,
    *,
    center: tuple[float, float] | None = None,
    factor_y: float | None = None,
) -> Pose:
    """Scale every present keypoint about ``center`` (default: the canvas centre).

    Parameters
    ----------
    factor : float
        Scale along x (and y, unless ``factor_y`` is given); must be > 0.
    center : (float, float), optional
        Fixed point, in canvas pixels.
    factor_y : float, optional
        A separate scale along y.
    """
    fy = factor if factor_y is None else factor_y
    if factor <= 0 or fy <= 0:
        raise PoseError(f"scale `factor` must be > 0, got {factor} x {fy}")
    cx, cy = center if center is not None else (pose.width / 2, pose.height / 2)
    origin, scale = np.array([cx, cy]), np.array([factor, fy])
    return _map_points(pose, lambda xy: (xy - origin) * scale + origin)


def mirror_pose(pose: Pose) -> Pose:
    """Flip the pose left to right on its canvas, swapping left and right keypoints.

    OpenPose colours say which side of the body a limb is on, so a mirrored figure's
    right arm becomes its left arm, as a detector would label the mirrored image.
    """
    flipped = _map_points(pose, lambda xy: np.column_stack([pose.width - xy[:, 0], xy[:, 1]]))
    return dataclasses.replace(flipped, people=tuple(_swap_sides(p) for p in flipped.people))


def _swap_sides(person: Person) -> Person:
    order = {
        BodyFormat.coco18: COCO18_MIRROR,
        BodyFormat.coco18_padded: (*COCO18_MIRROR, *range(18, 25)),
        BodyFormat.body25: BODY25_MIRROR,
    }[person.body_format]
    face = person.face[list(FACE70_MIRROR)] if person.face is not None else None
    return Person(
        body=person.body[list(order)],
        left_hand=person.right_hand,
        right_hand=person.left_hand,
        face=face,
    )


def retarget_pose(
    pose: Pose, width: int, height: int, *, mode: ResizeMode | str = ResizeMode.resize_and_fill
) -> Pose:
    """Move the pose onto a ``width`` x ``height`` canvas.

    Parameters
    ----------
    width, height : int
        New canvas size in pixels.
    mode : ResizeMode or str
        ``resize_and_fill`` (default) keeps proportions and fits the whole figure;
        ``crop_and_resize`` keeps proportions and fills the canvas (parts may leave it);
        ``just_resize`` stretches each axis.
    """
    try:
        mode = ResizeMode(mode)
    except ValueError:
        modes = ", ".join(m.value for m in ResizeMode)
        raise PoseError(f"`mode` must be one of {modes}, got {mode!r}") from None
    target = Pose(width=width, height=height)  # validates the size
    sx, sy = target.width / pose.width, target.height / pose.height
    if mode is not ResizeMode.just_resize:
        sx = sy = min(sx, sy) if mode is ResizeMode.resize_and_fill else max(sx, sy)
    offset = np.array(
        [(target.width - pose.width * sx) / 2, (target.height - pose.height * sy) / 2]
    )
    scale = np.array([sx, sy])
    moved = _map_points(pose, lambda xy: xy * scale + offset)
    return Pose(width=target.width, height=target.height, people=moved.people)


def _map_points(pose: Pose, transform: Callable[[np.ndarray], np.ndarray]) -> Pose:
    people = []
    for person in pose.people:
        changed = {}
        for name, points in person.parts().items():
            points = points.copy()
            present = points[:, 2] > 0
            points[present, :2] = transform(points[present, :2])
            changed[name] = points
        people.append(dataclasses.replace(person, **changed))
    return dataclasses.replace(pose, people=tuple(people))


def _person(pose: Pose, index: int) -> Person:
    if not 0 <= index < len(pose.people):
        raise PoseError(f"`person` must be 0-{len(pose.people) - 1} for this pose, got {index}")
    return pose.people[index]


def _part_points(person: Person, part: str, index: int) -> np.ndarray:
    if part not in PARTS:
        raise PoseError(f"`part` must be one of {', '.join(PARTS)}, got {part!r}")
    points = getattr(person, part)
    if points is None:
        raise PoseError(f"person {index} has no {part} keypoints to move; add the part first")
    return points


def _replace_person(pose: Pose, index: int, person: Person) -> Pose:
    people = list(pose.people)
    people[index] = person
    return dataclasses.replace(pose, people=tuple(people))
