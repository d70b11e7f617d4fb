"""Reading offset ranges in large batches: the input events, the alerts recorded on Kafka, and
the model versions scoring workers recorded with their learning examples.

One consumer reads every partition of the range at once with ``consume(N)`` (no per-event
round trip); a partition that reaches its end is paused. Partitions are assigned, never
subscribed, and nothing is committed: a replay leaves no consumer-group position behind.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from confluent_kafka import Consumer, KafkaError, TopicPartition

from schemas.codec import Codec
from sinks.outputs import Alert, SourceRef
from streams.errors import DecodeError, ServiceUnavailableError
from streams.pipeline import InputEvent
from streams.replay.bounds import PartitionRange
from streams.security import kafka_config
from streams.settings import Settings

logger = logging.getLogger(__name__)

READ_BATCH = 5000
STALL_TIMEOUT_S = 30.0


def replay_consumer(settings: Settings) -> Consumer:
    """A consumer for assigned partitions; its group id is unique and never committed."""
    return Consumer(
        {
            **kafka_config(settings),
            "group.id": f"{settings.app_id}-replay-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest",
            # Large fetches: a replay reads history, latency does not matter.
            "fetch.max.bytes": 64 * 1024 * 1024,
            "max.partition.fetch.bytes": 8 * 1024 * 1024,
            "queued.max.messages.kbytes": 256 * 1024,
        }
    )


def read_ranges(
    settings: Settings,
    ranges: Sequence[PartitionRange],
    *,
    batch_size: int = READ_BATCH,
    stall_timeout_s: float = STALL_TIMEOUT_S,
) -> Iterator[list[InputEvent]]:
    """Yield the records of every range, in batches of up to ``batch_size``.

    Records of one partition come in offset order; partitions interleave as the broker serves
    them (the replay's results do not depend on that order, see ``streams.replay``).
    """
    todo = {(r.topic, r.partition): r.end for r in ranges if r.size > 0}
    if not todo:
        return
    remaining = sum(r.size for r in ranges)
    consumer = replay_consumer(settings)
    try:
        consumer.assign([TopicPartition(r.topic, r.partition, r.start) for r in ranges if r.size])
        last_progress = time.monotonic()
        while todo:
            # Never ask for more than remain: consume() waits for a full batch or its timeout.
            messages = consumer.consume(max(1, min(batch_size, remaining)), timeout=1.0)
            batch, finished = _keep_in_range(messages, todo)
            remaining -= len(batch)
            if not messages:
                finished |= _ended_without_records(consumer, todo)
            for key in finished:
                consumer.pause([TopicPartition(*key)])
                todo.pop(key, None)
            if batch or finished:
                last_progress = time.monotonic()
                if batch:
                    yield batch
            elif time.monotonic() - last_progress > stall_timeout_s:
                raise ServiceUnavailableError(
                    f"replay: reading stalled for {stall_timeout_s:.0f}s with "
                    f"{len(todo)} partition(s) unfinished, e.g. {sorted(todo)[:3]}"
                )
    finally:
        consumer.close()


def _keep_in_range(
    messages: list[Any], todo: dict[tuple[str, int], int]
) -> tuple[list[InputEvent], set[tuple[str, int]]]:
    batch: list[InputEvent] = []
    finished: set[tuple[str, int]] = set()
    for msg in messages:
        err = msg.error()
        if err is not None:
            if err.code() == KafkaError._PARTITION_EOF:  # noqa: SLF001 - public in librdkafka
                continue
            if err.fatal():
                raise ServiceUnavailableError(f"replay: {err}")
            continue  # transient: librdkafka retries by itself
        key = (msg.topic(), msg.partition())
        end = todo.get(key)
        if end is None or msg.offset() >= end:
            if end is not None:
                finished.add(key)
            continue
        source = SourceRef(key[0], key[1], msg.offset(), msg.timestamp()[1])
        batch.append(InputEvent(source, msg.key(), msg.value()))
        if msg.offset() + 1 >= end:
            finished.add(key)
    return batch, finished


def _ended_without_records(
    consumer: Consumer, todo: dict[tuple[str, int], int]
) -> set[tuple[str, int]]:
    """Partitions whose position passed their end with no record there (transaction markers)."""
    positions = consumer.position([TopicPartition(t, p) for t, p in todo])
    return {
        (tp.topic, tp.partition)
        for tp in positions
        if tp.offset >= 0 and tp.offset >= todo[(tp.topic, tp.partition)]
    }


@dataclass(frozen=True, slots=True)
class RecordedAlert:
    """An alert as the alerts topic holds it, with where it sits on that topic."""

    alert: Alert
    partition: int
    offset: int

    @property
    def source_key(self) -> tuple[str, int, int]:
        """The input event that raised it."""
        a = self.alert
        return (a["source_topic"], int(a["source_partition"]), int(a["source_offset"]))


def read_alerts(
    settings: Settings, ranges: Sequence[PartitionRange], codec: Codec
) -> tuple[list[RecordedAlert], int]:
    """Decode the alerts of ``ranges`` of the alerts topic; also returns how many did not."""
    found: list[RecordedAlert] = []
    undecodable = 0
    for batch in read_ranges(settings, ranges):
        for event in batch:
            try:
                record = codec.decode(event.value).record
            except DecodeError:
                undecodable += 1
                logger.warning(
                    "undecodable alert partition=%d offset=%d",
                    event.source.partition,
                    event.source.offset,
                )
                continue
            found.append(RecordedAlert(record, event.source.partition, event.source.offset))
    found.sort(key=lambda r: (r.partition, r.offset))
    return found, undecodable


# The model versions that scored one input event, as a scoring worker recorded them; an event
# scored more than once (re-delivered after a restart) may have several, earliest first.
VersionMap = Mapping[str, int]
Items = tuple[tuple[str, int], ...]
ScoredWith = dict[tuple[str, int, int], tuple[VersionMap, ...]]


def read_scored_with(
    settings: Settings,
    ranges: Sequence[PartitionRange],
    codec: Codec,
    wanted: Sequence[PartitionRange],
) -> tuple[ScoredWith, int]:
    """The ``scored_with`` of the learning examples of ``ranges`` (learning topic), by source.

    Only examples of events inside ``wanted`` (the replayed input ranges) are kept. Several
    examples of one event (one per model that learns from it) carry the same versions and count
    once; an event scored again with other versions keeps each set, ordered by when its first
    example was written. Identical maps are shared, so the index costs little more than its
    keys. Also returns how many records did not decode.
    """
    keep = {(r.topic, r.partition): (r.start, r.end) for r in wanted if r.size > 0}
    names = {r.topic: r.topic for r in wanted}
    canonical: dict[Items, Items] = {}
    shared: dict[Items, VersionMap] = {}
    # source -> (versions, timestamp of its first example); a second set of versions for the
    # same source (rare: a re-delivery) goes to ``more``.
    first: dict[tuple[str, int, int], Any] = {}
    more: dict[tuple[str, int, int], dict[Items, int]] = {}
    undecodable = 0
    for batch in read_ranges(settings, ranges):
        for event in batch:
            try:
                w = codec.decode(event.value).record
            except DecodeError:
                undecodable += 1
                continue
            topic = names.get(w["source_topic"])  # shared strings: the index may be large
            bounds = keep.get((topic, w["source_partition"])) if topic else None
            if bounds is None or not bounds[0] <= w["source_offset"] < bounds[1]:
                continue
            key = (topic, w["source_partition"], w["source_offset"])
            items = tuple(sorted((str(m), int(v)) for m, v in w.get("scored_with", {}).items()))
            if not items:
                continue  # written by a worker that did not record versions yet
            items = canonical.setdefault(items, items)  # one tuple per distinct map
            if items not in shared:
                shared[items] = dict(items)
            at = event.source.timestamp_ms
            seen = first.get(key)
            if seen is None:
                first[key] = (items, at)
            elif seen[0] == items:
                if at < seen[1]:
                    first[key] = (items, at)
            else:
                others = more.setdefault(key, {seen[0]: seen[1]})
                others[items] = min(at, others.get(items, at))
    if undecodable:
        logger.warning("undecodable learning examples count=%d", undecodable)
    for key in first:  # in place: the index may hold millions of events
        first[key] = (shared[first[key][0]],)
    for key, others in more.items():
        first[key] = tuple(shared[v] for v, _ in sorted(others.items(), key=lambda item: item[1]))
    return first, undecodable


# (input topic, partition) -> the ranges scoring batches read there, by first offset:
# (first, last, the versions that scored them).
ScoredRanges = dict[tuple[str, int], list[tuple[int, int, VersionMap]]]


def read_scored_ranges(
    settings: Settings, ranges: Sequence[PartitionRange], wanted: Sequence[PartitionRange]
) -> tuple[ScoredRanges, int]:
    """The ``scored`` topic's records of ``ranges`` that overlap the replayed ``wanted``.

    Each says which model versions a scoring batch held for a range of offsets of one input
    partition; a range read again after a restart appears twice, in the order written. Also
    returns how many records did not parse.
    """
    keep = {(r.topic, r.partition): (r.start, r.end) for r in wanted if r.size > 0}
    shared: dict[tuple[tuple[str, int], ...], VersionMap] = {}
    out: ScoredRanges = {}
    unparsable = 0
    for batch in read_ranges(settings, ranges):
        for event in batch:
            try:
                r = orjson.loads(event.value or b"")
                key, first, last = (
                    (str(r["topic"]), int(r["partition"])),
                    int(r["first"]),
                    int(r["last"]),
                )
                items = tuple(sorted((str(m), int(v)) for m, v in r["scored_with"].items()))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
                unparsable += 1
                continue
            bounds = keep.get(key)
            if bounds is None or last < bounds[0] or first >= bounds[1] or not items:
                continue
            versions = shared.setdefault(items, dict(items))
            out.setdefault(key, []).append((first, last, versions))
    for found in out.values():
        found.sort(key=lambda r: r[0])  # stable: re-reads of one range keep their order
    if unparsable:
        logger.warning("unparsable scored-range records count=%d", unparsable)
    return out, unparsable
