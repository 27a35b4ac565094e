"""The generation actor: one per GPU, holding its loaded models across calls.

Its ``run`` method runs one engine call at a time (Ray's default group, one
thread); ``events``, ``stop``, ``skip`` and ``clear`` answer in a ``control`` group beside
it, so the driver can follow and stop a call while it runs.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

#: Step events an actor keeps for the driver before dropping the oldest.
MAX_EVENTS = 10_000


@dataclass(frozen=True)
class RemoteStep:
    """A step event an actor reported (`engine.StepEvent` without the latents)."""

    step: int
    total: int
    image_index: int
    batch_total: int
    denoised: None = None


@dataclass(frozen=True)
class Reply:
    """What a call sends back: PNG files (with infotext), params, infotexts, warnings.

    ``interrupted`` replies carry the batches finished before the stop;
    ``seconds`` is the time the actor spent on the call from ``began`` (its wall
    clock), for overhead figures.
    """

    png: tuple[bytes, ...]
    params: tuple[Any, ...]
    infotexts: tuple[str, ...]
    warnings: tuple[str, ...]
    interrupted: bool
    seconds: float
    began: float = 0.0
    steps: tuple[tuple[int, int, int, int], ...] = ()

    @classmethod
    def nothing(cls) -> Reply:
        """The reply of a call stopped before it reached an actor."""
        return cls((), (), (), (), True, 0.0)


class GenerationActor:
    """Runs `engine.EngineCall`\\ s through its own `engine.ModelCache`."""

    def __init__(self, models_dir, device, load_options) -> None:
        from pixref.engine import ModelCache

        self.cache = ModelCache(models_dir, device, load_options)
        self._events: deque = deque(maxlen=MAX_EVENTS)
        self._stopped: set[int] = set()
        self._skipped: set[int] = set()
        self._lock = threading.Lock()

    def describe(self) -> dict[str, Any]:
        """Where this actor runs: process id, node address, device, torch threads."""
        import ray
        import torch

        device = self.cache.device or ("cuda" if torch.cuda.is_available() else "cpu")
        return {
            "pid": os.getpid(),
            "node": ray.util.get_node_ip_address(),
            "device": device,
            "threads": torch.get_num_threads(),
        }

    def run(self, work_id: int, call) -> Reply:
        from pixref.engine import Interrupted, run_call
        from pixref.metadata import encode_png

        started, began = time.perf_counter(), time.time()

        def on_step(event) -> None:
            with self._lock:
                self._events.append(
                    (work_id, event.step, event.total, event.image_index, event.batch_total)
                )

        try:
            if work_id in self._stopped:
                raise Interrupted("stopped before it started")
            result = run_call(
                self.cache,
                call,
                on_step,
                should_stop=lambda: work_id in self._stopped,
                should_skip=lambda: self._take_skip(work_id),
            )
            interrupted = False
        except Interrupted as stop:
            result, interrupted = stop.partial, True
        steps = self._take_events(work_id)
        if result is None:
            seconds = time.perf_counter() - started
            return Reply((), (), (), (), interrupted, seconds, began, steps)
        png = tuple(
            encode_png(image, infotext=text)
            for image, text in zip(result.images, result.infotexts, strict=True)
        )
        return Reply(
            png=png,
            params=tuple(result.params),
            infotexts=tuple(result.infotexts),
            warnings=tuple(result.warnings),
            interrupted=interrupted,
            seconds=time.perf_counter() - started,  # encoding included: it is the actor's work
            began=began,
            steps=steps,
        )

    def events(self) -> list[tuple[int, int, int, int, int]]:
        """The step events since the last call: ``(work id, step, total, image, batch)``."""
        with self._lock:
            taken = list(self._events)
            self._events.clear()
        return taken

    def _take_events(self, work_id: int) -> tuple[tuple[int, int, int, int], ...]:
        """The events of ``work_id`` no poll took yet, to send with its reply."""
        with self._lock:
            taken = tuple(tuple(e[1:]) for e in self._events if e[0] == work_id)
            self._events.clear()
        return taken

    def stop(self, work_id: int) -> None:
        self._stopped.add(work_id)

    def skip(self, work_id: int) -> None:
        with self._lock:
            self._skipped.add(work_id)

    def clear(self) -> None:
        """Let every loaded model go (the models folder changed); a running call keeps its."""
        self.cache.clear()

    def loads(self) -> dict[str, int]:
        """How many times each checkpoint was loaded here."""
        return dict(self.cache.loads)

    def _take_skip(self, work_id: int) -> bool:
        with self._lock:
            if work_id in self._skipped:
                self._skipped.discard(work_id)
                return True
            return False
