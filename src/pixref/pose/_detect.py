"""Pose detection from a photo with the ControlNet OpenPose annotator's weights.

The annotator needs PyTorch weight files published by lllyasviel in the
``lllyasviel/Annotators`` repository (and ``lllyasviel/ControlNet/annotator/ckpts``):
``body_pose_model.pth`` (bodies) and ``hand_pose_model.pth`` (hands); its
``facenet.pth`` (faces) is found but not run yet. pixref looks for them where A1111
installs keep them, below the models folder, and takes a ``.safetensors`` file of the
same name first.

`detect_pose` needs torch and scipy (imported here only when it runs, so
``pixref.pose`` imports without them). The networks are in ``_openpose_net``, the
post-processing in ``_openpose_body`` and ``_openpose_hand``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from pixref.home import paths
from pixref.pose._edit import ResizeMode, retarget_pose
from pixref.pose._errors import PoseError
from pixref.pose._model import Pose

BODY_WEIGHTS = "body_pose_model.pth"
HAND_WEIGHTS = "hand_pose_model.pth"
FACE_WEIGHTS = "facenet.pth"
PROCESSOR_RES = 512  # A1111's default "Preprocessor resolution", pixels
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

    In each searched folder, ``NAME.safetensors`` is taken before ``NAME.pth``.

    Raises
    ------
    PoseError
        When ``body_pose_model.pth`` is in none of the searched folders, naming the
        files and the folder to put them in.
    """
    root = Path(models_dir) if models_dir is not None else paths().models
    for sub in SEARCH_FOLDERS:
        folder = root / sub
        body = _weight_file(folder, BODY_WEIGHTS)
        if body is not None:
            return AnnotatorWeights(
                body=body,
                hand=_weight_file(folder, HAND_WEIGHTS),
                face=_weight_file(folder, FACE_WEIGHTS),
            )
    raise PoseError(
        f"pose detection needs the OpenPose annotator weights {BODY_WEIGHTS} (body), "
        f"{HAND_WEIGHTS} and {FACE_WEIGHTS} (optional) from the lllyasviel/Annotators "
        f"repository; put them in {root / SEARCH_FOLDERS[-1]} "
        f"(or {root / SEARCH_FOLDERS[0]})"
    )


def _weight_file(folder: Path, name: str) -> Path | None:
    for path in (folder / name).with_suffix(".safetensors"), folder / name:
        if path.is_file():
            return path
    return None


def read_photo(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a photo as ``(H, W, 3)`` uint8 RGB, upright (EXIF orientation applied).

    Transparent pixels are blended onto white, as the annotator's ``HWC3`` does.

    Raises
    ------
    PoseError
        If the file is missing or not an image.
    """
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            if "A" in im.getbands() or "transparency" in im.info:
                white = Image.new("RGBA", im.size, (255, 255, 255, 255))
                return np.asarray(Image.alpha_composite(white, im.convert("RGBA")).convert("RGB"))
            return np.asarray(im.convert("RGB"))
    except FileNotFoundError:
        raise PoseError(f"photo not found: {path}") from None
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise PoseError(f"{path} is not an image pixref can read: {exc}") from None


def detect_pose(
    image_path: str | os.PathLike[str],
    *,
    models_dir: str | os.PathLike[str] | None = None,
    hands: bool = True,
    device: str | None = None,
    scores: bool = False,
    processor_res: int | None = PROCESSOR_RES,
) -> Pose:
    """Detect the people in a photo, as the ControlNet OpenPose annotator does.

    Parameters
    ----------
    image_path : path-like
        The photo (any format Pillow reads; EXIF orientation applied).
    models_dir : path-like, optional
        Models folder holding the annotator weights (default the data home's).
    hands : bool
        Also detect hands (needs ``hand_pose_model.pth``), as ``openpose_hand`` does.
    device : str, optional
        torch device (``cpu``, ``cuda``, ``cuda:1``); default CUDA when present.
    scores : bool
        Keep heatmap values as confidences; by default found points get 1.0 as the
        annotator writes them (renderers skip points below 1).
    processor_res : int or None
        Shrink the photo so its shorter side is this many pixels before detecting, as
        A1111's ControlNet "Preprocessor resolution" (default 512) does; never
        enlarges. Keypoints come back in the photo's pixels either way. None detects
        at full size (the maps take ``57 * H * W * 8`` bytes).

    Returns
    -------
    Pose
        Canvas = the photo's size in pixels; COCO-18 bodies, and hands if asked.

    Raises
    ------
    PoseError
        If the photo or weights are missing, a weight file is not the expected
        network (naming it), torch or scipy is missing, or ``device`` is unusable.
    """
    image_path = Path(image_path)
    if not image_path.is_file():
        raise PoseError(f"photo not found: {image_path}")
    _check_processor_res(processor_res)
    weights = find_annotator_weights(models_dir)
    if hands and weights.hand is None:
        raise PoseError(
            f"hand detection needs {HAND_WEIGHTS} beside {weights.body}; "
            "put it there or detect bodies only (hands=False, --no-hands)"
        )
    photo = read_photo(image_path)
    net, openpose = _import_detector()
    torch_device = _device(net, device)
    body = net.predictor(net.load_network(net.BodyPoseNet, weights.body), torch_device)
    hand = None
    if hands and weights.hand is not None:
        hand_net = net.load_network(net.HandPoseNet, weights.hand)
        hand = net.predictor(hand_net, torch_device, channels_last=True)
    pose = openpose.pose_from_photo(
        openpose.shrink(photo, processor_res), body, hand, scores=scores
    )
    height, width = photo.shape[:2]
    return retarget_pose(pose, width, height, mode=ResizeMode.just_resize)


def _check_processor_res(value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 64:
        raise PoseError(
            f"`processor_res` must be a whole number of pixels, at least 64, got {value!r}; "
            "A1111's default is 512"
        )


def _import_detector() -> tuple[ModuleType, ModuleType]:
    try:
        from pixref.pose import _openpose, _openpose_net
    except ImportError as exc:
        raise PoseError(
            f"pose detection needs torch and scipy ({exc.name} is missing); "
            "install them, e.g. pip install 'pixref[pose]'"
        ) from None
    return _openpose_net, _openpose


def _device(net: ModuleType, device: str | None) -> Any:
    import torch

    if device is None:
        return net.default_device()
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError):
        raise PoseError(
            f"`device` must be a torch device such as cpu or cuda, got {device!r}"
        ) from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise PoseError(f"`device` is {device!r} but torch sees no CUDA GPU; use cpu")
    return parsed
