"""Library API benchmark (issue 10): ``GET /api/library`` vs. the library call it wraps.

Run: ``python benchmarks/library_api_bench.py [--n 10000] [--queries 300]``.

Fills an N-entry library (the same bulk filler as ``library_bench.py``), then times,
over the same random queries and in the same process:

- ``lib.search(query)`` alone (what ``pixref log search`` does), and
  ``lib.search`` + ``lib.count`` (the two calls the route makes, for ``total``);
- ``GET /api/library?q=WORD&limit=50`` through FastAPI's TestClient (parsing,
  connection pool, pydantic models, JSON, the ASGI round trip);
- the same with filters (``sampler``, ``cfg`` range);
- 200 concurrent searches from 16 threads (wall time, requests per second).

Figures are p50/p95 in milliseconds and the API's ratio to the direct call.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from library_bench import SAMPLERS, SUBJECTS, WORDS, fill, pct  # noqa: E402

from pixref.library import open_library, parse_query  # noqa: E402


def timed(fns, cases) -> list[list[float]]:
    """Time each of ``fns`` on every case, interleaved case by case (so a change in
    the machine's load hits all of them alike)."""
    out: list[list[float]] = [[] for _ in fns]
    for case in cases:
        for fn, times in zip(fns, out, strict=True):
            t = time.perf_counter()
            fn(case)
            times.append(time.perf_counter() - t)
    return out


def line(name: str, xs: list[float], base: list[float] | None = None) -> str:
    p50, p95 = 1e3 * statistics.median(xs), 1e3 * pct(xs, 0.95)
    text = f"{name:<44} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms"
    if base:
        r50, r95 = p50 / (1e3 * statistics.median(base)), p95 / (1e3 * pct(base, 0.95))
        text += f"  ({r50:.2f}x / {r95:.2f}x)"
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=300)
    args = ap.parse_args()
    rng = random.Random(10)
    work = Path(tempfile.mkdtemp(prefix="pixref-api-bench-"))
    os.environ["PIXREF_HOME"] = str(work)
    try:
        db = work / "library.db"
        t = time.perf_counter()
        fill(db, args.n, rng)
        print(f"filled {args.n} rows in {time.perf_counter() - t:.1f} s (setup)")
        words = [rng.choice(SUBJECTS + WORDS) for _ in range(args.queries)]
        filtered = [(w, rng.choice(SAMPLERS), rng.choice(["6..8", "5..7", "7..9"])) for w in words]

        from fastapi.testclient import TestClient

        from pixref.server import create_app

        with open_library(db) as lib, TestClient(create_app()) as client:
            for w in words[:20]:  # warm both: page cache, pool, FastAPI's first request
                lib.search(parse_query(w))
                client.get("/api/library", params={"q": w})

            def direct(w):
                lib.search(parse_query(w, limit=50))

            def direct_count(w):
                q = parse_query(w, limit=50)
                lib.search(q)
                lib.count(q)

            def api(w):
                r = client.get("/api/library", params={"q": w, "limit": 50})
                assert r.status_code == 200, r.text

            def direct_f(c):
                w, s, cfg = c
                q = parse_query(w, sampler=s, cfg=cfg, limit=50)
                lib.search(q)
                lib.count(q)

            def api_f(c):
                w, s, cfg = c
                r = client.get("/api/library", params={"q": w, "sampler": s, "cfg": cfg})
                assert r.status_code == 200, r.text

            hits = statistics.mean(
                client.get("/api/library", params={"q": w}).json()["total"] for w in words[:50]
            )
            d, dc, a = timed([direct, direct_count, api], words)
            df, af = timed([direct_f, api_f], filtered)
            print(f"q = one random word, {args.queries} queries, mean total {hits:.0f} matches")
            print(line("lib.search (newest 50)", d))
            print(line("lib.search + lib.count", dc))
            print(line("GET /api/library?q=...", a, dc))
            print(line("lib.search + count, + sampler + cfg range", df))
            print(line("GET /api/library?q=&sampler=&cfg=", af, df))

            t = time.perf_counter()
            with ThreadPoolExecutor(16) as pool:
                list(pool.map(api, words[:200]))
            wall = time.perf_counter() - t
            print(
                f"200 concurrent GET /api/library?q= from 16 threads: {wall:.2f} s "
                f"({200 / wall:.0f} requests/s; one at a time: {sum(a[:200]):.2f} s)"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
