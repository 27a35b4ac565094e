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
