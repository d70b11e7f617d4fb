"""The worker's hot path: whole batches from a confluent-kafka consumer, below Faust's streams.

A Faust stream hands an agent one message at a time (an ``Event``, its acknowledgement, the
conductor's queues): about 95 µs per message on a 2-core machine, which caps a worker near
10,000 events/s before any of Vigie's work. :class:`BatchConsumer` reads the same topics with
librdkafka's ``consume(n, timeout)``, a C loop that returns a list, and hands the runtime a
whole batch, as the raw baseline loop does.

Faust still runs the worker: the app, the CLI, the web server and its life cycle start and stop
this consumer (``streams.app``); only the per-message path is gone. What the Faust agents
guaranteed holds, by the same means Kafka Streams uses:

* **Commit only after delivery.** With ``VIGIE_PROCESSING_GUARANTEE=exactly_once`` (the
  default) a batch's Kafka outputs and its input offsets commit in one Kafka transaction
  (``streams.transactions``): each alert reaches the alerts topic exactly once. With
  ``at_least_once``, offsets are *stored* after a batch's outputs are delivered
  (``enable.auto.offset.store=false``), and librdkafka commits stored offsets every second and
  when partitions are revoked or the consumer closes. Either way an event is never committed
  before what it caused is in Kafka and Redis.
* **Rebalancing, co-partitioned.** The ``range`` assignor gives a worker the same partition
  numbers of every input topic (the job seekers' table is co-partitioned with the job-seekers
  and emails topics), as Faust's assignor did. On assignment, the tables and learners of the new
  partitions are restored *inside* the rebalance callback, before the first message of the new
  assignment is returned; on revocation, stored offsets are committed, then the tables and
  learners are released.
* **One thread scores.** The batch loop runs in its own thread; the model thread's newer
  snapshots are swapped in by that thread between two batches (:meth:`Runtime.swap_pending`),
  so no batch scores with two versions of a model.

``VIGIE_CONSUMER=faust`` keeps the Faust agents' path (``Runtime.consume``), for comparison.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition

from sinks.outputs import SourceRef
from streams import metrics
from streams.pipeline import InputEvent
from streams.runtime import Runtime
from streams.security import kafka_config
from streams.transactions import GroupMovedError, Transaction

logger = logging.getLogger(__name__)
COMMITTED_TIMEOUT_S = 15.0  # asking the group coordinator what a replaced producer committed


def consumer_config(runtime: Runtime) -> dict[str, Any]:
    """librdkafka settings of the batch consumer (security from ``kafka_config``)."""
    s = runtime.settings
    session_ms = int(s.kafka_session_timeout_s * 1000)
    return {
        **kafka_config(s),
        "group.id": s.group_id,
        "client.id": f"vigie-{s.worker_role}",
        "partition.assignment.strategy": "range",  # co-partitioned, as the tables need
        # Exactly once: offsets are committed by the producer's transactions, never here.
        "enable.auto.commit": not s.exactly_once,
        # Learning examples and timers' events come from other workers' transactions.
        "isolation.level": "read_committed",
        "auto.commit.interval.ms": 1000,
        "enable.auto.offset.store": False,  # stored by hand, after delivery
        "auto.offset.reset": "earliest",
        "session.timeout.ms": session_ms,
        "heartbeat.interval.ms": max(1000, session_ms // 4),
        # A batch waits out a Kafka or Redis outage before its offsets are stored: a long
        # outage must not cost the worker its partitions.
        "max.poll.interval.ms": 3_600_000,
        "fetch.wait.max.ms": max(5, int(s.batch_within_s * 1000)),
        "queued.min.messages": max(10_000, 4 * s.batch_size),
    }


class BatchConsumer:
    """Reads the worker's topics in batches and runs each through the runtime, in a thread."""

    def __init__(
        self,
        runtime: Runtime,
        topics: list[str],
        *,
        on_fatal: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.runtime = runtime
        self.topics = topics
        self.on_fatal = on_fatal
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._consumer: Consumer | None = None
        self.transaction: Transaction | None = None
        self.batches = 0

    # Life cycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the batch loop in its own thread (the runtime must be started)."""
        self._thread = threading.Thread(target=self._run, name="vigie-consumer", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 60.0) -> None:
        """Let the current batch finish and be delivered, commit, leave the group, and return.

        A delivery still waiting for Kafka or Redis after ``timeout_s`` is abandoned: its
        offsets were not stored, so the next owner of the partition reads the batch again.
        """
        self._stop.set()
        if self._thread is None:
            return
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            logger.warning("consumer: delivery still waiting after %.0fs; abandoning", timeout_s)
            self.runtime.delivery.stopping.set()
            self._thread.join(30)

    @property
    def alive(self) -> bool:
        """True while the batch loop runs."""
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        try:
            consumer = self._consumer = Consumer(consumer_config(self.runtime))
            if self.runtime.delivery.transactional:
                self.transaction = Transaction(
                    self.runtime.delivery,
                    consumer.consumer_group_metadata,
                    interval_s=self.runtime.settings.commit_interval_s,
                    committed=lambda tps: consumer.committed(tps, timeout=COMMITTED_TIMEOUT_S),
                )
            consumer.subscribe(
                self.topics,
                on_assign=self._assigned,
                on_revoke=self._revoked,
                on_lost=self._lost,
            )
            logger.info("consumer: subscribed topics=%s", self.topics)
            try:
                self._loop(consumer)
                self._commit()  # what was delivered, before leaving the group
            finally:
                consumer.close()  # commits the stored offsets, leaves the group
                logger.info("consumer: closed after %d batches", self.batches)
        except BaseException as exc:  # a fatal Kafka error or a bug: the worker must stop
            logger.exception("consumer: stopped by %s", type(exc).__name__)
            if self.on_fatal is not None and not self._stop.is_set():
                self.on_fatal(exc)

    def _loop(self, consumer: Consumer) -> None:
        s = self.runtime.settings
        learning_topic = self.runtime.learning_topic
        while not self._stop.is_set():
            messages = consumer.consume(s.batch_size, timeout=s.batch_within_s)
            self.runtime.swap_pending()  # between two batches: newer model snapshots
            if self.transaction is not None and self.transaction.due():
                self._commit()
            if not messages:
                continue
            scoring: list[InputEvent] = []
            learning: list[InputEvent] = []
            last: dict[tuple[str, int], int] = {}
            for message in messages:
                error = message.error()
                if error is not None:
                    self._on_error(error)
                    continue
                topic, partition, offset = message.topic(), message.partition(), message.offset()
                event = _input_event(message, topic, partition, offset)
                (learning if topic == learning_topic else scoring).append(event)
                last[(topic, partition)] = offset
            deliver = self.transaction.deliver if self.transaction is not None else None
            if scoring:
                self.runtime.run_batch_blocking(scoring, learning=False, deliver=deliver)
            if learning:
                self.runtime.run_batch_blocking(learning, learning=True, deliver=deliver)
            if last:
                if self.transaction is not None:
                    self.transaction.add_offsets(last)
                else:
                    consumer.store_offsets(
                        offsets=[TopicPartition(t, p, o + 1) for (t, p), o in last.items()]
                    )
                _observe_lag(consumer, last)
            self.batches += 1

    def _commit(self) -> None:
        """Commit the open transaction (exactly once); a group that moved on drops it."""
        if self.transaction is None:
            return
        try:
            self.transaction.commit()
        except GroupMovedError as exc:
            logger.warning("consumer: uncommitted batches left to the new owner: %s", exc)

    def _on_error(self, error: KafkaError) -> None:
        if error.fatal():
            raise KafkaException(error)
        # Transient (a broker restarting, a partition moving): librdkafka retries by itself.
        logger.warning("consumer: %s", error)

    # Rebalancing ------------------------------------------------------------------------------

    def _assigned(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        began = time.perf_counter()
        self.runtime.restore([(tp.topic, tp.partition) for tp in partitions])
        logger.info(
            "consumer: assigned %d partitions, restored in %.1fs",
            len(partitions),
            time.perf_counter() - began,
        )

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if self.transaction is not None:
            self._commit()  # what was delivered, before another owns it
            self.runtime.release([(tp.topic, tp.partition) for tp in partitions])
            return
        try:
            consumer.commit(asynchronous=False)  # what was delivered, before another owns it
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError._NO_OFFSET:  # noqa: SLF001 - its public name
                logger.warning("consumer: commit on revocation failed: %s", exc)
        self.runtime.release([(tp.topic, tp.partition) for tp in partitions])

    def _lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        # Another member owns them already: nothing may be committed, only let go.
        logger.warning("consumer: partitions lost %s", [(p.topic, p.partition) for p in partitions])
        if self.transaction is not None:
            self.transaction.drop("partitions lost")
        self.runtime.release([(tp.topic, tp.partition) for tp in partitions])


def _input_event(message: Message, topic: str, partition: int, offset: int) -> InputEvent:
    _kind, timestamp_ms = message.timestamp()
    return InputEvent(
        SourceRef(topic, partition, offset, timestamp_ms), message.key(), message.value()
    )


def _observe_lag(consumer: Consumer, last: dict[tuple[str, int], int]) -> None:
    """The lag gauge of each partition of a batch, from the high watermarks of the last fetch."""
    for (topic, partition), offset in last.items():
        _low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), cached=True)
        if high >= 0:
            metrics.record_lag(topic, partition, high, offset)
