"""Faust agent of the offers topic: a thin loop around ``agents.offers.logic``.

The use case also reads job-seeker events (recruitment potential); the job-seekers agent
consumes that topic and the pipeline hands each record to every use case that owns its type.
"""

from __future__ import annotations

import functools
from typing import Any

from agents.offers.logic import OffersConfig, OffersHandler
from agents.offers.model import (
    MODEL_NAME,
    SUPPLY_MODEL_NAME,
    make_jobseeker_supply,
    make_offer_intelligence,
)
from streams.app import app, input_topics, runtime
from streams.runtime import Runtime


@runtime.register
def offers_handler(rt: Runtime) -> OffersHandler:
    """Build the use case from the worker's models and settings."""
    s = rt.settings
    state = rt.model(
        MODEL_NAME,
        functools.partial(
            make_offer_intelligence, s.baseline_half_life_days, s.open_offer_max_days
        ),
        learns_from=("offers",),
    )
    state.model.open_offers.max_open_days = s.open_offer_max_days
    supply = rt.model(SUPPLY_MODEL_NAME, make_jobseeker_supply, learns_from=("jobseekers",))
    return OffersHandler(
        state,
        rt.referential,
        supply=supply,
        config=OffersConfig(
            ratio_threshold=s.salary_alert_ratio,
            min_count=s.baseline_min_count,
            risk_threshold=s.hard_to_fill_threshold,
            min_outcomes=s.hard_to_fill_min_outcomes,
        ),
    )


@app.agent(input_topics["offers"])
async def offers(stream: Any) -> None:
    """Assess every offer posted and close the assessment of every offer closed."""
    await runtime.consume(stream)
