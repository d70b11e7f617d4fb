"""The offers use case as plain functions: assessment, alerts, learning order, restarts."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from agents.offers.features import full_time_equivalent_salary
from agents.offers.gaps import euros
from agents.offers.logic import OffersConfig, OffersHandler
from agents.offers.model import (
    MODEL_NAME,
    SUPPLY_MODEL_NAME,
    make_jobseeker_supply,
    make_offer_intelligence,
)
from sinks.outputs import Outputs, SourceRef, alert_id
from streams.modelstore import ManagedModel, MemoryModelStore
from streams.pipeline import InlineHandler
from streams.referential import Referential, load_referential
from streams.settings import load_settings

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Pizza makers in bassin 8421 (Drôme): tension 5/5 and a small pool (25 job seekers), prior 0.68.
HOT = {"rome_code": "G1604", "rome_label": "Pizzaïolo / Pizzaïola"}
HOT_BASSIN = "8421"


@pytest.fixture(scope="module")
def ref() -> Referential:
    return load_referential(load_settings().data_dir)


def offer(offer_id: str, salary: float | None, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "offer_id": offer_id,
        "rome_code": "G1603",
        "rome_label": "Personnel polyvalent en restauration",
        "departement": "07",
        "bassin": None,
        "posted_at": T0,
        "salary_monthly_gross": salary,
        "weekly_hours": 35.0,
        "full_time": True,
        "contract_type": "CDI",
        "experience_required": "D",
        "experience_months": None,
        "qualification_code": "6",
        "positions": 1,
    }
    record.update(extra)
    return record


def closed(offer_id: str, outcome: str, at: datetime, **extra: Any) -> dict[str, Any]:
    record = {
        "offer_id": offer_id,
        "outcome": outcome,
        "closed_at": at,
        "posted_at": None,
        "filled_at": at if outcome == "filled" else None,
    }
    record.update(extra)
    return record


def handler(
    ref: Referential, store: MemoryModelStore | None = None, **config: Any
) -> OffersHandler:
    store = store or MemoryModelStore()
    state = ManagedModel(MODEL_NAME, store, make_offer_intelligence, interval_s=0)
    supply = ManagedModel(SUPPLY_MODEL_NAME, store, make_jobseeker_supply, interval_s=0)
    h = OffersHandler(state, ref, supply=supply, config=OffersConfig(**config))
    return InlineHandler(h, {MODEL_NAME: state, SUPPLY_MODEL_NAME: supply})  # type: ignore[return-value]


def src(offset: int, topic: str = "vigie.offers") -> SourceRef:
    return SourceRef(topic, 0, offset, 1_770_000_000_000)


def offer_state(out: Outputs, offer_id: str) -> dict[str, str]:
    """The last assessment written for ``offer_id`` in ``out``."""
    return next(
        s.fields for s in reversed(out.states) if s.kind == "offer" and s.entity_id == offer_id
    )


def post(h: OffersHandler, out: Outputs, records: list[dict[str, Any]], first: int = 0) -> None:
    for i, record in enumerate(records):
        h.handle("OfferPosted", record, src(first + i), out)


def test_part_time_salary_is_scaled_to_full_time() -> None:
    record = offer("a", 1000.0, weekly_hours=20.0, full_time=False)
    assert full_time_equivalent_salary(record) == pytest.approx(1750.0)
    assert full_time_equivalent_salary(offer("b", None)) is None


def test_no_verdict_until_the_market_has_enough_offers(ref: Referential) -> None:
    h, out = handler(ref), Outputs()
    post(h, out, [offer(f"ok{i}", 2000.0) for i in range(4)])
    h.handle("OfferPosted", offer("low", 1000.0), src(10), out)
    assert offer_state(out, "low")["salary_assessment"] == "no_baseline"
    assert not out.alerts


def test_low_salary_raises_one_explained_alert_in_french(ref: Referential) -> None:
    h, out = handler(ref), Outputs()
    post(
        h,
        out,
        [offer(f"ok{i}", float(p)) for i, p in enumerate((1900, 2000, 2100, 2000, 1950, 2050))],
    )
    assert out.alerts == []
    h.handle("OfferPosted", offer("low", 1200.0), src(99), out)
    alerts = [a for a in out.alerts if a["alert_type"] == "offer_low_salary"]
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["alert_id"] == alert_id(src(99), "offer_low_salary")
    assert alert["subject_id"] == "low" and alert["audience_id"] == "07"
    assert alert["model_name"] == MODEL_NAME and alert["model_version"] == "v0+6"
    assert "1 200 €" in alert["reasons"][0]["message"]
    assert "médiane" in alert["reasons"][0]["message"]
    assert alert["suggestions"][0].startswith("Aligner le salaire sur la médiane locale")
    assert alert["inputs"]["market_count"] == "6"
    assert alert["score"] == pytest.approx(1 - 1200 / alert["reasons"][0]["reference"], abs=1e-3)
    state = offer_state(out, "low")
    assert state["alert_id"] == alert["alert_id"] and state["salary_assessment"] == "below_market"
    report = orjson.loads(state["gap_report"])
    assert report["checks"]["salary_below_q1"] == "écart"
    assert "salaire sous le premier quartile local" in state["reasons"]


def test_the_offer_is_scored_before_it_is_learnt(ref: Referential) -> None:
    h, out = handler(ref, min_count=1), Outputs()
    h.handle("OfferPosted", offer("first", 2000.0), src(0), out)
    assert offer_state(out, "first")["salary_assessment"] == "no_baseline"  # not against itself
    h.handle("OfferPosted", offer("second", 1000.0), src(1), out)
    assert offer_state(out, "second")["salary_assessment"] == "below_market"


def test_a_thin_local_market_falls_back_to_the_next_level_and_says_so(ref: Referential) -> None:
    h, out = handler(ref), Outputs()
    drome = [
        offer(f"d{i}", float(p), departement="26")
        for i, p in enumerate((1950, 2000, 2050, 2000, 1980, 2020))
    ]
    post(h, out, drome)
    h.handle("OfferPosted", offer("ardeche", 1200.0), src(50), out)  # first offer in 07
    alert = next(a for a in out.alerts if a["alert_type"] == "offer_low_salary")
    assert alert["reasons"][0]["level"] == "region"
    assert alert["inputs"]["market_level"] == "region"
    assert "la région" in alert["reasons"][0]["message"]
    post(h, out, [offer(f"a{i}", 1500.0) for i in range(5)], first=60)
    h.handle("OfferPosted", offer("ardeche-2", 1300.0), src(70), out)
    assert offer_state(out, "ardeche-2")["market_level"] == "departement"
    assert offer_state(out, "ardeche-2")["salary_assessment"] == "in_market"  # 1300/1500 >= 0.8


def test_every_offer_gets_an_assessment_with_its_gap_report(ref: Referential) -> None:
    h, out = handler(ref), Outputs()
    h.handle("OfferPosted", offer("nosal", None, qualification_code=None), src(0), out)
    state = offer_state(out, "nosal")
    assert state["status"] == "open" and state["salary_assessment"] == "no_salary"
    assert state["risk_source"] == "prior" and 0 < float(state["risk"]) < 1
    checks = orjson.loads(state["gap_report"])["checks"]
    assert checks["salary_below_q1"] == "salaire non précisé"
    assert state["salary_words"] == "salaire non précisé"
    assert checks["qualification_above_norm"] == "qualification non précisée"
    assert checks["rare_contract"] == "trop peu d'offres comparables"
    assert h.state.pending == 1, "the offer's other figures are learnt"


def test_high_tension_low_salary_offer_gets_a_prior_risk_alert_that_says_so(
    ref: Referential,
) -> None:
    h, out = handler(ref, risk_threshold=0.6), Outputs()
    market = [
        offer(f"m{i}", float(p), bassin=HOT_BASSIN, departement="26", **HOT)
        for i, p in enumerate((1850, 1900, 1950, 2000, 2050, 2100))
    ]
    post(h, out, market)
    assert [a["alert_type"] for a in out.alerts] == ["offer_hard_to_fill"] * len(market)
    out = Outputs()
    low = offer("low", 1500.0, bassin=HOT_BASSIN, departement="26", **HOT)
    h.handle("OfferPosted", low, src(20), out)
    risk = next(a for a in out.alerts if a["alert_type"] == "offer_hard_to_fill")
    assert risk["alert_id"] == alert_id(src(20), "offer_hard_to_fill")
    assert risk["audience_kind"] == "area" and risk["audience_id"] == "26"
    assert risk["score"] == pytest.approx(float(risk["inputs"]["p_prior"]), abs=1e-4)
    first = risk["reasons"][0]
    assert first["code"] == "hard_to_fill_risk"
    assert (
        "estimation a priori (indicateurs de tension), le modèle n'a pas encore assez "
        "d'issues observées" in first["message"]
    )
    codes = [r["code"] for r in risk["reasons"]]
    assert "salary_below_q1" in codes and codes[-1] == "market_tension"
    salary = risk["reasons"][codes.index("salary_below_q1")]
    assert salary["value"] == 1500.0 and salary["level"] == "bassin"
    assert f"bassin d'emploi {HOT_BASSIN}" in salary["message"]
    assert any(
        s.startswith("Aligner le salaire sur la médiane locale : 1 9") for s in risk["suggestions"]
    )
    assert risk["inputs"]["risk_source"] == "prior" and "x.salary_gap" in risk["inputs"]
    state = offer_state(out, "low")
    assert state["risk_alert_id"] == risk["alert_id"] and state["prior_source"] == "tension"


def test_closing_an_offer_closes_its_assessment(ref: Referential) -> None:
    h, out = handler(ref), Outputs()
    h.handle("OfferPosted", offer("x", 2000.0), src(0), out)
    h.handle("OfferClosed", closed("x", "filled", T0 + timedelta(days=3)), src(1), out)
    fields = offer_state(out, "x")
    assert fields["status"] == "closed" and fields["outcome"] == "filled"
    assert fields["days_open"] == "3.00" and fields["hard_to_fill_observed"] == "0"
    assert "risk_at_posting" in fields
    h.handle("OfferClosed", closed("never-seen", "filled", T0), src(2), out)
    assert offer_state(out, "never-seen")["status"] == "closed"
    assert h.intelligence.closed_unknown == 1


def test_outcomes_are_learnt_37_days_after_posting_with_the_posting_features(
    ref: Referential,
) -> None:
    h, out = handler(ref), Outputs()
    h.handle("OfferPosted", offer("quick", 2000.0), src(0), out)
    h.handle("OfferPosted", offer("slow", 2000.0, posted_at=T0 + timedelta(hours=1)), src(1), out)
    stored = h.intelligence.open_offers.get("slow")
    assert stored is not None and len(stored.features) > 20
    h.handle("OfferClosed", closed("quick", "filled", T0 + timedelta(days=2)), src(2), out)
    assert h.intelligence.risk.n_outcomes == 0, "a quick hire waits for the offers of its age"
    later = offer("later", 2000.0, posted_at=T0 + timedelta(days=39))
    h.handle("OfferPosted", later, src(3), out)
    assert h.intelligence.risk.n_outcomes == 0, "no closure seen since: 'still open' unproven"
    h.handle("OfferClosed", closed("later", "filled", T0 + timedelta(days=40)), src(4), out)
    model = h.intelligence.risk
    assert (model.n_outcomes, model.positives) == (2, 1)  # quick: easy; slow: still open, hard
    assert h.intelligence.labelled_open == 1
    assert len(h.intelligence.open_offers.get("slow").features) == 0, "features dropped once learnt"
    h.handle("OfferClosed", closed("slow", "filled", T0 + timedelta(days=45)), src(5), out)
    assert model.n_outcomes == 2, "not learnt twice"
    assert offer_state(out, "slow")["hard_to_fill_observed"] == "1"


def test_offers_are_not_learnt_as_unfilled_while_no_closure_arrives(ref: Referential) -> None:
    h, out = handler(ref), Outputs()
    post(h, out, [offer(f"o{i}", 2000.0) for i in range(3)])
    # Postings go on for two months but the closure feed is silent (an upstream outage):
    h.handle("OfferPosted", offer("late", 2000.0, posted_at=T0 + timedelta(days=60)), src(9), out)
    assert h.intelligence.risk.n_outcomes == 0
    # Closures come back, up to day 61: the three are now known to have stayed open.
    h.handle("OfferClosed", closed("late", "cancelled", T0 + timedelta(days=61)), src(10), out)
    assert (h.intelligence.risk.n_outcomes, h.intelligence.risk.positives) == (3, 3)


def test_an_early_withdrawal_is_censored(ref: Referential) -> None:
    h, out = handler(ref), Outputs()
    h.handle("OfferPosted", offer("w", 2000.0), src(0), out)
    h.handle("OfferClosed", closed("w", "cancelled", T0 + timedelta(days=5)), src(1), out)
    h.handle("OfferPosted", offer("z", 2000.0, posted_at=T0 + timedelta(days=60)), src(2), out)
    assert h.intelligence.censored == 1 and h.intelligence.risk.n_outcomes == 0


def test_a_redelivered_event_is_not_learnt_twice(ref: Referential) -> None:
    h, out = handler(ref), Outputs()
    h.handle("OfferPosted", offer("a", 2000.0), src(0), out)
    h.handle("OfferPosted", offer("a", 2000.0), src(0), out)
    assert h.state.pending == 1
    assert h.intelligence.baseline.figures("G1603|national:FR", T0.timestamp()).offers_raw == 1


def test_recruitment_potential_counts_open_offers_and_active_seekers(ref: Referential) -> None:
    h, out = handler(ref), Outputs()
    seeker = {
        "jobseeker_id": "DE1",
        "rome_code": "G1603",
        "departement": "07",
        "bassin": "8401",
        "updated_at": T0,
    }
    h.handle("JobSeekerProfileUpdated", seeker, src(0, "vigie.jobseekers"), out)
    h.handle(
        "JobSeekerProfileUpdated",
        {**seeker, "jobseeker_id": "DE2"},
        src(1, "vigie.jobseekers"),
        out,
    )
    post(h, out, [offer("o1", 2000.0, bassin="8401", positions=2)])
    potential = {s.entity_id: s.fields for s in out.states if s.kind == "potential"}
    bassin = potential["G1603:bassin:8401"]
    assert (bassin["open_offers"], bassin["open_positions"], bassin["active_jobseekers"]) == (
        "1",
        "2",
        "2",
    )
    assert bassin["ratio"] == "2.00"
    assert potential["G1603:national:FR"]["active_jobseekers"] == "2"
    assert len([s for s in out.states if s.kind == "potential"]) == len(potential), "once a batch"
    out = Outputs()
    moved = {**seeker, "departement": "26", "bassin": "2609", "updated_at": T0 + timedelta(days=1)}
    h.handle("JobSeekerProfileUpdated", moved, src(2, "vigie.jobseekers"), out)
    exited = {"jobseeker_id": "DE2", "exited_at": T0 + timedelta(days=2), "reason": "moved"}
    h.handle("JobSeekerExited", exited, src(3, "vigie.jobseekers"), out)
    h.handle("OfferClosed", closed("o1", "filled", T0 + timedelta(days=3)), src(1), out)
    potential = {s.entity_id: s.fields for s in out.states if s.kind == "potential"}
    assert potential["G1603:bassin:8401"]["active_jobseekers"] == "0"
    assert potential["G1603:bassin:8401"]["open_offers"] == "0"
    assert potential["G1603:bassin:2609"]["active_jobseekers"] == "1"
    assert potential["G1603:national:FR"]["active_jobseekers"] == "1"


def test_the_metrics_hash_is_written_once_a_batch(ref: Referential) -> None:
    h, out = handler(ref), Outputs()
    post(h, out, [offer(f"o{i}", 2000.0) for i in range(3)])
    metrics = [s for s in out.states if s.kind == "model"]
    assert len(metrics) == 1 and metrics[0].entity_id == "offer-hard-to-fill"
    assert metrics[0].fields["open_offers"] == "3" and metrics[0].fields["in_use"] == "prior"
    h.state.maybe_snapshot()
    snapshot = h.state.store.latest(MODEL_NAME)
    assert snapshot is not None and snapshot.metadata["open_offers"] == 3
    assert "auc" in snapshot.metadata["hard_to_fill"]


def test_a_restored_worker_keeps_baselines_open_offers_and_the_model(ref: Referential) -> None:
    store = MemoryModelStore()
    first, out = handler(ref, store), Outputs()
    post(
        first,
        out,
        [offer(f"m{i}", float(p)) for i, p in enumerate((1900, 2000, 2100, 2000, 1950, 2050))],
    )
    first.state.maybe_snapshot()  # interval 0: snapshot now
    second, out = handler(ref, store), Outputs()
    assert second.state.version == 1 and len(second.intelligence.open_offers) == 6
    assert not second.state.should_learn("vigie.offers", 0, 5)
    second.handle("OfferPosted", offer("low", 1200.0), src(6), out)
    assert offer_state(out, "low")["salary_assessment"] == "below_market", "on the old market"
    for i in range(6):
        quick = closed(f"m{i}", "filled", T0 + timedelta(days=2))
        second.handle("OfferClosed", quick, src(7 + i), out)
    later = T0 + timedelta(days=40)
    second.handle("OfferPosted", offer("later", 2000.0, posted_at=later), src(13), out)
    second.handle("OfferClosed", closed("later", "filled", later), src(14), out)
    model = second.intelligence.risk
    # The six quick hires (learnt from the features kept before the restart) and "low", open.
    assert (model.n_outcomes, model.positives) == (7, 1)
    assert second.intelligence.closed_unknown == 0


def test_open_offers_that_never_close_are_forgotten(ref: Referential) -> None:
    store = MemoryModelStore()
    state = ManagedModel(MODEL_NAME, store, lambda: make_offer_intelligence(180.0, 60.0))
    h, out = InlineHandler(OffersHandler(state, ref), {MODEL_NAME: state}), Outputs()
    h.handle("OfferPosted", offer("old", 2000.0), src(0), out)
    h.handle("OfferPosted", offer("new", 2000.0, posted_at=T0 + timedelta(days=61)), src(1), out)
    offers = h.intelligence.open_offers
    assert offers.get("old") is None and offers.get("new") is not None
    assert offers.forgotten == 1
    assert offers.counts("G1603|national:FR") == (1, 1)


def test_euros_uses_french_grouping() -> None:
    assert euros(2150.4) == "2 150 €"
    assert euros(980) == "980 €"
    assert not math.isnan(float(euros(1000).split()[0]))


def test_the_per_market_caches_stay_bounded_as_markets_come_and_go(
    ref: Referential, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by benchmarks/memory_growth.py: the Redis ids of the markets' potential hashes
    were cached for every market ever seen."""
    import agents.offers.logic as logic

    monkeypatch.setattr(logic, "CACHE_LIMIT", 20)
    h = handler(ref)
    out = Outputs()
    codes = ref.rome_codes()[:40]
    post(h, out, [offer(f"O{i}", 2000.0, rome_code=code) for i, code in enumerate(codes)])
    inner = h.handler  # type: ignore[attr-defined]
    assert len({s.entity_id for s in out.states if s.kind == "potential"}) > 20
    assert len(inner._potential_ids) <= 20
    assert len(inner._contexts) <= 21
