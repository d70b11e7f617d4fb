"""Pure statistics and formatting of the benchmark figures (no I/O, no clocks).

>>> percentile([10.0, 20.0, 30.0, 40.0], 50)
25.0
>>> ratio(3_000.0, 60_000.0)
0.05
>>> print(markdown_table([Row("throughput (events/s)", 3_000.0, 60_000.0)]))
| measure | value | baseline | ratio |
|---|---:|---:|---:|
| throughput (events/s) | 3,000 | 60,000 | 0.050 |
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

LATENCY_QUANTILES = (50, 95, 99)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, linearly interpolated between ranks.

    The same definition as numpy's default (``method="linear"``): rank ``q/100 * (n-1)`` in the
    sorted values. ``values`` need not be sorted. Raises ValueError on no values or q outside
    [0, 100].
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile rank {q} is not within [0, 100]")
    ordered = sorted(values)
    rank = q / 100 * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(values: Sequence[float]) -> dict[str, float | int | None]:
    """``count``, ``p50``, ``p95``, ``p99`` and ``max`` of ``values`` (None when empty)."""
    summary: dict[str, float | int | None] = {"count": len(values)}
    for q in LATENCY_QUANTILES:
        summary[f"p{q}"] = percentile(values, q) if values else None
    summary["max"] = max(values) if values else None
    return summary


def rate(count: float, seconds: float) -> float | None:
    """Events per second, or None when no time elapsed (a figure that cannot be measured)."""
    return count / seconds if seconds > 0 else None


def ratio(value: float | None, baseline: float | None) -> float | None:
    """``value / baseline``, or None when either is missing or the baseline is zero."""
    if value is None or baseline is None or baseline == 0:
        return None
    return value / baseline


def format_value(value: float | str | None) -> str:
    """A figure for the table: thousands separated, precision shrinking as values grow."""
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_ratio(value: float | None) -> str:
    """A ratio with three significant decimals, ``n/a`` when it cannot be computed."""
    if value is None:
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


@dataclass(frozen=True)
class Row:
    """One line of the results table: a measure, its value and the same-run baseline."""

    measure: str
    value: float | str | None
    baseline: float | str | None = None

    @property
    def ratio(self) -> float | None:
        """value / baseline when both are numbers."""
        if isinstance(self.value, str) or isinstance(self.baseline, str):
            return None
        return ratio(self.value, self.baseline)


def markdown_table(rows: Iterable[Row]) -> str:
    """The ``measure | value | baseline | ratio`` table, numbers right-aligned."""
    lines = ["| measure | value | baseline | ratio |", "|---|---:|---:|---:|"]
    for row in rows:
        cells = (
            row.measure,
            format_value(row.value),
            format_value(row.baseline),
            format_ratio(row.ratio),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
