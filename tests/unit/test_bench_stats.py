"""The benchmark's pure statistics: percentiles, ratios and the results table (no timings)."""

from __future__ import annotations

import pytest

from benchmarks.stats import (
    Row,
    format_ratio,
    format_value,
    markdown_table,
    percentile,
    rate,
    ratio,
    summarize,
)


@pytest.mark.parametrize(
    ("q", "expected"),
    [(0, 1.0), (25, 1.75), (50, 2.5), (75, 3.25), (100, 4.0)],
)
def test_percentile_interpolates_linearly_between_ranks(q: float, expected: float) -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], q) == pytest.approx(expected)


def test_percentile_matches_numpy_linear_on_a_longer_series() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    # numpy.percentile(range(1, 101), [50, 95, 99]) == [50.5, 95.05, 99.01]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 95) == pytest.approx(95.05)
    assert percentile(values, 99) == pytest.approx(99.01)


def test_percentile_of_one_value_is_that_value() -> None:
    assert percentile([7.0], 99) == 7.0


def test_percentile_does_not_reorder_its_input() -> None:
    values = [3.0, 1.0, 2.0]
    percentile(values, 50)
    assert values == [3.0, 1.0, 2.0]


@pytest.mark.parametrize("q", [-1, 100.5])
def test_percentile_refuses_a_rank_outside_0_100(q: float) -> None:
    with pytest.raises(ValueError, match="within"):
        percentile([1.0, 2.0], q)


def test_percentile_refuses_no_values() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_summarize_gives_count_quantiles_and_max() -> None:
    summary = summarize([float(v) for v in range(1, 101)])
    assert summary["count"] == 100
    assert summary["p50"] == pytest.approx(50.5)
    assert summary["p99"] == pytest.approx(99.01)
    assert summary["max"] == 100.0


def test_summarize_of_nothing_has_no_figures() -> None:
    assert summarize([]) == {"count": 0, "p50": None, "p95": None, "p99": None, "max": None}


def test_rate_and_ratio_refuse_to_divide_by_zero() -> None:
    assert rate(100, 4.0) == 25.0
    assert rate(100, 0.0) is None
    assert ratio(5.0, 20.0) == 0.25
    assert ratio(5.0, 0.0) is None
    assert ratio(None, 2.0) is None
    assert ratio(2.0, None) is None


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "n/a"),
        ("n/a", "n/a"),
        (55190.4, "55,190"),
        (221.2, "221"),
        (20.74, "20.7"),
        (1.094, "1.09"),
        (0.0, "0.00"),
    ],
)
def test_format_value_shrinks_precision_as_values_grow(
    value: float | str | None, text: str
) -> None:
    assert format_value(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "n/a"), (0.0951, "0.095"), (2.4751, "2.475"), (10.34, "10.3"), (1234.0, "1,234")],
)
def test_format_ratio(value: float | None, text: str) -> None:
    assert format_ratio(value) == text


def test_row_ratio_is_value_over_baseline_only_for_numbers() -> None:
    assert Row("throughput", 5_000.0, 50_000.0).ratio == pytest.approx(0.1)
    assert Row("backlog latency p50", 12_000.0, "n/a").ratio is None
    assert Row("missing", None, 3.0).ratio is None


def test_markdown_table_has_the_four_columns_and_one_line_per_row() -> None:
    table = markdown_table(
        [
            Row("throughput (events/s)", 5_252.3, 55_190.0),
            Row("backlog latency p50 (ms)", 11_979.0, "n/a"),
        ]
    )
    assert table.splitlines() == [
        "| measure | value | baseline | ratio |",
        "|---|---:|---:|---:|",
        "| throughput (events/s) | 5,252 | 55,190 | 0.095 |",
        "| backlog latency p50 (ms) | 11,979 | n/a | n/a |",
    ]


def test_markdown_table_of_no_rows_is_just_the_header() -> None:
    assert markdown_table([]).count("\n") == 1
