"""Read and write OpenPose JSON, in the variants OpenPose and the pose editors write.

Accepted shapes, all seen in the wild (see ``shared/data/poses/SOURCES.md``):

- a bare object ``{"people": [...], "canvas_width": W, "canvas_height": H}`` or a
  list holding one such object (ComfyUI editors);
- keypoints as flat ``[x, y, c, x, y, c, ...]`` lists (OpenPose) or as one
  ``[x, y, c]`` list per point;
- 18-point COCO or 25-point BODY_25 bodies, 21-point hands, 70-point faces; empty
  lists for absent parts; extra keys (``person_id``, ``version``, ``*_3d``) ignored.

Native OpenPose output has no canvas size; then the file name's ``WxH`` (e.g.
``pose_512x768.json``) or the ``size`` argument supplies it.

Normalised coordinates (0-1 of the canvas) are read too. The ControlNet extension's
preprocessor JSON and ComfyUI's OpenPose/DWPose ``POSE_KEYPOINT`` (controlnet_aux's
``encode_poses_as_json``) write them with the canvas size but no marker. The rule:

- ``"normalized": true`` (which pixref writes with normalised output) or ``false``
  in the file decides;
- otherwise the file is normalised when every keypoint with confidence above 0
  has both coordinates within [0, 1] and at least one such point exists. Points
  with a negative coordinate are left out of the test: the ControlNet extension puts
  the hand points it did not find at ``-1 / width`` with confidence 1.

Normalised points are multiplied by the canvas size, so pixel files and normalised
ones give the same `Pose`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np

from pixref._atomic import write_bytes_atomic
from pixref.pose._errors import PoseError
from pixref.pose._model import Person, Pose

_SIZE_IN_NAME = re.compile(r"(?<![0-9])([1-9][0-9]{0,4})x([1-9][0-9]{0,4})(?![0-9])")
_PARTS = {
    "body": "pose_keypoints_2d",
    "left_hand": "hand_left_keypoints_2d",
    "right_hand": "hand_right_keypoints_2d",
    "face": "face_keypoints_2d",
}


def read_pose(path: str | os.PathLike[str], *, size: tuple[int, int] | None = None) -> Pose:
    """Read an OpenPose JSON file.

    Parameters
    ----------
    path : path-like
        The JSON file.
    size : (int, int), optional
        Canvas ``(width, height)`` in pixels when the file has none; the file's own
        ``canvas_width``/``canvas_height`` win, then a ``WxH`` in the file name.

    Returns
    -------
    Pose

    Raises
    ------
    PoseError
        If the file is missing, not JSON, or not an OpenPose pose, in one line.
    """
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise PoseError(f"pose file not found: {path}") from None
    except UnicodeDecodeError:
        raise PoseError(f"{path} is not a text file; give an OpenPose JSON pose file") from None
    except OSError as exc:
        raise PoseError(f"cannot read pose file {path}: {exc.strerror or exc}") from None
    return parse_pose(text, size=size or size_from_name(path.name), source=path.name)


def size_from_name(name: str) -> tuple[int, int] | None:
    """The ``(width, height)`` written as ``WxH`` in a file name, or None.

    >>> size_from_name("pose_768x512.json")
    (768, 512)
    """
    match = _SIZE_IN_NAME.search(name)
    return (int(match[1]), int(match[2])) if match else None


def parse_pose(
    text: str, *, size: tuple[int, int] | None = None, source: str = "pose JSON"
) -> Pose:
    """Parse OpenPose JSON text; ``size`` is used only if the JSON has no canvas size.

    Raises
    ------
    PoseError
        For invalid JSON, a missing ``people`` list or canvas size, or keypoint lists
        of the wrong length, naming ``source``.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PoseError(
            f"{source} is not valid JSON ({exc.msg} at line {exc.lineno}); "
            "re-export the pose from the editor"
        ) from None
    data = _unwrap(data, source)
    people = data.get("people")
    if not isinstance(people, list):
        raise PoseError(f"{source} has no `people` list; it is not an OpenPose pose file")
    if not people:
        raise PoseError(f"{source} has no people in `people`; draw or detect a pose first")
    width, height = _canvas(data, size, source)
    persons = tuple(_person(p, i, source) for i, p in enumerate(people))
    if _normalized(data, persons, source):
        persons = tuple(_scaled(p, width, height) for p in persons)
    return Pose(width=width, height=height, people=persons)


def _unwrap(data: object, source: str) -> dict:
    # ComfyUI editors save a list of frames; a pose image is one frame.
    if isinstance(data, list):
        if len(data) != 1:
            raise PoseError(
                f"{source} holds {len(data)} poses in a list; pixref reads one, "
                "so save one frame per file"
            )
        data = data[0]
    if not isinstance(data, dict):
        raise PoseError(f"{source} is not an OpenPose JSON object with a `people` list")
    return data


def _canvas(data: dict, size: tuple[int, int] | None, source: str) -> tuple[int, int]:
    width, height = data.get("canvas_width"), data.get("canvas_height")
    if width is None and height is None:
        if size is None:
            raise PoseError(
                f"{source} has no `canvas_width`/`canvas_height`; pass the canvas size "
                "(--size WxH) or put WxH in the file name"
            )
        return size
    if not all(_is_size(v) for v in (width, height)):
        raise PoseError(
            f"{source} has canvas size {width!r}x{height!r}; "
            "`canvas_width` and `canvas_height` must be positive whole numbers"
        )
    return int(width), int(height)


def _is_size(value: object) -> bool:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return is_number and value >= 1 and float(value).is_integer()


def _normalized(data: dict, people: tuple[Person, ...], source: str) -> bool:
    flag = data.get("normalized")
    if flag is not None:
        if not isinstance(flag, bool):
            raise PoseError(f"{source}: `normalized` must be true or false, got {flag!r}")
        return flag
    points = np.concatenate([a for p in people for a in p.parts().values()])
    tested = points[(points[:, 2] > 0) & (points[:, :2] >= 0).all(axis=1), :2]
    return len(tested) > 0 and bool((tested <= 1).all())


def _scaled(person: Person, sx: float, sy: float) -> Person:
    factor = np.array([sx, sy, 1.0])
    return Person(**{name: points * factor for name, points in person.parts().items()})


def _person(entry: object, index: int, source: str) -> Person:
    if not isinstance(entry, dict):
        raise PoseError(f"{source}: `people[{index}]` is not a JSON object")
    arrays = {}
    for name, key in _PARTS.items():
        where = f"{source}: `people[{index}].{key}`"
        points = _points(entry.get(key), where)
        if points is None and name == "body":
            raise PoseError(f"{where} is missing or empty; every person needs a body")
        arrays[name] = points
    try:
        return Person(**arrays)
    except PoseError as exc:
        raise PoseError(f"{source}: `people[{index}]`: {exc}") from None


def _points(value: object, where: str) -> np.ndarray | None:
    if value is None or (isinstance(value, list) and not value):
        return None
    if not isinstance(value, list):
        raise PoseError(f"{where} must be a list of numbers, got {type(value).__name__}")
    nested = all(isinstance(v, list) for v in value)
    flat = [x for point in value for x in point] if nested else value
    if nested and any(len(point) != 3 for point in value):
        raise PoseError(f"{where} has a point that is not [x, y, confidence]")
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in flat):
        raise PoseError(f"{where} must hold only numbers")
    if len(flat) % 3:
        raise PoseError(
            f"{where} has {len(flat)} numbers, not a multiple of 3 (x, y, confidence); "
            "the file is cut short or damaged"
        )
    return np.array(flat, dtype=np.float64).reshape(-1, 3)


def pose_to_dict(pose: Pose, *, normalized: bool = False) -> dict:
    """The pose as an OpenPose JSON object (flat keypoint lists, canvas size included).

    Parameters
    ----------
    pose : Pose
    normalized : bool
        Write x and y as fractions of the canvas width and height (0-1), as ComfyUI's
        ``POSE_KEYPOINT`` holds them, and mark the file ``"normalized": true``.
    """
    divisor = np.array([pose.width, pose.height, 1.0]) if normalized else np.ones(3)
    people = []
    for person in pose.people:
        entry = {}
        for name, key in _PARTS.items():
            points = getattr(person, name)
            entry[key] = [] if points is None else [float(x) for x in (points / divisor).ravel()]
        people.append(entry)
    data = {"people": people, "canvas_width": pose.width, "canvas_height": pose.height}
    if normalized:
        data["normalized"] = True
    return data


def write_pose(pose: Pose, path: str | os.PathLike[str], *, normalized: bool = False) -> Path:
    """Write ``pose`` as OpenPose JSON, atomically; return the path.

    ``normalized=True`` writes 0-1 canvas coordinates (see `pose_to_dict`).
    """
    text = json.dumps(pose_to_dict(pose, normalized=normalized), indent=2) + "\n"
    return write_bytes_atomic(path, text.encode("utf-8"))
