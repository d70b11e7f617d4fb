"""Faust agent of the emails topic."""

from __future__ import annotations

from typing import Any

from agents.emails.logic import EmailsHandler
from streams.app import app, input_topics, runtime
from streams.runtime import Runtime


@runtime.register
def emails_handler(rt: Runtime) -> EmailsHandler:
    """Build the use case."""
    return EmailsHandler()


@app.agent(input_topics["emails"])
async def emails(stream: Any) -> None:
    """Record every email received."""
    await runtime.consume(stream)
