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
