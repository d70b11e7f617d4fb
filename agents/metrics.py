"""Evaluation metrics (and the logistic function) shared by the use cases' ``evaluate`` modules.

Plain Python on purpose: exact, dependency-free, and the same figures for every use case.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def sigmoid(z: float) -> float:
    """1 / (1 + exp(-z)), safe for large |z|."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def roc_auc(labels: Sequence[bool], scores: Sequence[float]) -> float:
    """Exact ROC AUC (Mann-Whitney, ties counted half)."""
    order = sorted(range(len(scores)), key=scores.__getitem__)
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2.0 + 1.0
        i = j + 1
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return float("nan")
    rank_sum = sum(r for r, y in zip(ranks, labels, strict=True) if y)
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def log_loss(labels: Sequence[bool], probabilities: Sequence[float]) -> float:
    """Mean negative log-likelihood, probabilities clipped to [1e-6, 1 - 1e-6]."""
    total = 0.0
    for y, p in zip(labels, probabilities, strict=True):
        p = min(max(p, 1e-6), 1.0 - 1e-6)
        total -= math.log(p if y else 1.0 - p)
    return total / len(labels)


def reliability(
    labels: Sequence[bool], probabilities: Sequence[float], bins: int = 10
) -> list[tuple[str, int, float, float]]:
    """(bin, count, mean predicted, observed share) per probability decile."""
    rows = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [
            (y, p)
            for y, p in zip(labels, probabilities, strict=True)
            if low <= p < high or (b == bins - 1 and p == 1.0)
        ]
        if inside:
            mean_p = sum(p for _, p in inside) / len(inside)
            observed = sum(y for y, _ in inside) / len(inside)
            rows.append((f"{low:.1f}-{high:.1f}", len(inside), mean_p, observed))
    return rows
