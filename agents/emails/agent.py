"""Faust agent of the emails topic: a thin loop around ``agents.emails.logic``.

The same handler also owns advisers' verdicts on emails and drafts (``AdviserFeedback`` on
the feedback topic, shared with ``agents.feedback`` which records every verdict): both reach
the triage model's one learner through the learning topic.
"""

from __future__ import annotations

from typing import Any

from agents.emails import language
from agents.emails.generative import GenerativeSettings
from agents.emails.logic import EmailsHandler
from agents.emails.model import MODEL_NAME, make_email_triage_model
from streams.app import runtime, scoring_agent
from streams.runtime import Runtime


@runtime.register
def emails_handler(rt: Runtime) -> EmailsHandler:
    """Build the use case from the worker's view and learner of the triage model."""
    # The triage model weighs megabytes (its feedback cache): snapshot it less often than the
    # kB-sized ones (VIGIE_EMAIL_SNAPSHOT_INTERVAL_S); a new learner re-reads the few minutes
    # since the last snapshot from the learning topic.
    learner = rt.learner(
        MODEL_NAME, make_email_triage_model, interval_s=rt.settings.email_snapshot_interval_s
    )
    s = rt.settings
    if s.scores and "emails" in s.scored_topics:
        # The French pipeline loaded now, not in the first batch of emails; a worker that
        # reads no email (VIGIE_SCORE_TOPICS) never loads it: learning needs only features.
        language.warm_up()
    drafts = GenerativeSettings(
        base_url=s.draft_llm_url,
        model=s.draft_llm_model,
        api_key=str(s.draft_llm_key),
        timeout_s=s.draft_llm_timeout_s,
    )
    return EmailsHandler(rt.view(MODEL_NAME, make_email_triage_model), learner, drafts)


@scoring_agent("emails")
async def emails(stream: Any) -> None:
    """Triage every email received: urgency, intents, draft; alert the adviser if urgent."""
    await runtime.consume(stream)
