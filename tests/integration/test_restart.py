"""A worker killed mid-stream and restarted loses no alert and duplicates none."""

from __future__ import annotations

import redis

from schemas.codec import Codec
from streams.publisher import Publisher
from streams.settings import Settings
from tests.integration.conftest import read_topic, wait_for
from tests.integration.test_worker import MARKET, offer, publish_market

LOW_OFFERS = 120  # enough for the kill to land mid-stream


def test_sigkill_mid_stream_then_restart_gives_each_alert_exactly_once(
    settings: Settings,
    publisher: Publisher,
    worker_factory,
    redis_client: redis.Redis,
    codec: Codec,
) -> None:
    first = worker_factory()
    publish_market(publisher, redis_client, settings)
    expected, everything = set(), [f"mkt-{i}" for i in range(len(MARKET))]
    for i in range(LOW_OFFERS):
        # Two fair offers for each low one keep the local median in the fair cluster.
        publisher.publish("OfferPosted", offer(f"low-{i}", 900.0 + i % 10))
        publisher.publish("OfferPosted", offer(f"fair-a{i}", 2000.0))
        publisher.publish("OfferPosted", offer(f"fair-b{i}", 1950.0))
        expected.add(f"low-{i}")
        everything += [f"low-{i}", f"fair-a{i}", f"fair-b{i}"]
    publisher.flush()

    stream = settings.key("alerts", "all")
    wait_for(lambda: redis_client.xlen(stream) >= 5, what="the first alerts")
    first.kill()
    written_before_kill = redis_client.xlen(stream)

    second = worker_factory()
    for offer_id in everything:
        wait_for(
            lambda o=offer_id: redis_client.exists(settings.key("offer", o)),
            timeout_s=120,
            what=f"offer {offer_id} processed after the restart",
        )
    second.stop()

    entries = redis_client.xrange(stream)
    subjects = [fields["subject_id"] for _, fields in entries]
    assert sorted(subjects) == sorted(expected), (
        f"{len(subjects)} alerts for {len(expected)} low offers "
        f"({written_before_kill} written before the kill)"
    )
    ids = [fields["alert_id"] for _, fields in entries]
    assert len(ids) == len(set(ids))

    on_kafka = [
        codec.decode(m.value()).record["alert_id"]
        for m in read_topic(settings, "alerts", expect=LOW_OFFERS)
    ]
    assert sorted(on_kafka) == sorted(ids), "the alerts topic holds each alert exactly once"
