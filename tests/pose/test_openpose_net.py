"""The OpenPose body and hand networks: published key names, output shapes, safe loading."""

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pixref.pose import PoseError  # noqa: E402
from pixref.pose._openpose_net import (  # noqa: E402
    BodyPoseNet,
    HandPoseNet,
    load_network,
    predictor,
    read_state_dict,
)


def _published_body_keys() -> set[str]:
    # Written from the layer names of the published body_pose_model.pth (Caffe names).
    front = ["conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3"]
    front += ["conv3_4", "conv4_1", "conv4_2", "conv4_3_CPM", "conv4_4_CPM"]
    layers = list(front)
    for branch in ("L1", "L2"):
        layers += [f"conv5_{i}_CPM_{branch}" for i in range(1, 6)]
        layers += [f"Mconv{i}_stage{t}_{branch}" for t in range(2, 7) for i in range(1, 8)]
    return {f"{name}.{p}" for name in layers for p in ("weight", "bias")}


def _published_hand_keys() -> set[str]:
    layers = ["conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1", "conv3_2", "conv3_3"]
    layers += ["conv3_4", "conv4_1", "conv4_2", "conv4_3", "conv4_4", "conv5_1", "conv5_2"]
    layers += ["conv5_3_CPM", "conv6_1_CPM", "conv6_2_CPM"]
    layers += [f"Mconv{i}_stage{t}" for t in range(2, 7) for i in range(1, 8)]
    return {f"{name}.{p}" for name in layers for p in ("weight", "bias")}


def test_body_keys_are_the_published_names():
    state = BodyPoseNet().state_dict()
    assert set(state) == _published_body_keys() and len(state) == 184
    for key in (
        "conv1_1.weight",
        "conv4_4_CPM.bias",
        "conv5_5_CPM_L1.bias",
        "Mconv7_stage6_L2.bias",
    ):
        assert key in state
    assert state["conv1_1.weight"].shape == (64, 3, 3, 3)
    assert state["conv5_5_CPM_L1.weight"].shape == (38, 512, 1, 1)
    assert state["Mconv1_stage2_L1.weight"].shape == (128, 185, 7, 7)  # 38 + 19 + 128 in
    assert state["Mconv7_stage6_L2.weight"].shape == (19, 128, 1, 1)
    # 52.3 M parameters: the published file's 209 MB of float32
    assert sum(t.numel() for t in state.values()) == 52_311_446


def test_hand_keys_are_the_published_names():
    state = HandPoseNet().state_dict()
    assert set(state) == _published_hand_keys() and len(state) == 104
    assert state["conv5_3_CPM.weight"].shape == (128, 512, 3, 3)
    assert state["conv6_2_CPM.weight"].shape == (22, 512, 1, 1)
    assert state["Mconv1_stage2.weight"].shape == (128, 150, 7, 7)  # 22 + 128 in
    assert sum(t.numel() for t in state.values()) == 36_832_324  # 147 MB


def test_body_outputs_38_pafs_and_19_heatmaps_at_an_eighth():
    torch.manual_seed(0)
    with torch.inference_mode():
        pafs, heatmaps = BodyPoseNet().eval()(torch.randn(1, 3, 64, 40))
    assert pafs.shape == (1, 38, 8, 5) and heatmaps.shape == (1, 19, 8, 5)
    # The annotator's final heatmaps keep a ReLU (Mconv7_stage6_L2 missing from its list).
    assert heatmaps.min() >= 0 and pafs.min() < 0


def test_hand_outputs_22_heatmaps_at_an_eighth():
    torch.manual_seed(0)
    with torch.inference_mode():
        heatmaps = HandPoseNet().eval()(torch.randn(1, 3, 48, 48))
    assert heatmaps.shape == (1, 22, 6, 6)


def test_published_state_dict_loads_strictly(tmp_path):
    # A state dict written from the published names and shapes alone.
    shapes = {k: tuple(v.shape) for k, v in BodyPoseNet().state_dict().items()}
    generator = torch.Generator().manual_seed(1)
    state = {k: torch.randn(shapes[k], generator=generator) for k in sorted(_published_body_keys())}
    torch.save(state, tmp_path / "body_pose_model.pth")
    net = load_network(BodyPoseNet, tmp_path / "body_pose_model.pth")
    assert not net.training
    assert torch.equal(net.state_dict()["Mconv7_stage6_L2.bias"], state["Mconv7_stage6_L2.bias"])


def test_safetensors_weights_load(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    state = {k: v.half() for k, v in HandPoseNet().state_dict().items()}  # an fp16 copy
    safetensors_torch.save_file(state, tmp_path / "hand_pose_model.safetensors")
    net = load_network(HandPoseNet, tmp_path / "hand_pose_model.safetensors")
    weight = net.state_dict()["conv6_2_CPM.weight"]
    assert weight.dtype == torch.float32 and torch.equal(
        weight, state["conv6_2_CPM.weight"].float()
    )


def _one_line_error(path) -> str:
    with pytest.raises(PoseError) as info:
        load_network(BodyPoseNet, path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_garbage_file_is_a_clear_error(tmp_path):
    path = tmp_path / "body_pose_model.pth"
    path.write_bytes(b"not a checkpoint")
    assert "cannot read weights" in _one_line_error(path)


def test_hand_weights_in_the_body_slot_name_the_keys(tmp_path):
    path = tmp_path / "body_pose_model.pth"
    torch.save(HandPoseNet().state_dict(), path)
    message = _one_line_error(path)
    assert "not the OpenPose body network" in message
    assert "keys missing (e.g. `conv4_3_CPM.weight`)" in message and "unexpected" in message


def test_wrong_shape_names_the_key(tmp_path):
    state = BodyPoseNet().state_dict()
    state["Mconv7_stage6_L2.weight"] = torch.zeros(18, 128, 1, 1)
    path = tmp_path / "body_pose_model.pth"
    torch.save(state, path)
    message = _one_line_error(path)
    assert (
        "`Mconv7_stage6_L2.weight` has shape (18, 128, 1, 1), expected (19, 128, 1, 1)" in message
    )


def test_not_tensors_is_a_clear_error(tmp_path):
    path = tmp_path / "body_pose_model.pth"
    torch.save({"conv1_1.weight": 1.0}, path)
    assert "does not hold a state dict of tensors" in _one_line_error(path)


class _Payload:
    def __reduce__(self):
        return (print, ("unpickled code ran",))


def test_pickled_code_is_refused_not_run(tmp_path, capsys):
    path = tmp_path / "body_pose_model.pth"
    with open(path, "wb") as f:
        pickle.dump(_Payload(), f, protocol=2)
    with pytest.raises(PoseError, match="cannot read weights"):
        read_state_dict(path)
    assert "unpickled code ran" not in capsys.readouterr().out


def test_predictor_channels_last_matches_plain_forward():
    torch.manual_seed(0)
    net = BodyPoseNet().eval()
    batch = np.random.default_rng(0).uniform(-0.5, 0.5, (1, 3, 48, 32)).astype(np.float32)
    with torch.inference_mode():
        pafs, heatmaps = (t[0].numpy() for t in net(torch.from_numpy(batch)))
    got_pafs, got_heatmaps = predictor(net, "cpu")(batch)
    np.testing.assert_allclose(got_pafs, pafs, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_heatmaps, heatmaps, rtol=1e-4, atol=1e-5)
