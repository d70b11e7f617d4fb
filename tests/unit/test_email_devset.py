"""The email development set: frozen, disjoint halves, and triage measured on the test half.

The figures asserted here are floors well under what the README reports, so that a change
that breaks triage on mail written by the labelling guide fails the suite. They are quality
figures, never timings.
"""

from __future__ import annotations

import hashlib

import pytest

from agents.emails import devset
from agents.emails.intents import INTENTS

FROZEN_SHA256 = "c555211006e01c298e684dd10ae2263548d417e5b152eb202dc31810e530c32e"
HOLDOUT_SHA256 = "9584fd5d8a65ea037a514241a9d9d5c7d4392a943718b1abdfec796849de2a3d"
HOLDOUT2_SHA256 = "f2c6667317297a146bf24b88aa6dd0127e9ab4972f12e663fc6fdc7811e567fc"
HOLDOUT3_SHA256 = "24fa08529be91c8ce8e8a6fcc0791655e821c8c54bbe0df2db1ac8beffa4a49d"
HOLDOUT4_SHA256 = "81d022f7355637dd01c1d7a89db237d3c452323060e35930094ce80be2d0bfb9"
HOLDOUT5_SHA256 = "db580a39f6efdb37d651b7449a3576fa63e395aa470d954518358638e164bfb1"
HOLDOUT6_SHA256 = "e2ada61f796a0e81d71ec42cac3819403cef488c29c2cea8aef21be60adaf438"
HOLDOUT7_SHA256 = "b1d73c92bd707257611e74977b20a639d0a7bed17061784df0c65a6f6f437608"
HOLDOUT8_SHA256 = "8592a0800a5cc14e8d9b029837b88727ef7852062b80f5140e3844b51b6216b0"
HOLDOUT9_SHA256 = "c359d7fbb687074da27abdd46b0598b5e4b4d7bb64c20d3750c8c2f54e4453ac"
KINDS = set(devset.PII_PLACEHOLDER)


def test_the_test_half_is_frozen() -> None:
    assert hashlib.sha256(devset.TEST_PATH.read_bytes()).hexdigest() == FROZEN_SHA256


def _labelled_by_the_guide(rows: list[dict]) -> None:
    for row in rows:
        assert row["intent"] in INTENTS
        assert (row["urgency_category"] == "none") is (not row["urgent"])
        for item in row["pii"]:
            assert item["type"] in KINDS
            assert item["value"] in row["subject"] or item["value"] in row["body"]


@pytest.mark.parametrize(
    ("split", "path", "sha256"),
    [
        ("holdout", devset.HOLDOUT_PATH, HOLDOUT_SHA256),
        ("holdout2", devset.HOLDOUT2_PATH, HOLDOUT2_SHA256),
        ("holdout3", devset.HOLDOUT3_PATH, HOLDOUT3_SHA256),
        ("holdout4", devset.HOLDOUT4_PATH, HOLDOUT4_SHA256),
        ("holdout5", devset.HOLDOUT5_PATH, HOLDOUT5_SHA256),
        ("holdout6", devset.HOLDOUT6_PATH, HOLDOUT6_SHA256),
        ("holdout7", devset.HOLDOUT7_PATH, HOLDOUT7_SHA256),
        ("holdout8", devset.HOLDOUT8_PATH, HOLDOUT8_SHA256),
        ("holdout9", devset.HOLDOUT9_PATH, HOLDOUT9_SHA256),
    ],
)
def test_the_holdouts_are_frozen_labelled_by_the_guide_and_in_training_once_measured(
    split: str, path, sha256: str
) -> None:
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    holdout = devset.load(split)
    assert len(holdout) >= 280 and sum(r["urgent"] for r in holdout) >= 70
    assert {r["id"] for r in holdout} <= {r["id"] for r in devset.load("train")}
    assert not {r["id"] for r in holdout} & {r["id"] for r in devset.load("test")}
    _labelled_by_the_guide(holdout)


def test_the_halves_are_disjoint_and_labelled_by_the_guide() -> None:
    test, train = devset.load("test"), devset.load("train")
    assert len(test) >= 200 and len(train) >= 400
    assert not {r["id"] for r in test} & {r["id"] for r in train}
    # no email in both halves (a two-word « ok merci » may be written by two writers)
    long_bodies = [{r["body"] for r in half if len(r["body"]) > 30} for half in (test, train)]
    assert not long_bodies[0] & long_bodies[1]
    for row in test + train:
        assert row["intent"] in INTENTS
        assert (row["urgency_category"] == "none") is (not row["urgent"])
        for item in row["pii"]:
            assert item["type"] in KINDS
            assert item["value"] in row["subject"] or item["value"] in row["body"]
    assert all(devset.in_test_half(r["id"]) for r in test)


@pytest.fixture(scope="module")
def test_half_figures() -> dict:
    return devset.evaluate(devset.load("test"))


def test_triage_holds_on_the_frozen_test_half(test_half_figures: dict) -> None:
    figures = test_half_figures
    assert figures["urgent_recall"] >= 0.95
    assert figures["urgent_precision"] >= 0.75
    assert figures["intent_macro_f1"] >= 0.9
    masked = sum(a for a, _ in figures["pii"].values())
    items = sum(b for _, b in figures["pii"].values())
    assert masked / items >= 0.98
    assert "# Development set" not in devset.markdown(figures, "x")  # renders without error
