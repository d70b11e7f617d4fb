"""A worker killed mid-stream and restarted loses no alert and duplicates none."""

from __future__ import annotations

import redis

from schemas.codec import Codec
from streams.publisher import Publisher
from streams.settings import Settings

from .conftest import read_topic, wait_for
from .test_worker import MARKET, offer

LOW_OFFERS = 120  # enough for the kill to land mid-stream


def test_sigkill_mid_stream_then_restart_gives_each_alert_exactly_once(
    settings: Settings, publisher: Publisher, worker_factory, redis_client: redis.Redis,
    codec: Codec,
) -> None:
    for i, pay in enumerate(MARKET):
        publisher.publish("OfferPosted", offer(f"mkt-{i}", pay))
    publisher.flush()
    expected = set()
    for i in range(LOW_OFFERS):
        publisher.publish("OfferPosted", offer(f"low-{i}", 1000.0 + i))
        publisher.publish("OfferPosted", offer(f"fair-{i}", 2000.0))
        expected.add(f"low-{i}")
    publisher.flush()

    stream = settings.key("alerts", "all")
    first = worker_factory()
    wait_for(lambda: redis_client.xlen(stream) >= 5, what="the first alerts")
    first.kill()
    written_before_kill = redis_client.xlen(stream)

    second = worker_factory()
    wait_for(lambda: redis_client.xlen(stream) >= LOW_OFFERS, timeout_s=120,
             what="every alert after the restart")
    # Let the restarted worker finish re-reading what the killed one had not committed.
    wait_for(lambda: int(redis_client.hget(settings.key("metrics", "worker"), "processed") or 0)
             >= len(MARKET) + 2 * LOW_OFFERS, timeout_s=120, what="every offer processed")
    second.stop()

    entries = redis_client.xrange(stream)
    subjects = [fields["subject_id"] for _, fields in entries]
    assert sorted(subjects) == sorted(expected), (
        f"{len(subjects)} alerts for {len(expected)} low offers "
        f"({written_before_kill} written before the kill)"
    )
    ids = [fields["alert_id"] for _, fields in entries]
    assert len(ids) == len(set(ids))

    on_kafka = [codec.decode(m.value()).record["alert_id"]
                for m in read_topic(settings, "alerts", expect=LOW_OFFERS)]
    assert sorted(on_kafka) == sorted(ids), "the alerts topic holds each alert exactly once"
