"""Rendering a 4096×4096 mockup with 20 layers on one core.

Builds 20 layers in memory — a background colour, then 19 generated images of
2048×2048 at different offsets, a third of them scaled, rotated or
perspective-warped, some masked with feathered shapes, in a mix of blend modes —
and times `pixref.mockup.render` against Pillow's plain ``Image.alpha_composite``
of the same 20 already-placed layers in the same process (the floor: normal mode,
8-bit, no placement, no masks).

    python benchmarks/mockup_render.py [--size 4096] [--layers 20] [--repeat 3]

Goal (issue 9): under 5 s on one core. Run it pinned, e.g. ``taskset -c 0``.
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from pixref.mockup import composite_rasters, document_from_dict, rasterize, render  # noqa: E402

MODES = ["normal", "multiply", "normal", "screen", "overlay", "normal", "soft_light",
         "color", "normal", "luminosity", "darken", "normal", "add", "hard_light", "normal",
         "difference", "normal", "lighten", "normal"]  # fmt: skip


def _source(side: int, seed: int) -> np.ndarray:
    """A smooth gradient with a soft alpha edge: image-like, not noise."""
    rows = np.linspace(0, 1, side, dtype=np.float32)[:, None]
    cols = np.linspace(0, 1, side, dtype=np.float32)[None, :]
    r, g, b = (seed * 37) % 255, (seed * 91) % 255, (seed * 53) % 255
    img = np.empty((side, side, 4), np.uint8)
    img[..., 0] = (r * rows + (255 - r) * cols).astype(np.uint8)
    img[..., 1] = (g * cols + (255 - g) * rows * cols).astype(np.uint8)
    img[..., 2] = np.uint8(b)
    edge = np.minimum(np.minimum(rows, 1 - rows), np.minimum(cols, 1 - cols))
    img[..., 3] = (np.clip(edge * 20, 0, 1) * 255).astype(np.uint8)
    return img


def build(size: int, count: int, resample: str = "bicubic"):
    side = size // 2
    layers: list[dict] = [{"name": "bg", "source": {"color": "#d8d0c0"}}]
    sources = {}
    for i in range(count - 1):
        key = f"src{i}.png"
        sources[f"path:{key}"] = _source(side, i + 1)
        layer: dict = {"name": f"layer {i + 1}", "source": {"path": key},
                       "x": (i * 211) % (size - side), "y": (i * 347) % (size - side),
                       "blend": MODES[i % len(MODES)], "opacity": 0.9}  # fmt: skip
        if i % 6 == 1:
            layer["scale"] = 1.3
        elif i % 6 == 3:
            layer["rotate"] = 12.5
        elif i % 6 == 5:
            x, y = layer["x"], layer["y"]
            layer["perspective"] = [[x, y + 50], [x + side, y], [x + side - 80, y + side],
                                    [x + 40, y + side - 30]]  # fmt: skip
        if i % 4 == 0:
            layer["mask"] = [{"shape": "ellipse", "points": [[0, 0], [side, side]], "feather": 12}]
        layers.append(layer)
    doc = document_from_dict(
        {"width": size, "height": size, "resample": resample, "layers": layers}
    )
    return doc, sources


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--layers", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--resample", default="bicubic", choices=["nearest", "bilinear", "bicubic"])
    args = ap.parse_args()
    doc, sources = build(args.size, args.layers, args.resample)

    t_render, image = _best(lambda: render(doc, sources), args.repeat)
    t_raster, rasters = _best(lambda: rasterize(doc, sources), args.repeat)
    t_comp, _ = _best(lambda: composite_rasters(doc, rasters), args.repeat)

    placed = [(Image.fromarray(r.masked_rgba()), (r.left, r.top)) for r in rasters.values() if r]

    def pillow():
        canvas = Image.new("RGBA", (args.size, args.size))
        for layer, dest in placed:
            canvas.alpha_composite(layer, dest=dest)
        return canvas

    t_pil, _ = _best(pillow, args.repeat)
    assert image.shape == (args.size, args.size, 4)
    print(f"{args.size}x{args.size}, {args.layers} layers, {args.resample}, "
          f"best of {args.repeat}, one core")  # fmt: skip
    print(f"  pixref render (place + mask + adjust + blend) {t_render:7.2f} s   goal < 5 s")
    print(f"    rasterize layers                            {t_raster:7.2f} s")
    print(f"    composite (W3C modes, float32 premul)       {t_comp:7.2f} s")
    print(f"  Pillow alpha_composite of the placed layers   {t_pil:7.2f} s")
    print(f"  ratio render / Pillow     {t_render / t_pil:6.1f}x")
    print(f"  ratio composite / Pillow  {t_comp / t_pil:6.1f}x")


if __name__ == "__main__":
    main()
