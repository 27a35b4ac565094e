"""Latency of ``POST /api/pixelize`` against calling the pixel stage directly.

A 1024 × 1024 photo-like PNG → 128 px wide, 16 k-means colours (box downscale):

- ``pixelize()``: the array function alone (the image already decoded);
- stage + PNG: decode the PNG bytes, ``pixelize``, encode the indexed PNG — what any
  front end must do at least;
- API: the request through FastAPI's TestClient (in process, no network): multipart
  upload, header probe, a CPU job on the queue's pool, decode, pixelize, encode,
  the file written to outputs/, the library entry, and the JSON answer;
- API ``?inline=true``: the same with the PNG returned as base64 in the JSON.

Threads are limited to one core as in ``pixel_speed.py``; each figure is the median
of 7 runs after a warm-up, the four interleaved so machine load affects all alike.
A private data home in a temporary folder holds the outputs and the library.

Usage: python benchmarks/server_pixelize.py
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

import io  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image, ImageFilter  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

RUNS = 7


def photo_like(size: int = 1024, seed: int = 0) -> bytes:
    """Smooth gradients and blobs with a little noise, as PNG bytes."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    base = np.stack([0.3 + 0.5 * xx, 0.2 + 0.6 * yy, 0.6 - 0.4 * xx * yy], axis=2) * 255
    for _ in range(12):
        cy, cx, r = rng.uniform(0, 1, 2).tolist() + [rng.uniform(0.05, 0.2)]
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))[..., None]
        base = base * (1 - blob) + blob * rng.uniform(0, 255, 3)
    base += rng.normal(0, 4, base.shape)
    pil = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8)).filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    pil.save(out, "PNG")
    return out.getvalue()


def main() -> None:
    os.environ["PIXREF_HOME"] = tempfile.mkdtemp(prefix="pixref-bench-")
    from fastapi.testclient import TestClient

    from pixref.pixel import PixelizeSettings, pixelize
    from pixref.pixel import io as pixel_io
    from pixref.server import ServerSettings, create_app

    png = photo_like()
    image = pixel_io.decode_image(png)
    settings = PixelizeSettings(width=128, colors=16)

    def direct() -> None:
        pixelize(image, settings)

    def stage_png() -> None:
        art = pixelize(pixel_io.decode_image(png), settings)
        pixel_io.encode_indexed_png(art, settings=settings.to_dict())

    client = TestClient(create_app(ServerSettings()))
    client.__enter__()

    def api(inline: bool):
        def call() -> None:
            r = client.post(
                f"/api/pixelize?inline={str(inline).lower()}",
                data={"width": "128", "colors": "16"},
                files={"image": ("photo.png", png, "image/png")},
            )
            assert r.status_code == 200, r.text

        return call

    cases = {
        "pixelize()": direct,
        "stage + PNG decode/encode": stage_png,
        "API": api(False),
        "API ?inline=true": api(True),
    }
    for fn in cases.values():  # warm-up
        fn()
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(RUNS):
        for name, fn in cases.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    client.__exit__(None, None, None)
    base = statistics.median(times["pixelize()"])
    print(f"1024x1024 PNG ({len(png) / 1e6:.2f} MB) -> 128 px, 16 colours; median of {RUNS}")
    print("| path | median | vs pixelize() | min |")
    print("|---|---|---|---|")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"| {name} | {med * 1000:.0f} ms | {med / base:.2f}x | {min(values) * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
