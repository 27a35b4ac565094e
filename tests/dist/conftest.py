"""A local Ray instance with 3 CPUs (one per actor) and tiny random SD 1.x checkpoints."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest

NAMES = ("tiny-a", "tiny-b", "tiny-c")


@pytest.fixture(scope="module")
def ray_cluster():
    """This process joined to a fresh local Ray instance; yields its GCS address.

    Per module, so Ray's processes are gone before the rest of the suite runs (idle,
    they still take CPU from timing-sensitive tests on a small machine)."""
    ray = pytest.importorskip("ray")
    pytest.importorskip("torch")
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """``models/Stable-diffusion/tiny-{a,b,c}``: three different tiny diffusers checkpoints;
    ``models/ControlNet/tiny_openpose``: a tiny random ControlNet for them."""
    pytest.importorskip("diffusers")
    from tests.engine import tiny

    root = tmp_path_factory.mktemp("dist-models")
    folder = root / "models" / "Stable-diffusion"
    folder.mkdir(parents=True)
    for seed, name in enumerate(NAMES):
        built = tiny.build("sd1", root / f"build-{name}", seed=seed)
        shutil.copytree(built.diffusers_dir, folder / name)
    controlnet = tiny.build_controlnet("sd1", root / "build-controlnet").diffusers_dir
    shutil.copytree(controlnet, root / "models" / "ControlNet" / "tiny_openpose")
    return SimpleNamespace(models_dir=root / "models", names=NAMES)


@pytest.fixture
def backend(ray_cluster, tiny_models):
    """Three CPU generation actors on the local Ray instance."""
    from pixref.dist import RayBackend

    started = RayBackend.start(
        ray_cluster, device="cpu", actors=3, models_dir=tiny_models.models_dir
    )
    yield started
    started.close()
