"""Faust agent of the feedback topic."""

from __future__ import annotations

from typing import Any

from agents.feedback.logic import FeedbackHandler
from streams.app import runtime, scoring_agent
from streams.runtime import Runtime


@runtime.register
def feedback_handler(rt: Runtime) -> FeedbackHandler:
    """Build the use case."""
    return FeedbackHandler()


@scoring_agent("feedback")
async def feedback(stream: Any) -> None:
    """Record every adviser verdict."""
    await runtime.consume(stream)
