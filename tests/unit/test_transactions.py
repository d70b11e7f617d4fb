"""Exactly-once delivery's contract, with fakes of the producer and Redis (no Kafka here).

A transaction commits its batches' input offsets (one past the last event of each partition)
with its outputs; a failure aborts it and sends every batch of it again in a new one; a group
that moved on drops it; a commit that may be retried is retried without aborting. The real
broker's side is in ``tests/integration/test_restart.py`` (a SIGKILL mid-stream: each alert once
for read_committed readers) and ``test_broker_restart.py``.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import redis
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from sinks.outputs import Outputs
from streams.pipeline import Delivery
from streams.transactions import GroupMovedError, Transaction


class FakeSink:
    """What a transactional KafkaSink does, recorded: sends join the open transaction."""

    def __init__(self, commit_errors: list[KafkaError] | None = None) -> None:
        self.transactional_id = "vigie-all-test"
        self.open: list[str] = []  # alert ids sent in the open transaction
        self.committed: list[str] = []
        self.offsets: list[list[tuple[str, int, int]]] = []
        self.aborts = 0
        self.renewals = 0
        self.flushes = 0
        self.commit_errors = list(commit_errors or [])

    def send_alerts(self, alerts: Any) -> int:
        ids = [a["alert_id"] for a in alerts]
        self.open += ids
        return len(ids)

    def send_dead_letters(self, dead_letters: Any) -> int:
        return 0

    def send_examples(self, examples: Any, scored_with: Any = None) -> int:
        return 0

    def send_changes(self, changes: Any) -> int:
        return 0

    def send_records(self, records: Any) -> int:
        return 0

    def flush(self) -> None:
        self.flushes += 1

    def commit(self, offsets: list[TopicPartition], group_metadata: Any) -> None:
        assert group_metadata == "generation-7"
        if self.commit_errors:
            raise KafkaException(self.commit_errors.pop(0))
        self.offsets.append(sorted((tp.topic, tp.partition, tp.offset) for tp in offsets))
        self.committed += self.open
        self.open = []

    def abort(self) -> None:
        self.aborts += 1
        self.open = []

    def renew(self) -> None:
        self.renewals += 1
        self.open = []


class FakeRedis:
    """Adds alerts once by id, as the Lua script does; may fail a number of writes."""

    def __init__(self, known: set[str] | None = None, fail_writes: int = 0) -> None:
        self.alerts: list[str] = list(known or ())
        self.fail_writes = fail_writes

    def screen(self, alerts: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
        return {a["alert_id"] for a in alerts if a["alert_id"] in self.alerts}, set()

    def write(self, outputs: Outputs, *, suppressed: int = 0) -> int:
        if self.fail_writes:
            self.fail_writes -= 1
            raise redis.ConnectionError("Redis is down")
        new = [a["alert_id"] for a in outputs.alerts if a["alert_id"] not in self.alerts]
        self.alerts += new
        return len(new)


def batch(*alert_ids: str) -> Outputs:
    return Outputs(alerts=[{"alert_id": a} for a in alert_ids])


def transaction(sink: FakeSink, store: FakeRedis) -> Transaction:
    delivery = Delivery(sink, store, max_backoff_s=0.01, worker="test")  # type: ignore[arg-type]
    return Transaction(delivery, lambda: "generation-7", interval_s=0.0, max_backoff_s=0.01)


def test_a_commit_carries_the_batches_outputs_and_the_next_offsets_to_read() -> None:
    sink, store = FakeSink(), FakeRedis()
    txn = transaction(sink, store)
    assert txn.deliver(batch("a1", "a2")) == 2
    txn.add_offsets({("t.offers", 0): 7, ("t.offers", 1): 2})
    assert txn.deliver(batch("a3")) == 1
    txn.add_offsets({("t.offers", 0): 9})
    assert sink.committed == [] and sink.flushes == 0  # nothing visible before the commit
    assert txn.due()
    txn.commit()
    assert sink.committed == ["a1", "a2", "a3"]
    assert sink.offsets == [[("t.offers", 0, 10), ("t.offers", 1, 3)]]
    assert store.alerts == ["a1", "a2", "a3"]
    assert not txn.due() and txn.batches == [] and txn.commits == 1


def test_alerts_redis_already_holds_still_go_into_the_transaction() -> None:
    # A batch is delivered again only after its transaction was aborted: its alerts are not on
    # Kafka for read_committed readers even when an earlier attempt wrote them to Redis.
    sink, store = FakeSink(), FakeRedis(known={"a1"})
    txn = transaction(sink, store)
    assert txn.deliver(batch("a1", "a2")) == 1  # one new in Redis
    txn.commit()
    assert sink.committed == ["a1", "a2"] and store.alerts == ["a1", "a2"]


def test_a_failed_delivery_aborts_and_sends_every_batch_of_the_transaction_again() -> None:
    sink, store = FakeSink(), FakeRedis()
    txn = transaction(sink, store)
    txn.deliver(batch("a1"))
    store.fail_writes = 2  # the second batch meets a Redis outage, and so does the first redo
    txn.deliver(batch("a2"))
    txn.commit()
    assert sink.aborts == 2
    assert sink.committed == ["a1", "a2"], "each alert once, in the order of its batches"
    assert store.alerts == ["a1", "a2"]


def test_a_commit_that_needs_an_abort_sends_the_batches_again_then_commits() -> None:
    abortable = KafkaError(KafkaError._TIMED_OUT, "timed out", txn_requires_abort=True)
    sink, store = FakeSink(commit_errors=[abortable]), FakeRedis()
    txn = transaction(sink, store)
    txn.deliver(batch("a1", "a2"))
    txn.add_offsets({("t.offers", 0): 4})
    txn.commit()
    assert sink.aborts == 1
    assert sink.committed == ["a1", "a2"]
    assert sink.offsets == [[("t.offers", 0, 5)]]


def test_a_retriable_commit_is_retried_without_aborting() -> None:
    retriable = KafkaError(KafkaError.COORDINATOR_NOT_AVAILABLE, "moving", retriable=True)
    sink, store = FakeSink(commit_errors=[retriable, retriable]), FakeRedis()
    txn = transaction(sink, store)
    txn.deliver(batch("a1"))
    txn.add_offsets({("t.offers", 2): 0})
    txn.commit()
    assert sink.aborts == 0 and sink.committed == ["a1"]


def test_a_group_that_moved_on_drops_the_transaction_for_the_new_owner() -> None:
    moved = KafkaError(KafkaError.ILLEGAL_GENERATION, "stale", txn_requires_abort=True)
    sink, store = FakeSink(commit_errors=[moved]), FakeRedis()
    txn = transaction(sink, store)
    txn.deliver(batch("a1"))
    txn.add_offsets({("t.offers", 0): 1})
    with pytest.raises(GroupMovedError):
        txn.commit()
    assert sink.committed == [] and sink.aborts == 1
    assert txn.batches == [] and txn.offsets == {} and not txn.due()


def test_a_stopping_worker_gives_up_instead_of_waiting_out_the_outage() -> None:
    sink, store = FakeSink(), FakeRedis(fail_writes=1_000)
    txn = transaction(sink, store)
    txn.delivery.stopping = threading.Event()
    txn.delivery.stopping.set()
    with pytest.raises(redis.ConnectionError):
        txn.deliver(batch("a1"))
    assert sink.committed == []


def test_at_least_once_delivery_flushes_and_skips_alerts_redis_holds() -> None:
    sink, store = FakeSink(), FakeRedis(known={"a1"})
    sink.transactional_id = ""
    delivery = Delivery(sink, store, worker="test")  # type: ignore[arg-type]
    delivery.deliver(batch("a1", "a2"))
    assert sink.open == ["a2"] and sink.flushes == 1
