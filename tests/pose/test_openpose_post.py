"""OpenPose post-processing on hand-built maps: resizing, peaks, limbs, people, hands."""

import numpy as np
import pytest

pytest.importorskip("scipy")

from pixref.pose._openpose_body import (  # noqa: E402
    PAF_CHANNELS,
    PAF_LIMBS,
    body_maps,
    connect_limb,
    find_peaks,
    network_input,
    people_from_maps,
    score_limb,
)
from pixref.pose._openpose_hand import HandBox, blur, hand_boxes, hand_points  # noqa: E402
from pixref.pose._resample import (  # noqa: E402
    apply_matrices,
    area_matrix,
    lanczos4_matrix,
    map_matrices,
    resize_image,
)

# A standing figure about 100 px tall: COCO-18 offsets from the nose, in pixels.
FIGURE = (
    (0, 0), (0, 12), (-10, 12), (-14, 28), (-16, 44), (10, 12), (14, 28), (16, 44), (-6, 48),
    (-7, 70), (-8, 92), (6, 48), (7, 70), (8, 92), (-3, -3), (3, -3), (-6, -1), (6, -1),
)  # fmt: skip


def _figure(x: int, y: int) -> np.ndarray:
    return np.array(FIGURE, dtype=float) + (x, y)


def _maps(people, rows=160, cols=200, limbs=PAF_LIMBS):
    """Gaussian blobs (sigma 2 px, peak 1) at the joints; unit PAF vectors 2 px around limbs."""
    rr, cc = np.mgrid[0:rows, 0:cols]
    heatmaps, pafs = np.zeros((19, rows, cols)), np.zeros((38, rows, cols))
    for joints in people:
        for part, (x, y) in enumerate(joints):
            blob = np.exp(-((cc - x) ** 2 + (rr - y) ** 2) / 8)
            heatmaps[part] = np.maximum(heatmaps[part], blob)
        for (a, b), (cx, cy) in zip(PAF_LIMBS, PAF_CHANNELS, strict=True):
            if (a, b) not in limbs:
                continue
            start, vec = joints[a], joints[b] - joints[a]
            length = np.hypot(*vec)
            unit = vec / length
            along = (cc - start[0]) * unit[0] + (rr - start[1]) * unit[1]
            across = np.abs((rr - start[1]) * unit[0] - (cc - start[0]) * unit[1])
            band = (along >= -1) & (along <= length + 1) & (across <= 2)
            pafs[cx][band], pafs[cy][band] = unit
    return heatmaps, pafs


def test_one_person_comes_back_exactly():
    truth = _figure(60, 30)
    people = people_from_maps(*_maps([truth]))
    assert len(people) == 1
    np.testing.assert_array_equal(people[0][:, :2], truth)
    np.testing.assert_allclose(people[0][:, 2], 1.0)  # the blob's peak value


def test_two_people_keep_their_own_limbs():
    left, right = _figure(50, 30), _figure(140, 45)
    people = people_from_maps(*_maps([left, right]))
    assert len(people) == 2
    found = sorted(people, key=lambda body: body[1, 0])
    for body, truth in zip(found, (left, right), strict=True):
        assert np.abs(body[:, :2] - truth).max() <= 1  # every joint on its own person


def test_parts_without_limbs_are_left_out():
    # No PAF for the left arm below the shoulder: elbow and wrist stay missing.
    truth = _figure(60, 30)
    limbs = [limb for limb in PAF_LIMBS if limb not in ((5, 6), (6, 7))]
    (body,) = people_from_maps(*_maps([truth], limbs=limbs))
    assert (body[[6, 7]] == 0).all()
    np.testing.assert_array_equal(body[[0, 1, 2, 3, 4, 5, 8]][:, :2], truth[[0, 1, 2, 3, 4, 5, 8]])


def test_too_few_parts_is_no_person():
    # Neck, right shoulder and elbow only: three parts, under the four a person needs.
    truth = _figure(60, 30)
    heatmaps, pafs = _maps([truth], limbs=[(1, 2), (2, 3)])
    heatmaps[[0, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]] = 0
    assert people_from_maps(heatmaps, pafs) == []


def test_peaks_are_local_maxima_above_threshold():
    heat = np.zeros((40, 50))
    heat[10, 12] = heat[30, 40] = 40.0  # smoothed to about 0.7
    heat[20, 25] = 1.0  # smoothed to 0.018: below 0.1
    peaks = find_peaks(heat)
    np.testing.assert_array_equal(peaks, [[12, 10, 40.0], [40, 30, 40.0]])


def test_limb_score_needs_the_paf_along_the_segment():
    start = np.array([[10.0, 10.0, 1.0]])
    ends = np.array([[30.0, 10.0, 1.0], [10.0, 30.0, 1.0]])
    paf_x, paf_y = np.zeros((50, 50)), np.zeros((50, 50))
    paf_x[8:13, 8:33] = 1.0  # a field pointing right along row 10
    scores = score_limb(start, ends, paf_x, paf_y, height=100)
    assert scores[0, 0] == pytest.approx(1.0) and np.isnan(scores[0, 1])
    # Limbs longer than half the photo height pay a prior: 20 px in a 30 px photo.
    assert score_limb(start, ends[:1], paf_x, paf_y, height=30)[0, 0] == pytest.approx(0.75)


def test_connect_limb_is_greedy_best_first():
    scores = np.array([[0.9, 0.8], [0.95, np.nan]])
    assert connect_limb(scores) == [(1, 0, 0.95), (0, 1, 0.8)]


def test_network_input_pads_with_128_to_multiples_of_8():
    image = np.full((10, 13, 3), 64, np.uint8)
    batch = network_input(image)
    assert batch.shape == (1, 3, 16, 16) and batch.dtype == np.float32
    assert batch[0, :, 0, 0].tolist() == [64 / 256 - 0.5] * 3
    assert batch[0, :, 15, 15].tolist() == [0.0] * 3  # 128 / 256 - 0.5


def test_body_maps_feed_the_network_368_times_half_the_height():
    seen = []

    def predict(batch):
        seen.append(batch.shape)
        rows, cols = batch.shape[2] // 8, batch.shape[3] // 8
        return np.ones((38, rows, cols), np.float32), np.full((19, rows, cols), 0.5, np.float32)

    heatmaps, pafs = body_maps(np.zeros((768, 512, 3), np.uint8), predict)
    assert seen == [(1, 3, 184, 128)]  # 184 x 122, padded to 184 x 128
    assert heatmaps.shape == (19, 768, 512) and pafs.shape == (38, 768, 512)
    np.testing.assert_allclose(heatmaps, 0.5) and np.testing.assert_allclose(pafs, 1.0)


def test_area_resize_is_the_block_mean():
    image = np.random.default_rng(0).integers(0, 256, (8, 6, 3), dtype=np.uint8)
    blocks = image.reshape(4, 2, 3, 2, 3).mean(axis=(1, 3))
    np.testing.assert_array_equal(resize_image(image, 4, 3), np.rint(blocks))
    assert area_matrix(3, 2).tolist() == [[2 / 3, 1 / 3, 0], [0, 1 / 3, 2 / 3]]


def test_lanczos_keeps_constants_and_symmetry():
    matrix = lanczos4_matrix(5, 40)
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0)
    np.testing.assert_allclose(matrix[::-1, ::-1], matrix, atol=1e-12)


def test_resizing_matches_opencv():
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (300, 200, 3), dtype=np.uint8)
    shrunk = cv2.resize(image, (61, 92), interpolation=cv2.INTER_AREA)
    assert np.abs(resize_image(image, 92, 61).astype(int) - shrunk).max() <= 1
    maps = rng.normal(size=(2, 12, 9)).astype(np.float32)
    rows, cols = map_matrices((12, 9), 8, (92, 70), (300, 200))
    expected = [
        cv2.resize(
            cv2.resize(m, (72, 96), interpolation=cv2.INTER_LANCZOS4)[:92, :70],
            (200, 300),
            interpolation=cv2.INTER_LANCZOS4,
        )
        for m in maps
    ]
    np.testing.assert_allclose(apply_matrices(maps, rows, cols), expected, atol=1e-4)
    crop = image[:50, :50]
    assert np.abs(blur(crop).astype(int) - cv2.GaussianBlur(crop, (0, 0), 0.8)).max() <= 1


def test_hand_boxes_follow_the_forearm():
    body = np.zeros((18, 3))
    body[[2, 3, 4]] = [[100, 100, 1], [100, 160, 1], [100, 200, 1]]  # right arm, down
    body[[5, 6]] = [[140, 100, 1], [140, 160, 1]]  # left arm without a wrist
    # centre 0.33 * 40 below the wrist; side 1.5 * max(40, 0.9 * 60) = 81
    (box,) = hand_boxes(body, 400, 300)
    assert box == HandBox(x=int(100 - 40.5), y=int(200 + 13.2 - 40.5), size=81, side="right_hand")


def test_hand_boxes_clip_and_skip_small_ones():
    body = np.zeros((18, 3))
    body[[5, 6, 7]] = [[280, 300, 1], [285, 350, 1], [290, 390, 1]]  # near the right edge
    (box,) = hand_boxes(body, 400, 300)
    assert box.side == "left_hand" and box.x + box.size <= 300 and box.y + box.size <= 400
    body[[5, 6, 7]] = [[100, 100, 1], [100, 105, 1], [100, 110, 1]]  # a 13 px box
    assert hand_boxes(body, 400, 300) == []


def test_hand_points_pick_the_strongest_blob():
    rr, cc = np.mgrid[0:128, 0:128]
    heatmaps = np.zeros((22, 128, 128))
    truth = [(10 + 5 * i, 20 + 4 * i) for i in range(20)]  # x, y on the 128 grid
    for part, (x, y) in enumerate(truth):
        heatmaps[part] = np.exp(-((cc - x) ** 2 + (rr - y) ** 2) / 8)
    # A second blob for point 0 with a higher peak (2.0) but a smaller sum (10 < 8 pi).
    heatmaps[0, 104:107, 104:107] = 1.0
    heatmaps[0, 105, 105] = 2.0
    points = hand_points(heatmaps, box_size=256)
    # 256 px box: each map pixel is 2 photo pixels; point 20 has no blob
    np.testing.assert_array_equal(points[:20, :2], np.array(truth) * 2)
    assert (points[20] == 0).all()
