"""OpenPose guide poses: read OpenPose JSON, edit it by code, render it as ControlNet does.

Torch-free (numpy and Pillow). Keypoints are ``(N, 3)`` float64 arrays of x, y in
canvas pixels and confidence; `render_pose` returns an ``(H, W, 3)`` uint8 RGB image
with the OpenPose colours the ControlNet annotator uses. `detect_pose` runs the
annotator's OpenPose networks on a photo; it needs torch and scipy, imported only
when it runs.

>>> from pixref.pose import Pose, Person, render_pose
>>> import numpy as np
>>> body = np.zeros((18, 3)); body[1] = (32, 20, 1); body[2] = (20, 20, 1)
>>> image = render_pose(Pose(width=64, height=48, people=(Person(body=body),)))
>>> image.shape, image[20, 26].tolist()  # the neck-right shoulder limb at 60 % red
((48, 64, 3), [153, 0, 0])
"""

from pixref.pose._detect import (
    AnnotatorWeights,
    detect_pose,
    find_annotator_weights,
)
from pixref.pose._edit import (
    ResizeMode,
    mirror_pose,
    move_keypoint,
    retarget_pose,
    scale_pose,
    translate_pose,
)
from pixref.pose._errors import PoseError
from pixref.pose._model import (
    BODY25_TO_COCO18,
    BodyFormat,
    Person,
    Pose,
    keypoint_array,
)
from pixref.pose._read import parse_pose, pose_to_dict, read_pose, size_from_name, write_pose
from pixref.pose._render import (
    HAND_EDGES,
    LIMBS,
    OPENPOSE_COLORS,
    hand_edge_color,
    render_pose,
)

__all__ = [
    "BODY25_TO_COCO18",
    "HAND_EDGES",
    "LIMBS",
    "OPENPOSE_COLORS",
    "AnnotatorWeights",
    "BodyFormat",
    "Person",
    "Pose",
    "PoseError",
    "ResizeMode",
    "detect_pose",
    "find_annotator_weights",
    "hand_edge_color",
    "keypoint_array",
    "mirror_pose",
    "move_keypoint",
    "parse_pose",
    "pose_to_dict",
    "read_pose",
    "render_pose",
    "retarget_pose",
    "scale_pose",
    "size_from_name",
    "translate_pose",
    "write_pose",
]
