"""Scale out on Ray: one generation actor per GPU, the caller the library's one writer.

`RayBackend` runs `engine.EngineCall`\\ s as `engine.LocalBackend` does, on the
actors of a Ray cluster, so sweeps, ``pixref batch`` and the server's generation
queue take either. Ray is imported only when a backend starts.

    backend = RayBackend.start("local", device="cpu", actors=2, models_dir=...)
    result = run_sweep(plan, grid, backend=backend)
"""

from pixref.dist._backend import RayBackend
from pixref.dist._connect import DistError, connect
from pixref.dist._schedule import affinity_pick

__all__ = ["DistError", "RayBackend", "affinity_pick", "connect"]
