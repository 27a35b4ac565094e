"""The OpenPose body and hand networks as the ControlNet annotator runs them (needs torch).

Body: Cao et al. 2017, "Realtime Multi-Person 2D Pose Estimation using Part Affinity
Fields" (the CMU COCO model): VGG-19 up to ``conv4_2``, two CPM convolutions down to
128 feature channels, then six stages of two branches, L1 (38 part affinity field
channels, 19 limbs x (x, y)) and L2 (19 heatmaps, 18 COCO parts and background).
Stages 2-6 see the previous stage's L1, L2 and the features, ``185 = 38 + 19 + 128``
channels. Hand: Simon et al. 2017, "Hand Keypoint Detection in Single Images using
Multiview Bootstrapping": VGG-19 up to ``conv5_2``, one CPM convolution to 128
channels, then six stages of 22 heatmaps (21 points and background).

Every convolution is registered on the network itself under its Caffe layer name, so
``state_dict()`` keys are exactly those of the published ``body_pose_model.pth`` and
``hand_pose_model.pth`` (``conv1_1.weight``, ``Mconv7_stage6_L2.bias``, ...) and
those files load with strict key matching.

One quirk is kept on purpose: the annotator's list of layers without ReLU names
``Mconv7_stage6_L1`` twice and never ``Mconv7_stage6_L2``, so its final heatmaps pass
through a ReLU. `BodyPoseNet` does the same, so peaks match the annotator's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pixref.pose._errors import PoseError

BODY_PAF_CHANNELS = 38
BODY_HEATMAP_CHANNELS = 19
HAND_HEATMAP_CHANNELS = 22
STRIDE = 8  # three 2x2 max-pools

# (name, in channels, out channels, kernel size); "pool" is a 2x2 max-pool, stride 2.
_VGG_TO_CONV4_2 = (
    ("conv1_1", 3, 64, 3), ("conv1_2", 64, 64, 3), ("pool",),
    ("conv2_1", 64, 128, 3), ("conv2_2", 128, 128, 3), ("pool",),
    ("conv3_1", 128, 256, 3), ("conv3_2", 256, 256, 3), ("conv3_3", 256, 256, 3),
    ("conv3_4", 256, 256, 3), ("pool",),
    ("conv4_1", 256, 512, 3), ("conv4_2", 512, 512, 3),
)  # fmt: skip
_BODY_FRONT = (*_VGG_TO_CONV4_2, ("conv4_3_CPM", 512, 256, 3), ("conv4_4_CPM", 256, 128, 3))
_HAND_FRONT = (
    *_VGG_TO_CONV4_2,
    ("conv4_3", 512, 512, 3), ("conv4_4", 512, 512, 3),
    ("conv5_1", 512, 512, 3), ("conv5_2", 512, 512, 3), ("conv5_3_CPM", 512, 128, 3),
)  # fmt: skip


def _body_stage1(branch: int, out: int) -> tuple:
    b = f"_CPM_L{branch}"
    return (
        (f"conv5_1{b}", 128, 128, 3), (f"conv5_2{b}", 128, 128, 3),
        (f"conv5_3{b}", 128, 128, 3), (f"conv5_4{b}", 128, 512, 1), (f"conv5_5{b}", 512, out, 1),
    )  # fmt: skip


def _refinement(suffix: str, cin: int, out: int) -> tuple:
    # Stages 2-6 of both networks: five 7x7 convolutions, then two 1x1.
    return (
        (f"Mconv1{suffix}", cin, 128, 7),
        *((f"Mconv{i}{suffix}", 128, 128, 7) for i in range(2, 6)),
        (f"Mconv6{suffix}", 128, 128, 1),
        (f"Mconv7{suffix}", 128, out, 1),
    )


class _Stages(nn.Module):
    """Holds every convolution directly under its Caffe name (flat state dict keys)."""

    def __init__(self, blocks: dict[str, tuple], linear: set[str]) -> None:
        super().__init__()
        self.blocks = {key: tuple(layer[0] for layer in block) for key, block in blocks.items()}
        self.linear = frozenset(linear)  # layers not followed by a ReLU
        for block in blocks.values():
            for name, *shape in block:
                if name != "pool":
                    cin, cout, k = shape
                    self.add_module(name, nn.Conv2d(cin, cout, k, padding=k // 2))

    def run(self, key: str, x: torch.Tensor) -> torch.Tensor:
        for name in self.blocks[key]:
            if name == "pool":
                x = F.max_pool2d(x, 2, 2)
                continue
            x = getattr(self, name)(x)
            if name not in self.linear:
                x = F.relu(x)
        return x


class BodyPoseNet(_Stages):
    """The OpenPose COCO body network (``bodypose_model`` in the annotator).

    Input ``(N, 3, H, W)`` float32, BGR, ``pixel / 256 - 0.5``, H and W multiples of 8.
    Output ``(pafs, heatmaps)``: ``(N, 38, H/8, W/8)`` and ``(N, 19, H/8, W/8)``.
    """

    kind = "body"

    def __init__(self) -> None:
        blocks: dict[str, tuple] = {"front": _BODY_FRONT}
        for branch, out in ((1, BODY_PAF_CHANNELS), (2, BODY_HEATMAP_CHANNELS)):
            blocks[f"1_L{branch}"] = _body_stage1(branch, out)
            for t in range(2, 7):
                blocks[f"{t}_L{branch}"] = _refinement(f"_stage{t}_L{branch}", 185, out)
        linear = {"conv5_5_CPM_L1", "conv5_5_CPM_L2", "Mconv7_stage6_L1"}
        linear |= {f"Mconv7_stage{t}_L{b}" for t in range(2, 6) for b in (1, 2)}
        super().__init__(blocks, linear)  # Mconv7_stage6_L2 keeps its ReLU (see module doc)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.run("front", x)
        stage_in = features
        for t in range(1, 7):
            pafs, heatmaps = self.run(f"{t}_L1", stage_in), self.run(f"{t}_L2", stage_in)
            stage_in = torch.cat([pafs, heatmaps, features], 1)
        return pafs, heatmaps


class HandPoseNet(_Stages):
    """The OpenPose hand network (``handpose_model`` in the annotator).

    Input as `BodyPoseNet`; output ``(N, 22, H/8, W/8)`` heatmaps (21 points, background).
    """

    kind = "hand"

    def __init__(self) -> None:
        blocks: dict[str, tuple] = {
            "front": _HAND_FRONT,
            "1": (("conv6_1_CPM", 128, 512, 1), ("conv6_2_CPM", 512, HAND_HEATMAP_CHANNELS, 1)),
        }
        for t in range(2, 7):
            blocks[str(t)] = _refinement(f"_stage{t}", 150, HAND_HEATMAP_CHANNELS)
        linear = {"conv6_2_CPM", *(f"Mconv7_stage{t}" for t in range(2, 7))}
        super().__init__(blocks, linear)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.run("front", x)
        heatmaps = self.run("1", features)
        for t in range(2, 7):
            heatmaps = self.run(str(t), torch.cat([heatmaps, features], 1))
        return heatmaps


def read_state_dict(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """Read a weight file (``.pth`` unpickled with ``weights_only=True``, or ``.safetensors``).

    Raises
    ------
    PoseError
        If the file cannot be read as a dict of tensors, naming it.
    """
    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path), device="cpu")
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except ImportError:
        raise PoseError(f"{path} is a .safetensors file; install safetensors to read it") from None
    except Exception as exc:  # any loader failure means the file is not usable weights
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PoseError(f"cannot read weights {path}: {reason[:160]}") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise PoseError(f"{path} does not hold a state dict of tensors; download it again")
    return state


def load_network(kind: type[_Stages], path: str | os.PathLike[str]) -> nn.Module:
    """Build ``kind`` (`BodyPoseNet` or `HandPoseNet`) from the weight file, in eval mode.

    Keys and shapes are checked strictly; tensors are cast to float32. The network is
    built without initialising weights (on the meta device) and takes the file's
    tensors, which saves about 0.7 s for the body network on CPU.

    Raises
    ------
    PoseError
        In one line naming the file, for missing or unexpected keys or wrong shapes.
    """
    path = Path(path)
    state = read_state_dict(path)
    with torch.device("meta"):
        net = kind()
    expected = net.state_dict()
    what = f"{path} is not the OpenPose {net.kind} network"
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} keys missing (e.g. `{missing[0]}`)")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (e.g. `{unexpected[0]}`)")
        raise PoseError(f"{what}: {', '.join(parts)}; use the lllyasviel/Annotators file")
    for key, tensor in expected.items():
        if state[key].shape != tensor.shape:
            raise PoseError(
                f"{what}: `{key}` has shape {tuple(state[key].shape)}, expected "
                f"{tuple(tensor.shape)}; use the lllyasviel/Annotators file"
            )
    state = {k: v.float().contiguous() for k, v in state.items()}
    net.load_state_dict(state, strict=True, assign=True)
    return net.eval()


def predictor(
    net: nn.Module, device: str | torch.device, *, channels_last: bool = False
) -> Callable[[np.ndarray], Any]:
    """Wrap ``net`` as a numpy function: ``(1, 3, H, W)`` float32 in, float32 maps out.

    The body network's function returns ``(pafs, heatmaps)``, the hand network's one
    array, each ``(C, H/8, W/8)``. ``channels_last`` made the hand network 1.1-1.3x
    faster at 736 px on the 2-core development CPU (interleaved runs) and the body
    network no faster (benchmarks/pose_detect.py).
    """
    memory = torch.channels_last if channels_last else torch.contiguous_format
    net = net.to(device, memory_format=memory)

    @torch.inference_mode()
    def predict(batch: np.ndarray) -> Any:
        x = torch.from_numpy(batch).to(device).contiguous(memory_format=memory)
        out = net(x)
        if isinstance(out, tuple):
            return tuple(o[0].float().cpu().numpy() for o in out)
        return out[0].float().cpu().numpy()

    return predict


def default_device() -> torch.device:
    # Copied from pixref.engine.models._load.default_device
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
