"""The offers use case as plain functions: salary assessment, alerts, learning order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agents.offers.features import full_time_equivalent_salary
from agents.offers.logic import OffersHandler, assess_salary, euros
from agents.offers.model import MODEL_NAME, BaselineSummary, make_salary_baseline
from sinks.outputs import Outputs, SourceRef, alert_id
from streams.modelstore import ManagedModel, MemoryModelStore


def offer(offer_id: str, salary: float | None, **extra: object) -> dict[str, object]:
    record: dict[str, object] = {
        "offer_id": offer_id,
        "rome_code": "G1603",
        "rome_label": "Personnel polyvalent en restauration",
        "departement": "07",
        "posted_at": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        "salary_monthly_gross": salary,
        "weekly_hours": 35.0,
        "full_time": True,
    }
    record.update(extra)
    return record


def handler(min_count: int = 5) -> OffersHandler:
    model = ManagedModel(MODEL_NAME, MemoryModelStore(), make_salary_baseline)
    return OffersHandler(model, ratio_threshold=0.8, min_count=min_count)


def src(offset: int) -> SourceRef:
    return SourceRef("vigie.offers", 0, offset, 1_770_000_000_000)


def test_part_time_salary_is_scaled_to_full_time() -> None:
    record = offer("a", 1000.0, weekly_hours=20.0, full_time=False)
    assert full_time_equivalent_salary(record) == pytest.approx(1750.0)
    assert full_time_equivalent_salary(offer("b", None)) is None


def test_no_verdict_until_the_market_has_enough_offers() -> None:
    market = BaselineSummary(count=4, q1=1800, median=2000, q3=2200)
    assert assess_salary(1000, market, ratio_threshold=0.8, min_count=5).ratio is None
    finding = assess_salary(1000, market, ratio_threshold=0.8, min_count=4)
    assert finding.ratio == pytest.approx(0.5)
    assert finding.below_market


def test_low_salary_raises_one_explained_alert_in_french() -> None:
    h, out = handler(), Outputs()
    for i, pay in enumerate((1900, 2000, 2100, 2000, 1950, 2050)):
        h.handle("OfferPosted", offer(f"ok{i}", float(pay)), src(i), out)
    assert out.alerts == []
    h.handle("OfferPosted", offer("low", 1200.0), src(99), out)
    assert len(out.alerts) == 1
    alert = out.alerts[0]
    assert alert["alert_id"] == alert_id(src(99), "offer_low_salary")
    assert alert["subject_id"] == "low" and alert["audience_id"] == "07"
    assert alert["model_name"] == MODEL_NAME and alert["model_version"] == "v0+6"
    assert "1 200 €" in alert["reasons"][0]["message"]
    assert "médiane" in alert["reasons"][0]["message"]
    assert alert["suggestions"][0].startswith("Aligner le salaire sur la médiane locale")
    assert alert["inputs"]["market_count"] == "6"
    assert alert["score"] == pytest.approx(1 - 1200 / alert["reasons"][0]["reference"], abs=1e-3)


def test_the_offer_is_scored_before_it_is_learnt() -> None:
    h, out = handler(min_count=1), Outputs()
    h.handle("OfferPosted", offer("first", 2000.0), src(0), out)
    state = out.states[-1].fields
    assert state["salary_assessment"] == "no_baseline"  # it was not compared with itself
    h.handle("OfferPosted", offer("second", 1000.0), src(1), out)
    assert out.states[-1].fields["salary_assessment"] == "below_market"


def test_closing_an_offer_closes_its_assessment() -> None:
    h, out = handler(), Outputs()
    closed = {"offer_id": "x", "outcome": "filled", "closed_at": datetime(2026, 4, 1, tzinfo=UTC)}
    h.handle("OfferClosed", closed, src(5), out)
    assert out.states[0].fields["status"] == "closed"
    assert out.states[0].fields["outcome"] == "filled"


def test_offer_without_salary_is_assessed_but_not_learnt() -> None:
    h, out = handler(), Outputs()
    h.handle("OfferPosted", offer("nosal", None), src(0), out)
    assert out.states[0].fields["salary_assessment"] == "no_salary"
    assert h.baseline.pending == 0


def test_euros_uses_french_grouping() -> None:
    assert euros(2150.4) == "2 150 €"
    assert euros(980) == "980 €"


def test_a_thin_local_market_falls_back_to_the_next_level_and_says_so() -> None:
    model = ManagedModel(MODEL_NAME, MemoryModelStore(), make_salary_baseline)
    h = OffersHandler(
        model,
        ratio_threshold=0.8,
        min_count=5,
        region_of=lambda dep: "84" if dep in {"07", "26"} else "11",
    )
    out = Outputs()
    for i, pay in enumerate((1950, 2000, 2050, 2000, 1980, 2020)):
        h.handle("OfferPosted", offer(f"drome-{i}", float(pay), departement="26"), src(i), out)
    h.handle("OfferPosted", offer("ardeche", 1200.0), src(50), out)  # first offer in 07
    assert len(out.alerts) == 1
    alert = out.alerts[0]
    assert alert["reasons"][0]["level"] == "region"
    assert alert["inputs"]["market_level"] == "region"
    assert "la région" in alert["reasons"][0]["message"]
    for i, pay in enumerate((1500, 1500, 1500, 1500, 1500)):
        h.handle("OfferPosted", offer(f"ard-{i}", float(pay)), src(60 + i), out)
    h.handle("OfferPosted", offer("ardeche-2", 1300.0), src(70), out)
    assert out.states[-1].fields["market_level"] == "departement"
    assert out.states[-1].fields["salary_assessment"] == "in_market"  # 1300 / ~1500 >= 0.8
