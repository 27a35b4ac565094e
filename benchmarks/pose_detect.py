"""Speed of ``detect_pose`` on CPU with random-weight OpenPose networks.

No real annotator weights are available, so the networks get random weights: the
timings are those of the real architectures and post-processing, but random weights
find no people, so the body post-processing runs on maps without people and the hand
network is timed on its own, on one hand box.

- detect: `detect_pose` on a 512 x 768 (width x height) photo, body only and with
  hands, weights loaded each call as the function does.
- parts: weight loading, the body (184 x 128 input, the annotator's size for this
  photo) and hand (368 x 368) networks in NCHW and channels-last, interleaved, the
  body post-processing at 512 x 768, one hand (four scales, 184 to 736 px squares).

Each timing is the median of 3 runs (5 when interleaved) after a warm-up; the first
call of a freshly loaded network is slower, so `detect_pose` (which loads the weights
every call) is more than the sum of the parts. Uses torch's default threads.

Usage: python benchmarks/pose_detect.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pixref.pose import detect_pose  # noqa: E402
from pixref.pose._openpose_body import body_maps, people_from_maps  # noqa: E402
from pixref.pose._openpose_hand import hand_keypoints  # noqa: E402
from pixref.pose._openpose_net import (  # noqa: E402
    BodyPoseNet,
    HandPoseNet,
    load_network,
    predictor,
)


def _median(fn, runs=3) -> float:
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp) / "models"
        (models / "openpose").mkdir(parents=True)
        body_file = models / "openpose" / "body_pose_model.pth"
        hand_file = models / "openpose" / "hand_pose_model.pth"
        torch.save(BodyPoseNet().state_dict(), body_file)
        torch.save(HandPoseNet().state_dict(), hand_file)
        rng = np.random.default_rng(0)
        photo = rng.integers(0, 256, (768, 512, 3), dtype=np.uint8)
        photo_file = Path(tmp) / "photo.png"
        Image.fromarray(photo).save(photo_file)

        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
        for hands in (False, True):
            seconds = _median(
                lambda h=hands: detect_pose(photo_file, models_dir=models, hands=h, device="cpu")
            )
            print(f"detect_pose 512x768, hands={hands}: {seconds:.2f} s")

        print(f"load body weights: {_median(lambda: load_network(BodyPoseNet, body_file)):.2f} s")
        print(f"load hand weights: {_median(lambda: load_network(HandPoseNet, hand_file)):.2f} s")
        body = load_network(BodyPoseNet, body_file)
        hand_net = load_network(HandPoseNet, hand_file)
        for name, net, side in (("body", body, (184, 128)), ("hand", hand_net, (368, 368))):
            batch = rng.uniform(-0.5, 0.5, (1, 3, *side)).astype(np.float32)
            plain, fast = _interleaved(
                predictor(net, "cpu"), predictor(net, "cpu", channels_last=True), batch
            )
            print(
                f"{name} network {side[0]}x{side[1]}: NCHW {plain:.2f} s, "
                f"channels-last {fast:.2f} s"
            )
        body_predict = predictor(body, "cpu")
        bgr = photo[..., ::-1].copy()
        maps = body_maps(bgr, body_predict)
        seconds = _median(lambda: body_maps(bgr, body_predict))
        print(f"body maps (resize, network, upsample): {seconds:.2f} s")
        print(f"body post-processing: {_median(lambda: people_from_maps(*maps)):.2f} s")
        hand = predictor(hand_net, "cpu", channels_last=True)
        arm = np.zeros((18, 3))
        arm[[2, 3, 4]] = [[250, 300, 1], [260, 400, 1], [265, 480, 1]]
        print(f"one hand (4 scales): {_median(lambda: hand_keypoints(arm, bgr, hand)):.2f} s")


def _interleaved(first, second, batch, runs=5) -> tuple[float, float]:
    # Alternate the two so machine load affects both alike.
    first(batch), second(batch)
    a, b = [], []
    for _ in range(runs):
        for fn, times in ((first, a), (second, b)):
            start = time.perf_counter()
            fn(batch)
            times.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)


if __name__ == "__main__":
    main()
