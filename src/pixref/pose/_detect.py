"""Pose detection from a photo: find the annotator weights, or say where they go.

The ControlNet extension's OpenPose annotator needs three PyTorch weight files,
published by lllyasviel in the ``lllyasviel/Annotators`` repository (and in
``lllyasviel/ControlNet/annotator/ckpts``). pixref looks for them where A1111
installs keep them, below the models folder.

pixref does not yet run the detector network itself: with the weights present,
`detect_pose` still raises `PoseError` saying so. Draw or edit poses instead, or
use a pose exported from an editor.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pixref.home import paths
from pixref.pose._errors import PoseError
from pixref.pose._model import Pose

BODY_WEIGHTS = "body_pose_model.pth"
HAND_WEIGHTS = "hand_pose_model.pth"
FACE_WEIGHTS = "facenet.pth"
# Below the models folder, in the order searched: the ControlNet extension's download
# folder (models/ControlNet/annotator/...) and a plain models/openpose/.
SEARCH_FOLDERS = (
    Path("ControlNet") / "annotator" / "downloads" / "openpose",
    Path("ControlNet") / "annotator" / "ckpts",
    Path("openpose"),
)


@dataclass(frozen=True)
class AnnotatorWeights:
    """The OpenPose annotator weight files found on disk.

    Attributes
    ----------
    body : Path
    hand, face : Path or None
        Optional: without them only bodies can be detected.
    """

    body: Path
    hand: Path | None
    face: Path | None


def find_annotator_weights(models_dir: str | os.PathLike[str] | None = None) -> AnnotatorWeights:
    """Find the OpenPose annotator weights below ``models_dir`` (default the data home's).

    Raises
    ------
    PoseError
        When ``body_pose_model.pth`` is in none of the searched folders, naming the
        files and the folder to put them in.
    """
    root = Path(models_dir) if models_dir is not None else paths().models
    for sub in SEARCH_FOLDERS:
        folder = root / sub
        if (folder / BODY_WEIGHTS).is_file():
            return AnnotatorWeights(
                body=folder / BODY_WEIGHTS,
                hand=_optional(folder / HAND_WEIGHTS),
                face=_optional(folder / FACE_WEIGHTS),
            )
    raise PoseError(
        f"pose detection needs the OpenPose annotator weights {BODY_WEIGHTS} (body), "
        f"{HAND_WEIGHTS} and {FACE_WEIGHTS} (optional) from the lllyasviel/Annotators "
        f"repository; put them in {root / SEARCH_FOLDERS[-1]} "
        f"(or {root / SEARCH_FOLDERS[0]})"
    )


def _optional(path: Path) -> Path | None:
    return path if path.is_file() else None


def detect_pose(
    image_path: str | os.PathLike[str], *, models_dir: str | os.PathLike[str] | None = None
) -> Pose:
    """Detect the people in a photo (not implemented yet; see the module docstring).

    Raises
    ------
    PoseError
        Always: first if the weights are missing (saying where to put them), else
        because pixref's detector is not written yet.
    """
    image_path = Path(image_path)
    if not image_path.is_file():
        raise PoseError(f"photo not found: {image_path}")
    weights = find_annotator_weights(models_dir)
    raise PoseError(
        f"found {weights.body.name} in {weights.body.parent}, but pixref cannot run the "
        "OpenPose detector yet; export the pose from an OpenPose editor as JSON and use "
        "`pixref pose render`"
    )
