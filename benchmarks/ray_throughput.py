"""Sweep throughput on N Ray actors against one, and Ray's overhead per cell.

Builds a model with random weights (the test suite's tiny SD 1.x, or the full-size
SD 1.5 architecture from pixref's shipped config), starts a local Ray instance in
this process, and times the same ``--cells``-cell seed sweep (batch size 1: one
engine call per cell, so the per-call overhead shows), saved and logged as a user's
sweep is:

- ``local``: `engine.LocalBackend` in this process (the baseline);
- ``ray xN``: `pixref.dist.RayBackend` with N actors (each ``--actors`` value), after
  a warm-up sweep so every actor has the model loaded.

Per Ray call it reports the actor's own seconds, the round trip seen by the driver,
and the PNG bytes sent back; for a call sent to an idle actor the round trip minus
the actor's time is what Ray adds (serialising the call and the reply, scheduling,
transfer, the dispatcher's wait). Calls queued on a busy actor hide that cost: "actors
busy" is the share of the sweep's time the actors spent generating.

    python benchmarks/ray_throughput.py [--cells 24] [--actors 1 2] [--repeats 2]
    python benchmarks/ray_throughput.py --arch sd15 --size 512 --steps 20 --device cuda \\
        --actors 1 --cells 16

On CPU, N actors share ``--cpus`` (default: all), each with cpus/N torch threads;
``--local-threads`` sets the baseline's (on a machine busy with other work, fewer
threads than cores avoids OpenMP threads waiting on each other).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _models_dir(arch: str, root: Path) -> Path:
    from sweep_batching import _model

    folder = root / "models" / "Stable-diffusion"
    folder.mkdir(parents=True)
    shutil.move(str(_model(arch, root / "build")), folder / "bench")
    return root / "models"


def _sweep(backend, models_dir: Path, out: Path, cells: int, args) -> float:
    from pixref.params import GenerationParams
    from pixref.sweep import plan_sweep, run_sweep

    base = GenerationParams(prompt="a knight in armour, pixel art", steps=args.steps,
                            width=args.size, height=args.size, model="bench")  # fmt: skip
    plan = plan_sweep(base, [f"seed=1-{cells}"])
    started = time.perf_counter()
    run_sweep(plan, out, models_dir=models_dir, backend=backend, batch_size=1)
    return time.perf_counter() - started


class _TimedLocal:
    """A `LocalBackend` that times each call, from its start to its result."""

    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, []

    def run(self, calls, **options):
        for call in calls:
            started = time.perf_counter()
            (finished,) = self.inner.run([call], **options)
            self.calls.append(time.perf_counter() - started)
            yield finished

    def __getattr__(self, name):
        return getattr(self.inner, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=["tiny", "sd15"], default="tiny")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--cells", type=int, default=24)
    parser.add_argument("--actors", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--cpus", type=int, default=os.cpu_count())
    parser.add_argument("--local-threads", type=int, default=None,
                        help="torch threads of the local baseline [torch's default]")  # fmt: skip
    args = parser.parse_args()

    import ray

    from pixref import engine
    from pixref.dist import RayBackend
    from pixref.home import set_home

    root = Path(tempfile.mkdtemp(prefix="pixref-ray-bench-"))
    os.environ["PIXREF_HOME"] = str(root / "home")
    set_home(None)
    models_dir = _models_dir(args.arch, root)
    options: dict = {}  # float16 on CUDA by default
    gpus = 1 if args.device.startswith("cuda") else 0
    ray.init(num_cpus=args.cpus, num_gpus=gpus, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR")  # fmt: skip
    import torch

    print(f"{args.arch} {args.size}px, {args.steps} steps, {args.cells} cells (batch size 1), "
          f"device {args.device}, {args.cpus} CPUs for Ray, local torch threads "
          f"{args.local_threads or torch.get_num_threads()}", flush=True)  # fmt: skip

    if args.local_threads:
        import torch

        torch.set_num_threads(args.local_threads)
    local = _TimedLocal(engine.LocalBackend(models_dir, args.device, options))
    _sweep(local, models_dir, root / "warm-local.png", 2, args)  # load the model once
    seconds: dict[str, list[float]] = {"local": []}
    timings: dict[str, list] = {}

    def timed(name: str, backend) -> None:
        for r in range(args.repeats):
            out = root / f"{name.replace(' ', '-')}-{r}.png"
            seconds.setdefault(name, []).append(_sweep(backend, models_dir, out, args.cells, args))

    timed("local", local)
    local.calls.clear()
    for count in args.actors:  # one configuration at a time: each takes all the CPUs
        device = args.device if gpus else "cpu"
        with RayBackend.start("local", device=device, actors=count, models_dir=models_dir,
                              load_options=options) as backend:  # fmt: skip
            _sweep(backend, models_dir, root / f"warm-{count}.png", 2 * count, args)
            backend.timings.clear()
            timed(f"ray x{count}", backend)
            timings[f"ray x{count}"] = list(backend.timings)
    timed("local", local)  # the baseline again, after: the machine's load may have moved
    local_calls = list(local.calls)

    base = statistics.median(seconds["local"])
    print("\n| backend | median s | cells/s | vs local |\n|---|---|---|---|")
    for name, times in seconds.items():
        median = statistics.median(times)
        print(f"| {name} | {median:.2f} | {args.cells / median:.2f} | {base / median:.2f}x |")
    rest = sum(seconds["local"][-args.repeats :]) - sum(local_calls)
    print(f"\nlocal: {statistics.median(local_calls):.3f} s per call (median); saving, "
          f"logging and the grid {rest / args.repeats:.2f} s per sweep")  # fmt: skip
    print("\n| backend | calls | actor s (median) | round trip s | Ray overhead ms "
          "| idle between queued calls ms | actors busy | PNG KiB |"
          "\n|---|---|---|---|---|---|---|---|")  # fmt: skip
    for name, calls in timings.items():
        fresh = [t for t in calls if not t.queued] or calls  # sent to an idle actor
        actor = statistics.median(t.actor_s for t in calls)
        trip = statistics.median(t.round_trip_s for t in fresh)
        extra = statistics.median(t.round_trip_s - t.actor_s for t in fresh) * 1000
        count = int(name.split("x")[-1])
        busy = sum(t.actor_s for t in calls) / (sum(seconds[name]) * count)
        kib = statistics.median(t.png_bytes for t in calls) / 1024
        idle = [t.idle_before_s for t in calls if t.idle_before_s is not None]
        idle_ms = statistics.median(idle) * 1000 if idle else float("nan")
        print(f"| {name} | {len(calls)} ({len(fresh)} to an idle actor) | {actor:.3f} "
              f"| {trip:.3f} | {extra:.1f} | {idle_ms:.1f} | {busy:.0%} | {kib:.0f} |")  # fmt: skip
    local.close()
    ray.shutdown()
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
