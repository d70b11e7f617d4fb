"""``vigie forget``: ask the workers to erase a job seeker, and read the erasure's audit record.

An erasure is an event (``JobSeekerErased`` on the job-seekers topic, keyed by the person), not
a side door: it reaches the worker that holds the person's partition after every earlier event
of theirs, so the profile table, Redis and the models forget them in order, and an erasure sent
while a worker is down is done when it comes back. Agency systems publish the same event.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
from confluent_kafka import Consumer, TopicPartition

from streams.publisher import Publisher
from streams.security import kafka_config
from streams.settings import Settings


def erasure_event(
    jobseeker_id: str, *, erasure_id: str = "", requested_by: str = "vigie-cli"
) -> dict[str, Any]:
    """A ``JobSeekerErased`` record; ``erasure_id`` defaults to a new UUID."""
    return {
        "event_id": str(uuid.uuid4()),
        "jobseeker_id": jobseeker_id,
        "erasure_id": erasure_id or f"erasure-{uuid.uuid4()}",
        "requested_by": requested_by,
        "requested_at": datetime.now(UTC),
    }


def request_erasure(
    settings: Settings, jobseeker_id: str, *, erasure_id: str = "", requested_by: str = "vigie-cli"
) -> dict[str, Any]:
    """Publish the erasure of ``jobseeker_id``; returns the event published."""
    record = erasure_event(jobseeker_id, erasure_id=erasure_id, requested_by=requested_by)
    with Publisher(settings) as publisher:
        publisher.publish("JobSeekerErased", record)
    return record


def read_audit(
    settings: Settings, erasure_id: str, timeout_s: float = 60.0
) -> dict[str, Any] | None:
    """The first audit record of ``erasure_id`` on the erasures topic, waiting up to
    ``timeout_s``; None if none came."""
    topic = settings.topic("erasures")
    consumer = Consumer(
        {
            **kafka_config(settings),
            "group.id": f"vigie-forget-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        consumer.assign([TopicPartition(topic, p, 0) for p in meta.partitions])
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            if msg.key() == erasure_id.encode():
                record: dict[str, Any] = orjson.loads(msg.value())
                return record
        return None
    finally:
        consumer.close()
