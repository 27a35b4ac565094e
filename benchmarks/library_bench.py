"""Library benchmarks: import, incremental import, search and open+list (issue 7).

Run: ``python benchmarks/library_bench.py [--import-n 10000] [--search-n 100000]``.
Each figure is printed with a baseline measured in the same process, on the same
data, and the ratio to it:

- import of N small A1111 PNGs (real infotexts, made here) vs. a plain copy of
  the same files; a second (incremental) run vs. a bare walk + stat of the tree;
- search (text + two filters) over M entries, p50/p95 over many queries, vs. a
  bare ``SELECT ... LIKE`` with the same filters;
- open an M-entry library and list the newest 50 vs. a bare connect + SELECT.

The M-entry library for search is filled by one bulk transaction through the same
row builder `Library` uses (FTS triggers included), not through `Library.add`, so
the benchmark does not spend minutes writing 100,000 image files.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from PIL import Image  # noqa: E402
from PIL.PngImagePlugin import PngInfo  # noqa: E402

from pixref.infotext import format_infotext  # noqa: E402
from pixref.library import Query, Range, import_folders, open_library  # noqa: E402
from pixref.library._entry import params_columns  # noqa: E402
from pixref.params import GenerationParams  # noqa: E402

SUBJECTS = [
    "kitty",
    "fairy",
    "dragonfly",
    "knight",
    "witch",
    "robot",
    "fox",
    "castle",
    "forest",
    "dragon",
    "mermaid",
    "owl",
    "samurai",
    "wizard",
    "tree",
    "ship",
    "girl",
    "boy",
    "cat",
    "dog",
    "frog",
    "mushroom",
    "temple",
    "city",
]
WORDS = [
    "cute",
    "tiny",
    "wearing",
    "hat",
    "wings",
    "leaf",
    "water",
    "droplets",
    "sunset",
    "portrait",
    "full",
    "body",
    "pose",
    "flying",
    "sitting",
    "standing",
    "smiling",
    "detailed",
    "soft",
    "light",
    "dramatic",
    "colorful",
    "pastel",
    "dark",
    "bright",
    "pixel",
    "art",
    "sprite",
    "isometric",
    "side",
    "view",
    "front",
    "back",
    "night",
    "day",
    "rain",
    "snow",
    "glowing",
    "magic",
    "armor",
    "dress",
    "cloak",
    "sword",
    "staff",
    "flower",
    "crown",
    "red",
    "blue",
    "green",
    "golden",
    "silver",
    "purple",
]
SAMPLERS = ["Euler a", "Euler", "DPM++ 2M", "DPM++ SDE", "DDIM", "UniPC", "Heun", "LMS"]
SCHEDULES = ["Automatic", "Karras", "Exponential"]
MODELS = [
    "juggernautXL_v7Rundiffusion",
    "anythingV3_fp16",
    "pixelArtDiffusion_v1",
    "dreamshaper_8",
    "sdxl_base_1.0",
]
NEGATIVES = ["visible ears", "blurry, lowres", "bad hands, extra fingers", "", "text, watermark"]


def random_params(rng: random.Random) -> GenerationParams:
    words = [rng.choice(SUBJECTS)] + rng.sample(WORDS, rng.randint(5, 14))
    if rng.random() < 0.1:
        words.append(f"<lora:pixelart_v{rng.randint(1, 5)}:0.8>")
    return GenerationParams(
        prompt=" ".join(words[:2]) + ", " + ", ".join(words[2:]),
        negative_prompt=rng.choice(NEGATIVES),
        steps=rng.choice([20, 20, 25, 30, 40]),
        sampler=rng.choice(SAMPLERS),
        schedule_type=rng.choice(SCHEDULES),
        cfg_scale=rng.choice([5, 6, 6.5, 7, 7, 7.5, 8, 9, 11]),
        seed=rng.randrange(2**32),
        width=rng.choice([512, 768, 1024]),
        height=rng.choice([512, 768, 1024]),
        model=rng.choice(MODELS),
        model_hash=f"{rng.randrange(16**10):010x}",
        version="v1.10.1",
    )


def make_pngs(folder: Path, n: int, rng: random.Random) -> list[Path]:
    out = []
    for i in range(n):
        sub = folder / f"2026-11-{1 + i // 1000:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        p = random_params(rng)
        info = PngInfo()
        info.add_text("parameters", format_infotext(p))
        buf = io.BytesIO()
        Image.new("RGB", (16, 16), (i % 256, (i // 256) % 256, (i // 65536) % 256)).save(
            buf, "PNG", pnginfo=info, compress_level=1
        )
        path = sub / f"{i:05d}-{p.seed}.png"
        path.write_bytes(buf.getvalue())
        out.append(path)
    return out


def bench_import(work: Path, n: int, rng: random.Random) -> dict[str, float]:
    src = work / "outputs"
    t = time.perf_counter()
    files = make_pngs(src, n, rng)
    made = time.perf_counter() - t
    # Baseline: copy every file (read + write, no fsync: what `cp -r` does).
    (work / "copy").mkdir()
    t = time.perf_counter()
    for i, f in enumerate(files):
        shutil.copyfile(f, work / "copy" / f"{i}.png")
    copy_s = time.perf_counter() - t
    with open_library(work / "lib" / "library.db") as lib:
        t = time.perf_counter()
        report = import_folders(lib, [src])
        import_s = time.perf_counter() - t
        assert len(report.added) == n, (len(report.added), report.skipped[:3])
        # Baseline for the incremental run: walk and stat the same tree.
        t = time.perf_counter()
        for dirpath, _dirs, names in os.walk(src):
            for name in names:
                os.stat(os.path.join(dirpath, name))
        walk_s = time.perf_counter() - t
        t = time.perf_counter()
        again = import_folders(lib, [src])
        incremental_s = time.perf_counter() - t
        assert again.unchanged == n and not again.added
    return {
        "made_s": made,
        "copy_s": copy_s,
        "import_s": import_s,
        "walk_s": walk_s,
        "incremental_s": incremental_s,
    }


def fill(path: Path, n: int, rng: random.Random) -> None:
    """Bulk-insert n rows through the same column builder `Library` uses."""
    with open_library(path) as lib:
        db = lib.store.db
        db.execute("BEGIN")
        cols = None
        for i in range(n):
            p = random_params(rng)
            row = {
                "image_hash": f"{i:064x}",
                "file": f"images/00/{i:064x}.png",
                "linked": 0,
                "bytes": 600,
                "width": p.width,
                "height": p.height,
                "kind": "generation" if i % 5 else "import",
                "generator": "pixref" if i % 5 else "A1111",
                "source_path": None,
                "filename": f"{i:05d}-{p.seed}.png",
                "created_utc": f"2026-{1 + i * 11 // n:02d}-{1 + i % 28:02d}T"
                f"{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}Z",
                "added_utc": "2026-11-26T00:00:00Z",
                "infotext": format_infotext(p),
                "raw_json": None,
                "note": "",
                "tags": "fairy" if i % 50 == 0 else "",
                "rating": i % 6 if i % 7 == 0 else 0,
                "keep": int(i % 11 == 0),
                **params_columns(p),
            }
            if cols is None:
                cols = list(row)
                sql = (
                    f"INSERT INTO entries ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
                )
            db.execute(sql, [row[c] for c in cols])
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("ANALYZE")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def bench_search(path: Path, rng: random.Random, queries: int = 300) -> dict[str, float]:
    cases = []
    for _ in range(queries):
        cases.append(
            (
                rng.choice(SUBJECTS + WORDS),
                rng.choice(SAMPLERS),
                rng.choice([(6, 8), (5, 7), (7, 9)]),
            )
        )
    ours, base, hits = [], [], []
    with open_library(path) as lib:
        db = lib.store.db
        for word, sampler, (lo, hi) in cases:
            q = Query(text=word, sampler=sampler, cfg=Range(lo, hi), limit=50)
            t = time.perf_counter()
            found = lib.search(q)
            ours.append(time.perf_counter() - t)
            hits.append(len(found))
            t = time.perf_counter()
            db.execute(
                "SELECT * FROM entries WHERE deleted_utc IS NULL AND prompt LIKE ? AND sampler = ?"
                " AND cfg_scale BETWEEN ? AND ? ORDER BY created_utc DESC LIMIT 50",
                (f"%{word}%", sampler, lo, hi),
            ).fetchall()
            base.append(time.perf_counter() - t)
        ranked = []
        for word, sampler, (lo, hi) in cases[:100]:
            t = time.perf_counter()
            lib.search(Query(text=word, sampler=sampler, cfg=Range(lo, hi), order="rank"))
            ranked.append(time.perf_counter() - t)
    return {
        "p50_ms": 1e3 * statistics.median(ours),
        "p95_ms": 1e3 * pct(ours, 0.95),
        "base_p50_ms": 1e3 * statistics.median(base),
        "base_p95_ms": 1e3 * pct(base, 0.95),
        "rank_p95_ms": 1e3 * pct(ranked, 0.95),
        "mean_hits": statistics.mean(hits),
    }


def bench_open_list(path: Path, repeats: int = 30) -> dict[str, float]:
    ours, base = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        with open_library(path) as lib:
            entries = lib.search(Query(limit=50))
        ours.append(time.perf_counter() - t)
        assert len(entries) == 50
        t = time.perf_counter()
        db = sqlite3.connect(path)
        db.execute("SELECT * FROM entries ORDER BY created_utc DESC, id DESC LIMIT 50").fetchall()
        db.close()
        base.append(time.perf_counter() - t)
    return {
        "p50_ms": 1e3 * statistics.median(ours),
        "p95_ms": 1e3 * pct(ours, 0.95),
        "base_p50_ms": 1e3 * statistics.median(base),
        "base_p95_ms": 1e3 * pct(base, 0.95),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--import-n", type=int, default=10_000)
    ap.add_argument("--search-n", type=int, default=100_000)
    ap.add_argument("--work", type=Path, default=None, help="Scratch folder (default: a temp dir).")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))[:2]
        os.sched_setaffinity(0, cpus)
        print(f"pinned to CPUs {cpus}")
    rng = random.Random(7)
    work = Path(tempfile.mkdtemp(prefix="pixref-bench-", dir=args.work))
    try:
        r = bench_import(work, args.import_n, rng)
        print(f"made {args.import_n} A1111 PNGs in {r['made_s']:.1f} s (setup, not timed)")
        print(
            f"import {args.import_n}: {r['import_s']:.2f} s (goal < 30 s); plain copy "
            f"{r['copy_s']:.2f} s; ratio {r['import_s'] / r['copy_s']:.1f}x"
        )
        print(
            f"incremental re-import: {r['incremental_s']:.2f} s (goal < 3 s); walk+stat "
            f"{r['walk_s']:.2f} s; ratio {r['incremental_s'] / r['walk_s']:.1f}x"
        )
        db = work / "big" / "library.db"
        t = time.perf_counter()
        fill(db, args.search_n, rng)
        print(f"filled {args.search_n} rows in {time.perf_counter() - t:.1f} s (setup)")
        s = bench_search(db, rng)
        print(
            f"search text + sampler + cfg range over {args.search_n}: p50 {s['p50_ms']:.2f} ms, "
            f"p95 {s['p95_ms']:.2f} ms (goal < 20 ms); bare LIKE SELECT p50 "
            f"{s['base_p50_ms']:.2f} ms, p95 {s['base_p95_ms']:.2f} ms; ratio p95 "
            f"{s['p95_ms'] / s['base_p95_ms']:.2f}x; ranked (bm25) p95 {s['rank_p95_ms']:.2f}"
            f" ms; mean hits {s['mean_hits']:.1f}"
        )
        o = bench_open_list(db)
        print(
            f"open {args.search_n}-entry library + newest 50: p50 {o['p50_ms']:.2f} ms, p95 "
            f"{o['p95_ms']:.2f} ms (goal < 100 ms); bare connect+SELECT p50 "
            f"{o['base_p50_ms']:.2f} ms, p95 {o['base_p95_ms']:.2f} ms; ratio p95 "
            f"{o['p95_ms'] / o['base_p95_ms']:.1f}x"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
