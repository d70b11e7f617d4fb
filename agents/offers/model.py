"""The local salary baseline: running quartiles of pay per occupation and département.

It is a River model in the broad sense: it learns one offer at a time (``learn_one``) and is
saved in the shared model store like every other model. P² quantile sketches keep it at about
1 kB per local market whatever the number of offers.

>>> baseline = make_salary_baseline()
>>> for pay in (1800, 1900, 2000, 2100, 2200):
...     baseline.learn_one("M1805|departement:07", pay)
>>> baseline.summary("M1805|departement:07").median
2000.0
>>> baseline.summary("K2204|departement:75") is None
True
"""

from __future__ import annotations

from dataclasses import dataclass

from river import stats

MODEL_NAME = "offer-salary-baseline"


@dataclass(frozen=True, slots=True)
class BaselineSummary:
    """Salary figures of one local market."""

    count: int
    q1: float
    median: float
    q3: float


class _Market:
    __slots__ = ("count", "q1", "median", "q3")

    def __init__(self) -> None:
        self.count = 0
        self.q1 = stats.Quantile(0.25)
        self.median = stats.Quantile(0.5)
        self.q3 = stats.Quantile(0.75)

    def update(self, salary: float) -> None:
        self.count += 1
        self.q1.update(salary)
        self.median.update(salary)
        self.q3.update(salary)

    def __getstate__(self) -> tuple[int, stats.Quantile, stats.Quantile, stats.Quantile]:
        return self.count, self.q1, self.median, self.q3

    def __setstate__(self, state: tuple[int, stats.Quantile, stats.Quantile, stats.Quantile]):
        self.count, self.q1, self.median, self.q3 = state


class SalaryBaseline:
    """Running salary quartiles per market key (see ``features.market_keys``)."""

    def __init__(self) -> None:
        self._markets: dict[str, _Market] = {}

    def __len__(self) -> int:
        return len(self._markets)

    def learn_one(self, key: str, salary: float) -> None:
        """Add one offer's monthly salary to its market."""
        market = self._markets.get(key)
        if market is None:
            market = self._markets[key] = _Market()
        market.update(salary)

    def first_trusted(
        self, keys: list[tuple[str, str]], min_count: int
    ) -> tuple[str, BaselineSummary] | None:
        """The finest (level, summary) among ``keys`` with at least ``min_count`` offers."""
        for level, key in keys:
            summary = self.summary(key)
            if summary is not None and summary.count >= min_count:
                return level, summary
        return None

    def summary(self, key: str) -> BaselineSummary | None:
        """The market's figures, or None when it has seen no offer."""
        market = self._markets.get(key)
        if market is None:
            return None
        return BaselineSummary(market.count, market.q1.get(), market.median.get(), market.q3.get())


def make_salary_baseline() -> SalaryBaseline:
    """A fresh, empty baseline."""
    return SalaryBaseline()
