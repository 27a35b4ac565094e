"""Reading the metadata of 10,000 A1111 PNGs on one core.

Makes a folder of small PNGs carrying real A1111 infotexts, then times
``pixref.metadata.read_metadata`` over all of them against Pillow's own
``Image.open(path).text`` in the same process.

    python benchmarks/metadata_read.py [--count 10000]

Goal (issue 2): under 10 s for 10,000 files on one core.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from pixref.infotext import format_infotext
from pixref.metadata import read_metadata
from pixref.params import ControlNetUnit, GenerationParams


def _params(i: int) -> GenerationParams:
    return GenerationParams(
        prompt=f"pixel art knight #{i}, (armor:1.2), [blurry], castle background, dusk",
        negative_prompt="lowres, watermark, text",
        steps=20 + i % 10,
        sampler=("Euler a", "DPM++ 2M", "DPM++ SDE")[i % 3],
        schedule_type=("Automatic", "Karras")[i % 2],
        cfg_scale=7,
        seed=1882829984 + i,
        width=512,
        height=768,
        model="v1-5-pruned-emaonly",
        model_hash="6ce0161689",
        controlnets=(ControlNetUnit(module="openpose_full", model="control_v11p_sd15_openpose"),)
        if i % 4 == 0
        else (),
        version="v1.10.1",
    )


def make_folder(folder: Path, count: int) -> list[Path]:
    paths = []
    # A real 64x64 image body (noise compresses poorly, like a real image's IDAT).
    image = Image.effect_noise((64, 64), 64).convert("RGB")
    for i in range(count):
        path = folder / f"{i:05d}.png"
        info = PngInfo()
        info.add_text("parameters", format_infotext(_params(i)))
        image.save(path, pnginfo=info)
        paths.append(path)
    return paths


def _time(label: str, func, paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        func(path)
    elapsed = time.perf_counter() - start
    print(f"{label:44} {elapsed:7.2f} s  ({elapsed / len(paths) * 1e6:6.0f} µs/file)")
    return elapsed


def _pillow_text(path: Path) -> str:
    with Image.open(path) as image:
        return image.text.get("parameters", "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_folder(Path(tmp), args.count)
        # Warm the page cache so both readers see the same disk state.
        for path in paths:
            path.read_bytes()
        base = _time("Pillow Image.open().text (chunk text only)", _pillow_text, paths)
        ours = _time("pixref read_metadata (text + parsed params)", read_metadata, paths)
        print(f"ratio pixref / Pillow: {ours / base:.2f}x; goal: {args.count} files < 10 s")


if __name__ == "__main__":
    main()
