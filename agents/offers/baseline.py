"""Local market baselines: what comparable offers look like, per ROME code x area, kept current.

Each market key (``features.market_keys``: ROME x bassin, département, région, France) holds
time-decayed figures of the offers seen there: salary quartiles (a histogram on 0.25 %
log-spaced bins), experience demanded, contract mix, weekly hours and full-time share,
qualification mix, and, from the outcomes, time to fill and the share of offers still unfilled
after 30 days.

Age: every figure is an exponentially decayed sum driven by *event* time (``posted_at``,
``closed_at``), never the wall clock, with a half-life of ``VIGIE_BASELINE_HALF_LIFE_DAYS``
(180 days by default): an offer of six months ago weighs half of today's, one of two years ago
a 20th. Rather than shrinking every sum as time passes, each market adds weights that *grow*
(``exp(rate x (t - t_ref))``): ratios (quantiles, means, shares) do not depend on the scale, and
a count read at time ``t`` is the sum scaled back to ``t``. So learning is O(1), reading needs
no pass over the data, and the result does not depend on the order events arrive in (two
partitions interleave differently on a replay), only on their event times.

Storage is columnar (one ``array`` of floats, a row per market, and a small dict per market for
each mix): tens of thousands of markets pickle in tens of milliseconds, where one Python object
per market took ten times longer, and snapshots are taken while the worker runs.

Bound: markets come and go (an occupation advertised once in a bassin), and every one seen used
to be kept for ever: the snapshot grew with the markets ever seen, towards its topic's 20 MB
message limit. Every ``PRUNE_EVERY_DAYS`` of event time, a market whose every decayed count
(offers, filled offers, labelled outcomes) is below :data:`PRUNE_BELOW` at the latest event time
learnt is dropped: it weighs less than the tolerance counts are read with, so no figure of it
could be trusted, and a market still advertised is never touched. Beyond :data:`MAX_MARKETS`
markets (a safety net for the snapshot's size), the lightest (decayed count, then the oldest
last event, then the key) are dropped down to 90 % of it: the least likely to reach a trusted
count. Both depend only on the events learnt and their order, never on the clock or on when
snapshots are taken, so a learner restored from a snapshot prunes as the one it replaces; they
are the one place where the order events arrive in can matter (a market pruned, then an older
event of it arriving).

>>> from datetime import datetime, UTC
>>> from agents.offers.features import OfferFacts
>>> base = MarketBaseline(half_life_days=180)
>>> t = datetime(2026, 3, 2, tzinfo=UTC).timestamp()
>>> for pay in (1900, 2000, 2100, 2000, 2200):
...     facts = OfferFacts(pay, 0, "D", "CDI", 35, True, "6", 1)
...     base.learn_offer(["G1603|departement:07"], facts, t)
>>> fig = base.figures("G1603|departement:07", t)
>>> round(fig.offers), [round(q, -1) for q in fig.salary_quartiles()]
(5, [1970.0, 2000.0, 2130.0])
>>> round(base.figures("G1603|departement:07", t + 180 * 86400).offers, 2)  # one half-life later
2.5
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agents.offers.features import qualification_rank

if TYPE_CHECKING:
    from agents.offers.features import OfferFacts

DAY_S = 86_400.0
# Effective counts within this of the minimum count as reaching it: offers of the last days
# weigh 0.99..., and five of them are still five offers.
COUNT_TOLERANCE = 0.05
# Weights are rebased once their exponent passes this (exp(600) ~ 1e260 < float max 1e308).
_REBASE_EXPONENT = 600.0
_SALARY_BIN = math.log(1.0025)  # 0.25 % wide salary bins: figures to +/- 0.125 % (2.5 EUR)
_DAYS_BIN = math.log(1.05)
# Pruning (see the module docstring): markets whose every decayed count is below PRUNE_BELOW
# are dropped every PRUNE_EVERY_DAYS of event time; beyond MAX_MARKETS, the lightest go down to
# MAX_MARKETS x PRUNE_TO. A market pickles to 250-400 bytes (2 to 10 offers of varied
# salaries), so 25,000 markets take 6-10 MB of the offer-intelligence snapshot, whose topic
# takes 20 MB (the open offers share it).
PRUNE_BELOW = COUNT_TOLERANCE
# A busy market would otherwise keep every 0.25 %-wide salary bin it ever saw: the sweep also
# drops the bins (salary, time to fill) whose decayed weight is below this share of one fresh
# offer (an offer of about 7.6 half-lives ago), taking their weight off the column they count
# in. A soak of 1,000,000 events grew the snapshot to 17 MB past the market cap without it.
BIN_PRUNE_BELOW = 0.005
PRUNE_EVERY_DAYS = 7.0
MAX_MARKETS = 25_000
PRUNE_TO = 0.9

# Columns of a market's row: reference and last event times, then decayed sums.
(
    T_REF,
    T_LAST,
    OFFERS_RAW,  # offers ever seen (not decayed)
    W_OFFERS,
    W_SALARY,
    W_EXPERIENCE,
    S_EXPERIENCE,  # sum of weight x months of experience asked
    W_TIME,  # offers stating full or part time
    W_FULL_TIME,
    W_HOURS,
    S_HOURS,
    W_QUALIFICATION,
    S_RANK,
    W_FILLED,
    W_LABELLED,  # offers whose 30-day outcome is known
    W_HARD,
) = range(16)
COLUMNS = 16
_DECAYED = tuple(range(W_OFFERS, COLUMNS))


def quantiles(
    bins: dict[int, float], step: float, qs: Iterable[float], scale: float = 1.0
) -> list[float]:
    """Weighted quantiles of log-spaced bins, interpolated between neighbouring bins.

    A bin of weight w covers the cumulative range of its weight; its value holds over that
    range minus half a unit at each end, so unit weights behave like the classic midpoint rule
    (1900, 2000, 2000, 2100, 2200 -> median 2000) and fractional (decayed) weights still
    interpolate smoothly. ``scale`` turns stored weights into counts at the reading time.
    """
    items = sorted(bins.items())
    total = sum(w for _, w in items)
    plateaus: list[tuple[float, float, float]] = []  # (from, to, value)
    cumulative = 0.0
    for b, w in items:
        half = min(w * scale, 1.0) / (2.0 * scale)
        plateaus.append(
            ((cumulative + half) / total, (cumulative + w - half) / total, math.exp(b * step))
        )
        cumulative += w
    out = []
    for q in qs:
        value = plateaus[-1][2]
        previous: tuple[float, float, float] | None = None
        for start, end, v in plateaus:
            if q <= end:
                if q >= start or previous is None:
                    value = v
                else:  # between the previous plateau's end and this one's start
                    frac = (q - previous[1]) / (start - previous[1])
                    value = previous[2] + frac * (v - previous[2])
                break
            previous = (start, end, v)
        out.append(value)
    return out


def _add(bins: dict[int, float], value: float, step: float, weight: float) -> None:
    b = round(math.log(value) / step)
    bins[b] = bins.get(b, 0.0) + weight


class MarketFigures:
    """One market's figures read at one time; counts are decayed, ``offers_raw`` is not.

    Means and shares are None when nothing was observed. Everything is computed on access: an
    offer reads four markets and uses a few figures of each.
    """

    __slots__ = ("_v", "scale", "_contracts", "_qualifications", "salary_bins", "days_bins")

    def __init__(
        self,
        v: array,
        scale: float,
        contracts: dict[str, float],
        qualifications: dict[str, float],
        salary_bins: dict[int, float],
        days_bins: dict[int, float],
    ) -> None:
        self._v = v  # the market's row
        self.scale = scale  # stored weights x scale = counts at the reading time
        self._contracts = contracts
        self._qualifications = qualifications
        self.salary_bins = salary_bins
        self.days_bins = days_bins

    @property
    def offers(self) -> float:
        """Offers seen, decayed."""
        return self._v[W_OFFERS] * self.scale

    @property
    def offers_raw(self) -> int:
        """Offers ever seen."""
        return int(self._v[OFFERS_RAW])

    @property
    def salary_count(self) -> float:
        """Offers with a salary, decayed."""
        return self._v[W_SALARY] * self.scale

    @property
    def experience_count(self) -> float:
        """Offers stating the experience asked, decayed."""
        return self._v[W_EXPERIENCE] * self.scale

    @property
    def experience_mean_months(self) -> float | None:
        """Mean months of experience asked (0 for beginners welcome)."""
        return _ratio(self._v[S_EXPERIENCE], self._v[W_EXPERIENCE])

    @property
    def contract_shares(self) -> dict[str, float]:
        """Share of each contract type."""
        return _shares(self._contracts, self._v[W_OFFERS])

    @property
    def time_count(self) -> float:
        """Offers stating full or part time, decayed."""
        return self._v[W_TIME] * self.scale

    @property
    def full_time_share(self) -> float | None:
        """Share of full-time offers."""
        return _ratio(self._v[W_FULL_TIME], self._v[W_TIME])

    @property
    def hours_count(self) -> float:
        """Offers stating weekly hours, decayed."""
        return self._v[W_HOURS] * self.scale

    @property
    def mean_hours(self) -> float | None:
        """Mean weekly hours."""
        return _ratio(self._v[S_HOURS], self._v[W_HOURS])

    @property
    def qualification_count(self) -> float:
        """Offers stating a qualification, decayed."""
        return self._v[W_QUALIFICATION] * self.scale

    @property
    def qualification_shares(self) -> dict[str, float]:
        """Share of each qualification code."""
        return _shares(self._qualifications, self._v[W_QUALIFICATION])

    @property
    def mean_qualification_rank(self) -> float | None:
        """Mean skill rank (``features.QUALIFICATION_RANK``) asked."""
        return _ratio(self._v[S_RANK], self._v[W_QUALIFICATION])

    @property
    def filled_count(self) -> float:
        """Filled offers with a time to fill, decayed."""
        return self._v[W_FILLED] * self.scale

    @property
    def labelled_count(self) -> float:
        """Offers whose 30-day outcome is known, decayed."""
        return self._v[W_LABELLED] * self.scale

    @property
    def hard_share(self) -> float | None:
        """Share of them still unfilled after 30 days."""
        return _ratio(self._v[W_HARD], self._v[W_LABELLED])

    def salary_quartiles(self) -> tuple[float, float, float]:
        """(Q1, median, Q3) of full-time-equivalent monthly gross salaries."""
        q1, median, q3 = quantiles(self.salary_bins, _SALARY_BIN, (0.25, 0.5, 0.75), self.scale)
        return q1, median, q3

    def median_days_to_fill(self) -> float | None:
        """Median days from posting to hire among filled offers (None before any)."""
        if not self.days_bins:
            return None
        return quantiles(self.days_bins, _DAYS_BIN, (0.5,), self.scale)[0] - 1.0

    def modal_qualification(self) -> str | None:
        """The qualification code most offers of the market ask for."""
        shares = self._qualifications
        if not shares:
            return None
        return max(sorted(shares), key=shares.__getitem__)


def _shares(weights: dict[str, float], total: float) -> dict[str, float]:
    return {k: v / total for k, v in weights.items()} if total > 0 else {}


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


class MarketBaseline:
    """Every market's decayed figures, a row per market key (see the module docstring)."""

    def __init__(
        self,
        half_life_days: float = 180.0,
        *,
        prune_below: float = PRUNE_BELOW,
        max_markets: int = MAX_MARKETS,
        bin_prune_below: float = BIN_PRUNE_BELOW,
    ) -> None:
        if half_life_days <= 0:
            raise ValueError("half_life_days must be positive")
        if max_markets < 1:
            raise ValueError("max_markets must be at least 1")
        self.half_life_days = half_life_days
        self.rate = math.log(2.0) / (half_life_days * DAY_S)
        self.prune_below = prune_below
        self.max_markets = max_markets
        self.bin_prune_below = bin_prune_below
        self.clock = -math.inf  # latest event time learnt
        self.next_prune = -math.inf  # event time of the next sweep
        self.pruned = 0  # markets dropped so far
        self.bins_pruned = 0  # salary and time-to-fill bins dropped so far
        self._rows: dict[str, int] = {}
        self._v = array("d")
        self._salary: list[dict[int, float]] = []
        self._days: list[dict[int, float]] = []
        self._contracts: list[dict[str, float]] = []
        self._qualifications: list[dict[str, float]] = []

    def __setstate__(self, state: dict[str, object]) -> None:
        """Snapshots taken before pruning existed load with its defaults (first sweep at the
        next event)."""
        self.__dict__.update(state)
        for name, default in (
            ("prune_below", PRUNE_BELOW),
            ("max_markets", MAX_MARKETS),
            ("clock", -math.inf),
            ("next_prune", -math.inf),
            ("pruned", 0),
            ("bins_pruned", 0),
            ("bin_prune_below", BIN_PRUNE_BELOW),
        ):
            self.__dict__.setdefault(name, default)

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def _mass(self, row: int, now: float) -> float:
        """The market's largest decayed count at event time ``now``."""
        v, base = self._v, row * COLUMNS
        scale = math.exp(-self.rate * (now - v[base + T_REF]))
        return max(v[base + W_OFFERS], v[base + W_FILLED], v[base + W_LABELLED]) * scale

    def _learnt(self, t: float) -> None:
        """After learning an event of time ``t``: sweep when due, or when over the cap."""
        if t > self.clock:
            self.clock = t
        if self.clock >= self.next_prune or len(self._rows) > self.max_markets:
            self.prune(self.clock)
            self.next_prune = self.clock + PRUNE_EVERY_DAYS * DAY_S

    def prune(self, now: float) -> int:
        """Drop the negligible markets at event time ``now``, then the lightest beyond
        ``max_markets``; returns how many were dropped."""
        masses = {key: self._mass(row, now) for key, row in self._rows.items()}
        drop = {key for key, mass in masses.items() if mass < self.prune_below}
        if len(self._rows) - len(drop) > self.max_markets:
            v, target = self._v, int(self.max_markets * PRUNE_TO)
            kept = [key for key in self._rows if key not in drop]
            # Heaviest first; ties (equal counts) by the latest event, then by key.
            kept.sort(key=lambda k: (-masses[k], -v[self._rows[k] * COLUMNS + T_LAST], k))
            drop.update(kept[target:])
        if drop:
            self._compact(drop)
        self.prune_bins(now)
        return len(drop)

    def prune_bins(self, now: float) -> int:
        """Drop the salary and time-to-fill bins lighter than ``bin_prune_below`` (one fresh
        offer weighs 1) at event time ``now``; returns how many."""
        if self.bin_prune_below <= 0:
            return 0
        v, dropped = self._v, 0
        for row in range(len(self._rows)):
            base = row * COLUMNS
            scale = math.exp(-self.rate * (now - v[base + T_REF]))
            floor = self.bin_prune_below / scale  # in stored units
            for bins, column in ((self._salary[row], W_SALARY), (self._days[row], W_FILLED)):
                light = [b for b, w in bins.items() if w < floor]
                for b in light:
                    v[base + column] = max(0.0, v[base + column] - bins.pop(b))
                dropped += len(light)
        self.bins_pruned += dropped
        return dropped

    def _compact(self, drop: set[str]) -> None:
        """Rebuild the columns without the markets of ``drop``, the others in their order."""
        rows, v = self._rows, self._v
        new_v = array("d")
        mixes = (self._salary, self._days, self._contracts, self._qualifications)
        new_mixes: tuple[list[dict], ...] = ([], [], [], [])
        new_rows: dict[str, int] = {}
        for key, row in rows.items():
            if key in drop:
                continue
            new_rows[key] = len(new_rows)
            new_v.extend(v[row * COLUMNS : (row + 1) * COLUMNS])
            for old, new in zip(mixes, new_mixes, strict=True):
                new.append(old[row])
        self._rows, self._v = new_rows, new_v
        self._salary, self._days, self._contracts, self._qualifications = new_mixes
        self.pruned += len(drop)

    def _row(self, key: str, t: float) -> int:
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = len(self._rows)
            self._v.extend((t, t) + (0.0,) * (COLUMNS - 2))
            self._salary.append({})
            self._days.append({})
            self._contracts.append({})
            self._qualifications.append({})
        return row

    def _weight(self, row: int, t: float) -> float:
        v, base = self._v, row * COLUMNS
        exponent = self.rate * (t - v[base + T_REF])
        if exponent > _REBASE_EXPONENT:
            self._rebase(row, t)
            exponent = 0.0
        if t > v[base + T_LAST]:
            v[base + T_LAST] = t
        return math.exp(exponent)

    def _rebase(self, row: int, t: float) -> None:
        v, base = self._v, row * COLUMNS
        factor = math.exp(-self.rate * (t - v[base + T_REF]))
        for column in _DECAYED:
            v[base + column] *= factor
        for mix in (self._salary, self._days, self._contracts, self._qualifications):
            bins = mix[row]
            for k in bins:
                bins[k] *= factor
        v[base + T_REF] = t

    def learn_offer(self, keys: Iterable[str], facts: OfferFacts, t: float) -> None:
        """Add a posted offer (event time ``t``, epoch seconds) to each of its markets."""
        rank = qualification_rank(facts.qualification)
        for key in keys:
            row = self._row(key, t)
            w = self._weight(row, t)
            v, base = self._v, row * COLUMNS
            v[base + OFFERS_RAW] += 1.0
            v[base + W_OFFERS] += w
            if facts.salary_fte is not None:
                v[base + W_SALARY] += w
                _add(self._salary[row], facts.salary_fte, _SALARY_BIN, w)
            if facts.experience_months is not None:
                v[base + W_EXPERIENCE] += w
                v[base + S_EXPERIENCE] += w * facts.experience_months
            contracts = self._contracts[row]
            contracts[facts.contract] = contracts.get(facts.contract, 0.0) + w
            if facts.full_time is not None:
                v[base + W_TIME] += w
                if facts.full_time:
                    v[base + W_FULL_TIME] += w
            if facts.weekly_hours is not None:
                v[base + W_HOURS] += w
                v[base + S_HOURS] += w * facts.weekly_hours
            if rank is not None and facts.qualification is not None:
                v[base + W_QUALIFICATION] += w
                v[base + S_RANK] += w * rank
                quals = self._qualifications[row]
                quals[facts.qualification] = quals.get(facts.qualification, 0.0) + w
        self._learnt(t)

    def learn_outcome(
        self, keys: Iterable[str], t: float, *, days_to_fill: float | None, hard: bool | None
    ) -> None:
        """Add an outcome (event time ``t``): a time to fill, and/or hard (> 30 days) or not."""
        for key in keys:
            row = self._row(key, t)
            w = self._weight(row, t)
            v, base = self._v, row * COLUMNS
            if days_to_fill is not None:
                v[base + W_FILLED] += w
                _add(self._days[row], days_to_fill + 1.0, _DAYS_BIN, w)  # +1: same-day hires
            if hard is not None:
                v[base + W_LABELLED] += w
                if hard:
                    v[base + W_HARD] += w
        self._learnt(t)

    def figures(self, key: str, t: float) -> MarketFigures | None:
        """Figures of market ``key`` read at event time ``t`` (never before its last event)."""
        row = self._rows.get(key)
        if row is None:
            return None
        base = row * COLUMNS
        v = self._v[base : base + COLUMNS]
        scale = math.exp(-self.rate * (max(t, v[T_LAST]) - v[T_REF]))
        return MarketFigures(
            v,
            scale,
            self._contracts[row],
            self._qualifications[row],
            self._salary[row],
            self._days[row],
        )


def trusted(count: float, min_count: float) -> bool:
    """True when a decayed count is enough to trust the figure it weighs."""
    return count + COUNT_TOLERANCE >= min_count


Level = tuple[str, MarketFigures]  # (area level, figures of the market at that level)

# Which decayed count makes each figure trustworthy.
_COUNTS = {
    "salary": "salary_count",
    "experience": "experience_count",
    "contract": "offers",
    "working_time": "time_count",
    "hours": "hours_count",
    "qualification": "qualification_count",
    "outcomes": "labelled_count",
}


@dataclass(frozen=True, slots=True)
class LocalNorms:
    """For each figure, the finest area level whose market has enough observations (or None).

    Each figure falls back on its own: a bassin may know enough salaries but too few
    qualifications, and then the qualification norm is the département's.
    """

    salary: Level | None
    experience: Level | None
    contract: Level | None
    working_time: Level | None
    hours: Level | None
    qualification: Level | None
    outcomes: Level | None
    markets: tuple[Level, ...]  # every level the offer's markets exist at, finest first
    salary_quartiles: tuple[float, float, float] | None  # (Q1, median, Q3) at the salary level

    def finest(self) -> Level | None:
        """The finest market that exists at all (for context figures)."""
        return self.markets[0] if self.markets else None


def local_norms(
    baseline: MarketBaseline, keys: list[tuple[str, str]], t: float, min_count: float
) -> LocalNorms:
    """Resolve every figure of an offer's markets at event time ``t`` (finest trusted level)."""
    markets: list[Level] = []
    for level, key in keys:
        fig = baseline.figures(key, t)
        if fig is not None:
            markets.append((level, fig))
    chosen: dict[str, Level | None] = dict.fromkeys(_COUNTS)
    threshold = min_count - COUNT_TOLERANCE
    for figure, count in _COUNTS.items():
        for level in markets:
            if getattr(level[1], count) >= threshold:
                chosen[figure] = level
                break
    salary = chosen["salary"]
    quartiles = salary[1].salary_quartiles() if salary is not None else None
    return LocalNorms(markets=tuple(markets), salary_quartiles=quartiles, **chosen)
