"""Offers re-assessed as they age, on the real broker and Redis, and reproduced by a replay.

An offer of metalworkers in Toulouse (H2911, bassin 7617) is posted 30 days ago and never
closed. Its prior (68 %) is under the default alert threshold (70 %). Other offers of the cell,
posted and filled later, move the learner's event-time clock past the offer's 7, 14 and 21
days: at each age the learner writes an ``OfferAged`` event on the offers topic, and the first
age whose risk crosses the threshold raises « offre à risque », once. A replay over the range
re-reads those events and re-derives the same alert.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import redis

from agents.offers.model import AGES_DAYS
from schemas.codec import Codec
from sinks.outputs import cause_alert_id
from streams.publisher import Publisher
from streams.replay import ReplayOptions, run_replay
from streams.replay.bounds import parse_bound
from streams.settings import Settings
from tests.integration.conftest import read_topic, wait_for
from tests.integration.test_offers import closure, metal_offer

pytestmark = pytest.mark.integration


def test_an_offer_never_closed_is_reassessed_at_its_ages_and_alerts_once(
    settings: Settings,
    publisher: Publisher,
    worker_factory,
    redis_client: redis.Redis,
    codec: Codec,
) -> None:
    assert settings.hard_to_fill_threshold == 0.7
    worker_factory()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)
    publisher.publish("OfferPosted", metal_offer("slow", 2400.0, posted_at=start))
    # Event time passes: an offer of the same cell every few days, each filled within two days.
    for day in (5, 9, 13, 17, 21, 25):
        posted = start + timedelta(days=day)
        publisher.publish("OfferPosted", metal_offer(f"quick-{day}", 2400.0, posted_at=posted))
        publisher.publish("OfferClosed", closure(f"quick-{day}", posted, filled_after_days=1.5))
    publisher.flush()

    offer_key = settings.key("offer", "slow")
    wait_for(
        lambda: redis_client.hget(offer_key, "risk_at_21d"),
        timeout_s=90,
        what="the offer re-assessed at 21 days",
    )
    state = redis_client.hgetall(offer_key)
    assert state["status"] == "open" and state["risk_alert_id"] == "", "no alert at posting"
    risks = [float(state[f"risk_at_{age}d"]) for age in AGES_DAYS]
    assert risks == sorted(risks) and risks[0] > float(state["risk"]), risks
    expected_id = cause_alert_id("offer:slow:age:7", "offer_hard_to_fill")
    assert state["aged_risk_alert_id"] == expected_id

    # The timer's events are on the offers topic, one per age, keyed by the offer.
    aged = [
        (m.key(), codec.decode(m.value()).record)
        for m in read_topic(settings, "offers")
        if codec.decode(m.value()).name == "OfferAged"
    ]
    slow = [r for key, r in aged if key == b"slow"]
    assert [r["checkpoint_days"] for r in slow] == list(AGES_DAYS)
    assert [r["aged_at"] for r in slow] == [start + timedelta(days=a) for a in AGES_DAYS]
    assert not [r for _, r in aged if r["offer_id"].startswith("quick")], "closed in time"

    def slow_alerts() -> list[dict[str, Any]]:
        found = []
        for _, entry in redis_client.xrange(settings.key("alerts", "area", "31")):
            if entry["subject_id"] == "slow":
                found.append(orjson.loads(entry["json"]))
        return found

    alerts = wait_for(slow_alerts, what="the ageing alert in Redis")
    assert [a["alert_id"] for a in alerts] == [expected_id], "one alert, at the first age"
    assert alerts[0]["title"].startswith("Offre slow toujours ouverte après 7 jours : ")
    on_kafka = [codec.decode(m.value()).record for m in read_topic(settings, "alerts", expect=1)]
    assert [a["alert_id"] for a in on_kafka if a["subject_id"] == "slow"] == [expected_id]

    # An audit replay of the range re-reads the timer's events and re-derives the alert.
    result = run_replay(
        settings,
        ReplayOptions(start=parse_bound("earliest"), end=parse_bound("latest"), progress=False),
    )
    summary = result.report["summary"]
    assert summary["recorded"] == summary["matches"] == len(on_kafka), summary
    assert summary["missing"] == summary["different"] == summary["extra"] == 0, summary
