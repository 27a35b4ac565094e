"""``/api/jobs``: list, inspect and cancel background jobs; their events as a stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel

from pixref.server._errors import API_ERROR_RESPONSES, NotFound
from pixref.server._jobs import JobState
from pixref.server._results import job_result as outcome
from pixref.server._state import State

router = APIRouter(prefix="/api/jobs", tags=["jobs"], responses=API_ERROR_RESPONSES)
#: Seconds between keep-alive comments on an idle event stream.
KEEPALIVE = 15.0


@router.get("")
def list_jobs(state: State) -> list[dict[str, Any]]:
    """Every known job, newest first, with state, progress and time left."""
    return [job.summary() for job in state.jobs.jobs()]


@router.get("/events", response_class=EventSourceResponse)
async def job_events(request: Request, state: State) -> AsyncIterator[ServerSentEvent]:
    """Server-Sent Events: ``queued``, ``started``, ``progress``, ``done``, ``failed``,
    ``cancelled``, each with the job's summary as JSON data."""
    events = state.jobs.subscribe()
    try:
        while not await request.is_disconnected():
            try:
                message = await asyncio.wait_for(events.get(), KEEPALIVE)
            except TimeoutError:
                yield ServerSentEvent(comment="keep-alive")
                continue
            yield ServerSentEvent(event=message["event"], data=message["job"])
    finally:
        state.jobs.unsubscribe(events)


@router.get("/{job_id}")
def get_job(job_id: str, state: State) -> dict[str, Any]:
    """One job's summary."""
    return state.jobs.get(job_id).summary()


@router.post("/{job_id}/cancel")
def cancel_job(job_id: str, state: State) -> dict[str, Any]:
    """Cancel a queued job, or ask a running one to stop at its next step."""
    return state.jobs.cancel(job_id).summary()


@router.get("/{job_id}/result", summary="A finished job's result", responses=API_ERROR_RESPONSES)
def job_result(job_id: str, state: State) -> Any:
    """What a job queued with ``?wait=false`` made, in the shape its route answers with.

    409 while it is queued or running, or when it was cancelled without a result; a
    failed job answers with its error, as the route would have.
    """
    job = state.jobs.get(job_id)
    if job.state == JobState.cancelled and job.result is not None:
        result = job.result
    else:
        result = outcome(job)
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    raise NotFound(f"job {job_id} ({job.kind}) has no result to show as JSON")
