"""Runs the peer unfakers on the snap-quality cases. Executed by the PEERS' venv python.

Usage: python _snap_peers.py CASES.json OUT_DIR
CASES.json: [{"id", "path", "colors"}]. Writes OUT_DIR/<peer>/<id>.png and
OUT_DIR/peers.json with per-case seconds and errors. Only calls the peers'
public entry points with their documented options; none of their code is copied.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import sys
import time
import traceback
from pathlib import Path

import numpy as np
from PIL import Image


def run_perfect_pixel(rgb, colors):
    from perfect_pixel import get_perfect_pixel

    w, h, out = get_perfect_pixel(rgb, sample_method="majority")
    if w is None:
        raise RuntimeError("no grid found")
    return out


def run_proper_pixel_art(rgb, colors):
    from proper_pixel_art import pixelate

    return np.asarray(pixelate(Image.fromarray(rgb)).image.convert("RGB"))


def run_unfake(rgb, colors):
    from unfake import process_image

    result = asyncio.run(process_image(Image.fromarray(rgb), max_colors=min(colors, 256)))
    return np.asarray(result["image"].convert("RGB"))


def run_pixel_snapper(rgb, colors):
    from pixel_snapper import PixelSnapperConfig, process_image

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "PNG")
    config = PixelSnapperConfig(k_colors=min(colors, 256))
    out = process_image(buffer.getvalue(), config)
    return np.asarray(Image.open(io.BytesIO(bytes(out))).convert("RGB"))


def run_ai2pixelart(rgb, colors):
    from ai2pixelart import clean

    return clean(rgb).image


PEERS = {
    "perfect-pixel": run_perfect_pixel,
    "proper-pixel-art": run_proper_pixel_art,
    "unfake": run_unfake,
    "pixel-snapper": run_pixel_snapper,
    "ai2pixelart": run_ai2pixelart,
}


def main() -> None:
    logging.disable(logging.INFO)  # unfake logs every step
    cases = json.loads(Path(sys.argv[1]).read_text())
    out_dir = Path(sys.argv[2])
    report: dict = {}
    for name, run in PEERS.items():
        (out_dir / name).mkdir(parents=True, exist_ok=True)
        report[name] = {}
        for case in cases:
            rgb = np.asarray(Image.open(case["path"]).convert("RGB"))
            start = time.perf_counter()
            try:
                with contextlib.redirect_stdout(io.StringIO()):  # perfect-pixel prints
                    out = run(rgb, case["colors"])
                Image.fromarray(np.ascontiguousarray(out, dtype=np.uint8)).save(
                    out_dir / name / f"{case['id']}.png"
                )
                report[name][case["id"]] = {"seconds": time.perf_counter() - start}
            except Exception as exc:  # a peer failing is a result, not a crash
                report[name][case["id"]] = {
                    "error": f"{type(exc).__name__}: {exc}"[:200],
                    "trace": traceback.format_exc()[-400:],
                }
        print(name, "done", file=sys.stderr)
    (out_dir / "peers.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
