"""OpenPose hand post-processing: hand boxes from the arms, then 21 points per box.

As sd-webui-controlnet's ``annotator/openpose`` (``util.handDetect``, ``hand.py``),
which follows OpenPose's ``handDetector.cpp``:

1. A square box per arm whose shoulder, elbow and wrist were all found: centred 0.33
   forearm lengths beyond the wrist, side ``1.5 * max(forearm, 0.9 * upper
   arm)``, clipped to the photo; boxes under 20 pixels are skipped (`hand_boxes`).
2. The crop is blurred (Gaussian, sigma 0.8), resized to squares of 184, 368, 552
   and 736 pixels, run through the hand network, and the heatmaps resized to 128 x
   128 and averaged (`hand_maps`).
3. Per point: the heatmap smoothed (sigma 3) above 0.05 splits into 8-connected
   blobs; in the blob with the largest heatmap sum, the maximum is the point
   (`hand_points`). A point with no blob is missing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy import ndimage

from pixref.pose._openpose_body import BOX_SIZE, STRIDE, network_input
from pixref.pose._resample import apply_matrices, map_matrices, resize_image

HAND_SCALES = (0.5, 1.0, 1.5, 2.0)
MAP_SIZE = 128  # heatmaps are averaged at this size, pixels
HAND_POINTS = 21
THRESHOLD = 0.05
MIN_BOX = 20  # pixels
WRIST_TO_CENTRE = 0.33  # box centre beyond the wrist, in forearm lengths
# COCO-18 (shoulder, elbow, wrist) of each arm; the left arm gives the left hand.
ARMS = {"left_hand": (5, 6, 7), "right_hand": (2, 3, 4)}

Predict = Callable[[np.ndarray], np.ndarray]


class HandBox(NamedTuple):
    """A square crop around one hand, in photo pixels (whole numbers, truncated)."""

    x: int
    y: int
    size: int
    side: str  # "left_hand" or "right_hand"


def hand_boxes(body: np.ndarray, height: int, width: int) -> list[HandBox]:
    """The hand boxes of one person, left hand first.

    Parameters
    ----------
    body : ndarray, shape (18, 3)
        COCO-18 keypoints in pixels; confidence 0 marks a missing part.
    height, width : int
        Photo size in pixels.
    """
    boxes = []
    for side, (shoulder, elbow, wrist) in ARMS.items():
        if (body[[shoulder, elbow, wrist], 2] <= 0).any():
            continue
        (x1, y1), (x2, y2), (x3, y3) = body[[shoulder, elbow, wrist], :2]
        size = 1.5 * max(math.hypot(x3 - x2, y3 - y2), 0.9 * math.hypot(x2 - x1, y2 - y1))
        x = max(x3 + WRIST_TO_CENTRE * (x3 - x2) - size / 2, 0)
        y = max(y3 + WRIST_TO_CENTRE * (y3 - y2) - size / 2, 0)
        size = min(size, width - x, height - y)
        if size >= MIN_BOX:
            boxes.append(HandBox(int(x), int(y), int(size), side))
    return boxes


def blur(image: np.ndarray, sigma: float = 0.8) -> np.ndarray:
    """``cv2.GaussianBlur(image, (0, 0), sigma)`` on ``(H, W, C)`` uint8, edges mirrored.

    OpenCV sizes the kernel ``round(6 sigma + 1) | 1`` taps for 8-bit images (7 for 0.8).
    """
    radius = (round(sigma * 6 + 1) | 1) // 2
    out = ndimage.gaussian_filter(
        image.astype(np.float64), sigma, mode="mirror", radius=radius, axes=(0, 1)
    )
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def hand_maps(crop: np.ndarray, predict: Predict) -> np.ndarray:
    """Average the hand network's heatmaps over the four scales.

    Parameters
    ----------
    crop : ndarray, shape (S, S, 3), uint8
        The hand box, BGR.
    predict : callable
        ``(1, 3, n, n)`` float32 → ``(22, n/8, n/8)`` heatmaps.

    Returns
    -------
    ndarray, shape (22, 128, 128), float64
    """
    smooth = blur(crop)
    total = np.zeros((22, MAP_SIZE, MAP_SIZE))
    for scale in HAND_SCALES:
        side = int(scale * BOX_SIZE)
        heat = predict(network_input(resize_image(smooth, side, side)))
        matrices = map_matrices(heat.shape[1:], STRIDE, (side, side), (MAP_SIZE, MAP_SIZE))
        total += apply_matrices(heat, *matrices) / len(HAND_SCALES)
    return total


def hand_points(heatmaps: np.ndarray, box_size: int) -> np.ndarray:
    """The 21 hand points from averaged heatmaps, in box pixels.

    Parameters
    ----------
    heatmaps : ndarray, shape (>= 21, 128, 128)
    box_size : int
        Side of the hand box in photo pixels (the maps cover the whole box).

    Returns
    -------
    ndarray, shape (21, 3), float64
        x, y in box pixels (truncated to whole pixels, as the annotator does) and the
        heatmap value there; missing points are (0, 0, 0).
    """
    points = np.zeros((HAND_POINTS, 3))
    for part in range(HAND_POINTS):
        raw = heatmaps[part]
        blobs, count = ndimage.label(
            ndimage.gaussian_filter(raw, sigma=3) > THRESHOLD, np.ones((3, 3))
        )
        if count == 0:
            continue
        sums = ndimage.sum(raw, blobs, index=np.arange(1, count + 1))
        kept = np.where(blobs == np.argmax(sums) + 1, raw, 0.0)
        row, col = np.unravel_index(np.argmax(kept), kept.shape)
        x, y = int(col * box_size / MAP_SIZE), int(row * box_size / MAP_SIZE)
        points[part] = (x, y, kept[row, col])
    return points


def hand_keypoints(body: np.ndarray, image: np.ndarray, predict: Predict) -> dict[str, np.ndarray]:
    """Detect both hands of one person.

    Parameters
    ----------
    body : ndarray, shape (18, 3)
        The person's COCO-18 keypoints, photo pixels.
    image : ndarray, shape (H, W, 3), uint8
        The photo, BGR.
    predict : callable
        The hand network, as in `hand_maps`.

    Returns
    -------
    dict
        ``"left_hand"`` and/or ``"right_hand"`` → ``(21, 3)`` x, y in photo pixels
        and heatmap value. A point is missing, (0, 0, 0), where the annotator's
        would be: no blob, or on the box's top row or left column.
    """
    hands = {}
    for box in hand_boxes(body, *image.shape[:2]):
        crop = image[box.y : box.y + box.size, box.x : box.x + box.size]
        points = hand_points(hand_maps(crop, predict), box.size)
        found = (points[:, 0] >= 1e-6) & (points[:, 1] >= 1e-6)
        points[:, :2] += (box.x, box.y)
        points[~found] = 0
        hands[box.side] = points
    return hands
