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


def churn(base: MarketBaseline, days: int, per_day: int = 20, live: str = KEY) -> list[int]:
    """Markets that come and go (each advertised on one day only) beside one live market
    advertised every day; returns the number of markets held after each 100 days."""
    rng = random.Random(5)
    held = []
    for day in range(days):
        t = T0 + day * DAY
        for i in range(per_day):
            base.learn_offer([f"R{day:05d}|bassin:{i:04d}"], facts(rng.uniform(1500, 3000)), t)
        base.learn_offer([live], facts(rng.uniform(1800, 2400)), t)
        if day % 7 == 3:
            base.learn_outcome([live], t, days_to_fill=rng.uniform(1, 40), hard=day % 2 == 0)
        if day % 100 == 99:
            held.append(len(base))
    return held


def test_markets_that_stop_being_advertised_are_pruned_so_the_state_stays_bounded() -> None:
    half_life = 30
    base = MarketBaseline(half_life_days=half_life)
    held = churn(base, days=1200)
    # One offer falls below PRUNE_BELOW (0.05) after log2(20) = 4.3 half-lives: 130 days of
    # one-day markets at most, swept weekly, plus the live one.
    bound = 20 * (math.ceil(half_life * math.log2(20)) + 7) + 1
    assert max(held) <= bound, held
    # Flat once markets die as fast as they come: within one week's new markets (the sweep).
    assert max(held[3:]) - min(held[3:]) <= 20 * 7, held
    assert base.pruned == 20 * 1200 + 1 - len(base)
    unbounded = MarketBaseline(half_life_days=half_life, prune_below=0.0, max_markets=10**9)
    assert churn(unbounded, days=300)[-1] == 20 * 300 + 1, "without pruning every market stays"
    # The snapshot's share stays bounded too.
    assert len(pickle.dumps(base, protocol=5)) < len(pickle.dumps(unbounded, protocol=5)) / 2


def test_pruning_leaves_a_live_markets_figures_exactly_as_they_were() -> None:
    pruned = MarketBaseline(half_life_days=30, bin_prune_below=0.0)
    kept = MarketBaseline(half_life_days=30, prune_below=0.0, max_markets=10**9, bin_prune_below=0)
    churn(pruned, days=400)
    churn(kept, days=400)
    assert len(pruned) < len(kept) / 2
    at = T0 + 400 * DAY
    a, b = pruned.figures(KEY, at), kept.figures(KEY, at)
    assert a is not None and b is not None
    for name in ("offers", "offers_raw", "salary_count", "labelled_count", "hard_share"):
        assert getattr(a, name) == getattr(b, name), name
    assert a.salary_quartiles() == b.salary_quartiles()
    assert a.median_days_to_fill() == b.median_days_to_fill()
    assert a.contract_shares == b.contract_shares
    recent = f"R{399:05d}|bassin:0003"
    assert pruned.figures(recent, at).offers == kept.figures(recent, at).offers  # type: ignore[union-attr]
    assert f"R{0:05d}|bassin:0003" not in pruned


def test_a_busy_market_drops_its_long_decayed_salary_bins_and_keeps_its_figures() -> None:
    rng = random.Random(5)
    # Three years of a busy market whose salaries drift upward: old bins are never refreshed.
    days = 3 * 365
    pays = [(day, 1500 + day + rng.uniform(0, 400)) for day in range(days) for _ in range(3)]
    swept = MarketBaseline(half_life_days=30)
    kept = MarketBaseline(half_life_days=30, bin_prune_below=0.0)
    for day, pay in pays:
        for base in (swept, kept):
            base.learn_offer([KEY], facts(pay), T0 + day * DAY)
    row = swept._rows[KEY]  # noqa: SLF001 - the bins are the point
    assert swept.bins_pruned > 0 and kept.bins_pruned == 0
    assert len(swept._salary[row]) < len(kept._salary[kept._rows[KEY]]) / 2  # noqa: SLF001
    at = T0 + days * DAY
    a, b = swept.figures(KEY, at), kept.figures(KEY, at)
    assert a is not None and b is not None
    for q_swept, q_kept in zip(a.salary_quartiles(), b.salary_quartiles(), strict=True):
        assert q_swept == pytest.approx(q_kept, rel=0.002)  # within a bin's width
    assert a.salary_count == pytest.approx(b.salary_count, abs=0.05)
    assert a.offers == b.offers


def test_beyond_the_cap_the_lightest_markets_go_first() -> None:
    base = MarketBaseline(max_markets=100)
    for i in range(150):  # market i gets i + 1 offers, all on the same day: none is negligible
        for _ in range(i + 1):
            base.learn_offer([f"R{i:04d}|bassin:0001"], facts(), T0)
    assert len(base) <= 100
    assert "R0149|bassin:0001" in base and "R0000|bassin:0001" not in base
    heaviest = [f"R{i:04d}|bassin:0001" for i in range(150 - len(base), 150)]
    assert all(key in base for key in heaviest)


def test_pruning_is_deterministic_and_survives_a_restore_from_a_snapshot() -> None:
    """A learner restored from a snapshot mid-way prunes exactly as one that never stopped."""
    rng = random.Random(11)
    events = [
        (T0 + day * DAY, f"R{rng.randrange(300):04d}|bassin:{rng.randrange(5):04d}", pay)
        for day in range(600)
        for pay in (rng.uniform(1500, 3000) for _ in range(rng.randrange(1, 6)))
    ]
    straight = MarketBaseline(half_life_days=20, max_markets=400)
    restored = MarketBaseline(half_life_days=20, max_markets=400)
    for n, (t, key, pay) in enumerate(events):
        straight.learn_offer([key], facts(pay), t)
        restored.learn_offer([key], facts(pay), t)
        if n % 97 == 0:
            restored = pickle.loads(pickle.dumps(restored, protocol=5))  # noqa: S301
    assert straight.pruned > 0
    assert straight.__dict__ == restored.__dict__


def test_a_snapshot_from_before_pruning_loads_and_prunes_at_its_next_event() -> None:
    base = MarketBaseline(half_life_days=10)
    base.learn_offer(["old|bassin:0001"], facts(), T0)
    base.learn_offer([KEY], facts(), T0)
    state = dict(base.__dict__)
    for name in ("prune_below", "max_markets", "clock", "next_prune", "pruned"):
        del state[name]
    old = MarketBaseline.__new__(MarketBaseline)
    old.__setstate__(state)
    old.learn_offer([KEY], facts(), T0 + 100 * DAY)  # 10 half-lives later: "old" is negligible
    assert "old|bassin:0001" not in old and KEY in old and old.pruned == 1
