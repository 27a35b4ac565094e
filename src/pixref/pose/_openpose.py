"""From a photo and the OpenPose networks (as numpy functions) to a `Pose`.

Needs scipy, not torch: the networks come in as ``predict`` callables (see
``_openpose_net.predictor``), so this runs on any maps a caller provides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from pixref.pose._model import Person, Pose
from pixref.pose._openpose_body import BODY_SCALES, body_maps, people_from_maps
from pixref.pose._openpose_hand import hand_keypoints
from pixref.pose._resample import resize_image


def shrink(image: np.ndarray, short_side: int | None) -> np.ndarray:
    """Scale ``image`` down (area average) so its shorter side is ``short_side`` pixels.

    Returns ``image`` itself when it is no larger or ``short_side`` is None.
    """
    height, width = image.shape[:2]
    if short_side is None or min(height, width) <= short_side:
        return image
    k = short_side / min(height, width)
    return resize_image(image, round(height * k), round(width * k))


def pose_from_photo(
    image: np.ndarray,
    body_predict: Callable,
    hand_predict: Callable | None = None,
    *,
    scores: bool = False,
    scales: Sequence[float] = BODY_SCALES,
) -> Pose:
    """Detect the people in an RGB photo.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3), uint8
        The photo, sRGB (turned to BGR here, the networks' order).
    body_predict : callable
        The body network: ``(1, 3, h, w)`` float32 → ``(pafs, heatmaps)`` at 1/8 size.
    hand_predict : callable, optional
        The hand network: ``(1, 3, n, n)`` float32 → ``(22, n/8, n/8)``; without it,
        no hands.
    scores : bool
        Keep the heatmap values as confidences. By default found points get 1.0, as
        the ControlNet annotator writes them: its JSON reader and `render_pose` skip
        points below 1.
    scales : sequence of float
        Body network input heights as fractions of 368 pixels (the annotator: 0.5).

    Returns
    -------
    Pose
        Canvas = the photo's size; per person a COCO-18 body in photo pixels and,
        with ``hand_predict``, the hands whose arm was found.
    """
    bgr = np.ascontiguousarray(image[..., ::-1])
    heatmaps, pafs = body_maps(bgr, body_predict, scales=scales)
    people = []
    for body in people_from_maps(heatmaps, pafs):
        hands = hand_keypoints(body, bgr, hand_predict) if hand_predict is not None else {}
        parts = {"body": body, **hands}
        if not scores:  # (a found point whose heatmap is not positive stays missing)
            for points in parts.values():
                points[points[:, 2] > 0, 2] = 1.0
        people.append(Person(**parts))
    height, width = image.shape[:2]
    return Pose(width=width, height=height, people=tuple(people))
