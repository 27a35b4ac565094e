"""`detect_pose` end to end with random-weight networks, and its errors.

No real annotator weights exist here: the networks get random weights, so they find
arbitrary people or none; these tests check that detection runs and returns a valid
`Pose` of the photo's size. The post-processing itself is checked on hand-built maps
(tests/pose/test_openpose_post.py) and, below, through `pose_from_photo`.
"""

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")
pytest.importorskip("scipy")

from pixref.pose import Pose, PoseError, detect_pose, find_annotator_weights  # noqa: E402
from pixref.pose._openpose import pose_from_photo, shrink  # noqa: E402
from pixref.pose._openpose_body import PAF_CHANNELS, PAF_LIMBS  # noqa: E402
from pixref.pose._openpose_hand import hand_keypoints  # noqa: E402
from pixref.pose._openpose_net import HandPoseNet, load_network, predictor  # noqa: E402


@pytest.fixture(scope="module")
def body_only(openpose_models, tmp_path_factory):
    root = tmp_path_factory.mktemp("body_only")
    (root / "openpose").mkdir()
    (root / "openpose" / "body_pose_model.pth").symlink_to(
        openpose_models / "openpose" / "body_pose_model.pth"
    )
    return root


def _photo(path, width, height, seed=0):
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def _valid(pose, width, height):
    assert isinstance(pose, Pose) and pose.size == (width, height)
    for person in pose.people:
        present = person.body[person.body[:, 2] > 0]
        assert person.body.shape == (18, 3) and len(present) >= 4
        assert (present[:, 0] <= width).all() and (present[:, 1] <= height).all()


def test_detect_runs_end_to_end_with_hands(openpose_models, tmp_path):
    photo = _photo(tmp_path / "photo.png", 64, 96)
    _valid(detect_pose(photo, models_dir=openpose_models, device="cpu"), 64, 96)


def test_big_photo_is_detected_at_the_processor_resolution(body_only, tmp_path):
    photo = _photo(tmp_path / "photo.jpg", 1200, 900, seed=1)
    pose = detect_pose(photo, models_dir=body_only, hands=False, device="cpu")
    _valid(pose, 1200, 900)  # the canvas is the photo, not the 683 x 512 it ran at


def test_missing_hand_weights_say_so(body_only, tmp_path):
    photo = _photo(tmp_path / "photo.png", 32, 32)
    with pytest.raises(PoseError, match="hand_pose_model.pth.*--no-hands"):
        detect_pose(photo, models_dir=body_only)


def test_bad_weight_file_names_it(tmp_path):
    folder = tmp_path / "models" / "openpose"
    folder.mkdir(parents=True)
    (folder / "body_pose_model.pth").write_bytes(b"\x00" * 64)
    photo = _photo(tmp_path / "photo.png", 32, 32)
    with pytest.raises(PoseError) as info:
        detect_pose(photo, models_dir=tmp_path / "models", hands=False, device="cpu")
    message = str(info.value)
    assert str(folder / "body_pose_model.pth") in message and "\n" not in message


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"device": "toaster"}, "`device`"),
        ({"processor_res": 10}, "`processor_res`"),
        ({"processor_res": 512.0}, "`processor_res`"),
    ],
)
def test_bad_options_are_refused(openpose_models, tmp_path, options, match):
    photo = _photo(tmp_path / "photo.png", 32, 32)
    with pytest.raises(PoseError, match=match):
        detect_pose(photo, models_dir=openpose_models, **options)


def test_safetensors_are_taken_before_pth(tmp_path):
    folder = tmp_path / "openpose"
    folder.mkdir()
    for name in ("body_pose_model.pth", "body_pose_model.safetensors", "hand_pose_model.pth"):
        (folder / name).write_bytes(b"")
    weights = find_annotator_weights(tmp_path)
    assert weights.body.name == "body_pose_model.safetensors"
    assert weights.hand.name == "hand_pose_model.pth" and weights.face is None


def test_shrink_keeps_the_aspect_and_never_enlarges():
    image = np.zeros((1000, 600, 3), np.uint8)
    assert shrink(image, 512).shape == (853, 512, 3)
    assert shrink(image, 800).shape == (1000, 600, 3) and shrink(image, None) is image


@pytest.mark.slow
def test_hand_network_runs_on_a_hand_box(openpose_models):
    # The random hand network through the whole hand pipeline (4 scales up to 736 px).
    net = load_network(HandPoseNet, openpose_models / "openpose" / "hand_pose_model.pth")
    body = np.zeros((18, 3))
    body[[2, 3, 4]] = [[100, 60, 1], [100, 120, 1], [100, 170, 1]]
    image = np.random.default_rng(2).integers(0, 256, (300, 200, 3), dtype=np.uint8)
    hands = hand_keypoints(body, image, predictor(net, "cpu", channels_last=True))
    assert list(hands) == ["right_hand"] and hands["right_hand"].shape == (21, 3)
    found = hands["right_hand"][hands["right_hand"][:, 2] != 0]
    # box: x 100 - 40.5 (one forearm * 1.5 / 2), y 170 + 16.5 - 40.5
    assert ((found[:, 0] >= 59) & (found[:, 0] < 59 + 81)).all()
    assert ((found[:, 1] >= 146) & (found[:, 1] < 146 + 81)).all()


# A figure in cells of the body network's output (8 photo pixels each at a 184 px photo).
CELLS = (
    (11, 3), (11, 5), (9, 5), (8, 8), (7, 11), (13, 5), (14, 8), (15, 11), (10, 11),
    (10, 15), (10, 19), (12, 11), (12, 15), (12, 19), (10, 2), (12, 2), (9, 3), (13, 3),
)  # fmt: skip


def _cell_maps(rows=23, cols=23):
    rr, cc = np.mgrid[0:rows, 0:cols]
    # Cell c + 1/16 is photo pixel 8c + 4 (pixel centres: cell = (pixel + 0.5) / 8 - 0.5);
    # a blob right between pixels would give four equal peaks.
    joints = np.array(CELLS, float) + 1 / 16
    heatmaps, pafs = np.zeros((19, rows, cols)), np.zeros((38, rows, cols))
    for part, (x, y) in enumerate(joints):
        heatmaps[part] = np.exp(-((cc - x) ** 2 + (rr - y) ** 2) / 0.5)
    for (a, b), (cx, cy) in zip(PAF_LIMBS, PAF_CHANNELS, strict=True):
        vec = joints[b] - joints[a]
        unit = vec / np.hypot(*vec)
        along = (cc - joints[a, 0]) * unit[0] + (rr - joints[a, 1]) * unit[1]
        across = np.abs((rr - joints[a, 1]) * unit[0] - (cc - joints[a, 0]) * unit[1])
        band = (along >= -1.5) & (along <= np.hypot(*vec) + 1.5) & (across <= 1.5)
        pafs[cx][band], pafs[cy][band] = unit
    return pafs.astype(np.float32), heatmaps.astype(np.float32)


def test_pose_from_photo_reads_bgr_and_maps_cells_to_pixels():
    photo = np.zeros((184, 184, 3), np.uint8)
    photo[..., 0] = 255  # red

    def predict(batch):
        assert batch.shape == (1, 3, 184, 184)
        assert batch[0, 2, 0, 0] == 255 / 256 - 0.5 and batch[0, 0, 0, 0] == -0.5  # B, G, R
        return _cell_maps()

    pose = pose_from_photo(photo, predict)
    assert pose.size == (184, 184) and len(pose.people) == 1
    body = pose.people[0].body
    np.testing.assert_array_equal(body[:, :2], np.array(CELLS) * 8 + 4)
    assert (body[:, 2] == 1.0).all()  # found points get the annotator's 1.0
    scored = pose_from_photo(photo, predict, scores=True).people[0].body
    assert 0.5 < scored[:, 2].min() and scored[:, 2].max() < 1.2
