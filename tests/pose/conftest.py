import os
from pathlib import Path

import pytest

# ../shared/data/poses beside the checkout; PIXREF_SHARED_DATA overrides (git worktrees).
POSES = (
    Path(
        os.environ.get("PIXREF_SHARED_DATA") or Path(__file__).parents[2].parent / "shared" / "data"
    )
    / "poses"
)


@pytest.fixture
def poses_dir() -> Path:
    if not POSES.is_dir():
        pytest.skip(f"{POSES} is not beside this checkout (set PIXREF_SHARED_DATA)")
    return POSES


@pytest.fixture(scope="session")
def openpose_models(tmp_path_factory) -> Path:
    """A models folder with random-weight OpenPose body and hand networks in openpose/.

    No real annotator weights are used anywhere: detections are arbitrary (often none).
    """
    torch = pytest.importorskip("torch")
    pytest.importorskip("scipy")
    from pixref.pose._openpose_net import BodyPoseNet, HandPoseNet

    root = tmp_path_factory.mktemp("models")
    (root / "openpose").mkdir()
    torch.manual_seed(0)
    torch.save(BodyPoseNet().state_dict(), root / "openpose" / "body_pose_model.pth")
    torch.save(HandPoseNet().state_dict(), root / "openpose" / "hand_pose_model.pth")
    return root
