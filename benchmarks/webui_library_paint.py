"""Library page first paint (issue 11): how long until the thumbnails are on screen.

Run: ``python benchmarks/webui_library_paint.py [--n 10000] [--runs 7]`` (needs
Playwright and a chromium on PATH, e.g. Debian's ``chromium``).

Builds an N-entry library in a temporary data home with `record_generation` (small
distinct PNGs with real infotexts; the per-file fsync is skipped while filling, which
only makes the setup faster), starts the real server on loopback
(`tests.live_server.live_server`) and loads ``/#/library`` in headless chromium at
1280x800, a fresh browser context (empty cache) each run. The figure is the page's own
``pixref:library-thumbnails-painted`` mark: milliseconds from navigation start until
every thumbnail in view has loaded and a frame has been drawn after. Printed:

- cold: the first run, when the server makes each thumbnail on request;
- warm: the median (and max) of the next runs (thumbnails cached on the server's disk,
  not in the browser);
- jump: scrolling straight to the middle of the list (offset N/2) until those tiles'
  thumbnails are loaded, milliseconds from the scroll;
- reload: the page loaded again in the same browser, whose cache keeps thumbnails
  (their URLs carry the image hash and are served ``immutable``);
- DOM: how many tiles exist (only the rows in view and two above and below).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

MARK = "pixref:library-thumbnails-painted"
SUBJECTS = ["kitty", "fairy", "knight", "fox", "owl", "witch", "robot", "dragon"]
SAMPLERS = ["Euler a", "DPM++ 2M", "Euler", "DDIM"]


def png(i: int) -> bytes:
    """A 64x64 PNG with a few coloured blocks of its own."""
    im = Image.new("RGB", (64, 64), (i % 251, (i * 7) % 253, (i * 13) % 255))
    for k in range(4):
        x, y = (i * (k + 3)) % 48, (i * (k + 5)) % 48
        im.paste(((i * 31 + k * 60) % 256, (k * 80) % 256, (i * 3) % 256), (x, y, x + 16, y + 16))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def fill(n: int) -> None:
    from pixref.infotext import format_infotext
    from pixref.library import open_library, record_generation
    from pixref.params import GenerationParams

    fsync = os.fsync
    os.fsync = lambda fd: None  # setup speed only: durability is not what is measured
    try:
        with open_library() as lib:
            for i in range(n):
                p = GenerationParams(
                    prompt=f"pixel art {SUBJECTS[i % len(SUBJECTS)]}, full body, {i}",
                    negative_prompt="blurry",
                    sampler=SAMPLERS[i % len(SAMPLERS)],
                    cfg_scale=5 + i % 5,
                    steps=20 + i % 3 * 5,
                    seed=1000 + i,
                    width=64,
                    height=64,
                )
                record_generation(lib, png(i), params=p, infotext=format_infotext(p))
    finally:
        os.fsync = fsync


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("no chromium on PATH")


def load_once(browser, url: str) -> tuple[float, int, float, float]:
    """(ms to the paint mark, tiles in the DOM, ms from a jump to mid-list to its
    thumbnails, ms to the paint mark on reloading the page in the same browser)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(url + "/#/library")
        page.wait_for_function(f"performance.getEntriesByName('{MARK}').length > 0", timeout=60_000)
        painted = page.evaluate(f"performance.getEntriesByName('{MARK}')[0].startTime")
        tiles = page.locator("#library .tile").count()
        jump = page.evaluate(
            """() => new Promise((resolve) => {
              const grid = document.querySelector('#library .vgrid');
              const start = performance.now();
              grid.scrollTop = grid.scrollHeight / 2;
              const check = () => {
                const view = grid.getBoundingClientRect();
                const tiles = [...grid.querySelectorAll('.tile')].filter((t) => {
                  const b = t.getBoundingClientRect();
                  return b.bottom > view.top && b.top < view.bottom;
                });
                const done = tiles.length && tiles.every((t) => {
                  const img = t.querySelector('img');
                  return img && img.complete && img.naturalWidth > 0;
                });
                if (done) requestAnimationFrame(() => resolve(performance.now() - start));
                else requestAnimationFrame(check);
              };
              requestAnimationFrame(check);
            })"""
        )
        page.goto(url + "/#/generate")
        page.goto(url + "/#/library")
        page.reload()
        page.wait_for_function(f"performance.getEntriesByName('{MARK}').length > 0", timeout=60_000)
        reload = page.evaluate(f"performance.getEntriesByName('{MARK}')[0].startTime")
    finally:
        context.close()
    if errors:
        sys.exit(f"browser console errors: {errors}")
    return painted, tiles, jump, reload


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="pixref-webui-bench-"))
    os.environ["PIXREF_HOME"] = str(work)
    try:
        t = time.perf_counter()
        fill(args.n)
        print(f"filled {args.n} entries in {time.perf_counter() - t:.1f} s (setup)")
        from pixref.server import ServerSettings
        from tests.live_server import live_server

        with live_server(ServerSettings(models_dir=work / "models")) as url, sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium(), args=["--no-sandbox", "--disable-gpu", "--headless=new"]
            )
            warm_up = browser.new_page()  # the browser's own first-page costs are not the page's
            warm_up.goto(url + "/ui/app.css")
            warm_up.close()
            cold, tiles, cold_jump, _ = load_once(browser, url)
            warm = [load_once(browser, url) for _ in range(args.runs)]
            browser.close()
        paints = [w[0] for w in warm]
        jumps = [w[2] for w in warm]
        reloads = [w[3] for w in warm]
        print(f"library of {args.n:,} entries, 1280x800, headless chromium, loopback")
        print(f"first paint, cold (server makes thumbnails): {cold:7.0f} ms")
        print(
            f"first paint, warm: median {statistics.median(paints):7.0f} ms, "
            f"max {max(paints):.0f} ms ({args.runs} runs)"
        )
        print(
            f"jump to mid-list: cold {cold_jump:.0f} ms, warm median "
            f"{statistics.median(jumps):.0f} ms"
        )
        print(
            f"reload, same browser (thumbnails in its cache): median "
            f"{statistics.median(reloads):.0f} ms"
        )
        print(f"tiles in the DOM: {tiles}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
