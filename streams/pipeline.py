"""The processing pipeline shared by the worker, the benchmarks and the audit replay.

:meth:`Processor.process` turns a batch of raw Kafka records into :class:`~sinks.outputs.Outputs`
(alerts, state updates, learning examples, dead letters) with no I/O: decode, check the domain
rules, hand each record to the use cases that score its type. Scoring reads models and never
changes them; what a model must learn goes out as an :class:`~sinks.outputs.Example`.

:class:`LearningProcessor` is the other half: on the worker that owns a model's learning-topic
partition, it decodes the examples and hands each to the use case that learns it, once
(:class:`Learning`). Offline (tests, evaluations), ``Processor(..., inline=Learning(...))``
learns each event's examples right after scoring it, with no lag.

:class:`Delivery` then writes one batch's outputs: Kafka first (dead letters, examples and
alerts, waiting for acks), Redis second, and retries either until it succeeds, so an event is
acknowledged to Kafka only after what it caused is stored.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import redis
from confluent_kafka import KafkaException

from schemas.codec import Codec, Decoded
from sinks.erasure import audit_record
from sinks.kafka_sink import KafkaSink
from sinks.outputs import DeadLetter, Example, Outputs, SourceRef
from sinks.redis_sink import RedisSink
from streams.errors import InputError, ServiceUnavailableError
from streams.metrics import RETRIES
from streams.modelstore import ManagedModel
from streams.referential import Referential
from streams.rules import check_record
from streams.topics import BY_NAME, learning_partition

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InputEvent:
    """One raw record read from an input topic."""

    source: SourceRef
    key: bytes | None
    value: bytes


class Handler(Protocol):
    """A use case: the record types it scores, the models it teaches, and how."""

    records: frozenset[str]
    learners: dict[str, frozenset[str]]  # model name -> record types its learner takes

    def handle(self, name: str, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        """Score one valid record with model views, appending what it causes to ``out``."""
        ...

    def learn(
        self, model: str, name: str, record: dict[str, Any], source: SourceRef, out: Outputs
    ) -> None:
        """Teach ``model`` one example (on its learner only; deduplication is done before)."""
        ...

    def after_batch(self) -> None:
        """Called once a batch's outputs are delivered."""
        ...


class Learning:
    """Applies examples to the learners this process holds, each input event once.

    ``active`` names the models this process learns now: every model offline, and in a worker
    the models whose learning-topic partition it owns.
    """

    def __init__(self, handlers: Iterable[Handler], learners: Mapping[str, ManagedModel]) -> None:
        self.learners = dict(learners)
        self.active: set[str] = set(self.learners)
        self._touched: dict[int, Handler] = {}  # handlers that learnt since finish()
        self._by_model: dict[str, Handler] = {}
        for handler in handlers:
            for model in handler.learners:
                self._by_model[model] = handler

    def apply(self, example: Example, out: Outputs) -> bool:
        """Learn ``example`` if its model learns here and has not learnt its event yet."""
        learner = self.learners.get(example.model)
        handler = self._by_model.get(example.model)
        if learner is None or handler is None or example.model not in self.active:
            return False
        src = example.source
        with learner.lock:
            if not learner.should_learn(src.topic, src.partition, src.offset):
                return False
            handler.learn(example.model, example.record_name, example.record, src, out)
            learner.learned(src.topic, src.partition, src.offset)
        self._touched[id(handler)] = handler
        return True

    def finish(self, out: Outputs) -> None:
        """Let the use cases that learnt since the last call say so once (``learnt_batch``:
        a model's metrics hash, read after the batch's last example rather than its first)."""
        touched, self._touched = self._touched, {}
        for handler in touched.values():
            learnt_batch = getattr(handler, "learnt_batch", None)
            if learnt_batch is not None:
                learnt_batch(out)

    def apply_since(self, first: int, out: Outputs) -> None:
        """Learn the examples ``out`` received from index ``first`` on, then drop them."""
        for example in out.examples[first:]:
            self.apply(example, out)
        del out.examples[first:]
        self.finish(out)


class InlineHandler:
    """A use case that learns each event right after scoring it: unit tests, evaluations.

    Scoring and learning then share one model (the handler's views are its learners), as if
    snapshots were taken and picked up after every event. Other attributes are the handler's.
    """

    def __init__(self, handler: Handler, learners: Mapping[str, ManagedModel]) -> None:
        self.handler = handler
        self.learning = Learning([handler], learners)

    def handle(self, name: str, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        """Score, then learn what scoring sent to the learners.

        Events the learners' timers wrote (``out.records``, e.g. ``OfferAged``) are scored at
        once too, as a worker consuming their topic would; they stay in ``out.records``.
        """
        first, published = len(out.examples), len(out.records)
        self.handler.handle(name, record, source, out)
        self.learning.apply_since(first, out)
        while published < len(out.records):
            timer_name, timer_record = out.records[published]
            published += 1
            timer_source = SourceRef(f"{source.topic}:timer", 0, published, source.timestamp_ms)
            first = len(out.examples)
            self.handler.handle(timer_name, timer_record, timer_source, out)
            self.learning.apply_since(first, out)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handler, name)


class Processor:
    """Decodes, validates and dispatches input events to their use cases."""

    def __init__(
        self,
        codec: Codec,
        referential: Referential,
        handlers: Iterable[Handler],
        topic_prefix: str,
        *,
        inline: Learning | None = None,
    ) -> None:
        self.codec = codec
        self.referential = referential
        self.handlers = list(handlers)
        self.topic_prefix = topic_prefix
        self.inline = inline
        # A record type may concern several use cases (feedback trains more than one model).
        self._by_record: dict[str, list[Handler]] = {}
        for handler in self.handlers:
            for name in handler.records:
                self._by_record.setdefault(name, []).append(handler)

    def process(self, events: Sequence[InputEvent]) -> Outputs:
        """Process a batch in order; bad events become dead letters, never exceptions.

        A dead-lettered event causes nothing else: what its use cases had already added to
        the batch's outputs before one of them failed is dropped. The batch is decoded and
        checked first, then each use case with a ``prefetch`` method sees its valid records
        at once (the email triage parses a batch in one ``nlp.pipe``), then every event is
        handled in order.
        """
        out = Outputs()
        decoded: list[Decoded | Exception] = [self._decode(event) for event in events]
        self._prefetch(decoded)
        for event, item in zip(events, decoded, strict=True):
            mark = out.mark()
            try:
                if isinstance(item, Exception):
                    raise item
                self._dispatch(event, item, out)
            except InputError as exc:
                out.rollback(mark)
                out.dead_letters.append(_dead_letter(event, type(exc).__name__, str(exc)))
            except Exception as exc:  # a bug must not stop the stream: park the event, say why
                out.rollback(mark)
                logger.exception(
                    "unexpected error topic=%s partition=%d offset=%d",
                    event.source.topic,
                    event.source.partition,
                    event.source.offset,
                )
                reason = f"{type(exc).__name__}: {exc}"
                out.dead_letters.append(_dead_letter(event, "UnexpectedError", reason))
        return out

    def _decode(self, event: InputEvent) -> Decoded | Exception:
        """The event's record, decoded and checked, or the error that makes it a dead letter."""
        try:
            decoded = self.codec.decode(event.value)
            short_topic = event.source.topic.removeprefix(self.topic_prefix)
            spec = BY_NAME.get(short_topic)
            if spec is not None and decoded.name not in spec.records:
                raise InputError(f"{decoded.name} does not belong on topic {event.source.topic}")
            sent_at = datetime.fromtimestamp(event.source.timestamp_ms / 1000, UTC)
            check_record(decoded.name, decoded.record, self.referential, sent_at)
            if not self._by_record.get(decoded.name):
                raise InputError(f"no use case handles {decoded.name}")
        except Exception as exc:  # handled, in order, with the event it belongs to
            return exc
        return decoded

    def _prefetch(self, decoded: list[Decoded | Exception]) -> None:
        valid = [d for d in decoded if not isinstance(d, Exception)]
        for handler in self.handlers:
            prefetch = getattr(handler, "prefetch", None)
            if prefetch is None:
                continue
            mine = [(d.name, d.record) for d in valid if d.name in handler.records]
            if not mine:
                continue
            try:
                prefetch(mine)
            except Exception:  # a failed prefetch only costs speed: each record is redone alone
                logger.exception("prefetch failed in %s", type(handler).__name__)

    def _dispatch(self, event: InputEvent, decoded: Decoded, out: Outputs) -> None:
        first_example = len(out.examples)
        for handler in self._by_record[decoded.name]:
            handler.handle(decoded.name, decoded.record, event.source, out)
        if len(out.examples) > first_example:  # examples of the input itself: its own bytes
            out.input_bytes[id(decoded.record)] = bytes(event.value)
        if self.inline is not None:
            self.inline.apply_since(first_example, out)
        out.processed += 1

    def after_batch(self) -> None:
        """Let every use case do its post-batch work (model snapshots)."""
        for handler in self.handlers:
            handler.after_batch()


class LearningProcessor:
    """Decodes learning-topic records and teaches the models this worker learns."""

    def __init__(self, codec: Codec, learning: Learning, *, learning_topic: str, partitions: int):
        self.codec = codec
        self.learning = learning
        self.learning_topic = learning_topic
        self.partitions = partitions
        self._owned: dict[int, list[ManagedModel]] = {}
        for name, model in learning.learners.items():
            self._owned.setdefault(learning_partition(name, partitions), []).append(model)

    def owned_by(self, partition: int) -> list[ManagedModel]:
        """The models whose examples travel on ``partition`` of the learning topic."""
        return self._owned.get(partition, [])

    def process(self, events: Sequence[InputEvent]) -> Outputs:
        """Learn a batch of examples in order; a bad one becomes a dead letter."""
        out = Outputs()
        for event in events:
            try:
                self.learning.apply(self._example(event), out)
                out.learnt += 1
            except InputError as exc:
                out.dead_letters.append(_dead_letter(event, type(exc).__name__, str(exc)))
            except Exception as exc:  # a bug must not stop learning: park the example, say why
                logger.exception(
                    "unexpected error learning partition=%d offset=%d",
                    event.source.partition,
                    event.source.offset,
                )
                reason = f"{type(exc).__name__}: {exc}"
                out.dead_letters.append(_dead_letter(event, "UnexpectedError", reason))
            # Read, learnt or not: a new learner re-reads only what follows.
            src = event.source
            for learner in self.owned_by(src.partition):
                if learner.name in self.learning.active:
                    with learner.lock:
                        learner.read(src.topic, src.partition, src.offset)
        self.learning.finish(out)
        return out

    def _example(self, event: InputEvent) -> Example:
        wrapper = self.codec.decode(event.value)
        if wrapper.name != "LearningExample":
            raise InputError(f"{wrapper.name} does not belong on topic {event.source.topic}")
        w = wrapper.record
        inner = self.codec.decode(w["record"])
        source = SourceRef(
            w["source_topic"],
            w["source_partition"],
            w["source_offset"],
            round(w["source_timestamp"].timestamp() * 1000),
        )
        return Example(w["model"], inner.name, inner.record, source)


def _dead_letter(event: InputEvent, error_type: str, message: str) -> DeadLetter:
    return DeadLetter(event.source, event.key, event.value, error_type, message)


RETRYABLE = (redis.ConnectionError, redis.TimeoutError, KafkaException, ServiceUnavailableError)


class Delivery:
    """Writes a batch's outputs to Kafka then Redis, retrying until both have it."""

    def __init__(
        self,
        kafka: KafkaSink,
        redis_sink: RedisSink,
        *,
        max_backoff_s: float = 5.0,
        worker: str = "",
    ):
        self.kafka = kafka
        self.redis = redis_sink
        self.worker = worker or socket.gethostname()
        self.max_backoff_s = max_backoff_s
        self.stopping = threading.Event()

    @property
    def transactional(self) -> bool:
        """Kafka outputs go into the open transaction, committed later with the offsets."""
        return bool(self.kafka.transactional_id)

    def deliver(self, outputs: Outputs) -> int:
        """Deliver once. Returns the number of new alerts. Raises on infrastructure errors.

        At least once: Kafka first, acknowledged, then Redis. Exactly once: the Kafka outputs
        join the open transaction (visible once it commits with the input offsets, see
        ``streams.transactions``), and Redis, idempotent, is written meanwhile.
        """
        # Alerts whose cause an adviser dismissed go nowhere: the adviser has the last word.
        known, dismissed = self.redis.screen(outputs.alerts)
        if dismissed:
            outputs = replace(
                outputs, alerts=[a for a in outputs.alerts if a["alert_id"] not in dismissed]
            )
        if self.transactional:
            # A batch is sent again only when its transaction was aborted, so none of its
            # alerts is on Kafka for read_committed readers, even those Redis holds.
            known = set()
        self.kafka.send_dead_letters(outputs.dead_letters)
        self.kafka.send_examples(outputs.examples, outputs.scored_with, outputs.input_bytes)
        self.kafka.send_scored(outputs.scored, outputs.scored_with)
        self.kafka.send_changes(outputs.changes)
        self.kafka.send_records(outputs.records)
        # At least once: alerts Redis already holds were delivered before a restart; do not
        # send them to Kafka again (Redis refuses duplicates atomically, see sinks.redis_sink).
        self.kafka.send_alerts(a for a in outputs.alerts if a["alert_id"] not in known)
        if not self.transactional:
            self.kafka.flush()
        added = self.redis.write(outputs, suppressed=len(dismissed))
        self._erase(outputs)
        return added

    def _erase(self, outputs: Outputs) -> None:
        """Erase the batch's forgotten people from Redis, after its other writes, and record
        each erasure in the audit topic (a retried delivery erases again, finds nothing, and
        records that run too: the audit keeps every run of an erasure id)."""
        if not outputs.erasures:
            return
        for erasure in outputs.erasures:
            deleted = self.redis.erase(erasure.jobseeker_id)
            self.kafka.send_erasure_audit(audit_record(erasure, deleted, self.worker))
            logger.info(
                "erasure done erasure_id=%s table=%s redis=%s",
                erasure.erasure_id,
                "tombstone" if erasure.table_entry else "absent",
                deleted,
            )
        if not self.transactional:
            self.kafka.flush()

    def deliver_with_retry(self, outputs: Outputs) -> int:
        """Deliver, waiting and retrying through Kafka or Redis outages (until stopped)."""
        backoff = 0.2
        while True:
            try:
                return self.deliver(outputs)
            except RETRYABLE as exc:
                if self.stopping.is_set():
                    raise
                RETRIES.labels(type(exc).__name__).inc()
                logger.warning(
                    "delivery failed, retrying in %.1fs: %s: %s", backoff, type(exc).__name__, exc
                )
                time.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)
