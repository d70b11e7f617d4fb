"""Faust agent of the emails topic: a thin loop around ``agents.emails.logic``.

The same handler also owns advisers' verdicts on emails and drafts (``AdviserFeedback`` on
the feedback topic, shared with ``agents.feedback`` which records every verdict): the triage
model learns from both topics and is restored from, and snapshotted to, the model store.
"""

from __future__ import annotations

from typing import Any

from agents.emails.logic import EmailsHandler
from agents.emails.model import MODEL_NAME, SNAPSHOT_MIN_INTERVAL_S, make_email_triage_model
from streams.app import app, input_topics, runtime
from streams.runtime import Runtime


@runtime.register
def emails_handler(rt: Runtime) -> EmailsHandler:
    """Build the use case from the worker's triage model."""
    managed = rt.model(MODEL_NAME, make_email_triage_model, learns_from=("emails", "feedback"))
    # The triage model weighs megabytes (its feedback cache): snapshot it less often than the
    # kB-sized ones; a restart re-learns the few minutes since the last snapshot.
    managed.interval_s = max(managed.interval_s, SNAPSHOT_MIN_INTERVAL_S)
    return EmailsHandler(managed)


@app.agent(input_topics["emails"])
async def emails(stream: Any) -> None:
    """Triage every email received: urgency, intents, draft; alert the adviser if urgent."""
    await runtime.consume(stream)
