"""Faust agent of the job-seekers topic."""

from __future__ import annotations

from typing import Any

from agents.jobseekers.logic import JobSeekersHandler
from streams.app import app, input_topics, runtime
from streams.runtime import Runtime


@runtime.register
def jobseekers_handler(rt: Runtime) -> JobSeekersHandler:
    """Build the use case."""
    return JobSeekersHandler()


@app.agent(input_topics["jobseekers"])
async def jobseekers(stream: Any) -> None:
    """Keep every job seeker's latest state."""
    await runtime.consume(stream)
