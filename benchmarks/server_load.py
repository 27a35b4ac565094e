"""A bounded load test of `pixref serve` on loopback (issue 10).

Starts a real server (uvicorn, one process) on a private data home holding a tiny
random SD 1.x model and a library of ``--entries`` logged images, then:

1. baseline: ``--searches`` concurrent ``GET /api/library?q=...`` and ``--pixelize``
   concurrent ``POST /api/pixelize`` with nothing else running;
2. under load: the same, while a long ``POST /sdapi/v1/txt2img`` runs, polling
   ``/sdapi/v1/progress`` to check the generation keeps moving.

Reports p50/p95 latency per request kind in both rounds (and their ratio), errors,
lost jobs (a pixelize job not ``done`` in ``GET /api/jobs``), and the generation's
progress samples.

    python benchmarks/server_load.py [--entries 2000] [--searches 200] [--pixelize 20]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WORDS = "kitty knight dragon castle forest potion sword slime wizard tavern".split()


def _library(entries: int) -> None:
    import numpy as np
    from PIL import Image

    from pixref.infotext import format_infotext
    from pixref.library import open_library, record_generation
    from pixref.params import GenerationParams

    rng = np.random.default_rng(0)
    with open_library() as lib:
        for i in range(entries):
            prompt = " ".join(rng.choice(WORDS, 4)) + ", pixel art"
            params = GenerationParams(prompt=prompt, seed=i, steps=20, width=64, height=64)
            image = Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
            buffer = io.BytesIO()
            image.save(buffer, "PNG")
            record_generation(lib, buffer.getvalue(), params=params,
                              infotext=format_infotext(params))  # fmt: skip


def _png(size: int) -> bytes:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(1)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


async def _timed(client, method: str, url: str, **kwargs) -> tuple[float, int]:
    start = time.perf_counter()
    response = await client.request(method, url, **kwargs)
    return time.perf_counter() - start, response.status_code


async def _burst(base: str, searches: int, pixelizes: int, png: bytes) -> dict[str, list]:
    import httpx

    limits = httpx.Limits(max_connections=searches + pixelizes)
    async with httpx.AsyncClient(base_url=base, timeout=300, limits=limits) as client:
        search = [
            _timed(client, "GET", "/api/library", params={"q": WORDS[i % len(WORDS)], "limit": 50})
            for i in range(searches)
        ]
        pixel = [
            _timed(
                client,
                "POST",
                "/api/pixelize",
                data={"widths": "32,48", "colors": "16"},
                files={"image": ("ref.png", png, "image/png")},
            )  # fmt: skip
            for _ in range(pixelizes)
        ]
        results = await asyncio.gather(*search, *pixel)
    return {"search": results[:searches], "pixelize": results[searches:]}


def _stats(samples: list[tuple[float, int]]) -> tuple[float, float, int]:
    times = sorted(t * 1000 for t, _ in samples)
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return statistics.median(times), p95, sum(1 for _, code in samples if code != 200)


def _generate_in_background(base: str, steps: int, size: int, out: dict) -> threading.Thread:
    import httpx

    def run() -> None:
        body = {"prompt": "a knight, pixel art", "steps": steps, "width": size, "height": size,
                "seed": 1, "sampler_name": "Euler a"}  # fmt: skip
        start = time.perf_counter()
        response = httpx.post(base + "/sdapi/v1/txt2img", json=body, timeout=900)
        out["status"], out["seconds"] = response.status_code, time.perf_counter() - start

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--pixelize", type=int, default=20)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()

    import httpx

    from pixref.home import set_home
    from pixref.server import ServerSettings
    from tests.engine import tiny
    from tests.live_server import live_server

    home = Path(tempfile.mkdtemp(prefix="pixref-load-"))
    os.environ["PIXREF_HOME"] = str(home)
    set_home(None)
    model = tiny.build("sd1", home / "build")
    shutil.copytree(model.diffusers_dir, home / "models" / "Stable-diffusion" / "tiny-sd1")
    start = time.perf_counter()
    _library(args.entries)
    print(f"library: {args.entries} entries in {time.perf_counter() - start:.1f} s")
    png = _png(256)
    with live_server(ServerSettings(models_dir=home / "models")) as base:
        httpx.post(
            base + "/sdapi/v1/txt2img", json={"steps": 1, "width": 64, "height": 64}, timeout=300
        )  # fmt: skip  (loads the model before timing)
        single = [asyncio.run(_burst(base, 1, 0, png))["search"][0] for _ in range(50)]
        baseline = asyncio.run(_burst(base, args.searches, args.pixelize, png))
        generation: dict = {}
        thread = _generate_in_background(base, args.steps, args.size, generation)
        progress = []
        while len(progress) < 3 or progress[-1] == 0:
            progress.append(httpx.get(base + "/sdapi/v1/progress").json()["progress"])
            time.sleep(0.2)
        loaded = asyncio.run(_burst(base, args.searches, args.pixelize, png))
        after = httpx.get(base + "/sdapi/v1/progress").json()["progress"]
        thread.join()
        jobs = httpx.get(base + "/api/jobs").json()
    lost = [j["id"] for j in jobs if j["kind"] == "pixelize" and j["state"] != "done"]
    s50, s95, _ = _stats(single)
    print(f"one search at a time (50): p50 {s50:.1f} ms  p95 {s95:.1f} ms")
    print(f"{args.searches} searches + {args.pixelize} pixelize, concurrent, on loopback")
    for kind in ("search", "pixelize"):
        b50, b95, b_err = _stats(baseline[kind])
        l50, l95, l_err = _stats(loaded[kind])
        print(f"  {kind:9} alone:       p50 {b50:7.1f} ms  p95 {b95:7.1f} ms  errors {b_err}")
        print(f"  {kind:9} generating:  p50 {l50:7.1f} ms  p95 {l95:7.1f} ms  errors {l_err}"
              f"  (p50 x{l50 / b50:.2f})")  # fmt: skip
    print(f"  generation: {generation.get('status')} in {generation.get('seconds', 0):.1f} s; "
          f"progress {progress[-1]:.2f} before the burst, {after:.2f} after")  # fmt: skip
    print(f"  jobs: {sum(1 for j in jobs if j['kind'] == 'pixelize')} pixelize jobs, lost {lost}")
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
