"""Writes alerts (Avro ``Alert``) and dead letters to Kafka with one idempotent producer.

Dead letters keep the input's original key and bytes untouched; the reason travels in headers
(``vigie.dlq.*``), so an operator can fix the cause and re-publish the very same bytes.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
from confluent_kafka import KafkaError, KafkaException, Producer, TopicPartition

from schemas.codec import Codec
from sinks.outputs import Alert, DeadLetter, Example
from streams.errors import ServiceUnavailableError
from streams.security import kafka_config
from streams.settings import Settings
from streams.table import TableChange
from streams.topics import LEARNING_TOPIC, learning_partition, record_key, topic_for_record

logger = logging.getLogger(__name__)

DLQ_HEADER_PREFIX = "vigie.dlq."
STUCK_GRACE_S = 10.0  # past a transactional call's own timeout, before its producer is replaced


class ProducerStuckError(KafkaException):
    """A transactional call outlived its timeout, and its producer was replaced.

    librdkafka 2.x can block in ``send_offsets_to_transaction`` (and the commit after it) past
    the timeout it was given when the group or transaction coordinator goes away (librdkafka
    issues #5456 and #5511, open): a worker stalls for good, with nothing logged. The sink runs
    those calls under a watchdog; one still blocked after its timeout plus ``STUCK_GRACE_S`` is
    left to its thread, and a new producer of the same transactional id takes over. Its
    ``init_transactions`` fences the old one and settles the old one's transaction: aborted,
    or committed if the old commit reached the coordinator first. Only the committed offsets
    can tell which (``streams.transactions`` asks them). The error requires an abort.
    """

    def __init__(self, call: str, waited_s: float) -> None:
        super().__init__(
            KafkaError(
                KafkaError._TIMED_OUT,  # noqa: SLF001 - librdkafka's public code name
                f"{call} still blocked after {waited_s:.0f}s: producer replaced",
                txn_requires_abort=True,
            )
        )
        self.call = call


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
    """Producer for the alerts and dead-letter topics; :meth:`flush` waits for every ack.

    With a ``transactional_id`` the producer is transactional: every send joins the open
    transaction (one is begun by the first send after a commit or an abort), and nothing is
    visible to ``read_committed`` readers before :meth:`commit`.
    """

    def __init__(
        self,
        settings: Settings,
        codec: Codec,
        *,
        flush_timeout_s: float = 30.0,
        transactional_id: str | None = None,
        stuck_grace_s: float = STUCK_GRACE_S,
    ) -> None:
        self.alerts_topic = settings.topic("alerts")
        self.deadletter_topic = settings.topic("deadletter")
        self.learning_topic = settings.topic(LEARNING_TOPIC)
        self.scored_topic = settings.topic("scored")
        self.learning_partitions = settings.partitions
        self.settings_topic = settings.topic
        self.codec = codec
        self.flush_timeout_s = flush_timeout_s
        self._errors: list[str] = []
        self.transactional_id = transactional_id
        self.stuck_grace_s = stuck_grace_s
        self.replaced_stuck = 0  # producers replaced by the watchdog
        self._in_transaction = False
        self._stale = False  # the producer was abandoned and no new one could start yet
        self._config: dict[str, Any] = {
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
        if transactional_id:
            # Kafka Streams' exactly-once timeout: a worker killed mid-transaction holds back
            # read_committed readers of its output partitions for at most this long.
            self._config |= {"transactional.id": transactional_id, "transaction.timeout.ms": 10_000}
        self._producer = self._new_producer()

    def _new_producer(self) -> Producer:
        producer = Producer(self._config)
        if self.transactional_id:
            # Fences an earlier producer of the same id and settles its open transaction.
            self._bounded("init_transactions", producer.init_transactions, self.flush_timeout_s)
        return producer

    # Transactions ------------------------------------------------------------------------------

    def _bounded(self, call: str, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)``, a transactional call given ``flush_timeout_s``, under a watchdog.

        Raises :class:`ProducerStuckError` if it is still blocked ``stuck_grace_s`` after its
        timeout; the blocked thread is abandoned (a daemon) with the producer it holds.
        """
        done = threading.Event()
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["result"] = fn(*args)
            except BaseException as exc:  # noqa: BLE001 - raised again on the caller's thread
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=run, name=f"vigie-txn-{call}", daemon=True).start()
        waited = self.flush_timeout_s + self.stuck_grace_s
        if not done.wait(waited):
            self.replaced_stuck += 1
            logger.error(
                "kafka sink: %s still blocked after %.0fs (librdkafka #5456): "
                "abandoning the producer, starting a new one",
                call,
                waited,
            )
            self._in_transaction = False
            self._errors = []
            self._stale = True  # the next send starts a new producer if this one fails
            if call != "init_transactions":
                try:
                    self._producer = self._new_producer()
                    self._stale = False
                except KafkaException as exc:
                    logger.warning("kafka sink: no new producer yet: %s", exc)
            raise ProducerStuckError(call, waited)
        if "error" in box:
            raise box["error"]
        return box.get("result")

    def _join(self) -> None:
        """Begin a transaction if none is open (transactional producers only)."""
        if self.transactional_id and not self._in_transaction:
            if self._stale:
                self.renew()
            self._producer.begin_transaction()
            self._in_transaction = True

    def commit(self, offsets: list[TopicPartition], group_metadata: Any) -> None:
        """Commit the open transaction with the consumer's ``offsets`` (next offsets to read).

        Raises ``KafkaException``: its error says whether to retry (``retriable()``), abort and
        send again (``txn_requires_abort()``), or start a new producer (``fatal()``).
        """
        self._join()  # offsets alone (a batch with no output) still need a transaction
        producer = self._producer
        if offsets:
            self._bounded(
                "send_offsets_to_transaction",
                producer.send_offsets_to_transaction,
                offsets,
                group_metadata,
                self.flush_timeout_s,
            )
        # Raises if a send failed.
        self._bounded("commit_transaction", producer.commit_transaction, self.flush_timeout_s)
        self._in_transaction = False
        self._errors = []

    def abort(self) -> None:
        """Abort the open transaction (its messages are never seen by read_committed readers).

        A producer in a fatal state is replaced by a new one of the same transactional id.
        """
        self._errors = []
        if not self._in_transaction:
            return
        try:
            self._bounded(
                "abort_transaction", self._producer.abort_transaction, self.flush_timeout_s
            )
        except ProducerStuckError:
            pass  # abandoned already
        except KafkaException as exc:
            logger.warning("kafka sink: abort failed (%s): starting a new producer", exc)
            self._producer = self._new_producer()
        self._in_transaction = False

    def renew(self) -> None:
        """Replace a producer left in a fatal state (its open transaction is aborted)."""
        self._errors = []
        self._in_transaction = False
        self._stale = True
        self._producer = self._new_producer()
        self._stale = False

    def _on_delivery(self, err: Any, _msg: Any) -> None:
        if err is not None:
            self._errors.append(str(err))

    def send_alerts(self, alerts: Iterable[Alert]) -> int:
        """Queue alerts keyed by their id; returns how many were queued."""
        self._join()
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
        self,
        examples: Iterable[Example],
        scored_with: dict[str, int] | None = None,
        input_bytes: dict[int, bytes] | None = None,
    ) -> int:
        """Queue learning examples, each on its model's partition; returns how many.

        ``scored_with`` names the model versions that scored the examples' events.
        ``input_bytes`` maps the id of an input record to the message it was decoded from
        (``Outputs.input_bytes``): such a record is sent as those bytes, not encoded again
        (the learner's decoding resolves an older schema version as scoring's did).
        """
        self._join()
        n = 0
        input_bytes = input_bytes or {}
        # Examples are built by Vigie from records that passed validation: encoded without
        # the field-by-field check, and a record teaching two models is encoded once.
        # (The record is kept beside its bytes, so its id cannot be reused within the batch.)
        encoded: dict[tuple[str, int], tuple[Any, bytes]] = {}
        for ex in examples:
            key = (ex.record_name, id(ex.record))
            found = encoded.get(key)
            if found is None:
                raw = input_bytes.get(id(ex.record))
                if raw is None:
                    raw = self.codec.encode(ex.record_name, ex.record, validate=False)
                found = encoded[key] = (ex.record, raw)
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

    def send_scored(
        self, scored: dict[tuple[str, int], tuple[int, int]], scored_with: dict[str, int]
    ) -> int:
        """Queue, per input partition of a scoring batch, its offsets and the model versions
        that scored them (JSON on the ``scored`` topic, keyed ``topic:partition``)."""
        if not scored or not scored_with:
            return 0
        self._join()
        for (topic, partition), (first, last) in scored.items():
            self._producer.produce(
                self.scored_topic,
                key=f"{topic}:{partition}".encode(),
                value=orjson.dumps(
                    {
                        "topic": topic,
                        "partition": partition,
                        "first": first,
                        "last": last,
                        "scored_with": scored_with,
                    }
                ),
                on_delivery=self._on_delivery,
            )
        self._producer.poll(0)
        return len(scored)

    def send_records(self, records: Iterable[tuple[str, dict[str, Any]]]) -> int:
        """Queue input events on their topics, keyed by their entity id; returns how many.

        The producer's partitioner is the publishers' (murmur2), so the event lands on the
        partition of the other events of its entity.
        """
        self._join()
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
        self._join()
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
        self._join()
        self._producer.produce(
            self.settings_topic("erasures"),
            key=str(record["erasure_id"]).encode(),
            value=orjson.dumps(record),
            on_delivery=self._on_delivery,
        )
        self._producer.poll(0)

    def send_dead_letters(self, dead_letters: Iterable[DeadLetter]) -> int:
        """Queue dead letters with their original key and bytes; returns how many."""
        self._join()
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
