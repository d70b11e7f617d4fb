"""A worker killed mid-stream and restarted loses no alert and duplicates none."""

from __future__ import annotations

from dataclasses import replace

import pytest
import redis

from schemas.codec import Codec
from streams.publisher import Publisher
from streams.settings import Settings
from tests.integration.conftest import read_topic, wait_for, wait_for_model, wait_for_offers
from tests.integration.test_offers import wait_learnt
from tests.integration.test_worker import MARKET, offer, publish_market


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The conftest's namespace, with a 10 s Kafka session: a killed worker's partitions move
    to the others in 10 s instead of Faust's 60. Only here, where the workload is light: under
    the email tests' spaCy load a 10 s session let the broker drop a busy worker. Exactly once
    (opt-in): what the Kafka alerts topic shows after a kill is asserted, not only printed."""
    return replace(settings, kafka_session_timeout_s=10.0, processing_guarantee="exactly_once")


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
    wait_for_offers(redis_client, settings, everything, timeout_s=120)
    # The model learnt every offer exactly once, though the killed worker's last batches were
    # scored (and sent to the learner) twice.
    wait_learnt(redis_client, settings, len(everything))
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
    assert set(on_kafka) == set(ids), "the alerts topic holds every alert, and only those"
    # Exactly once (set above): the killed worker's open transaction was aborted, so a
    # read_committed reader sees each alert once; a read_uncommitted one may see its copies.
    assert len(on_kafka) == len(set(on_kafka)), "an alert repeated on the Kafka topic"
    raw = read_topic(settings, "alerts", expect=LOW_OFFERS, isolation="read_uncommitted")
    print(f"alert messages a read_uncommitted reader sees after the kill: {len(raw)}")


def test_two_workers_share_the_partitions_and_one_killed_loses_and_duplicates_nothing(
    settings: Settings,
    publisher: Publisher,
    worker_factory,
    redis_client: redis.Redis,
    codec: Codec,
) -> None:
    first, second = worker_factory(), worker_factory()
    # Enough market offers that each worker's share of the partitions learns the market.
    for i in range(24):
        publisher.publish("OfferPosted", offer(f"mkt-{i}", 1900.0 + 10 * (i % 10)))
    publisher.flush()
    wait_for_offers(redis_client, settings, [f"mkt-{i}" for i in range(24)])
    wait_for_model(redis_client, settings, "offer-intelligence", lambda m: m["open_offers"] >= 24)
    lows = [f"low-{i}" for i in range(80)]
    everything = list(lows)
    for i, offer_id in enumerate(lows):
        publisher.publish("OfferPosted", offer(offer_id, 900.0 + i % 10))
        for j in range(2):
            publisher.publish("OfferPosted", offer(f"fair-{i}-{j}", 2000.0))
            everything.append(f"fair-{i}-{j}")
    publisher.flush()
    stream = settings.key("alerts", "all")
    wait_for(lambda: redis_client.xlen(stream) >= 5, what="the first alerts")
    first.kill()
    replacement = worker_factory()
    wait_for_offers(redis_client, settings, everything, timeout_s=120)
    wait_learnt(redis_client, settings, 24 + len(everything))
    second.stop()
    replacement.stop()

    subjects = sorted(f["subject_id"] for _, f in redis_client.xrange(stream))
    assert subjects == sorted(lows), "each low offer alerted exactly once"
    on_kafka = [
        codec.decode(m.value()).record["subject_id"]
        for m in read_topic(settings, "alerts", expect=len(lows))
    ]
    # Every alert is on Kafka exactly once for read_committed readers: the killed worker's
    # open transaction was aborted, and its batches were processed again by their new owner.
    assert sorted(on_kafka) == sorted(lows)


def test_scoring_and_learning_workers_split_the_work(
    settings: Settings,
    publisher: Publisher,
    worker_factory,
    redis_client: redis.Redis,
) -> None:
    scorer, learner = worker_factory("scoring"), worker_factory("learning")
    publish_market(publisher, redis_client, settings)  # scored by one, learnt by the other
    publisher.publish("OfferPosted", offer("low-1", 1200.0))
    publisher.flush()
    wait_for(
        lambda: redis_client.xlen(settings.key("alerts", "area", "07")) == 1,
        what="the low offer's alert, judged with the learner's snapshot",
    )
    wait_learnt(redis_client, settings, len(MARKET) + 1)
    assert "model snapshot saved name=offer-intelligence" in learner.log()
    assert "model snapshot saved" not in scorer.log(), "a scoring worker never learns"
    assert "learning models=" not in scorer.log()
