"""Faust agent of the offers topic: a thin loop around ``agents.offers.logic``."""

from __future__ import annotations

from typing import Any

from agents.offers.logic import OffersHandler
from agents.offers.model import MODEL_NAME, make_salary_baseline
from streams.app import app, input_topics, runtime
from streams.runtime import Runtime


@runtime.register
def offers_handler(rt: Runtime) -> OffersHandler:
    """Build the use case from the worker's models and settings."""
    return OffersHandler(
        rt.model(MODEL_NAME, make_salary_baseline, learns_from=("offers",)),
        ratio_threshold=rt.settings.salary_alert_ratio,
        min_count=rt.settings.baseline_min_count,
        region_of=rt.referential.region_of_departement,
    )


@app.agent(input_topics["offers"])
async def offers(stream: Any) -> None:
    """Assess every offer posted and close the assessment of every offer closed."""
    await runtime.consume(stream)
