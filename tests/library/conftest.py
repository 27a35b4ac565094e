import io
import os
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from pixref.library import open_library
from pixref.params import GenerationParams

# ../shared/data beside the checkout (PIXREF_SHARED_DATA overrides, e.g. in a git worktree).
SAMPLES = (
    Path(
        os.environ.get("PIXREF_SHARED_DATA")
        or Path(__file__).resolve().parents[3] / "shared" / "data"
    )
    / "metadata"
)


def png(color=(200, 40, 40), size=(8, 8), text: dict[str, str] | None = None) -> bytes:
    """A small PNG; ``text`` adds tEXt chunks (e.g. A1111 ``parameters``)."""
    info = PngInfo()
    for k, v in (text or {}).items():
        info.add_text(k, v)
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def infotext(
    prompt="a cute kitty wearing a hat",
    negative="visible ears",
    steps=20,
    sampler="Euler a",
    cfg=7,
    seed=1882829984,
    size="512x512",
) -> str:
    return (
        f"{prompt}\nNegative prompt: {negative}\nSteps: {steps}, Sampler: {sampler}, "
        f"Schedule type: Automatic, CFG scale: {cfg}, Seed: {seed}, Size: {size}, "
        "Model hash: 0724518c6b, Model: juggernautXL_v7Rundiffusion, Version: v1.9.0"
    )


def params(**kw) -> GenerationParams:
    base = dict(
        prompt="a cute kitty wearing a hat",
        negative_prompt="visible ears",
        steps=20,
        sampler="Euler a",
        cfg_scale=7,
        seed=1882829984,
        width=512,
        height=512,
        model="juggernautXL_v7Rundiffusion",
        model_hash="0724518c6b",
    )
    base.update(kw)
    return GenerationParams(**base)


_counter = [0]


def unique_png(**kw) -> bytes:
    """A PNG whose pixels differ from every other one made in this session."""
    _counter[0] += 1
    n = _counter[0]
    return png(color=(n % 256, (n // 256) % 256, 7), **kw)


@pytest.fixture
def lib(tmp_path):
    library = open_library(tmp_path / "library.db")
    yield library
    library.close()
