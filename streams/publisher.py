"""Publishing for agency systems: validate every record, then send it with an idempotent producer.

A record is checked twice before it leaves: against its Avro schema (by the codec) and against
the domain rules (``streams.rules``), so a bad record is refused at the door with its reason
instead of travelling to the dead-letter topic.

>>> with Publisher(load_settings()) as pub:                        # doctest: +SKIP
...     report = pub.publish_lines("OfferPosted", open("offers.jsonl"))
>>> report.rejected                                                 # doctest: +SKIP
[(3, 'unknown ROME code Z9999 in rome_code')]
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import orjson
from confluent_kafka import Producer

from schemas.codec import Codec, SchemaRegistry
from schemas.jsonrecords import from_json
from streams.errors import InputError, ServiceUnavailableError, ValidationError
from streams.referential import Referential, load_referential
from streams.rules import check_record
from streams.security import kafka_config
from streams.settings import Settings
from streams.topics import record_key, topic_for_record

logger = logging.getLogger(__name__)


@dataclass
class PublishReport:
    """What a publication did: how many records were sent, and which lines were refused."""

    sent: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no record was refused."""
        return not self.rejected


class RecordValidator:
    """Checks a record against its Avro schema and the domain rules, and encodes it."""

    def __init__(self, codec: Codec, referential: Referential) -> None:
        self.codec = codec
        self.referential = referential

    def encode(self, record_name: str, record: dict[str, Any], sent_at: datetime) -> bytes:
        """Return the record's encoding; raise InputError when it is refused."""
        value = self.codec.encode(record_name, record)
        check_record(record_name, record, self.referential, sent_at)
        return value


class Publisher:
    """Validates and publishes Vigie events (acks=all, idempotent producer)."""

    def __init__(
        self,
        settings: Settings,
        *,
        codec: Codec | None = None,
        referential: Referential | None = None,
        producer_config: dict[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.codec = codec or Codec(SchemaRegistry.default())
        self.validator = RecordValidator(
            self.codec, referential or load_referential(settings.data_dir)
        )
        self._errors: list[str] = []
        self._producer = Producer(
            {
                **kafka_config(settings),
                "enable.idempotence": True,
                # Java's and aiokafka's partitioner: a key lands on the same partition whoever
                # produces it, so Faust tables stay co-partitioned with the input topics.
                "partitioner": "murmur2_random",
                "acks": "all",
                "linger.ms": 20,
                "batch.num.messages": 10_000,
                "compression.type": "lz4",
                "queue.buffering.max.messages": 500_000,
                **(producer_config or {}),
            }
        )

    def publish(
        self, record_name: str, record: dict[str, Any], *, timestamp_ms: int | None = None
    ) -> None:
        """Validate and queue one record; raises InputError when it is refused."""
        try:
            spec = topic_for_record(record_name)
        except KeyError:
            raise ValidationError(f"{record_name} is not an event type one can publish") from None
        now_ms = timestamp_ms or int(datetime.now(UTC).timestamp() * 1000)
        value = self.validator.encode(
            record_name, record, datetime.fromtimestamp(now_ms / 1000, UTC)
        )
        self._produce(
            self.settings.topic(spec.name), record_key(record_name, record), value, now_ms
        )

    def publish_unchecked(self, record_name: str, record: dict[str, Any]) -> None:
        """Publish a schema-valid record WITHOUT the domain rules: for simulators and tests
        that must put bad events on the wire to exercise the dead-letter path."""
        spec = topic_for_record(record_name)
        now_ms = int(datetime.now(UTC).timestamp() * 1000)
        self._produce(
            self.settings.topic(spec.name),
            record_key(record_name, record),
            self.codec.encode(record_name, record),
            now_ms,
        )

    def _produce(self, topic: str, key: str, value: bytes, timestamp_ms: int) -> None:
        while True:
            try:
                self._producer.produce(
                    topic,
                    key=key.encode(),
                    value=value,
                    timestamp=timestamp_ms,
                    on_delivery=self._on_delivery,
                )
                break
            except BufferError:  # local queue full: let librdkafka send some first
                self._producer.poll(0.1)
        self._producer.poll(0)

    def _on_delivery(self, err: Any, _msg: Any) -> None:
        if err is not None:
            self._errors.append(str(err))

    def publish_json(self, record_name: str, obj: Any) -> None:
        """Publish one record given as parsed JSON (ISO-8601 dates are converted)."""
        schema = self.codec.registry.latest(record_name).schema
        self.publish(record_name, from_json(schema, obj))

    def publish_lines(self, record_name: str, lines: Iterable[str | bytes]) -> PublishReport:
        """Publish JSON Lines; every refused line is reported with its number and reason."""
        report = PublishReport()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                report.rejected.append((number, f"invalid JSON: {exc}"))
                continue
            try:
                self.publish_json(record_name, obj)
            except InputError as exc:
                report.rejected.append((number, str(exc)))
                continue
            report.sent += 1
        self.flush()
        return report

    def flush(self, timeout_s: float = 60.0) -> None:
        """Wait until the broker acknowledged every queued record; raise if any failed."""
        remaining = self._producer.flush(timeout_s)
        errors, self._errors = self._errors, []
        if remaining or errors:
            raise ServiceUnavailableError(
                f"publish: {remaining} record(s) unacknowledged, errors={errors[:3]}"
            )

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.flush()
