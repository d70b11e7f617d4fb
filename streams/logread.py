"""Reading one partition of a log to a known end, records only.

With transactions, a partition holds control markers: each takes an offset and is never
returned to a ``read_committed`` consumer, so "read until the record at ``end - 1``" may never
see that record. The consumer's position does step over them: when nothing comes, the
position says whether the end is reached. An open transaction (a killed worker's, until the
broker aborts it) holds reading back for a while: only no progress for ``stall_s`` is a stall.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from confluent_kafka import Consumer, Message, TopicPartition

from streams.errors import ServiceUnavailableError

# Longer than a transaction's timeout (10 s): a killed worker's open transaction holds reads back.
STALL_S = 30.0


def read_partition(
    consumer: Consumer,
    topic: str,
    partition: int,
    start: int,
    end: int,
    *,
    batch: int,
    stall_s: float = STALL_S,
    what: str = "reading",
) -> Iterator[list[Message]]:
    """Yield the records of ``topic[partition]`` in [start, end), in batches of up to ``batch``
    (the consumer is assigned to that partition; errors are left out)."""
    tp = TopicPartition(topic, partition)
    consumer.assign([TopicPartition(topic, partition, start)])
    position, progress = start, time.monotonic()
    while position < end:
        messages = consumer.consume(min(batch, end - position), timeout=1.0)
        if not messages:
            position = max(position, consumer.position([tp])[0].offset)
            if position < end and time.monotonic() - progress > stall_s:
                raise ServiceUnavailableError(
                    f"{what} {topic}[{partition}] stalled at {position} before {end}"
                )
            continue
        progress = time.monotonic()
        records = [m for m in messages if m.error() is None and m.offset() < end]
        if records:
            position = records[-1].offset() + 1
            yield records
