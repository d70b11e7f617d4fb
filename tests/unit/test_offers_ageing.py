"""Open offers re-assessed at 7, 14 and 21 days (event time): the learner's timer and its alert."""

from __future__ import annotations

import pickle
from array import array
from datetime import timedelta
from typing import Any

import pytest

from agents.offers.model import AGES_DAYS, OpenOffer, OpenOffers, QuickFills, risk_at_age
from agents.offers.prior import market_context, tension_prior
from sinks.outputs import Outputs, cause_alert_id
from streams.referential import Referential, load_referential
from streams.settings import load_settings
from tests.unit.test_offers_logic import HOT, HOT_BASSIN, T0, closed, handler, offer, src


@pytest.fixture(scope="module")
def ref() -> Referential:
    return load_referential(load_settings().data_dir)


def hot(offer_id: str, days: float = 0.0) -> dict[str, Any]:
    return offer(
        offer_id,
        2000.0,
        bassin=HOT_BASSIN,
        departement="26",
        posted_at=T0 + timedelta(days=days),
        **HOT,
    )


def run(h: Any, days_to_close_other: float = 0.05) -> Outputs:
    """Post « slow » (never closed), then let event time pass with other offers and closures."""
    out = Outputs()
    h.handle("OfferPosted", hot("slow"), src(0), out)
    h.handle("OfferPosted", hot("quick"), src(1), out)
    h.handle("OfferClosed", closed("quick", "filled", T0 + timedelta(days=3)), src(2), out)
    offset = 3
    for day in (5, 8, 12, 15, 19, 22, 26):
        other = f"other-{day}"
        h.handle("OfferPosted", hot(other, day), src(offset), out)
        at = T0 + timedelta(days=day + days_to_close_other)
        h.handle("OfferClosed", closed(other, "filled", at), src(offset + 1), out)
        offset += 2
    return out


def aged(out: Outputs, offer_id: str) -> list[dict[str, Any]]:
    return [r for name, r in out.records if name == "OfferAged" and r["offer_id"] == offer_id]


def test_the_still_open_share_turns_a_risk_into_a_risk_at_an_age() -> None:
    fills = QuickFills()
    shares = [fills.still_open_share(a) for a in AGES_DAYS]
    assert shares == sorted(shares, reverse=True) and 0 < shares[-1] < shares[0] < 1
    risks = [risk_at_age(0.5, share) for share in shares]
    assert risks == sorted(risks) and risks[0] > 0.5, "still open: more and more likely hard"
    assert risk_at_age(0.5, 1.0) == pytest.approx(0.5), "open at that age says nothing"
    assert risk_at_age(0.0, 0.3) == 0.0 and risk_at_age(1.0, 0.3) == 1.0
    for _ in range(300):
        fills.learn(2.0)  # every quick fill in two days: an offer open at 7 days is hard
    assert fills.still_open_share(7) < 0.05
    fills.learn(45.0)  # a slow hire is not a quick fill
    assert fills.still_open_share(7) < 0.05


def test_an_offer_never_closed_is_reassessed_at_each_age_and_alerts_once(
    ref: Referential,
) -> None:
    prior = tension_prior(market_context(ref, HOT["rome_code"], HOT_BASSIN, "26")).probability
    threshold = 0.70
    assert prior < threshold < risk_at_age(prior, QuickFills().still_open_share(7))
    out = run(handler(ref, risk_threshold=threshold))
    assert not [a for a in out.alerts if a["subject_id"] == "slow" and a["source_offset"] == 0]
    ages = aged(out, "slow")
    assert [r["checkpoint_days"] for r in ages] == list(AGES_DAYS)
    assert [r["aged_at"] for r in ages] == [T0 + timedelta(days=a) for a in AGES_DAYS]
    assert all(r["risk_at_posting"] == pytest.approx(prior) for r in ages)
    assert ages[0]["risk"] > prior and ages[0]["alerted_before"] is False
    assert [r["alerted_before"] for r in ages[1:]] == [True, True]
    alerts = [a for a in out.alerts if a["subject_id"] == "slow"]
    assert len(alerts) == 1, "one alert, at the first age over the threshold"
    alert = alerts[0]
    assert alert["alert_type"] == "offer_hard_to_fill"
    assert alert["alert_id"] == cause_alert_id("offer:slow:age:7", "offer_hard_to_fill")
    assert alert["title"].startswith("Offre slow toujours ouverte après 7 jours : ")
    assert alert["event_time"] == T0 + timedelta(days=7)
    assert alert["reasons"][0]["code"] == "hard_to_fill_risk_at_age"
    assert "passe de 68 % à la publication" in alert["reasons"][0]["message"]
    assert alert["inputs"]["checkpoint_days"] == "7" and alert["audience_id"] == "26"
    hashes = [s.fields for s in out.states if s.kind == "offer" and s.entity_id == "slow"]
    assert {"risk_at_7d", "risk_at_14d", "risk_at_21d"} <= {k for f in hashes for k in f}
    # Offers closed before an age are not re-assessed at it.
    assert not aged(out, "quick")
    assert [r["checkpoint_days"] for r in aged(out, "other-5")] == []


def test_an_offer_that_alerted_at_posting_does_not_alert_again(ref: Referential) -> None:
    out = run(handler(ref, risk_threshold=0.6))
    alerts = [a for a in out.alerts if a["subject_id"] == "slow"]
    assert len(alerts) == 1 and alerts[0]["source_offset"] == 0, "the posting's alert only"
    assert all(r["alerted_before"] for r in aged(out, "slow"))


def test_no_age_is_reached_while_closures_stop_arriving(ref: Referential) -> None:
    h, out = handler(ref, risk_threshold=0.7), Outputs()
    h.handle("OfferPosted", hot("slow"), src(0), out)
    for day in (8, 15, 22):  # offers keep coming, no closure: "still open" is unproven
        h.handle("OfferPosted", hot(f"o{day}", day), src(day), out)
    assert not aged(out, "slow")
    h.handle("OfferClosed", closed("o8", "filled", T0 + timedelta(days=23)), src(30), out)
    assert [r["checkpoint_days"] for r in aged(out, "slow")] == list(AGES_DAYS)


def test_ages_that_fall_due_together_still_alert_once(ref: Referential) -> None:
    h, out = handler(ref, risk_threshold=0.7), Outputs()
    h.handle("OfferPosted", hot("slow"), src(0), out)
    h.handle("OfferPosted", hot("late", 23), src(1), out)
    # One closure 24 days on: the clock passes 7, 14 and 21 days of « slow » in one step.
    h.handle("OfferClosed", closed("late", "filled", T0 + timedelta(days=24)), src(2), out)
    assert [r["checkpoint_days"] for r in aged(out, "slow")] == list(AGES_DAYS)
    assert [r["alerted_before"] for r in aged(out, "slow")] == [False, True, True]
    alerts = [a for a in out.alerts if a["subject_id"] == "slow"]
    assert [a["alert_id"] for a in alerts] == [
        cause_alert_id("offer:slow:age:7", "offer_hard_to_fill")
    ]


def test_two_runs_and_a_restart_from_a_snapshot_give_the_same_reassessments(
    ref: Referential,
) -> None:
    def keep(out: Outputs) -> list[tuple[Any, ...]]:
        return [
            (r["offer_id"], r["checkpoint_days"], round(r["risk"], 12), r["alerted_before"])
            for _, r in out.records
        ]

    first, second = run(handler(ref, risk_threshold=0.7)), run(handler(ref, risk_threshold=0.7))
    assert keep(first) == keep(second) and keep(first)
    ids = sorted(a["alert_id"] for a in first.alerts)
    assert ids == sorted(a["alert_id"] for a in second.alerts)
    # A learner restored from a snapshot of its state carries on with the same queues.
    queues = OpenOffers()
    queues.add("a", _open(0.0))
    restored = pickle.loads(pickle.dumps(queues))
    assert [(i, age) for i, _, age in restored.aged(8 * 86_400.0)] == [("a", 7)]
    # A snapshot from before the ages loads with empty queues instead of failing.
    old = pickle.loads(pickle.dumps(queues))
    del old.__dict__["_to_age"]
    assert pickle.loads(pickle.dumps(old)).aged(30 * 86_400.0) == []


def _open(posted_at: float) -> OpenOffer:
    return OpenOffer(posted_at, ("G1604|national:FR",), array("f"), 0.5, 0.5, 0.5, 1)
