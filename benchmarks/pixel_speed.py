"""Speed and memory of ``pixelize`` and ``snap`` on one core, against Pillow in the same process.

- pixelize: a 1024 × 1024 photo-like image → 128 px wide, 16 colours, for every
  downscale method, against Pillow's own BOX resize + median-cut quantize of the
  same image (the baseline of shared/reference/pixel-art.md §4.2). Goal: under 3×.
- snap: a 1024 × 1024 degraded upscale (128 × 128 art × 8, blur, JPEG) and a
  non-integer one (×7.3). Goal: under 0.3 s.
- memory: tracemalloc peak of each call divided by the input's size in bytes.

Threads are limited to one (BLAS/OpenMP variables and CPU affinity) before numpy
loads. Each timing is the median of 7 runs after a warm-up, baseline and pixref
interleaved so machine load affects both alike.

Usage: python benchmarks/pixel_speed.py
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

import io  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pixref.pixel import (  # noqa: E402
    PixelizeSettings,
    merge_similar_colors,
    pixelize,
    snap_to_grid,
)

RUNS = 7


def photo_like(size: int = 1024, seed: int = 0) -> np.ndarray:
    """Gradients, blobs, outlined shapes, thin lines, stripes, blur and noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    base = np.stack([0.3 + 0.5 * xx, 0.2 + 0.6 * yy, 0.6 - 0.4 * xx * yy], axis=2) * 255
    for _ in range(12):
        cy, cx, r = rng.uniform(0, 1, 2).tolist() + [rng.uniform(0.05, 0.2)]
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))[..., None]
        base = base * (1 - blob) + blob * rng.uniform(0, 255, 3)
    pil = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(pil)
    for _ in range(10):
        x0, y0 = rng.integers(0, size - 200, 2).tolist()
        box = [x0, y0, x0 + int(rng.integers(60, 200)), y0 + int(rng.integers(60, 200))]
        fill = tuple(rng.integers(0, 255, 3).tolist())
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(
            box, fill=fill, outline=(20, 20, 20), width=3
        )
    for width in (1, 2, 3, 5):
        x0, y0, x1, y1 = rng.integers(0, size, 4).tolist()
        draw.line([(x0, y0), (x1, y1)], fill=(10, 10, 10), width=width)
    stripes = np.asarray(pil).copy()
    stripes[700:800, 100:400] = ((np.arange(300) // 4) % 2 * 200)[None, :, None]
    pil = Image.fromarray(stripes).filter(ImageFilter.GaussianBlur(1.2))
    noisy = np.asarray(pil).astype(np.float32) + rng.normal(0, 6, (size, size, 3))
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)


def degraded_upscale(art_size: int, scale: float, seed: int = 1) -> np.ndarray:
    """Blocky random art, nearest-upscaled, blurred and JPEG-compressed, cropped to 1024²."""
    rng = np.random.default_rng(seed)
    art = rng.integers(0, 16, (-(-art_size // 4), -(-art_size // 4)))
    art = np.repeat(np.repeat(art, 4, 0), 4, 1)[:art_size, :art_size]  # 4 × 4 blobs ...
    flips = rng.random(art.shape) < 0.15  # ... plus single-pixel detail
    art[flips] = rng.integers(0, 16, int(flips.sum()))
    palette = rng.integers(0, 256, (16, 3)).astype(np.uint8)
    size = round(art_size * scale)
    big = Image.fromarray(palette[art]).resize((size, size), Image.Resampling.NEAREST)
    big = big.crop((3, 2, 1027, 1026)).filter(ImageFilter.GaussianBlur(0.8))
    buffer = io.BytesIO()
    big.save(buffer, "JPEG", quality=75)
    return np.asarray(Image.open(buffer).convert("RGB"))


def pil_baseline(image: np.ndarray) -> Image.Image:
    small = Image.fromarray(image).resize((128, 128), Image.Resampling.BOX)
    return small.quantize(16, method=Image.Quantize.MEDIANCUT)


def snap(image: np.ndarray) -> np.ndarray:
    result = snap_to_grid(image)
    return merge_similar_colors(result.art, threshold=result.merge_threshold)


def timed(functions: dict[str, callable]) -> dict[str, float]:
    for function in functions.values():
        function()
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(RUNS):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def peak_copies(function, image: np.ndarray) -> float:
    tracemalloc.start()
    function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / image.nbytes


def main() -> None:
    image = photo_like()
    print(f"input 1024x1024 RGB; {RUNS} runs, median; one thread, one CPU\n")
    print("| case | median s | vs Pillow box + median cut | peak memory (× input) |")
    print("|---|---|---|---|")
    methods = ["box", "nearest", "median", "dominant", "contrast"]
    functions = {"Pillow BOX resize + MEDIANCUT quantize (baseline)": lambda: pil_baseline(image)}
    for method in methods:
        settings = PixelizeSettings(width=128, colors=16, method=method)
        functions[f"pixelize --method {method}"] = lambda s=settings: pixelize(image, s)
    results = timed(functions)
    base = results["Pillow BOX resize + MEDIANCUT quantize (baseline)"]
    for name, seconds in results.items():
        memory = peak_copies(functions[name], image)
        print(f"| {name} | {seconds:.4f} | {seconds / base:.2f}× | {memory:.1f} |")
    for label, scale, art in (("×8", 8, 132), ("×7.3", 7.3, 141)):
        upscaled = degraded_upscale(art, scale)
        seconds = timed({"snap": lambda u=upscaled: snap(u)})["snap"]
        shape = snap(upscaled).shape
        memory = peak_copies(lambda u=upscaled: snap(u), upscaled)
        print(
            f"| snap 1024x1024 ({label}, blur+JPEG) → {shape[1]}x{shape[0]} | {seconds:.4f} "
            f"| – | {memory:.1f} |"
        )


if __name__ == "__main__":
    main()
