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

from sinks import kafka_sink
from sinks.kafka_sink import KafkaSink, ProducerStuckError
from sinks.outputs import Outputs
from streams.pipeline import Delivery
from streams.settings import load_settings
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

    def send_examples(self, examples: Any, scored_with: Any = None, input_bytes: Any = None) -> int:
        return 0

    def send_changes(self, changes: Any) -> int:
        return 0

    def send_scored(self, scored: Any, scored_with: Any) -> int:
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


def transaction(sink: FakeSink, store: FakeRedis, committed: Any = None) -> Transaction:
    delivery = Delivery(sink, store, max_backoff_s=0.01, worker="test")  # type: ignore[arg-type]
    return Transaction(
        delivery,
        lambda: "generation-7",
        interval_s=0.0,
        max_backoff_s=0.01,
        committed=committed,
    )


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


# The watchdog of stuck transactional calls (librdkafka #5456, #5511) ------------------------------


class HangingProducer:
    """A transactional librdkafka producer whose ``send_offsets_to_transaction`` never
    returns when ``hang`` is set, whatever its timeout: the bug the watchdog is for."""

    made: list[HangingProducer] = []
    hang = True

    def __init__(self, config: dict[str, Any]) -> None:
        assert config["transactional.id"] == "vigie-all-test"
        self.inits = 0
        self.released = threading.Event()
        self.calls: list[str] = []
        HangingProducer.made.append(self)

    def init_transactions(self, timeout: float) -> None:
        self.inits += 1

    def begin_transaction(self) -> None:
        self.calls.append("begin")

    def send_offsets_to_transaction(self, offsets: Any, metadata: Any, timeout: float) -> None:
        self.calls.append("send_offsets")
        if HangingProducer.hang:
            self.released.wait(30)  # far past the timeout it was given

    def commit_transaction(self, timeout: float) -> None:
        self.calls.append("commit")

    def abort_transaction(self, timeout: float) -> None:
        self.calls.append("abort")


@pytest.fixture
def hanging(monkeypatch: pytest.MonkeyPatch) -> Any:
    HangingProducer.made, HangingProducer.hang = [], True
    monkeypatch.setattr(kafka_sink, "Producer", HangingProducer)
    yield HangingProducer
    for producer in HangingProducer.made:
        producer.released.set()


def sink_with_watchdog() -> KafkaSink:
    settings = load_settings({"VIGIE_TOPIC_PREFIX": "t"})
    return KafkaSink(
        settings,
        codec=None,  # type: ignore[arg-type] - nothing is encoded here
        flush_timeout_s=0.05,
        transactional_id="vigie-all-test",
        stuck_grace_s=0.05,
    )


def test_a_call_stuck_past_its_timeout_replaces_the_producer(hanging: Any) -> None:
    sink = sink_with_watchdog()
    first = sink._producer  # noqa: SLF001
    with pytest.raises(ProducerStuckError) as raised:
        sink.commit([TopicPartition("t.offers", 0, 5)], "generation-7")
    error: KafkaError = raised.value.args[0]
    assert error.txn_requires_abort() and "send_offsets_to_transaction" in error.str()
    assert sink.replaced_stuck == 1
    assert sink._producer is not first and sink._producer.inits == 1  # noqa: SLF001
    assert "commit" not in first.calls  # the stuck producer is never used again
    # The new producer works: a new transaction begins and commits on it.
    hanging.hang = False
    sink.commit([TopicPartition("t.offers", 0, 5)], "generation-7")
    assert sink._producer.calls == ["begin", "send_offsets", "commit"]  # noqa: SLF001


def test_a_stuck_commit_that_landed_is_not_sent_again() -> None:
    stuck = FakeSink()
    stuck.commit_errors = []
    txn_offsets: list[list[TopicPartition]] = []

    def commit(offsets: list[TopicPartition], group_metadata: Any) -> None:
        # The old producer's commit reached the coordinator, then the call hung.
        txn_offsets.append(offsets)
        FakeSink.commit(stuck, offsets, group_metadata)
        raise ProducerStuckError("commit_transaction", 40)

    stuck.commit = commit  # type: ignore[method-assign]
    committed = {("t.offers", 0): 5}
    txn = transaction(
        stuck,
        FakeRedis(),
        committed=lambda tps: [
            TopicPartition(tp.topic, tp.partition, committed[(tp.topic, tp.partition)])
            for tp in tps
        ],
    )
    txn.deliver(batch("a1", "a2"))
    txn.add_offsets({("t.offers", 0): 4})
    txn.commit()
    assert stuck.committed == ["a1", "a2"] and stuck.aborts == 0, "not sent twice"
    assert txn.commits == 1 and txn.batches == []


def test_a_stuck_commit_that_did_not_land_is_sent_again_on_the_new_producer() -> None:
    sink, store = FakeSink(commit_errors=[]), FakeRedis()
    attempts: list[int] = []

    def commit(offsets: list[TopicPartition], group_metadata: Any) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            sink.open = []  # the replaced producer's transaction was aborted
            raise ProducerStuckError("send_offsets_to_transaction", 40)
        FakeSink.commit(sink, offsets, group_metadata)

    sink.commit = commit  # type: ignore[method-assign]
    nothing_committed = lambda tps: [TopicPartition(tp.topic, tp.partition, -1001) for tp in tps]  # noqa: E731
    txn = transaction(sink, store, committed=nothing_committed)
    txn.deliver(batch("a1"))
    txn.deliver(batch("a2"))
    txn.add_offsets({("t.offers", 1): 8})
    txn.commit()
    assert len(attempts) == 2
    assert sink.committed == ["a1", "a2"], "every batch of the transaction, once"
    assert sink.offsets == [[("t.offers", 1, 9)]]
