"""Re-reading the input log to bring restored models up to the consumer group's position.

Kafka Streams restores a task's state from its changelog before processing; Vigie's models are
restored from a snapshot, and the input topics themselves are the changelog since then.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from confluent_kafka import Consumer, TopicPartition

from sinks.outputs import SourceRef
from streams.logread import read_partition
from streams.modelstore import ManagedModel
from streams.pipeline import InputEvent
from streams.security import kafka_config
from streams.settings import Settings

READ_BATCH = 2000


def committed_offsets(
    settings: Settings, partitions: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], int]:
    """The worker group's committed offset of each partition (absent when none yet)."""
    tps = [TopicPartition(t, p) for t, p in partitions]
    if not tps:
        return {}
    consumer = Consumer(
        {
            **kafka_config(settings),
            "group.id": settings.group_id,
            "enable.auto.commit": False,
        }
    )
    try:
        found = consumer.committed(tps, timeout=30)
    finally:
        consumer.close()
    return {(tp.topic, tp.partition): tp.offset for tp in found if tp.offset >= 0}


def relearn_ranges(
    settings: Settings, models: list[ManagedModel], assigned: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], tuple[int, int]]:
    """For each assigned partition some model learns from: [first offset to re-read, end)."""
    learning = [(t, p) for t, p in assigned if any(t in m.learns_from for m in models)]
    committed = committed_offsets(settings, learning)
    ranges = {}
    for topic, partition in learning:
        end = committed.get((topic, partition))
        if end is None:
            continue  # nothing was committed: the worker will process everything anyway
        start = min(
            m.positions.get(f"{topic}:{partition}", 0) for m in models if topic in m.learns_from
        )
        if start < end:
            ranges[(topic, partition)] = (start, end)
    return ranges


def read_range(
    settings: Settings, topic: str, partition: int, start: int, end: int
) -> Iterator[list[InputEvent]]:
    """Yield the events of ``topic[partition]`` from ``start`` (or the log start) to ``end``."""
    consumer = Consumer(
        {
            **kafka_config(settings),
            "group.id": f"{settings.group_id}-relearn",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        low, _ = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=30)
        for records in read_partition(
            consumer, topic, partition, max(start, low), end, batch=READ_BATCH, what="re-learning"
        ):
            yield [
                InputEvent(
                    SourceRef(topic, partition, m.offset(), m.timestamp()[1]), m.key(), m.value()
                )
                for m in records
            ]
    finally:
        consumer.close()
