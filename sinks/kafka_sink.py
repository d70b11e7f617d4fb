"""Writes alerts (Avro ``Alert``) and dead letters to Kafka with one idempotent producer.

Dead letters keep the input's original key and bytes untouched; the reason travels in headers
(``vigie.dlq.*``), so an operator can fix the cause and re-publish the very same bytes.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
from confluent_kafka import Producer

from schemas.codec import Codec
from sinks.outputs import Alert, DeadLetter, Example
from streams.errors import ServiceUnavailableError
from streams.security import kafka_config
from streams.settings import Settings
from streams.table import TableChange
from streams.topics import LEARNING_TOPIC, learning_partition, record_key, topic_for_record

logger = logging.getLogger(__name__)

DLQ_HEADER_PREFIX = "vigie.dlq."


def dead_letter_headers(dl: DeadLetter) -> list[tuple[str, bytes]]:
    """Headers that say where a dead letter came from and why it failed."""
    fields = {
        "topic": dl.source.topic,
        "partition": str(dl.source.partition),
        "offset": str(dl.source.offset),
        "timestamp_ms": str(dl.source.timestamp_ms),
        "error_type": dl.error_type,
        "error_message": dl.error_message[:1000],
        "worker": socket.gethostname(),
    }
    return [(DLQ_HEADER_PREFIX + k, v.encode()) for k, v in fields.items()]


class KafkaSink:
    """Producer for the alerts and dead-letter topics; :meth:`flush` waits for every ack."""

    def __init__(self, settings: Settings, codec: Codec, *, flush_timeout_s: float = 30.0) -> None:
        self.alerts_topic = settings.topic("alerts")
        self.deadletter_topic = settings.topic("deadletter")
        self.learning_topic = settings.topic(LEARNING_TOPIC)
        self.learning_partitions = settings.partitions
        self.settings_topic = settings.topic
        self.codec = codec
        self.flush_timeout_s = flush_timeout_s
        self._errors: list[str] = []
        self._producer = Producer(
            {
                **kafka_config(settings),
                "enable.idempotence": True,
                # Java's and aiokafka's partitioner: a key lands on the same partition whoever
                # produces it, so Faust tables stay co-partitioned with the input topics.
                "partitioner": "murmur2_random",
                "acks": "all",
                "linger.ms": 5,
                "compression.type": "lz4",
                "message.max.bytes": 16_000_000,
            }
        )

    def _on_delivery(self, err: Any, _msg: Any) -> None:
        if err is not None:
            self._errors.append(str(err))

    def send_alerts(self, alerts: Iterable[Alert]) -> int:
        """Queue alerts keyed by their id; returns how many were queued."""
        n = 0
        for alert in alerts:
            self._producer.produce(
                self.alerts_topic,
                key=str(alert["alert_id"]).encode(),
                value=self.codec.encode("Alert", alert),
                on_delivery=self._on_delivery,
            )
            n += 1
            self._producer.poll(0)
        return n

    def send_examples(
        self, examples: Iterable[Example], scored_with: dict[str, int] | None = None
    ) -> int:
        """Queue learning examples, each on its model's partition; returns how many.

        ``scored_with`` names the model versions that scored the examples' events.
        """
        n = 0
        # Examples are built by Vigie from records that passed validation: encoded without
        # the field-by-field check, and a record teaching two models is encoded once.
        # (The record is kept beside its bytes, so its id cannot be reused within the batch.)
        encoded: dict[tuple[str, int], tuple[Any, bytes]] = {}
        for ex in examples:
            key = (ex.record_name, id(ex.record))
            found = encoded.get(key)
            if found is None:
                found = encoded[key] = (
                    ex.record,
                    self.codec.encode(ex.record_name, ex.record, validate=False),
                )
            value = self.codec.encode(
                "LearningExample",
                {
                    "model": ex.model,
                    "source_topic": ex.source.topic,
                    "source_partition": ex.source.partition,
                    "source_offset": ex.source.offset,
                    "source_timestamp": datetime.fromtimestamp(ex.source.timestamp_ms / 1000, UTC),
                    "record": found[1],
                    "scored_with": scored_with or {},
                },
                validate=False,
            )
            self._producer.produce(
                self.learning_topic,
                key=ex.model.encode(),
                value=value,
                partition=learning_partition(ex.model, self.learning_partitions),
                on_delivery=self._on_delivery,
            )
            n += 1
            self._producer.poll(0)
        return n

    def send_records(self, records: Iterable[tuple[str, dict[str, Any]]]) -> int:
        """Queue input events on their topics, keyed by their entity id; returns how many.

        The producer's partitioner is the publishers' (murmur2), so the event lands on the
        partition of the other events of its entity.
        """
        n = 0
        for name, record in records:
            self._producer.produce(
                self.settings_topic(topic_for_record(name).name),
                key=record_key(name, record).encode(),
                value=self.codec.encode(name, record),
                on_delivery=self._on_delivery,
            )
            n += 1
            self._producer.poll(0)
        return n

    def send_changes(self, changes: Iterable[TableChange]) -> int:
        """Queue table changes on their changelog partitions; returns how many."""
        n = 0
        for change in changes:
            self._producer.produce(
                change.topic,
                key=change.key.encode(),
                value=change.value,
                partition=change.partition,
                on_delivery=self._on_delivery,
            )
            n += 1
        return n

    def send_erasure_audit(self, record: dict[str, Any]) -> None:
        """Queue an erasure's audit record (JSON, keyed by the requester's erasure id)."""
        self._producer.produce(
            self.settings_topic("erasures"),
            key=str(record["erasure_id"]).encode(),
            value=orjson.dumps(record),
            on_delivery=self._on_delivery,
        )
        self._producer.poll(0)

    def send_dead_letters(self, dead_letters: Iterable[DeadLetter]) -> int:
        """Queue dead letters with their original key and bytes; returns how many."""
        n = 0
        for dl in dead_letters:
            logger.warning(
                "dead letter topic=%s partition=%d offset=%d error_type=%s error=%s",
                dl.source.topic,
                dl.source.partition,
                dl.source.offset,
                dl.error_type,
                dl.error_message[:200],
            )
            self._producer.produce(
                self.deadletter_topic,
                key=dl.key,
                value=dl.value,
                headers=dead_letter_headers(dl),
                on_delivery=self._on_delivery,
            )
            n += 1
        return n

    def flush(self) -> None:
        """Block until the broker acknowledged everything queued; raise if delivery failed.

        A slow broker is waited for (the producer keeps retrying by itself, idempotently);
        only a failed delivery raises, since sending again could then duplicate.
        """
        remaining = self._producer.flush(self.flush_timeout_s)
        while remaining and not self._errors:
            logger.warning("kafka sink: %d message(s) still unacknowledged, waiting", remaining)
            remaining = self._producer.flush(self.flush_timeout_s)
        errors, self._errors = self._errors, []
        if errors:
            raise ServiceUnavailableError(f"kafka sink: delivery failed: {errors[:3]}")

    def close(self) -> None:
        """Flush what is left."""
        self._producer.flush(self.flush_timeout_s)
