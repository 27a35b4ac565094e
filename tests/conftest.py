from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def shared_data():
    """`../shared/data` beside the checkout; tests using it skip cleanly when it is absent."""
    path = SHARED / "data"
    if not path.is_dir():
        pytest.skip("../shared/data is not beside this checkout")
    return path


@pytest.fixture(autouse=True)
def _private_data_home(tmp_path_factory, monkeypatch):
    """No test writes to the user's real data home (library, outputs, hash cache)."""
    from pixref.home import set_home

    monkeypatch.setenv("PIXREF_HOME", str(tmp_path_factory.mktemp("home")))
    set_home(None)
    yield
    set_home(None)
