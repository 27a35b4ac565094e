"""One job queue for everything the server does in the background.

Follows Krita AI Diffusion's shape: a `JobState` enum, `Job` records, and one
`JobQueue` that alone moves jobs between states. Jobs that use the model start in
the order they were queued on the device lane: one at a time on one thread (the
local engine), or up to ``device_slots`` at once (a Ray backend's actors), one
thread per slot; CPU jobs (pixelize, snap, render, import) run in a thread pool
beside it, so neither blocks the other or the event loop. Clients poll jobs or
subscribe to their events (pushed as Server-Sent Events).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pixref.params import PixrefError
from pixref.server._errors import NotFound, error_kind

log = logging.getLogger("pixref.server")

#: Finished jobs kept for listing; older ones are forgotten (their files stay).
HISTORY = 200


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    cancelled = "cancelled"
    failed = "failed"


FINISHED = (JobState.done, JobState.cancelled, JobState.failed)


class JobNotFound(NotFound):
    """No job with that id (it never existed or was forgotten)."""


@dataclass
class Job:
    """One piece of background work and what is known of it.

    ``params`` is what the job was asked to do (kept for routes that act on the job
    later, e.g. resuming a sweep). ``progress`` is 0-1 over the whole job;
    ``step``/``steps`` count sampling steps of the image batch ``image``/``images``
    (generation jobs). ``result`` is set when done (and may hold what was finished
    before a cancel); ``error`` when failed, with the `PixrefError` itself in
    ``exception`` (so a route awaiting the job can answer as if it had raised it).
    """

    id: str
    kind: str
    title: str
    on_device: bool
    params: Any = None
    state: JobState = JobState.queued
    progress: float = 0.0
    step: int = 0
    steps: int = 0
    image: int = 0
    images: int = 1
    message: str = ""
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    result: Any = None
    error: str | None = None
    error_kind: str | None = None
    exception: BaseException | None = None
    latent: Any = None  # the newest denoised latents, for previews
    stop_requested: bool = False
    skip_requested: bool = False
    future: concurrent.futures.Future = field(default_factory=concurrent.futures.Future)

    @property
    def eta(self) -> float | None:
        """Seconds left, from the time spent so far; None before the first progress."""
        if self.state in FINISHED:
            return 0.0
        if self.started is None or self.progress <= 0:
            return None
        elapsed = time.time() - self.started
        return elapsed / self.progress - elapsed

    def summary(self) -> dict[str, Any]:
        """The job as JSON-ready data (without its result)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "state": str(self.state),
            "progress": round(self.progress, 4),
            "eta": None if self.eta is None else round(self.eta, 2),
            "step": self.step,
            "steps": self.steps,
            "image": self.image,
            "images": self.images,
            "message": self.message,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "error": self.error,
            "error_kind": self.error_kind,
        }


class JobContext:
    """What a running job's function sees: progress reporting and stop requests."""

    def __init__(self, queue_: JobQueue, job: Job) -> None:
        self._queue, self.job = queue_, job

    def progress(self, fraction: float, message: str = "") -> None:
        """Report overall progress (0-1) and an optional message."""
        job = self.job
        job.progress = min(max(fraction, 0.0), 1.0)
        if message:
            job.message = message
        self._queue._publish(job, "progress")

    def on_step(self, event: Any) -> None:
        """Take an engine `StepEvent`: progress over all images of the job."""
        job = self.job
        job.step, job.steps = event.step, event.total
        job.image, job.images = event.image_index, event.batch_total
        job.latent = getattr(event, "denoised", None)
        done = event.image_index + event.step / max(event.total, 1)
        self.progress(done / max(event.batch_total, 1))

    def should_stop(self) -> bool:
        return self.job.stop_requested

    def should_skip(self) -> bool:
        """True once after each skip request (A1111's Skip: abandon the current batch)."""
        if self.job.skip_requested:
            self.job.skip_requested = False
            return True
        return False


class Cancelled(PixrefError):
    """Raised by a job function that stopped on request; ``partial`` is kept as result."""

    def __init__(self, message: str = "cancelled", partial: Any = None) -> None:
        super().__init__(message)
        self.partial = partial


JobFunction = Callable[[JobContext], Any]


class JobQueue:
    """Runs jobs: device jobs in order, ``device_slots`` at a time; CPU jobs in a pool.

    ``device_slots`` is how many device jobs run at once (the backend's capacity:
    1 for the local engine, the actors on Ray); they start in the order queued.
    Only the queue changes a job's ``state`` (``_start``, ``_finish``, ``_fail``,
    ``_cancel``); everything else reads it.
    """

    def __init__(self, cpu_workers: int = 2, device_slots: int = 1) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._device_queue: queue.Queue[tuple[Job, JobFunction] | None] = queue.Queue()
        self._cpu_pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=cpu_workers, thread_name_prefix="pixref-cpu"
        )
        self._take_lock = threading.Lock()  # device jobs start in the order queued
        self._device_threads = [
            threading.Thread(
                target=self._device_loop,
                name="pixref-device" if i == 0 else f"pixref-device-{i}",
                daemon=True,
            )
            for i in range(max(1, device_slots))
        ]
        self._subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = []
        self._running: list[Job] = []  # device jobs running now, oldest start first
        for thread in self._device_threads:
            thread.start()

    # submitting and reading ------------------------------------------------------------

    def submit(
        self, kind: str, fn: JobFunction, *, title: str = "", on_device: bool, params: Any = None
    ) -> Job:
        """Queue ``fn(context)``; ``on_device`` jobs wait their turn for the model."""
        job = Job(
            id=f"job-{next(self._ids)}",
            kind=kind,
            title=title or kind,
            on_device=on_device,
            params=params,
        )
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        self._publish(job, "queued")
        if on_device:
            self._device_queue.put((job, fn))
        else:
            self._cpu_pool.submit(self._run, job, fn)
        return job

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise JobNotFound(f"no job {job_id!r}; `GET /api/jobs` lists the known ones")
        return job

    def jobs(self) -> list[Job]:
        """Every known job, newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created, reverse=True)

    @property
    def device_slots(self) -> int:
        """How many device jobs run at once."""
        return len(self._device_threads)

    @property
    def current(self) -> Job | None:
        """The device job running now (the earliest started of those running), if any."""
        running = self._running
        return running[0] if running else None

    def running_device_jobs(self) -> list[Job]:
        """The device jobs running now, earliest started first."""
        with self._lock:
            return list(self._running)

    def pending_device_jobs(self) -> int:
        return self._device_queue.qsize()

    async def wait(self, job: Job) -> Job:
        """Wait (without blocking the event loop) until ``job`` has finished."""
        await asyncio.wrap_future(job.future)
        return job

    # control -------------------------------------------------------------------------

    def cancel(self, job_id: str) -> Job:
        """Cancel a queued job now, or ask a running one to stop at its next step."""
        job = self.get(job_id)
        with self._lock:
            cancelled_now = job.state == JobState.queued
            if cancelled_now:
                self._cancel(job, None)
        if cancelled_now:
            self._publish(job, "cancelled")
            return job
        if job.state == JobState.running:
            job.stop_requested = True
        return job

    def interrupt_current(self) -> None:
        """A1111's Interrupt: stop every running device job (what each finished is kept)."""
        for job in self.running_device_jobs():
            job.stop_requested = True

    def skip_current(self) -> None:
        """A1111's Skip: every running device job abandons its current batch and goes on."""
        for job in self.running_device_jobs():
            job.skip_requested = True

    def shutdown(self, wait_s: float = 0.0) -> None:
        """Stop taking work: queued jobs are cancelled, the running ones asked to stop.

        ``wait_s`` > 0 waits that long at most for the running device jobs to end.
        """
        for job in self.jobs():
            if job.state in (JobState.queued, JobState.running):
                self.cancel(job.id)
        for _ in self._device_threads:
            self._device_queue.put(None)
        self._cpu_pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + wait_s
        for thread in self._device_threads if wait_s > 0 else ():
            thread.join(max(0.0, deadline - time.monotonic()))

    # events --------------------------------------------------------------------------

    def subscribe(self) -> asyncio.Queue:
        """An asyncio queue receiving ``{"event": ..., "job": summary}`` dicts."""
        events: asyncio.Queue = asyncio.Queue(maxsize=1000)
        with self._lock:
            self._subscribers.append((asyncio.get_running_loop(), events))
        return events

    def unsubscribe(self, events: asyncio.Queue) -> None:
        with self._lock:
            self._subscribers = [(lp, q) for lp, q in self._subscribers if q is not events]

    def _publish(self, job: Job, event: str) -> None:
        if not self._subscribers:
            return
        message = {"event": event, "job": job.summary()}
        for loop, events in list(self._subscribers):
            try:
                loop.call_soon_threadsafe(_offer, events, message)
            except RuntimeError:  # the subscriber's loop has closed
                with self._lock:
                    self._subscribers = [s for s in self._subscribers if s[1] is not events]

    # running and transitions ----------------------------------------------------------

    def _device_loop(self) -> None:
        while True:
            with self._take_lock:  # one slot takes and starts a job at a time: FIFO
                item = self._device_queue.get()
                if item is None:
                    return
                job, fn = item
                with self._lock:
                    started = self._begin(job)
                    if started:
                        self._running.append(job)
            if not started:
                continue
            try:
                self._publish(job, "started")
                self._execute(job, fn)
            finally:
                with self._lock:
                    self._running.remove(job)

    def _run(self, job: Job, fn: JobFunction) -> None:
        with self._lock:
            if not self._begin(job):
                return
        self._publish(job, "started")
        self._execute(job, fn)

    def _begin(self, job: Job) -> bool:
        """Start ``job`` unless it was cancelled while queued (call with ``_lock``)."""
        if job.state != JobState.queued:
            return False
        self._start(job)
        return True

    def _execute(self, job: Job, fn: JobFunction) -> None:
        try:
            result = fn(JobContext(self, job))
        except Cancelled as stop:
            self._cancel(job, stop.partial)
        except PixrefError as exc:
            self._fail(job, exc)
        except Exception as exc:  # a bug: keep serving, say what happened
            log.exception("job %s (%s) failed", job.id, job.kind)
            self._fail(job, exc, internal=True)
        else:
            self._finish(job, result)
        self._publish(job, str(job.state))

    def _start(self, job: Job) -> None:
        job.state, job.started = JobState.running, time.time()

    def _finish(self, job: Job, result: Any) -> None:
        job.state, job.result, job.progress = JobState.done, result, 1.0
        self._close(job)

    def _fail(self, job: Job, exc: BaseException, *, internal: bool = False) -> None:
        job.state = JobState.failed
        job.error_kind = "internal_error" if internal else error_kind(exc)
        job.error = f"internal error: {exc}" if internal else str(exc)
        job.exception = None if internal else exc
        self._close(job)

    def _cancel(self, job: Job, partial: Any) -> None:
        job.state, job.result = JobState.cancelled, partial
        self._close(job)

    def _close(self, job: Job) -> None:
        job.finished, job.latent = time.time(), None
        if not job.future.done():
            job.future.set_result(job)

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.state in FINISHED]
        for job in sorted(finished, key=lambda j: j.created)[: max(0, len(finished) - HISTORY)]:
            del self._jobs[job.id]


def _offer(events: asyncio.Queue, message: dict) -> None:
    if events.full():  # a slow client loses old progress, never the newest state
        events.get_nowait()
    events.put_nowait(message)
