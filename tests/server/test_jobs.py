"""The job queue: order, states, progress, cancel, skip, events."""

import asyncio
import threading
import time
from types import SimpleNamespace

import pytest

from pixref.params import PixrefError
from pixref.server._jobs import Cancelled, JobNotFound, JobQueue, JobState


@pytest.fixture
def jobs():
    queue = JobQueue(cpu_workers=2)
    yield queue
    queue.shutdown()


def wait(job, timeout=5.0):
    return job.future.result(timeout)


def test_device_jobs_run_one_at_a_time_in_order(jobs):
    running, order, peak = [], [], []

    def work(name):
        def run(ctx):
            running.append(name)
            peak.append(len(running))
            time.sleep(0.02)
            order.append(name)
            running.remove(name)
            return name

        return run

    submitted = [jobs.submit("txt2img", work(i), on_device=True) for i in range(5)]
    assert [wait(j).result for j in submitted] == list(range(5))
    assert order == list(range(5)) and max(peak) == 1
    assert all(j.state == JobState.done and j.progress == 1.0 for j in submitted)


def test_cpu_jobs_do_not_wait_for_the_device(jobs):
    release, started = threading.Event(), threading.Event()

    def block(ctx):
        started.set()
        release.wait(5)

    blocker = jobs.submit("txt2img", block, on_device=True)
    started.wait(5)
    quick = jobs.submit("pixelize", lambda ctx: "small", on_device=False)
    assert wait(quick).result == "small"
    assert blocker.state == JobState.running
    release.set()
    assert wait(blocker).state == JobState.done


def test_failures_are_stored_as_values(jobs):
    def bad_input(ctx):
        raise PixrefError("the palette file is empty")

    def bug(ctx):
        raise ZeroDivisionError("oops")

    failed, crashed = (
        jobs.submit("a", bad_input, on_device=False),
        jobs.submit("b", bug, on_device=True),
    )
    assert wait(failed).state == JobState.failed
    assert failed.error == "the palette file is empty" and failed.error_kind == "pixref_error"
    assert wait(crashed).error_kind == "internal_error" and "oops" in crashed.error
    # the device thread survived the bug
    assert wait(jobs.submit("c", lambda ctx: 1, on_device=True)).result == 1


def test_cancel_a_queued_job_and_a_running_one(jobs):
    started = threading.Event()

    def long_run(ctx):
        started.set()
        for _ in range(500):
            if ctx.should_stop():
                raise Cancelled("stopped", partial=["half"])
            time.sleep(0.01)
        return "finished"

    running = jobs.submit("txt2img", long_run, on_device=True)
    queued = jobs.submit("txt2img", lambda ctx: "never", on_device=True)
    started.wait(5)
    assert jobs.cancel(queued.id).state == JobState.cancelled
    jobs.cancel(running.id)
    assert wait(running).state == JobState.cancelled and running.result == ["half"]
    assert wait(queued).result is None


def test_skip_is_seen_once(jobs):
    seen = []
    started, go = threading.Event(), threading.Event()

    def run(ctx):
        started.set()
        go.wait(5)
        seen.extend([ctx.should_skip(), ctx.should_skip()])

    job = jobs.submit("txt2img", run, on_device=True)
    started.wait(5)
    jobs.skip_current()
    go.set()
    wait(job)
    assert seen == [True, False]


def test_progress_and_eta_from_step_events(jobs):
    seen = []
    gate = threading.Event()

    def run(ctx):
        for image in range(2):
            for step in range(1, 5):
                ctx.on_step(SimpleNamespace(step=step, total=4, image_index=image, batch_total=2))
                seen.append(ctx.job.progress)
        gate.set()

    job = jobs.submit("txt2img", run, on_device=True)
    wait(job)
    assert seen == [0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0]
    assert job.summary()["eta"] == 0.0


def test_unknown_job(jobs):
    with pytest.raises(JobNotFound, match="no job 'job-77'"):
        jobs.get("job-77")


def test_events_reach_subscribers_in_order():
    async def scenario():
        queue = JobQueue(cpu_workers=1)
        events = queue.subscribe()

        def run(ctx):
            ctx.progress(0.5, "half way")

        job = queue.submit("snap", run, on_device=False)
        await queue.wait(job)
        got = []
        while not events.empty():
            got.append(events.get_nowait())
        queue.shutdown()
        return got

    got = asyncio.run(scenario())
    assert [e["event"] for e in got] == ["queued", "started", "progress", "done"]
    assert got[2]["job"]["progress"] == 0.5 and got[2]["job"]["message"] == "half way"


def test_device_slots_run_jobs_side_by_side_started_in_order():
    """With two slots (a Ray backend's two actors) two device jobs run at once; they
    start in the order queued, and the third waits for a free slot."""
    jobs = JobQueue(cpu_workers=1, device_slots=2)
    release = threading.Event()
    started: list[int] = []
    both = threading.Barrier(2, timeout=5)

    def work(name):
        def run(ctx):
            started.append(name)
            if name < 2:
                both.wait()  # raises unless the other one runs too
            release.wait(5)
            return name

        return run

    try:
        submitted = [jobs.submit("txt2img", work(i), on_device=True) for i in range(3)]
        deadline = time.monotonic() + 5
        while len(jobs.running_device_jobs()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert jobs.running_device_jobs() == submitted[:2] and jobs.current is submitted[0]
        assert submitted[2].state == JobState.queued and jobs.device_slots == 2
        release.set()
        assert [wait(j).result for j in submitted] == [0, 1, 2]
        assert started[:2] in ([0, 1], [1, 0]) and started[2] == 2
        assert jobs.current is None
    finally:
        jobs.shutdown(wait_s=5)


def test_interrupt_and_skip_reach_every_running_device_job():
    jobs = JobQueue(cpu_workers=1, device_slots=2)
    skipped: list[str] = []

    def run(ctx):
        while not ctx.should_stop():
            if ctx.should_skip():
                skipped.append(ctx.job.id)
            time.sleep(0.005)
        raise Cancelled("interrupted", "partial")

    try:
        submitted = [jobs.submit("txt2img", run, on_device=True) for _ in range(2)]
        deadline = time.monotonic() + 5
        while len(jobs.running_device_jobs()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        jobs.skip_current()
        while len(skipped) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        jobs.interrupt_current()
        assert [wait(j).state for j in submitted] == [JobState.cancelled] * 2
        assert sorted(skipped) == sorted(j.id for j in submitted)
        assert all(j.result == "partial" for j in submitted)
    finally:
        jobs.shutdown(wait_s=5)


def test_shutdown_ends_every_device_slot():
    jobs = JobQueue(cpu_workers=1, device_slots=3)
    jobs.shutdown(wait_s=5)
    assert not any(t.is_alive() for t in jobs._device_threads)
