"""Market baselines: decay in event time, order independence, per-figure fallback, quantiles."""

from __future__ import annotations

import math
import pickle
import random
from datetime import UTC, datetime

import pytest

from agents.offers.baseline import MarketBaseline, local_norms, quantiles, trusted
from agents.offers.features import OfferFacts, market_keys

T0 = datetime(2026, 3, 2, tzinfo=UTC).timestamp()
DAY = 86_400.0
KEY = "G1603|departement:07"


def facts(pay: float | None = 2000.0, **changes: object) -> OfferFacts:
    base = {
        "salary_fte": pay,
        "experience_months": 0.0,
        "experience_required": "D",
        "contract": "CDI",
        "weekly_hours": 35.0,
        "full_time": True,
        "qualification": "6",
        "positions": 1,
    }
    base.update(changes)
    return OfferFacts(**base)  # type: ignore[arg-type]


def test_counts_halve_every_half_life_of_event_time() -> None:
    base = MarketBaseline(half_life_days=180)
    for _ in range(8):
        base.learn_offer([KEY], facts(), T0)
    assert base.figures(KEY, T0).offers == pytest.approx(8)
    assert base.figures(KEY, T0 + 180 * DAY).offers == pytest.approx(4)
    assert base.figures(KEY, T0 + 360 * DAY).offers == pytest.approx(2)
    assert base.figures(KEY, T0 + 360 * DAY).offers_raw == 8
    # Reading before the market's last event never counts more than was seen.
    assert base.figures(KEY, T0 - 50 * DAY).offers == pytest.approx(8)


def test_recent_offers_outweigh_old_ones() -> None:
    base = MarketBaseline(half_life_days=30)
    for _ in range(10):
        base.learn_offer([KEY], facts(1500.0), T0)
    for _ in range(10):
        base.learn_offer([KEY], facts(2500.0), T0 + 365 * DAY)
    _, median, _ = base.figures(KEY, T0 + 365 * DAY).salary_quartiles()
    assert median == pytest.approx(2500, rel=0.01), "a year-old market no longer counts"


def test_figures_do_not_depend_on_the_order_events_arrive_in() -> None:
    rng = random.Random(3)
    events = [
        (T0 + rng.uniform(0, 400) * DAY, rng.uniform(1500, 3000), rng.choice(["CDI", "CDD"]))
        for _ in range(200)
    ]
    shuffled = list(events)
    random.Random(9).shuffle(shuffled)
    a, b = MarketBaseline(), MarketBaseline()
    for base, stream in ((a, events), (b, shuffled)):
        for t, pay, contract in stream:
            base.learn_offer([KEY], facts(pay, contract=contract), t)
    at = T0 + 500 * DAY
    fa, fb = a.figures(KEY, at), b.figures(KEY, at)
    assert fa.offers == pytest.approx(fb.offers)
    assert fa.salary_quartiles() == pytest.approx(fb.salary_quartiles())
    assert fa.contract_shares == pytest.approx(fb.contract_shares)


def test_weights_are_rebased_long_before_they_overflow() -> None:
    base = MarketBaseline(half_life_days=1)
    for day in range(0, 3000, 10):  # exp(rate x t) would overflow after ~700 days
        base.learn_offer([KEY], facts(2000.0 + day % 7), T0 + day * DAY)
    fig = base.figures(KEY, T0 + 2990 * DAY)
    assert math.isfinite(fig.offers) and 1.0 <= fig.offers < 1.01
    assert math.isfinite(fig.salary_quartiles()[1])


def test_every_figure_of_the_market_is_kept() -> None:
    base = MarketBaseline()
    base.learn_offer([KEY], facts(2000.0, experience_months=24.0, contract="CDD"), T0)
    base.learn_offer(
        [KEY], facts(2200.0, full_time=False, weekly_hours=24.0, qualification="7"), T0
    )
    base.learn_offer(
        [KEY], facts(None, experience_months=None, full_time=None, weekly_hours=None), T0
    )
    base.learn_outcome([KEY], T0 + 10 * DAY, days_to_fill=9.0, hard=None)
    base.learn_outcome([KEY], T0 + 40 * DAY, days_to_fill=None, hard=True)
    base.learn_outcome([KEY], T0 + 40 * DAY, days_to_fill=None, hard=False)
    fig = base.figures(KEY, T0 + 40 * DAY)
    assert fig.offers_raw == 3 and fig.salary_count == pytest.approx(2 * 0.5 ** (40 / 180))
    assert fig.experience_mean_months == pytest.approx(12.0)
    assert fig.contract_shares == pytest.approx({"CDI": 2 / 3, "CDD": 1 / 3})
    assert fig.full_time_share == pytest.approx(0.5)
    assert fig.mean_hours == pytest.approx(29.5)
    assert fig.qualification_shares == pytest.approx({"6": 2 / 3, "7": 1 / 3})
    assert fig.modal_qualification() == "6"
    assert fig.median_days_to_fill() == pytest.approx(9.0, rel=0.05)
    assert fig.hard_share == pytest.approx(0.5)


def test_each_figure_falls_back_to_the_finest_level_that_knows_enough() -> None:
    base = MarketBaseline()
    keys = market_keys("G1603", bassin="8420", departement="07", region="84")
    for _ in range(5):
        base.learn_offer([k for _, k in keys], facts(2000.0, qualification=None), T0)
    for _ in range(5):
        base.learn_offer([k for _, k in keys[1:]], facts(2100.0), T0)
    norms = local_norms(base, keys, T0, min_count=5)
    assert norms.salary is not None and norms.salary[0] == "bassin"
    assert norms.qualification is not None and norms.qualification[0] == "departement"
    assert norms.outcomes is None
    assert norms.salary_quartiles is not None
    assert [level for level, _ in norms.markets] == ["bassin", "departement", "region", "national"]


def test_quantiles_interpolate_like_the_midpoint_rule() -> None:
    step = math.log(1.0025)
    bins: dict[int, float] = {}
    for pay in (1900, 2000, 2000, 2100, 2200):
        b = round(math.log(pay) / step)
        bins[b] = bins.get(b, 0.0) + 1.0
    q1, median, q3 = quantiles(bins, step, (0.25, 0.5, 0.75))
    assert median == pytest.approx(2000, rel=0.002)
    assert q1 == pytest.approx(1975, rel=0.003) and q3 == pytest.approx(2125, rel=0.003)
    assert quantiles({b: 1.0}, step, (0.1, 0.9)) == pytest.approx([2200, 2200], rel=0.002)


def test_a_few_days_old_offers_still_count_as_whole_offers() -> None:
    assert trusted(4.97, 5) and not trusted(4.9, 5)


def test_a_large_baseline_pickles_fast_and_round_trips() -> None:
    base = MarketBaseline()
    rng = random.Random(1)
    for i in range(20_000):
        key = f"R{i % 500:04d}|bassin:{i % 40:04d}"
        base.learn_offer([key], facts(rng.uniform(1500, 3000)), T0 + i * 60)
    payload = pickle.dumps(base, protocol=5)
    again = pickle.loads(payload)  # noqa: S301 - our own object
    key = "R0001|bassin:0001"
    assert again.figures(key, T0).salary_quartiles() == base.figures(key, T0).salary_quartiles()
    assert len(again) == len(base)
