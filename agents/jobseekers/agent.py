"""Faust agent of the job-seekers topic: a thin loop around ``agents.jobseekers.logic``.

The profiles live in a table backed by the compacted ``jobseeker-profiles`` changelog
(``streams.table``), co-partitioned with the job-seekers and emails topics: the handler always
assigns (never mutates) a profile, so the changelog sees each change. The handler reads the
offers use case's model view for the offers open right now in the hints.
"""

from __future__ import annotations

from typing import Any

from agents.jobseekers.logic import JobSeekersConfig, JobSeekersHandler
from agents.jobseekers.model import MODEL_NAME, make_jobseeker_diagnostic
from agents.offers.agent import offer_intelligence_factory
from agents.offers.model import MODEL_NAME as OFFERS_MODEL
from streams.app import runtime, scoring_agent
from streams.runtime import Runtime


@runtime.register
def jobseekers_handler(rt: Runtime) -> JobSeekersHandler:
    """Build the use case from the worker's view and learner of the diagnostic model."""
    return JobSeekersHandler(
        rt.view(MODEL_NAME, make_jobseeker_diagnostic),
        rt.learner(MODEL_NAME, make_jobseeker_diagnostic),
        rt.referential,
        profiles=rt.table("jobseeker-profiles", "jobseekers"),
        offers=rt.view(OFFERS_MODEL, offer_intelligence_factory(rt.settings)),
        config=JobSeekersConfig(
            risk_threshold=rt.settings.long_term_risk_threshold,
            risk_rearm=rt.settings.long_term_risk_rearm,
            reconversion_min_days=rt.settings.reconversion_min_days,
        ),
    )


@scoring_agent("jobseekers")
async def jobseekers(stream: Any) -> None:
    """Keep every job seeker's diagnostic current."""
    await runtime.consume(stream)
