"""The two ends of a replay range (``--from`` / ``--to``) and their offsets on the topics.

A bound is a time (ISO 8601, ``2026-11-20T14:00:00Z``; a date means midnight UTC; a naive time
is UTC), explicit offsets (``offers:0=120,offers:1=80``), or ``earliest`` / ``latest``. Times
become offsets with Kafka's ``offsets_for_times`` (the first offset whose timestamp is at or
after the time), so ``--from`` is inclusive and ``--to`` exclusive, as ``range()`` is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from confluent_kafka import Consumer, TopicPartition

from streams.errors import ConfigurationError, ServiceUnavailableError

BoundKind = Literal["time", "offsets", "earliest", "latest"]
_OFFSET_ITEM = re.compile(r"^(?P<topic>[\w.-]+):(?P<partition>\d+)=(?P<offset>\d+)$")


@dataclass(frozen=True)
class Bound:
    """One end of a replay range, as the operator gave it."""

    kind: BoundKind
    text: str
    time_ms: int | None = None
    # (short topic name, partition) -> offset; partitions not named take the log's start
    # (``--from``) or end (``--to``).
    offsets: Mapping[tuple[str, int], int] = field(default_factory=dict)


def parse_bound(text: str) -> Bound:
    """Parse ``--from`` / ``--to``; raises ConfigurationError saying what is accepted."""
    t = text.strip()
    if t.lower() in ("earliest", "beginning", "start"):
        return Bound("earliest", t)
    if t.lower() in ("latest", "end", "now"):
        return Bound("latest", t)
    if "=" in t:
        offsets: dict[tuple[str, int], int] = {}
        for item in t.split(","):
            m = _OFFSET_ITEM.match(item.strip())
            if m is None:
                raise ConfigurationError(
                    f"bad offsets {item!r}: expected TOPIC:PARTITION=OFFSET[,...], "
                    "e.g. offers:0=120,offers:1=80"
                )
            offsets[(m["topic"], int(m["partition"]))] = int(m["offset"])
        return Bound("offsets", t, offsets=offsets)
    return Bound("time", t, time_ms=parse_time_ms(t))


def parse_time_ms(text: str) -> int:
    """Epoch milliseconds of an ISO 8601 date or time (UTC unless it says otherwise)."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            when = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        else:
            when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigurationError(
            f"bad time {text!r}: expected ISO 8601 (2026-11-20 or 2026-11-20T14:00:00Z), "
            "TOPIC:PARTITION=OFFSET[,...], earliest or latest"
        ) from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return round(when.timestamp() * 1000)


@dataclass(frozen=True, order=True)
class PartitionRange:
    """Offsets ``[start, end)`` of one partition, and what the log still held (``low``)."""

    topic: str
    partition: int
    start: int
    end: int
    low: int = 0
    high: int = 0
    requested_start: int = 0  # before clamping to what retention kept

    @property
    def size(self) -> int:
        """Events in the range."""
        return max(0, self.end - self.start)

    @property
    def lost_to_retention(self) -> int:
        """Events the range asked for that the log no longer holds."""
        return max(0, min(self.low, self.end) - self.requested_start)

    def as_json(self) -> dict[str, Any]:
        """The range as the report shows it."""
        return {
            "topic": self.topic,
            "partition": self.partition,
            "start": self.start,
            "end": self.end,
            "events": self.size,
            "lost_to_retention": self.lost_to_retention,
        }


def clamp(topic: str, partition: int, start: int, end: int, low: int, high: int) -> PartitionRange:
    """Keep ``[start, end)`` within what the log holds, ``[low, high)``; never backwards."""
    s = min(max(start, low), high)
    e = min(max(end, s), high)
    return PartitionRange(topic, partition, s, e, low, high, requested_start=start)


def _offset_for(
    bound: Bound, short: str, partition: int, low: int, high: int, *, is_start: bool
) -> int | None:
    """The bound's offset when it needs no broker lookup; None for a time."""
    if bound.kind == "earliest":
        return low
    if bound.kind == "latest":
        return high
    if bound.kind == "offsets":
        default = low if is_start else high
        return bound.offsets.get((short, partition), default)
    return None


def resolve(
    consumer: Consumer,
    topics: Mapping[str, str],
    start: Bound,
    end: Bound,
    *,
    timeout_s: float = 30.0,
) -> list[PartitionRange]:
    """The offsets range of every partition of ``topics`` (short name -> full name)."""
    ranges = []
    for short, full in sorted(topics.items()):
        meta = consumer.list_topics(full, timeout=timeout_s).topics.get(full)
        if meta is None or meta.error is not None:
            raise ServiceUnavailableError(f"replay: topic {full}: {getattr(meta, 'error', '?')}")
        for p in sorted(meta.partitions):
            low, high = consumer.get_watermark_offsets(TopicPartition(full, p), timeout=timeout_s)
            first = _offset_for(start, short, p, low, high, is_start=True)
            last = _offset_for(end, short, p, low, high, is_start=False)
            if first is None:
                first = offset_at(consumer, full, p, start.time_ms or 0, high, timeout_s)
            if last is None:
                last = offset_at(consumer, full, p, end.time_ms or 0, high, timeout_s)
            ranges.append(clamp(full, p, first, last, low, high))
    return ranges


def offset_at(
    consumer: Consumer, topic: str, partition: int, time_ms: int, high: int, timeout_s: float
) -> int:
    """First offset whose timestamp is at or after ``time_ms`` (``high`` when none is)."""
    found = consumer.offsets_for_times([TopicPartition(topic, partition, time_ms)], timeout_s)
    offset = found[0].offset
    return high if offset < 0 else int(offset)


def unknown_topics(bound: Bound, topics: Iterable[str]) -> list[str]:
    """Topics named in an offsets bound that are not replayed (an operator's typo)."""
    wanted = set(topics)
    return sorted({t for t, _ in bound.offsets if t not in wanted})
