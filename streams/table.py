"""Per-key state of a use case, kept where its key is processed and backed by a changelog.

Kafka Streams' KTable and Faust's Table do the same: a worker holds the entries of the
partitions it owns, in memory; every change goes to a compacted *changelog* topic, on the
partition of the key; a worker that takes a partition over reads that partition of the
changelog back before it processes anything. Vigie processes in batches outside Faust's
per-event context, so it keeps its own (Faust's Table needs the current event to write).

A key lives on the partition Kafka's default partitioner gives it (murmur2, as the Java
client, aiokafka and Vigie's publisher use): the table of ``jobseeker_id`` is co-partitioned
with the job-seekers and emails topics, which carry the same key with as many partitions.
Values are JSON objects. Changes are delivered with the batch that made them, before its
input offsets are committed (``streams.pipeline.Delivery``), so a restarted worker finds what
the events it will not read again had written.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

import orjson
from aiokafka.partitioner import murmur2
from confluent_kafka import Consumer, TopicPartition

from streams.logread import read_partition
from streams.security import kafka_config
from streams.settings import Settings

logger = logging.getLogger(__name__)

READ_BATCH = 5000


def key_partition(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives ``key``."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


@dataclass(frozen=True, slots=True)
class TableChange:
    """One entry set (``value``) or deleted (None) in a table, for its changelog."""

    topic: str
    partition: int
    key: str
    value: bytes | None


class ChangelogTable(MutableMapping[str, dict[str, Any]]):
    """A dict of JSON objects whose changes are recorded for a changelog topic.

    ``source_topic`` is the input topic whose partitions decide which entries this worker
    holds. With ``record=False`` (audit replays) nothing is recorded: a plain dict.
    """

    def __init__(
        self, changelog_topic: str, source_topic: str, partitions: int, *, record: bool = True
    ) -> None:
        self.changelog_topic = changelog_topic
        self.source_topic = source_topic
        self.partitions = partitions
        self.record = record
        self._data: dict[str, dict[str, Any]] = {}
        self._changes: dict[str, dict[str, Any] | None] = {}

    # MutableMapping ------------------------------------------------------------------------

    def __getitem__(self, key: str) -> dict[str, Any]:
        return self._data[key]

    def __setitem__(self, key: str, value: dict[str, Any]) -> None:
        self._data[key] = value
        if self.record:
            self._changes[key] = value

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        if self.record:
            self._changes[key] = None

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    # Changelog -----------------------------------------------------------------------------

    def drain(self) -> list[TableChange]:
        """The changes since the last call, the newest value of each key only."""
        changes = [
            TableChange(
                self.changelog_topic,
                key_partition(key, self.partitions),
                key,
                None if value is None else orjson.dumps(value),
            )
            for key, value in self._changes.items()
        ]
        self._changes = {}
        return changes

    def restore(self, settings: Settings, partitions: Iterable[int]) -> int:
        """Read ``partitions`` of the changelog back; returns the number of entries held."""
        wanted = sorted(set(partitions))
        if not wanted:
            return 0
        consumer = Consumer(
            {
                **kafka_config(settings),
                "group.id": f"{settings.app_id}-table-restore",
                "enable.auto.commit": False,
            }
        )
        try:
            for partition in wanted:
                self._read_partition(consumer, partition)
        finally:
            consumer.close()
        held = sum(1 for k in self._data if key_partition(k, self.partitions) in wanted)
        logger.info(
            "table restored topic=%s partitions=%s entries=%d", self.changelog_topic, wanted, held
        )
        return held

    def _read_partition(self, consumer: Consumer, partition: int) -> None:
        tp = TopicPartition(self.changelog_topic, partition)
        low, high = consumer.get_watermark_offsets(tp, timeout=30)
        if high <= low:
            return
        for records in read_partition(
            consumer, self.changelog_topic, partition, low, high, batch=READ_BATCH,
            what="restoring",
        ):  # fmt: skip
            for msg in records:
                key = msg.key().decode()
                value = msg.value()
                if value is None:
                    self._data.pop(key, None)
                else:
                    self._data[key] = orjson.loads(value)

    def release(self, partitions: Iterable[int]) -> None:
        """Forget the entries of partitions this worker no longer owns."""
        gone = set(partitions)
        for key in [k for k in self._data if key_partition(k, self.partitions) in gone]:
            del self._data[key]
