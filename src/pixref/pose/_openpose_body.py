"""OpenPose body post-processing: from network maps to people, as the ControlNet annotator does.

Cao et al. 2017 ("Realtime Multi-Person 2D Pose Estimation using Part Affinity
Fields"), in the variant of sd-webui-controlnet's ``annotator/openpose/body.py``:

1. The photo (BGR) is scaled to ``scale * 368 / height`` (one scale, 0.5, by
   default), padded right and bottom with 128 to a multiple of 8, and run through
   the network; the 19 heatmaps and 38 PAF channels are upsampled 8x, cropped and
   resized back to the photo (`body_maps`).
2. Parts: local maxima of each heatmap smoothed with a Gaussian (sigma 3) above 0.1
   (`find_peaks`); a part's score is the unsmoothed heatmap there.
3. Limbs: every pair of candidate parts is scored by the PAF sampled at 10 points on
   the segment (`score_limb`); pairs are kept greedily, best first (`connect_limb`).
4. People: limbs join into people sharing parts (`assemble_people`); people with
   fewer than 4 parts or a mean score below 0.4 are dropped.

All maps are channels first, ``(C, rows, cols)``; points are x (column), y (row) in
photo pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter

from pixref.pose._resample import apply_matrices, map_matrices, padded, resize_image, scaled_size

BOX_SIZE = 368  # the network's training height, pixels
STRIDE = 8
PAD_VALUE = 128
BODY_SCALES = (0.5,)  # the annotator's scale_search
PEAK_THRESHOLD = 0.1  # thre1
PAF_THRESHOLD = 0.05  # thre2
PAF_SAMPLES = 10  # mid_num
PARTS = 18
# COCO-18 part pairs scored by the PAF, in the annotator's order; the last two
# (ear-shoulder) help assembly but are not drawn.
PAF_LIMBS = (
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11),
    (11, 12), (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17), (2, 16), (5, 17),
)  # fmt: skip
# PAF channels (x, y) of each limb above.
PAF_CHANNELS = (
    (12, 13), (20, 21), (14, 15), (16, 17), (22, 23), (24, 25), (0, 1), (2, 3), (4, 5),
    (6, 7), (8, 9), (10, 11), (28, 29), (30, 31), (34, 35), (32, 33), (36, 37), (18, 19),
    (26, 27),
)  # fmt: skip
NEW_PERSON_LIMBS = 17  # only the drawn limbs start a new person

Predict = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def network_input(image: np.ndarray) -> np.ndarray:
    """Pad an ``(H, W, 3)`` uint8 BGR image to multiples of 8 with 128; ``(1, 3, H', W')`` float32.

    Values are ``pixel / 256 - 0.5``, as the network was trained.
    """
    rows, cols = image.shape[:2]
    batch = np.full((padded(rows, STRIDE), padded(cols, STRIDE), 3), PAD_VALUE, np.float32)
    batch[:rows, :cols] = image
    return (batch / 256 - 0.5).transpose(2, 0, 1)[None].copy()


def body_maps(
    image: np.ndarray, predict: Predict, *, scales: Sequence[float] = BODY_SCALES
) -> tuple[np.ndarray, np.ndarray]:
    """Run the body network at each scale; average its maps at the photo's size.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3), uint8
        The photo, BGR (the network's channel order).
    predict : callable
        ``(1, 3, h, w)`` float32 → ``(pafs (38, h/8, w/8), heatmaps (19, h/8, w/8))``.
    scales : sequence of float
        Network input heights as fractions of 368 pixels.

    Returns
    -------
    heatmaps : ndarray, shape (19, H, W), float64
    pafs : ndarray, shape (38, H, W), float64
    """
    height, width = image.shape[:2]
    heatmaps = pafs = 0.0
    for scale in scales:
        multiplier = scale * BOX_SIZE / height
        rows, cols = scaled_size(height, width, multiplier)
        batch = network_input(resize_image(image, rows, cols))
        paf, heat = predict(batch)
        matrices = map_matrices(heat.shape[1:], STRIDE, (rows, cols), (height, width))
        heatmaps = heatmaps + apply_matrices(heat, *matrices) / len(scales)
        pafs = pafs + apply_matrices(paf, *matrices) / len(scales)
    return heatmaps, pafs  # type: ignore[return-value]


def find_peaks(
    heatmap: np.ndarray, *, threshold: float = PEAK_THRESHOLD, sigma: float = 3.0
) -> np.ndarray:
    """Local maxima of one heatmap, smoothed, above ``threshold``.

    A pixel is a peak when its smoothed value is ``>=`` its four neighbours (0
    beyond the border) and ``> threshold``.

    Parameters
    ----------
    heatmap : ndarray, shape (H, W), float
    threshold : float
    sigma : float
        Gaussian smoothing in pixels.

    Returns
    -------
    ndarray, shape (K, 3), float64
        x, y (pixels) and score (the unsmoothed heatmap), in row-major order.
    """
    smooth = gaussian_filter(heatmap, sigma=sigma)
    around = np.pad(smooth, 1)
    is_peak = smooth > threshold
    for shifted in (around[:-2, 1:-1], around[2:, 1:-1], around[1:-1, :-2], around[1:-1, 2:]):
        is_peak &= smooth >= shifted
    rows, cols = np.nonzero(is_peak)
    return np.stack([cols, rows, heatmap[rows, cols]], axis=1).astype(np.float64)


def score_limb(
    start: np.ndarray, end: np.ndarray, paf_x: np.ndarray, paf_y: np.ndarray, *, height: int
) -> np.ndarray:
    """Score every start-end candidate pair by the PAF along the segment.

    The PAF is sampled at 10 evenly spaced points (rounded to pixels) and projected
    on the unit vector from start to end. A pair counts when more than 80 % of the
    samples exceed 0.05 and the mean plus a length prior, ``min(0.5 * height /
    length - 1, 0)``, is positive.

    Parameters
    ----------
    start, end : ndarray, shape (A, 3) and (B, 3)
        Candidate parts (x, y, score).
    paf_x, paf_y : ndarray, shape (H, W)
        The limb's two PAF channels.
    height : int
        Photo height in pixels (the prior's scale).

    Returns
    -------
    ndarray, shape (A, B), float64
        The score with the length prior, or NaN where the pair fails.
    """
    vec = end[None, :, :2] - start[:, None, :2]  # (A, B, 2)
    length = np.maximum(np.hypot(vec[..., 0], vec[..., 1]), 0.001)
    unit = vec / length[..., None]
    steps = np.linspace(0, 1, PAF_SAMPLES)
    # np.linspace(a, b, n) per pair, rounded half to even like Python's round().
    xs = np.rint(start[:, None, None, 0] + steps * vec[..., None, 0]).astype(int)
    ys = np.rint(start[:, None, None, 1] + steps * vec[..., None, 1]).astype(int)
    along = paf_x[ys, xs] * unit[..., None, 0] + paf_y[ys, xs] * unit[..., None, 1]
    score = along.mean(axis=-1) + np.minimum(0.5 * height / length - 1, 0)
    enough = (along > PAF_THRESHOLD).sum(axis=-1) > 0.8 * PAF_SAMPLES
    return np.where(enough & (score > 0), score, np.nan)


def connect_limb(scores: np.ndarray) -> list[tuple[int, int, float]]:
    """Pick pairs greedily by score, each start and end used once.

    Parameters
    ----------
    scores : ndarray, shape (A, B)
        From `score_limb` (NaN: not a candidate).

    Returns
    -------
    list of (int, int, float)
        Start index, end index and score, best first; at most ``min(A, B)``.
    """
    starts, ends = np.nonzero(~np.isnan(scores))
    values = scores[starts, ends]
    order = np.argsort(-values, kind="stable")  # ties keep (start, end) order
    chosen: list[tuple[int, int, float]] = []
    used_start: set[int] = set()
    used_end: set[int] = set()
    for k in order:
        i, j = int(starts[k]), int(ends[k])
        if i in used_start or j in used_end:
            continue
        chosen.append((i, j, float(values[k])))
        used_start.add(i)
        used_end.add(j)
        if len(chosen) >= min(scores.shape):
            break
    return chosen


def assemble_people(
    peaks: Sequence[np.ndarray], limbs: Sequence[list[tuple[int, int, float]] | None]
) -> list[np.ndarray]:
    """Join connected limbs into people; drop people with < 4 parts or mean score < 0.4.

    Parameters
    ----------
    peaks : sequence of 18 ndarray, shape (K_p, 3)
        Candidates per part (x, y, score).
    limbs : sequence of 19 lists or None
        Per `PAF_LIMBS` entry, the pairs from `connect_limb` (indices into the two
        parts' candidates); None where either part has no candidate.

    Returns
    -------
    list of ndarray, shape (18, 3), float64
        x, y (pixels) and part score per person; missing parts are (0, 0, 0).
    """
    people: list[_Candidate] = []
    for k, ((a, b), pairs) in enumerate(zip(PAF_LIMBS, limbs, strict=True)):
        for i, j, score in pairs or ():
            _add_limb(people, peaks, (a, b), (i, j), score, new=k < NEW_PERSON_LIMBS)
    kept = [p for p in people if p.count >= 4 and p.score / p.count >= 0.4]
    return [_keypoints(p.parts, peaks) for p in kept]


@dataclass(eq=False)
class _Candidate:
    parts: np.ndarray  # (18,) candidate index per part, -1 for none
    score: float
    count: int


def _add_limb(people, peaks, limb, pair, score, *, new) -> None:
    # The annotator's rules, quirks included: a limb matching one person sets its end
    # part (replacing one there, still counting it); matching two disjoint people merges
    # them; else it joins the first.
    (a, b), (i, j) = limb, pair
    hits = [p for p in people if p.parts[a] == i or p.parts[b] == j][:2]
    if len(hits) == 2 and not ((hits[0].parts >= 0) & (hits[1].parts >= 0)).any():
        first, second = hits
        first.parts = np.maximum(first.parts, second.parts)
        first.score += second.score + score
        first.count += second.count
        people.remove(second)
    elif len(hits) == 2 or (hits and hits[0].parts[b] != j):
        hits[0].parts[b] = j
        hits[0].count += 1
        hits[0].score += peaks[b][j, 2] + score
    elif not hits and new:
        parts = np.full(PARTS, -1)
        parts[a], parts[b] = i, j
        people.append(_Candidate(parts, peaks[a][i, 2] + peaks[b][j, 2] + score, 2))


def _keypoints(parts: np.ndarray, peaks: Sequence[np.ndarray]) -> np.ndarray:
    body = np.zeros((PARTS, 3))
    for part, index in enumerate(parts):
        if index >= 0:
            body[part] = peaks[part][index]
    return body


def people_from_maps(heatmaps: np.ndarray, pafs: np.ndarray) -> list[np.ndarray]:
    """Find the people in full-size maps: peaks, limbs, assembly.

    Parameters
    ----------
    heatmaps : ndarray, shape (19, H, W)
        18 COCO part heatmaps and the background.
    pafs : ndarray, shape (38, H, W)

    Returns
    -------
    list of ndarray, shape (18, 3), float64
        COCO-18 keypoints per person: x, y in pixels and the part's heatmap score;
        missing parts are (0, 0, 0).
    """
    height = heatmaps.shape[1]
    peaks = [find_peaks(heatmaps[p]) for p in range(PARTS)]
    limbs = []
    for (a, b), (cx, cy) in zip(PAF_LIMBS, PAF_CHANNELS, strict=True):
        if len(peaks[a]) == 0 or len(peaks[b]) == 0:
            limbs.append(None)
            continue
        scores = score_limb(peaks[a], peaks[b], pafs[cx], pafs[cy], height=height)
        limbs.append(connect_limb(scores))
    return assemble_people(peaks, limbs)
