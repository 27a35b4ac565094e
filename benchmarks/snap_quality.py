"""Snap quality on degraded pseudo pixel art: pixref vs an oracle and the peer unfakers.

Protocol (issue 3): from each image in ``../shared/data/pixelart/`` take a crop of at
most 64 × 64 art pixels (the most colourful window), composite transparency onto a
flat background, then per case: nearest upscale by a scale drawn from 6–11 (about
half non-integer), Gaussian blur σ 0.6–1.0, crop 0–5 px from the top and left (the
first row and column become partial cells), Gaussian noise σ 1–3 (0–255 units) and
JPEG quality 70–80. Seeds are fixed, so the cases are the same on every run.

Scores per method: exact recovered size, and pixel accuracy = the share of the
original's pixels equal to the output pixel after mapping every output pixel to the
nearest colour of the original's palette, at the best alignment (shift −2..2 per
axis); missing rows/columns count as misses. The oracle knows the true scale and
crop and takes the 3 × 3 median at each cell centre.

Peers run in a separate venv (``--peers-python``, e.g. /work/peers-venv/bin/python
with perfect-pixel, proper-pixel-art, unfake, pixel-snapper, ai2pixelart from PyPI)
through ``_snap_peers.py``; a peer that fails shows its failures in the table.

Usage (the peers never go into the project's environment)::

    python3 -m venv /work/peers-venv
    /work/peers-venv/bin/pip install perfect-pixel proper-pixel-art unfake pixel-snapper ai2pixelart
    python benchmarks/snap_quality.py --peers-python /work/peers-venv/bin/python
    python benchmarks/snap_quality.py --seed 777          # another draw, pixref + oracle only

Case images and the peers' outputs go to ``bench-out/snap_quality/`` (git-ignored);
``--reuse-peers`` skips re-running the peers when the cases are unchanged.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from pixref.pixel import PixelError, merge_similar_colors, snap_to_grid  # noqa: E402

SCALES = [6, 6.5, 7, 7.5, 8, 8.6, 9, 9.4, 10, 10.7, 11]
BACKGROUND = (96, 96, 104)
CROP = 64


def find_pixelart() -> Path:
    for folder in REPO.parents:
        if (folder / "shared/data/pixelart").is_dir():
            return folder / "shared/data/pixelart"
    raise SystemExit("shared/data/pixelart not found beside the repository")


def colourful_window(rgb: np.ndarray) -> np.ndarray:
    """The CROP × CROP window (stride 16) with the most distinct colours."""
    rows, cols = rgb.shape[:2]
    best, best_count = rgb[:CROP, :CROP], -1
    for top in range(0, max(1, rows - CROP + 1), 16):
        for left in range(0, max(1, cols - CROP + 1), 16):
            window = rgb[top : top + CROP, left : left + CROP]
            count = len(np.unique(window.reshape(-1, 3), axis=0))
            if count > best_count:
                best, best_count = window, count
    return best


def load_truth(path: Path) -> np.ndarray:
    rgba = np.asarray(Image.open(path).convert("RGBA")).astype(np.float32)
    alpha = rgba[..., 3:] / 255
    rgb = np.rint(rgba[..., :3] * alpha + np.array(BACKGROUND) * (1 - alpha)).astype(np.uint8)
    return np.ascontiguousarray(colourful_window(rgb))


def make_case(truth: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    scale = float(rng.choice(SCALES))
    blur = float(rng.uniform(0.6, 1.0))
    crop = (int(rng.integers(0, 6)), int(rng.integers(0, 6)))
    noise = float(rng.uniform(1.0, 3.0))
    quality = int(rng.integers(70, 81))
    rows, cols = truth.shape[:2]
    size = (round(cols * scale), round(rows * scale))
    big = Image.fromarray(truth).resize(size, Image.Resampling.NEAREST)
    big = big.crop((crop[1], crop[0], size[0], size[1])).filter(ImageFilter.GaussianBlur(blur))
    arr = np.asarray(big).astype(np.float32) + rng.normal(0, noise, (big.height, big.width, 3))
    buffer = io.BytesIO()
    Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8)).save(
        buffer, "JPEG", quality=quality
    )
    degraded = np.asarray(Image.open(buffer).convert("RGB"))
    params = {"scale": scale, "blur": blur, "crop": crop, "noise": noise, "jpeg": quality}
    return degraded, params


def oracle(image: np.ndarray, truth_shape: tuple[int, int], scale: float, crop) -> np.ndarray:
    """Median of the 3 × 3 block at each true cell centre (knows scale and crop)."""
    out = np.zeros(truth_shape + (3,), np.uint8)
    centres = [
        np.clip(np.floor((np.arange(n) + 0.5) * scale).astype(int) - c, 1, length - 2)
        for n, c, length in zip(truth_shape, crop, image.shape[:2], strict=True)
    ]
    for i, y in enumerate(centres[0]):
        for j, x in enumerate(centres[1]):
            out[i, j] = np.median(image[y - 1 : y + 2, x - 1 : x + 2].reshape(-1, 3), axis=0)
    return out


def score(output: np.ndarray | None, truth: np.ndarray) -> tuple[bool, float]:
    """(exact size, accuracy) as described in the module docstring."""
    if output is None:
        return False, 0.0
    palette = np.unique(truth.reshape(-1, 3), axis=0).astype(np.int32)
    flat = output[..., :3].reshape(-1, 3).astype(np.int32)
    nearest = np.empty(len(flat), np.intp)
    for start in range(0, len(flat), 4096):
        chunk = flat[start : start + 4096]
        nearest[start : start + 4096] = ((chunk[:, None] - palette[None]) ** 2).sum(-1).argmin(1)
    mapped = palette[nearest].reshape(output.shape[:2] + (3,))
    rows, cols = truth.shape[:2]
    best = 0
    for dy in range(-2, 3):
        for dx in range(-2, 3):
            t = truth[max(0, dy) : rows, max(0, dx) : cols]
            o = mapped[max(0, -dy) :, max(0, -dx) :]
            h, w = min(t.shape[0], o.shape[0]), min(t.shape[1], o.shape[1])
            best = max(best, int((t[:h, :w] == o[:h, :w]).all(axis=2).sum()))
    return output.shape[:2] == truth.shape[:2], best / (rows * cols)


def run_pixref(image: np.ndarray) -> np.ndarray:
    result = snap_to_grid(image)
    return merge_similar_colors(result.art, threshold=result.merge_threshold)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--peers-python", help="python of the venv holding the peers")
    parser.add_argument("--cases-per-image", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261126, help="seed of the cases")
    parser.add_argument(
        "--reuse-peers", action="store_true", help="reuse the peers' outputs of a previous run"
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench-out" / "snap_quality")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    cases, truths, params = [], {}, {}
    for path in sorted(find_pixelart().glob("*.png")):
        truth = load_truth(path)
        for k in range(args.cases_per_image):
            case_id = f"{path.stem}-{k}"
            degraded, p = make_case(truth, rng)
            case_path = args.out / "cases" / f"{case_id}.png"
            case_path.parent.mkdir(exist_ok=True)
            Image.fromarray(degraded).save(case_path)
            colors = len(np.unique(truth.reshape(-1, 3), axis=0))
            cases.append({"id": case_id, "path": str(case_path), "colors": colors})
            truths[case_id], params[case_id] = truth, p
    rows: dict[str, list] = {"oracle": [], "pixref snap": []}
    seconds: dict[str, list] = {"oracle": [], "pixref snap": []}
    for case in cases:
        image = np.asarray(Image.open(case["path"]).convert("RGB"))
        truth, p = truths[case["id"]], params[case["id"]]
        start = time.perf_counter()
        rows["oracle"].append(score(oracle(image, truth.shape[:2], p["scale"], p["crop"]), truth))
        seconds["oracle"].append(time.perf_counter() - start)
        start = time.perf_counter()
        try:
            out = run_pixref(image)
        except PixelError:
            out = None
        seconds["pixref snap"].append(time.perf_counter() - start)
        rows["pixref snap"].append(score(out, truth))
    errors: dict[str, int] = {}
    if args.peers_python:
        previous = args.out / "cases.json"
        same = previous.exists() and json.loads(previous.read_text()) == cases
        previous.write_text(json.dumps(cases))
        if not (args.reuse_peers and same and (args.out / "peers" / "peers.json").exists()):
            subprocess.run(
                [args.peers_python, str(Path(__file__).with_name("_snap_peers.py")),
                 str(args.out / "cases.json"), str(args.out / "peers")],
                check=True,
            )  # fmt: skip
        report = json.loads((args.out / "peers" / "peers.json").read_text())
        for peer, results in report.items():
            rows[peer], seconds[peer], errors[peer] = [], [], 0
            for case in cases:
                entry = results[case["id"]]
                output = None
                if "error" in entry:
                    errors[peer] += 1
                else:
                    output = np.asarray(Image.open(args.out / "peers" / peer / f"{case['id']}.png"))
                    seconds[peer].append(entry["seconds"])
                rows[peer].append(score(output, truths[case["id"]]))
    print_table(rows, seconds, errors, len(cases), params, cases)


def print_table(rows, seconds, errors, n, params, cases) -> None:
    integer = [params[c["id"]]["scale"] == int(params[c["id"]]["scale"]) for c in cases]
    print(f"{n} cases ({sum(integer)} integer scale, {n - sum(integer)} non-integer)\n")
    print("| method | exact size | mean accuracy % | min % | integer-scale acc % | "
          "non-integer acc % | failed runs | s/case |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for name, results in rows.items():
        exact = sum(r[0] for r in results)
        acc = np.array([r[1] for r in results]) * 100
        ints = acc[np.array(integer)]
        nonints = acc[~np.array(integer)]
        secs = np.median(seconds[name]) if seconds[name] else float("nan")
        print(
            f"| {name} | {exact}/{n} ({100 * exact / n:.0f}%) | {acc.mean():.1f} | {acc.min():.1f}"
            f" | {ints.mean():.1f} | {nonints.mean():.1f} | {errors.get(name, 0)} | {secs:.3f} |"
        )


if __name__ == "__main__":
    main()
