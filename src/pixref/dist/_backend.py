"""`RayBackend`: engine calls spread over generation actors, one per GPU.

One dispatcher thread owns the actors: it hands each idle actor the waiting call
whose checkpoint it already has loaded (`affinity_pick`), collects replies and
step events with ``ray.wait``, and re-queues the calls of an actor that died.
Callers (`run`, from any thread: a sweep, a batch, the server's jobs) only see
their own results, which they save and log themselves.
"""

from __future__ import annotations

import io
import itertools
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from pixref.dist._actor import GenerationActor, RemoteStep, Reply
from pixref.dist._connect import DistError, connect, import_ray
from pixref.dist._schedule import affinity_pick
from pixref.engine._backend import EngineCall, Finished, Flag, OnStep
from pixref.engine._types import Interrupted, Result

#: Seconds to wait for the actors to start (import torch, join the cluster).
ACTOR_START_TIMEOUT_S = 300.0
#: Seconds between two step-event polls of a busy actor.
EVENT_POLL_S = 0.2
#: Calls sent to an actor at most: one running, the rest queued there.
QUEUED_PER_ACTOR = 2
#: Seconds to wait for busy GPUs/CPUs to come free before saying they are taken.
FREE_RESOURCES_WAIT_S = 10.0
#: Call timings kept for `RayBackend.timings`.
MAX_TIMINGS = 10_000

_work_ids = itertools.count(1)


@dataclass(eq=False)
class _Run:
    """One caller's calls: replies, step events and errors arrive in ``outbox``."""

    outbox: queue.Queue = field(default_factory=queue.Queue)
    stopped: bool = False


@dataclass(frozen=True)
class CallTiming:
    """One call's seconds on its actor, seconds from sending it to holding its reply,
    and the bytes of PNG files it sent back. For a call sent to an idle actor (not
    ``queued`` behind another) the difference of the two is Ray's overhead; for a
    queued one, ``idle_before_s`` is the actor's pause after the call before it."""

    actor_s: float
    round_trip_s: float
    png_bytes: int
    queued: bool
    idle_before_s: float | None = None


@dataclass(eq=False)
class _Work:
    id: int
    call: EngineCall
    run: _Run
    sent_at: float = 0.0
    queued: bool = False

    @property
    def key(self) -> tuple[Any, Any]:
        """The checkpoint (and VAE) the call needs loaded."""
        return (self.call.params.model, self.call.params.vae)


@dataclass(eq=False)
class _Actor:
    handle: Any
    info: dict[str, Any]
    loaded: tuple[Any, Any] | None = None
    work: dict[Any, _Work] = field(default_factory=dict)  # reply ref -> call
    events_ref: Any = None
    polled_at: float = 0.0
    last_end: float | None = None  # the actor's clock when its last call ended

    def control(self, method: str, *args):
        return getattr(self.handle, method).options(concurrency_group="control").remote(*args)


class RayBackend:
    """Runs `engine.EngineCall`\\ s on Ray actors; see `start`.

    ``capacity`` is the number of live actors; ``notices`` collects what a caller
    should tell the user (an actor lost and its calls re-queued).
    """

    def __init__(self, actors: list[_Actor], *, models_dir: Path | None, owns_ray: bool):
        self.models_dir = models_dir
        self.notices: list[str] = []
        self.timings: deque[CallTiming] = deque(maxlen=MAX_TIMINGS)
        self._actors = actors
        self._waiting: list[_Work] = []
        self._owns_ray = owns_ray
        self._cond = threading.Condition()
        self._closed = False
        self._ray = import_ray()
        self._thread = threading.Thread(target=self._dispatch, name="pixref-ray", daemon=True)
        self._thread.start()

    @classmethod
    def start(
        cls,
        address: str,
        *,
        device: str | None = None,
        actors: int | None = None,
        models_dir: Path | None = None,
        load_options: dict[str, Any] | None = None,
    ) -> RayBackend:
        """Join the cluster at ``address`` (`connect`) and start the generation actors.

        With ``device`` None or ``cuda``, one actor per GPU (``num_gpus=1``; ``actors``
        at most the cluster's GPUs); with ``cpu``, ``actors`` CPU actors (default 1)
        sharing the cluster's CPUs. ``models_dir`` must be the same path on every node.
        """
        ray = import_ray()
        owns_ray = not ray.is_initialized()
        where = connect(address)
        try:
            spec = _actor_spec(ray.cluster_resources(), device, actors, where)
            _wait_for_resources(ray, spec)
            handles = [_actor_class(ray, spec).remote(models_dir, spec.device, load_options)
                       for _ in range(spec.count)]  # fmt: skip
            infos = _wait_ready(ray, handles, spec)
        except BaseException:
            if owns_ray:
                ray.shutdown()
            raise
        slots = [_Actor(h, info) for h, info in zip(handles, infos, strict=True)]
        return cls(slots, models_dir=models_dir, owns_ray=owns_ray)

    @property
    def capacity(self) -> int:
        return len(self._actors)

    def describe(self) -> list[dict[str, Any]]:
        """Each live actor's pid, node, device and torch threads."""
        return [dict(a.info) for a in self._actors]

    def clear_models(self) -> None:
        """Make every actor forget its loaded models (the next call loads afresh)."""
        with self._cond:
            actors = list(self._actors)
            for actor in actors:
                actor.loaded = None  # no affinity to a model it no longer holds
        self._ray.get([a.control("clear") for a in actors])

    def loads(self) -> list[dict[str, int]]:
        """Per live actor, how many times each checkpoint was loaded there."""
        return self._ray.get([a.control("loads") for a in self._actors])

    # -- the caller's side ------------------------------------------------------------------

    def run(
        self,
        calls: Iterable[EngineCall],
        *,
        on_step: OnStep | None = None,
        should_stop: Flag | None = None,
        should_skip: Flag | None = None,
    ) -> Iterator[Finished]:
        """Yield each call's `Finished` as its actor returns it (any order).

        Raises `Interrupted` after ``should_stop()`` turned True and the calls that
        were running came back (their finished images are yielded first), or the
        first error a call raised, once the rest are stopped.
        """
        run = _Run()
        works = [_Work(next(_work_ids), call, run) for call in calls]
        self._submit(works)
        open_calls, partial, error = len(works), None, None
        try:
            while open_calls:
                if not run.stopped and should_stop is not None and should_stop():
                    self._stop(run)
                if should_skip is not None and should_skip():
                    self._skip(run)
                try:
                    work, item = run.outbox.get(timeout=0.05)
                except queue.Empty:
                    continue
                if isinstance(item, RemoteStep):
                    if on_step is not None:
                        on_step(item)
                    continue
                open_calls -= 1
                if isinstance(item, BaseException):
                    error = error or item
                    self._stop(run)
                    continue
                for step in item.steps if on_step is not None else ():
                    on_step(RemoteStep(*step))
                if item.interrupted:
                    partial = _result(item) if item.png else partial
                else:
                    yield Finished(work.call, _result(item), item.png)
        finally:
            if open_calls:
                self._stop(run)  # the caller left early
        if error is not None:
            raise error
        if run.stopped:
            stop = Interrupted("stopped")
            stop.partial = partial
            raise stop

    def close(self) -> None:
        """Stop the dispatcher and the actors (and the local Ray instance it started).

        Calls still waiting or running end their `run` with a `DistError`.
        """
        with self._cond:
            self._closed = True
            pending = self._waiting + [w for a in self._actors for w in a.work.values()]
            self._waiting = []
            for actor in self._actors:
                actor.work.clear()  # a reply the dispatcher still collects finds no call
            for work in pending:
                work.run.outbox.put((work, DistError("the Ray backend was closed")))
            self._cond.notify_all()
        self._thread.join(timeout=10)
        for actor in self._actors:
            self._ray.kill(actor.handle)
        self._actors = []
        if self._owns_ray:
            self._ray.shutdown()

    def __enter__(self) -> RayBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _submit(self, works: list[_Work]) -> None:
        with self._cond:
            if not self._actors:
                raise DistError("no Ray actor is left to generate on; start pixref again")
            self._waiting.extend(works)
            self._cond.notify_all()

    def _stop(self, run: _Run) -> None:
        with self._cond:
            run.stopped = True
            for work in [w for w in self._waiting if w.run is run]:
                self._waiting.remove(work)
                run.outbox.put((work, Reply.nothing()))
            for actor in self._actors:
                for work in actor.work.values():
                    if work.run is run:
                        actor.control("stop", work.id)

    def _skip(self, run: _Run) -> None:
        with self._cond:
            for actor in self._actors:
                for work in actor.work.values():
                    if work.run is run:
                        actor.control("skip", work.id)

    # -- the dispatcher thread --------------------------------------------------------------

    def _dispatch(self) -> None:
        ray = self._ray
        while True:
            with self._cond:
                if self._closed:
                    return
                self._assign()
                self._poll_events()
                watched = self._watched()
                if not watched:
                    self._cond.wait(0.1)
                    continue
            ready, _ = ray.wait(watched, num_returns=1, timeout=0.05)
            if ready:
                ready, _ = ray.wait(watched, num_returns=len(watched), timeout=0)
            with self._cond:
                for ref in ready:
                    self._collect(ref)

    def _assign(self) -> None:
        """Give each idle actor a waiting call, by model affinity; then, while there
        are calls enough for every actor, queue one more on each, so an actor goes on
        without waiting for the driver between calls (Ray's round trip, 5-45 ms)."""
        for depth in range(1, QUEUED_PER_ACTOR + 1):
            if depth > 1 and len(self._waiting) < len(self._actors):
                return  # the tail: the next call goes to whichever actor frees first
            for actor in self._actors:
                if len(actor.work) < depth and self._waiting:
                    self._send(actor)

    def _send(self, actor: _Actor) -> None:
        serving = Counter(a.loaded for a in self._actors if a is not actor and a.work)
        index = affinity_pick([w.key for w in self._waiting], actor.loaded, serving)
        work = self._waiting.pop(index)
        work.sent_at, work.queued = time.perf_counter(), bool(actor.work)
        actor.work[actor.handle.run.remote(work.id, work.call)] = work
        actor.loaded = work.key

    def _poll_events(self) -> None:
        now = time.monotonic()
        for actor in self._actors:
            if actor.work and actor.events_ref is None and now - actor.polled_at > EVENT_POLL_S:
                actor.events_ref, actor.polled_at = actor.control("events"), now

    def _watched(self) -> list[Any]:
        refs = []
        for actor in self._actors:
            refs.extend(actor.work)
            if actor.events_ref is not None:
                refs.append(actor.events_ref)
        return refs

    def _collect(self, ref) -> None:
        actor = next((a for a in self._actors if ref in a.work or ref is a.events_ref), None)
        if actor is None:  # its actor was lost while we waited
            return
        ray = self._ray
        try:
            value = ray.get(ref)
        except ray.exceptions.RayActorError as exc:
            self._lose(actor, exc)
            return
        except ray.exceptions.RayTaskError as exc:
            value = _cause(exc)
        if ref is actor.events_ref:
            actor.events_ref = None
            self._route_events(actor, value)
            return
        work = actor.work.pop(ref)
        if isinstance(value, Reply):
            self._time(actor, work, value)
        work.run.outbox.put((work, value))

    def _time(self, actor: _Actor, work: _Work, reply: Reply) -> None:
        round_trip = time.perf_counter() - work.sent_at
        idle = None
        if work.queued and actor.last_end is not None:
            idle = reply.began - actor.last_end
        actor.last_end = reply.began + reply.seconds
        size = sum(map(len, reply.png))
        self.timings.append(CallTiming(reply.seconds, round_trip, size, work.queued, idle))

    def _route_events(self, actor: _Actor, events) -> None:
        if isinstance(events, BaseException):
            return
        by_id = {w.id: w for w in actor.work.values()}
        for work_id, *step in events:
            work = by_id.get(work_id)
            if work is not None:
                work.run.outbox.put((work, RemoteStep(*step)))

    def _lose(self, actor: _Actor, exc: BaseException) -> None:
        """An actor died: re-queue its calls first in line on the others."""
        self._actors.remove(actor)
        lost = list(actor.work.values())
        self._waiting[:0] = lost
        info = actor.info
        self.notices.append(
            f"Ray actor {info['pid']} on {info['node']} was lost; "
            f"{len(lost)} call(s) re-queued on the other {len(self._actors)}"
        )
        if self._actors:
            return
        failure = DistError(
            f"every Ray actor was lost (the last: {type(exc).__name__}); what finished is "
            "saved: run again (a sweep with --resume)"
        )
        for work in self._waiting:
            work.run.outbox.put((work, failure))
        self._waiting.clear()


# -- starting actors --------------------------------------------------------------------------


@dataclass(frozen=True)
class _ActorSpec:
    count: int
    gpus: int
    cpus: int
    device: str


def _actor_spec(resources: dict[str, float], device, actors, where) -> _ActorSpec:
    """How many actors, with what resources, for ``device`` on a cluster with ``resources``."""
    gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 0))
    if actors is not None and actors < 1:
        raise DistError(f"--ray-actors must be at least 1, got {actors}")
    if device is None or device.startswith("cuda"):
        if gpus < 1:
            raise DistError(
                f"the Ray cluster ({where}) has no GPU: start GPU workers with "
                "`ray start --address=HEAD:PORT --num-gpus=N`, or pass --device cpu"
            )
        count = actors or gpus
        if count > gpus:
            raise DistError(f"{count} actors need {count} GPUs; the Ray cluster has {gpus}")
        return _ActorSpec(count, 1, 1, device or "cuda")
    count = actors or 1
    if count > cpus:
        raise DistError(f"{count} CPU actors need {count} CPUs; the Ray cluster has {cpus}")
    return _ActorSpec(count, 0, max(1, cpus // count), device)


def _wait_for_resources(ray, spec: _ActorSpec, wait_s: float = FREE_RESOURCES_WAIT_S) -> None:
    """Raise `DistError` unless the actors' GPUs and CPUs come free within ``wait_s``
    (actors just closed give theirs back in a moment; busy ones would make Ray wait
    for ever)."""
    need = {"GPU": spec.gpus * spec.count, "CPU": spec.cpus * spec.count}
    deadline = time.monotonic() + wait_s
    while True:
        free = ray.available_resources()
        short = {k: v for k, v in need.items() if v and free.get(k, 0) < v}
        if not short:
            return
        if time.monotonic() > deadline:
            name, count = next(iter(short.items()))
            raise DistError(
                f"{spec.count} actors need {count} free {name}s; the Ray cluster has "
                f"{free.get(name, 0):g} free (others use the rest: see `ray status`)"
            )
        time.sleep(0.2)


def _actor_class(ray, spec: _ActorSpec):
    remote = ray.remote(concurrency_groups={"control": 2})(GenerationActor)
    return remote.options(num_gpus=spec.gpus, num_cpus=spec.cpus, max_restarts=0)


def _wait_ready(ray, handles, spec: _ActorSpec) -> list[dict[str, Any]]:
    pending = [h.describe.options(concurrency_group="control").remote() for h in handles]
    try:
        return ray.get(pending, timeout=ACTOR_START_TIMEOUT_S)
    except ray.exceptions.GetTimeoutError:
        for handle in handles:
            ray.kill(handle)
        raise DistError(
            f"the {spec.count} Ray actors did not start within {ACTOR_START_TIMEOUT_S:.0f} s; "
            f"the cluster may lack {spec.gpus * spec.count or spec.cpus * spec.count} free "
            f"{'GPUs' if spec.gpus else 'CPUs'} (see `ray status`)"
        ) from None
    except ray.exceptions.RayActorError as exc:
        for handle in handles:
            ray.kill(handle)
        raise DistError(
            f"a Ray worker could not start pixref's generation actor ({_first(exc)}); "
            "is pixref[gen] installed on every node?"
        ) from None


def _cause(exc: BaseException) -> BaseException:
    """The exception an actor method raised, without Ray's wrapping."""
    cause = getattr(exc, "cause", None)
    return cause if isinstance(cause, BaseException) else exc


def _first(exc: BaseException) -> str:
    text = str(_cause(exc)).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _result(reply: Reply) -> Result:
    """The engine `Result` of a reply; its images are decoded from the PNG files only
    when read (callers mostly write the files as they are)."""
    return Result(_PngImages(reply.png), list(reply.params), list(reply.infotexts),
                  reply.warnings)  # fmt: skip


class _PngImages(Sequence):
    """PNG files read as PIL images, each decoded when first asked for."""

    def __init__(self, files: Sequence[bytes]) -> None:
        self._files = files
        self._images: dict[int, Image.Image] = {}

    def __len__(self) -> int:
        return len(self._files)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        index = range(len(self))[index]  # negative indices, IndexError
        if index not in self._images:
            with Image.open(io.BytesIO(self._files[index])) as image:
                image.load()
                self._images[index] = image.copy()
        return self._images[index]
