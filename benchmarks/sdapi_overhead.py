"""What A1111's HTTP API costs on top of the engine: one txt2img, the tiny SD 1.x model.

Builds the test suite's tiny random-weight SD 1.x checkpoint, then times the same
generation (64x64, 4 Euler steps, CFG 7, fixed seed) four ways, interleaved, in one
process:

- ``engine``: ``pixref.engine.generate`` on already loaded models;
- ``engine+save``: the same plus ``save_outputs`` (PNG with infotext, library row),
  which is what the CLI does and what every API call does too;
- ``http``: ``POST /sdapi/v1/txt2img`` to a real uvicorn server on loopback, with
  ``requests`` (webuiapi's transport), JSON and base64 both ways;
- ``webuiapi``: ``WebUIApi.txt2img`` (adds decoding the PNG into a PIL image).

    python benchmarks/sdapi_overhead.py [--repeats 20] [--steps 4]

Reports the median (p50) per call and the API's overhead against ``engine+save``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="pixref-sdapi-bench-"))
    os.environ["PIXREF_HOME"] = str(root / "home")
    import requests
    import torch
    import uvicorn
    import webuiapi

    from pixref import engine
    from pixref.home import set_home
    from pixref.library import save_outputs
    from pixref.params import GenerationParams
    from pixref.server import ServerSettings, create_app
    from tests.engine import tiny

    set_home(None)
    torch.set_num_threads(1)
    model = tiny.build("sd1", root / "build")
    models_dir = root / "models"
    (models_dir / "Stable-diffusion").mkdir(parents=True)
    shutil.copy(model.single_file, models_dir / "Stable-diffusion" / "tiny.safetensors")
    options = {"config_dir": str(model.config_dir)}

    body = {"prompt": "a pixel knight", "width": 64, "height": 64, "steps": args.steps,
            "seed": 1, "sampler_name": "Euler", "cfg_scale": 7}  # fmt: skip
    params = GenerationParams(
        prompt=body["prompt"], width=64, height=64, steps=args.steps, seed=1,
        sampler="Euler", cfg_scale=7.0,
    )  # fmt: skip
    cache = engine.ModelCache(models_dir, None, options)
    models = cache.checkpoint(params, "tiny")

    app = create_app(ServerSettings(models_dir=models_dir))
    app.state.pixref.generation.load_options = options
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}/sdapi/v1/txt2img"
    session = requests.Session()
    api = webuiapi.WebUIApi(host="127.0.0.1", port=port)

    def run_engine():
        engine.generate(params, models)

    def run_engine_save():
        result = engine.generate(params, models)
        save_outputs(result.images, result.params, result.infotexts, kind="txt2img")

    def run_http():
        response = session.post(url, json=body)
        assert response.status_code == 200, response.text

    def run_webuiapi():
        api.txt2img(**body)

    ways = {"engine": run_engine, "engine+save": run_engine_save, "http": run_http,
            "webuiapi": run_webuiapi}  # fmt: skip
    for run in ways.values():  # warm-up: model load, first-call costs
        run()
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.repeats):
        for name, run in ways.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    server.should_exit = True
    thread.join(10)

    p50 = {name: statistics.median(t) for name, t in times.items()}
    print(f"tiny SD 1.x, 64x64, {args.steps} Euler steps, {args.repeats} calls each, p50:")
    for name, value in p50.items():
        spread = (
            f"p10 {_pct(times[name], 0.1) * 1000:.1f} / p90 {_pct(times[name], 0.9) * 1000:.1f}"
        )
        print(f"  {name:12s} {value * 1000:8.1f} ms   ({spread} ms)")
    for name in ("http", "webuiapi"):
        print(
            f"  {name} overhead vs engine+save: {(p50[name] - p50['engine+save']) * 1000:+.1f} ms"
        )
    print(f"  save+log cost vs engine: {(p50['engine+save'] - p50['engine']) * 1000:+.1f} ms")
    shutil.rmtree(root, ignore_errors=True)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


if __name__ == "__main__":
    main()
