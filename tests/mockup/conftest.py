import json

import numpy as np
import pytest
from PIL import Image


def noise(rows, cols, seed, alpha=255):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (rows, cols, 4), dtype=np.uint8)
    img[..., 3] = alpha
    return img


@pytest.fixture
def workdir(tmp_path):
    """A folder with two source images, a mask image and a document using every feature."""
    a = noise(40, 50, 0)
    a[:6, :, 3] = 90  # a translucent band
    Image.fromarray(a).save(tmp_path / "a.png")
    Image.fromarray(noise(30, 30, 1)).save(tmp_path / "b.png")
    Image.new("L", (50, 40), 160).save(tmp_path / "m.png")
    doc = {
        "width": 96,
        "height": 64,
        "layers": [
            {"name": "sky", "source": {"color": "#336699"}},
            {"name": "arm", "source": {"path": "a.png"}, "x": 10, "y": 5, "opacity": 0.8,
             "blend": "multiply", "adjust": {"hue": 40, "levels": {"gamma": 1.5}},
             "mask": [{"shape": "ellipse", "points": [[0, 0], [50, 40]], "feather": 2},
                      {"shape": "image", "image": "m.png", "op": "intersect"}]},
            {"group": "leaves", "blend": "screen", "opacity": 0.7, "layers": [
                {"name": "leaf", "source": {"path": "b.png"}, "x": 40.5, "y": 20, "rotate": 20,
                 "scale": 0.7, "blend": "color", "flip_x": True},
                {"name": "glow", "source": {"color": "#ff000080", "size": [20, 20]},
                 "perspective": [[60, 2], [90, 8], [85, 40], [62, 30]], "blend": "add"}]},
            {"name": "hidden", "source": {"path": "b.png"}, "visible": False},
            {"name": "offcanvas", "source": {"path": "b.png"}, "x": 500},
        ],
    }  # fmt: skip
    (tmp_path / "fairy.pixmock.json").write_text(json.dumps(doc))
    return tmp_path
