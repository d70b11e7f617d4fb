"""The prior, the hard-to-fill model and the model factories' contract."""

from __future__ import annotations

import math
import pickle
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agents.offers.evaluate import evaluate_real_offers
from agents.offers.model import (
    make_jobseeker_supply,
    make_offer_intelligence,
)
from agents.offers.prior import BASE_RATE, MarketContext, market_context, tension_prior
from agents.offers.risk import HardToFillModel, hard_to_fill_label
from streams.referential import Referential, Tension, load_referential
from streams.settings import load_settings

POSTED = datetime(2026, 3, 2, tzinfo=UTC)
FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture(scope="module")
def ref() -> Referential:
    return load_referential(load_settings().data_dir)


def tension(cls: int, others: int = 3, jobseekers: int = 10) -> Tension:
    return Tension(10, jobseekers, cls, others, others, others, others, others, others)


# The prior --------------------------------------------------------------------------------------


def test_the_prior_rises_as_the_pool_of_candidates_shrinks() -> None:
    pools = (2000, 500, 76, 20, 12)
    probabilities = [
        tension_prior(MarketContext(tension(3, jobseekers=n), None, None)).probability
        for n in pools
    ]
    assert probabilities == sorted(probabilities) and len(set(probabilities)) == len(pools)
    assert probabilities[2] == pytest.approx(BASE_RATE), "the median pool gets the base rate"
    harsh = tension_prior(MarketContext(tension(3, jobseekers=76, others=5), None, None))
    assert harsh.probability == pytest.approx(0.60, abs=0.01), "hard, non-durable jobs"
    # The tension class says nothing of the pool: it does not move the figure.
    by_class = {
        tension_prior(MarketContext(tension(c, jobseekers=76), None, None)).probability
        for c in range(1, 6)
    }
    assert len(by_class) == 1


def test_an_occupation_missing_from_its_bassin_is_a_small_market(ref: Referential) -> None:
    # Home help (K1304) is in the 2021 file for the bassin of Privas (8420), not for
    # Annonay's (8436): fewer than a dozen job seekers there.
    listed = tension_prior(market_context(ref, "K1304", "8420", "07"))
    small = market_context(ref, "K1304", "8436", "07")
    assert small.tension is None and small.small_market and small.national_conditions
    prior = tension_prior(small)
    assert (listed.source, prior.source) == ("tension", "small_market")
    assert prior.probability > listed.probability
    assert "moins d'une douzaine de demandeurs d'emploi" in prior.describe()
    assert not market_context(ref, "K1304", None, "07").small_market


@pytest.mark.parametrize("sample", ["ft_offers_dev_national.jsonl", "ft_offers_sample.jsonl"])
def test_the_prior_ranks_real_offers_by_france_travails_own_flag(
    ref: Referential, sample: str
) -> None:
    report = evaluate_real_offers(FIXTURES / sample, referential=ref)
    flags = report.flag_aucs()
    assert flags["flagged"] >= 15, "both samples carry the flag on enough offers"
    assert flags["prior"] >= 0.68, flags
    assert flags["prior"] > flags["tension_class"] + 0.1, flags


def test_the_prior_falls_back_from_tension_to_bmo_to_the_base_rate(ref: Referential) -> None:
    with_tension = tension_prior(market_context(ref, "G1803", "8432", "26"))
    assert with_tension.source == "tension" and with_tension.tension_class == 5
    assert "tension 5/5" in with_tension.describe()
    no_bassin = tension_prior(market_context(ref, "G1803", None, "26"))
    assert no_bassin.source == "bmo_departement" and no_bassin.share is not None
    assert "BMO 2024" in no_bassin.describe()
    national = tension_prior(MarketContext(None, None, 0.8))
    assert national.source == "bmo_national" and national.probability > BASE_RATE
    nothing = tension_prior(MarketContext(None, None, None))
    assert (nothing.source, nothing.probability) == ("base_rate", BASE_RATE)


def test_a_rome_4_code_finds_its_parent_fiche_tension(ref: Referential) -> None:
    code = next(c for c in ref.rome_codes() if ref.rome_parent(c) not in (None, c))
    parent = ref.rome_parent(code)
    assert parent is not None
    bassin = next(b for r, b in ref.tension_pairs() if r == parent)
    assert market_context(ref, code, bassin, "75").tension is not None


# Labels -----------------------------------------------------------------------------------------


def closure(outcome: str, days: float, filled_days: float | None = None) -> dict[str, Any]:
    filled = POSTED + timedelta(days=filled_days) if filled_days is not None else None
    return {"outcome": outcome, "closed_at": POSTED + timedelta(days=days), "filled_at": filled}


@pytest.mark.parametrize(
    ("record", "hard"),
    [
        (closure("filled", 12, 10), False),
        (closure("filled", 33, 29), False),  # hired in time, reported late
        (closure("filled", 40, 35), True),
        (closure("filled", 20, None), False),  # no hire date: the closure's
        (closure("expired", 25), True),
        (closure("expired", 90), True),
        (closure("cancelled", 45), True),
        (closure("cancelled", 5), None),  # withdrawn early: unknowable
    ],
)
def test_hard_to_fill_label(record: dict[str, Any], hard: bool | None) -> None:
    assert hard_to_fill_label(POSTED.timestamp(), record) is hard


# The model --------------------------------------------------------------------------------------


def synthetic(n: int, base_rate: float, seed: int = 1) -> list[tuple[dict[str, float], bool]]:
    """Outcomes whose log-odds are linear in two features, with the given base rate."""
    rng = random.Random(seed)
    intercept = math.log(base_rate / (1 - base_rate))
    rows = []
    for _ in range(n):
        x = {"salary_gap": rng.gauss(0, 0.15), "tension": rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0])}
        z = intercept + 6 * x["salary_gap"] + 1.2 * x["tension"]
        rows.append((x, rng.random() < 1 / (1 + math.exp(-z))))
    return rows


@pytest.mark.parametrize("base_rate", [0.1, 0.5])
def test_the_model_ranks_well_and_stays_calibrated_under_imbalance(base_rate: float) -> None:
    model = HardToFillModel(learning_rate=0.01)
    rows = synthetic(6000, base_rate)
    for x, y in rows:
        p = model.model_probability(x)
        model.learn(x, y, p_model=p, p_prior=base_rate, p_served=p, t=0.0)
    held = synthetic(3000, base_rate, seed=2)
    predictions = [model.model_probability(x) for x, _ in held]
    observed = sum(y for _, y in held) / len(held)
    assert sum(predictions) / len(predictions) == pytest.approx(observed, abs=0.04)
    assert model.summary()["recent_auc"] > 0.7


def test_the_served_risk_is_the_prior_until_enough_outcomes_then_a_blend() -> None:
    model = HardToFillModel()
    x = {"salary_gap": 0.3}
    early = model.assess(x, 0.62, min_outcomes=10)
    assert (early.source, early.risk, early.model_weight) == ("prior", 0.62, 0.0)
    for x_, y in synthetic(10, 0.5):
        model.learn(x_, y, p_model=0.5, p_prior=0.5, p_served=0.5, t=0.0)
    later = model.assess(x, 0.62, min_outcomes=10)
    assert later.source == "model" and 0 < later.model_weight < 0.05
    low, high = sorted((later.p_model, later.p_prior))
    assert low <= later.risk <= high


def test_contributions_explain_the_log_odds() -> None:
    model = HardToFillModel(learning_rate=0.01)
    for x, y in synthetic(3000, 0.4):
        model.learn(x, y, p_model=0.5, p_prior=0.4, p_served=0.5, t=0.0)
    contributions = model.contributions({"salary_gap": 0.4, "tension": 0.0})
    assert contributions["salary_gap"] > 1.0 > abs(contributions["tension"])


def test_drift_is_flagged_by_adwin() -> None:
    model = HardToFillModel()
    for i in range(3000):
        hard = i >= 1500  # the world flips: every offer becomes hard
        model.learn({"a": 1.0}, hard, p_model=0.05, p_prior=0.4, p_served=0.05, t=float(i))
    summary = model.summary()
    assert summary["drifts"] >= 1 and summary["last_drift_at"] is not None


# Contract of every model factory of the use case -----------------------------------------------


def _learn_some(model: Any) -> None:
    from agents.offers.features import OfferFacts

    if hasattr(model, "baseline"):
        facts = OfferFacts(2000.0, 0.0, "D", "CDI", 35.0, True, "6", 1)
        model.baseline.learn_offer(["G1603|national:FR"], facts, POSTED.timestamp())
        model.risk.learn({"a": 1.0}, True, p_model=0.5, p_prior=0.4, p_served=0.5, t=0.0)
    else:
        model.update("DE1", ["G1603|national:FR"])


@pytest.mark.parametrize("factory", [make_offer_intelligence, make_jobseeker_supply])
def test_every_model_factory_learns_survives_pickling_and_stays_small(
    factory: Callable[[], Any],
) -> None:
    model = factory()
    _learn_some(model)
    payload = pickle.dumps(model, protocol=5)
    again = pickle.loads(payload)  # noqa: S301 - our own object
    assert type(again) is type(model) and vars(again).keys() == vars(model).keys()
    if hasattr(model, "risk"):
        assert again.risk.summary() == model.risk.summary()
        assert len(again.baseline) == len(model.baseline) == 1
    assert len(payload) < 200_000
