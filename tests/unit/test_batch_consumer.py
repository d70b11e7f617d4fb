"""The batch consumer's contract, with fakes of the consumer and the runtime (no Kafka here).

Offsets are stored only after a batch's delivery returned, one past the last event of each
partition; learning-topic events go to the learners, input events to scoring; a delivery that
raises stores nothing (the next owner reads the batch again).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from confluent_kafka import TopicPartition

from streams.consumer import BatchConsumer
from streams.pipeline import InputEvent
from streams.settings import load_settings


class FakeMessage:
    def __init__(self, topic: str, partition: int, offset: int) -> None:
        self._where = (topic, partition, offset)

    def error(self) -> None:
        return None

    def topic(self) -> str:
        return self._where[0]

    def partition(self) -> int:
        return self._where[1]

    def offset(self) -> int:
        return self._where[2]

    def timestamp(self) -> tuple[int, int]:
        return (1, 1_700_000_000_000)

    def key(self) -> bytes:
        return b"k"

    def value(self) -> bytes:
        return b"v"


class FakeConsumer:
    """Hands out prepared batches, then asks the batch consumer to stop."""

    def __init__(self, batches: list[list[FakeMessage]], stop: threading.Event) -> None:
        self.batches = batches
        self.stop = stop
        self.stored: list[list[tuple[str, int, int]]] = []

    def consume(self, num_messages: int, timeout: float) -> list[FakeMessage]:
        if not self.batches:
            self.stop.set()
            return []
        return self.batches.pop(0)

    def store_offsets(self, offsets: list[TopicPartition]) -> None:
        self.stored.append(sorted((tp.topic, tp.partition, tp.offset) for tp in offsets))

    def get_watermark_offsets(self, tp: TopicPartition, cached: bool = False) -> tuple[int, int]:
        return (0, 100)


class FakeRuntime:
    def __init__(self, fail_on: int | None = None) -> None:
        self.settings = load_settings({"VIGIE_TOPIC_PREFIX": "t."})
        self.learning_topic = "t.learning"
        self.runs: list[tuple[bool, list[tuple[str, int, int]]]] = []
        self.swaps = 0
        self.fail_on = fail_on

    def swap_pending(self) -> None:
        self.swaps += 1

    def run_batch_blocking(
        self, events: Sequence[InputEvent], *, learning: bool, deliver: object = None
    ) -> int:
        if self.fail_on is not None and len(self.runs) == self.fail_on:
            raise ConnectionError("Redis is down")
        self.runs.append(
            (learning, [(e.source.topic, e.source.partition, e.source.offset) for e in events])
        )
        return 0


def _run(runtime: FakeRuntime, batches: list[list[FakeMessage]]) -> FakeConsumer:
    consumer = BatchConsumer(runtime, ["t.offers", "t.learning"])  # type: ignore[arg-type]
    fake = FakeConsumer(batches, consumer._stop)  # noqa: SLF001 - the loop's own flag
    consumer._loop(fake)  # type: ignore[arg-type]  # noqa: SLF001
    return fake


def test_offsets_are_stored_after_delivery_one_past_each_partitions_last_event() -> None:
    runtime = FakeRuntime()
    batch = [
        FakeMessage("t.offers", 0, 7),
        FakeMessage("t.learning", 1, 3),
        FakeMessage("t.offers", 0, 8),
        FakeMessage("t.offers", 1, 2),
    ]
    fake = _run(runtime, [batch])
    assert runtime.runs == [
        (False, [("t.offers", 0, 7), ("t.offers", 0, 8), ("t.offers", 1, 2)]),
        (True, [("t.learning", 1, 3)]),
    ]
    assert fake.stored == [[("t.learning", 1, 4), ("t.offers", 0, 9), ("t.offers", 1, 3)]]
    assert runtime.swaps >= 1  # newer models are swapped in between batches


def test_a_failed_delivery_stores_no_offset() -> None:
    runtime = FakeRuntime(fail_on=1)
    batches = [[FakeMessage("t.offers", 0, 0)], [FakeMessage("t.offers", 0, 1)]]
    consumer = BatchConsumer(runtime, ["t.offers"])  # type: ignore[arg-type]
    fake = FakeConsumer(batches, consumer._stop)  # noqa: SLF001
    with pytest.raises(ConnectionError):
        consumer._loop(fake)  # type: ignore[arg-type]  # noqa: SLF001
    assert fake.stored == [[("t.offers", 0, 1)]]  # the first batch only


class FakeTransaction:
    def __init__(self) -> None:
        self.offsets: list[dict[tuple[str, int], int]] = []
        self.commits = 0

    def deliver(self, outputs: object) -> int:
        return 0

    def add_offsets(self, last: dict[tuple[str, int], int]) -> None:
        self.offsets.append(dict(last))

    def due(self) -> bool:
        return True

    def commit(self) -> None:
        self.commits += 1


def test_exactly_once_gives_the_offsets_to_the_transaction_and_stores_none() -> None:
    runtime = FakeRuntime()
    consumer = BatchConsumer(runtime, ["t.offers"])  # type: ignore[arg-type]
    txn = consumer.transaction = FakeTransaction()  # type: ignore[assignment]
    fake = FakeConsumer(
        [[FakeMessage("t.offers", 0, 3)], [FakeMessage("t.offers", 0, 4)]],
        consumer._stop,  # noqa: SLF001
    )
    consumer._loop(fake)  # type: ignore[arg-type]  # noqa: SLF001
    assert fake.stored == []  # committed by the producer's transaction, never by the consumer
    assert txn.offsets == [{("t.offers", 0): 3}, {("t.offers", 0): 4}]
    assert txn.commits >= 2  # due after each batch with a zero interval
