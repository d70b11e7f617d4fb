"""Faust agent of the offers topic: a thin loop around ``agents.offers.logic``.

The use case also reads job-seeker events (recruitment potential); the job-seekers agent
consumes that topic and the pipeline hands each record to every use case that owns its type.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from agents.offers.logic import OffersConfig, OffersHandler
from agents.offers.model import (
    MODEL_NAME,
    SUPPLY_MODEL_NAME,
    OfferIntelligence,
    make_jobseeker_supply,
    make_offer_intelligence,
)
from streams.app import runtime, scoring_agent
from streams.runtime import Runtime
from streams.settings import Settings


def offer_intelligence_factory(s: Settings) -> Callable[[], OfferIntelligence]:
    """How a fresh offer-intelligence model is made with these settings (views share it)."""
    return functools.partial(
        make_offer_intelligence, s.baseline_half_life_days, s.open_offer_max_days
    )


@runtime.register
def offers_handler(rt: Runtime) -> OffersHandler:
    """Build the use case from the worker's models (views and learners) and settings."""
    s = rt.settings
    intelligence = offer_intelligence_factory(s)
    return OffersHandler(
        rt.learner(MODEL_NAME, intelligence),
        rt.referential,
        supply=rt.learner(SUPPLY_MODEL_NAME, make_jobseeker_supply),
        state_view=rt.view(MODEL_NAME, intelligence),
        supply_view=rt.view(SUPPLY_MODEL_NAME, make_jobseeker_supply),
        config=OffersConfig(
            ratio_threshold=s.salary_alert_ratio,
            min_count=s.baseline_min_count,
            risk_threshold=s.hard_to_fill_threshold,
            min_outcomes=s.hard_to_fill_min_outcomes,
        ),
    )


@scoring_agent("offers")
async def offers(stream: Any) -> None:
    """Assess every offer posted and close the assessment of every offer closed."""
    await runtime.consume(stream)
