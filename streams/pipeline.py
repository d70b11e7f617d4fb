"""The processing pipeline shared by the worker, the benchmarks and the audit replay.

:meth:`Processor.process` turns a batch of raw Kafka records into :class:`~sinks.outputs.Outputs`
(alerts, state updates, dead letters) with no I/O: decode, check the domain rules, hand each
record to the use case that owns its type. :class:`Delivery` then writes one batch's outputs:
Kafka first (dead letters and alerts, waiting for acks), Redis second, and retries either until
it succeeds, so an event is acknowledged to Kafka only after what it caused is stored.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import redis
from confluent_kafka import KafkaException

from schemas.codec import Codec
from sinks.kafka_sink import KafkaSink
from sinks.outputs import DeadLetter, Outputs, SourceRef
from sinks.redis_sink import RedisSink
from streams.errors import InputError, ServiceUnavailableError
from streams.referential import Referential
from streams.rules import check_record
from streams.topics import BY_NAME

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InputEvent:
    """One raw record read from an input topic."""

    source: SourceRef
    key: bytes | None
    value: bytes


class Handler(Protocol):
    """A use case: the record types it owns and what it does with one of them."""

    records: frozenset[str]

    def handle(self, name: str, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        """Process one valid record, appending what it causes to ``out``."""
        ...

    def after_batch(self) -> None:
        """Called once a batch's outputs are delivered (snapshot models, ...)."""
        ...


class Processor:
    """Decodes, validates and dispatches input events to their use cases."""

    def __init__(
        self, codec: Codec, referential: Referential, handlers: Iterable[Handler], topic_prefix: str
    ) -> None:
        self.codec = codec
        self.referential = referential
        self.handlers = list(handlers)
        self.topic_prefix = topic_prefix
        # A record type may concern several use cases (feedback trains more than one model).
        self._by_record: dict[str, list[Handler]] = {}
        for handler in self.handlers:
            for name in handler.records:
                self._by_record.setdefault(name, []).append(handler)

    def process(self, events: Sequence[InputEvent]) -> Outputs:
        """Process a batch in order; bad events become dead letters, never exceptions."""
        out = Outputs()
        for event in events:
            try:
                self._process_one(event, out)
            except InputError as exc:
                out.dead_letters.append(_dead_letter(event, type(exc).__name__, str(exc)))
            except Exception as exc:  # a bug must not stop the stream: park the event, say why
                logger.exception(
                    "unexpected error topic=%s partition=%d offset=%d",
                    event.source.topic,
                    event.source.partition,
                    event.source.offset,
                )
                reason = f"{type(exc).__name__}: {exc}"
                out.dead_letters.append(_dead_letter(event, "UnexpectedError", reason))
        return out

    def _process_one(self, event: InputEvent, out: Outputs) -> None:
        decoded = self.codec.decode(event.value)
        short_topic = event.source.topic.removeprefix(self.topic_prefix)
        spec = BY_NAME.get(short_topic)
        if spec is not None and decoded.name not in spec.records:
            raise InputError(f"{decoded.name} does not belong on topic {event.source.topic}")
        sent_at = datetime.fromtimestamp(event.source.timestamp_ms / 1000, UTC)
        check_record(decoded.name, decoded.record, self.referential, sent_at)
        handlers = self._by_record.get(decoded.name)
        if not handlers:
            raise InputError(f"no use case handles {decoded.name}")
        for handler in handlers:
            handler.handle(decoded.name, decoded.record, event.source, out)
        out.processed += 1

    def after_batch(self) -> None:
        """Let every use case do its post-batch work (model snapshots)."""
        for handler in self.handlers:
            handler.after_batch()


def _dead_letter(event: InputEvent, error_type: str, message: str) -> DeadLetter:
    return DeadLetter(event.source, event.key, event.value, error_type, message)


RETRYABLE = (redis.ConnectionError, redis.TimeoutError, KafkaException, ServiceUnavailableError)


class Delivery:
    """Writes a batch's outputs to Kafka then Redis, retrying until both have it."""

    def __init__(self, kafka: KafkaSink, redis_sink: RedisSink, *, max_backoff_s: float = 5.0):
        self.kafka = kafka
        self.redis = redis_sink
        self.max_backoff_s = max_backoff_s
        self.stopping = threading.Event()

    def deliver(self, outputs: Outputs) -> int:
        """Deliver once. Returns the number of new alerts. Raises on infrastructure errors."""
        # Alerts Redis already holds were delivered before a restart: do not send them to
        # Kafka again (Redis itself refuses duplicates atomically, see sinks.redis_sink).
        # Alerts whose cause an adviser dismissed go nowhere: the adviser has the last word.
        known, dismissed = self.redis.screen(outputs.alerts)
        if dismissed:
            outputs = replace(
                outputs, alerts=[a for a in outputs.alerts if a["alert_id"] not in dismissed]
            )
        self.kafka.send_dead_letters(outputs.dead_letters)
        self.kafka.send_alerts(a for a in outputs.alerts if a["alert_id"] not in known)
        self.kafka.flush()
        return self.redis.write(outputs, suppressed=len(dismissed))

    def deliver_with_retry(self, outputs: Outputs) -> int:
        """Deliver, waiting and retrying through Kafka or Redis outages (until stopped)."""
        backoff = 0.2
        while True:
            try:
                return self.deliver(outputs)
            except RETRYABLE as exc:
                if self.stopping.is_set():
                    raise
                logger.warning(
                    "delivery failed, retrying in %.1fs: %s: %s", backoff, type(exc).__name__, exc
                )
                time.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
