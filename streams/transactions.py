"""Exactly-once delivery for the batch consumer: outputs and input offsets in one transaction.

Kafka Streams' ``exactly_once_v2``, with Redis beside it. A batch's Kafka outputs (alerts,
dead letters, learning examples, changelog entries, timers' events, erasure audits) join the
open transaction of a transactional producer; Redis, whose writes are idempotent (an alert is
added once by id, a hash is overwritten), is written at once. Every ``VIGIE_COMMIT_INTERVAL_S``
the transaction commits together with the input offsets of the batches it spans
(``send_offsets_to_transaction``, fenced by the consumer group's generation, KIP-447).

What a crash at any point leaves:

* before the commit: the transaction is aborted (by the broker after its timeout, or at once by
  the next producer of the same id); its outputs are never seen by ``read_committed`` readers,
  and the input offsets were not committed, so the partition's next owner processes those
  events again, sending their outputs once more, and finds their alerts already in Redis;
* after the commit: outputs and offsets are both in; nothing is processed twice.

So the Kafka alerts topic holds each alert exactly once for ``read_committed`` readers
(librdkafka's default, and every reader of Vigie's), and Redis holds it exactly once too.

A failure while a transaction is open aborts it, then sends every batch of it again in a new
one (the batches' outputs are kept until their commit), waiting out outages with backoff. A
rebalance commits the open transaction in the revocation callback, before the partitions go;
partitions *lost* (the group moved on without this worker) abort it and drop its batches: the
new owner processes them.

librdkafka 2.x can block in ``send_offsets_to_transaction`` past its timeout when the group
coordinator goes away (issues #5456, #5511): the sink's watchdog replaces a producer stuck that
way (``sinks.kafka_sink.ProducerStuckError``). The new producer's ``init_transactions`` settles
the old transaction, and the group's committed offsets then say which way: committed (nothing
to send again) or aborted (every batch is sent again in a new transaction).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from sinks.kafka_sink import ProducerStuckError
from sinks.outputs import Outputs
from streams import metrics
from streams.pipeline import RETRYABLE, Delivery

logger = logging.getLogger(__name__)

# The group moved on: this worker's generation is stale, its partitions belong to others.
_GROUP_MOVED = {
    KafkaError.ILLEGAL_GENERATION,
    KafkaError.UNKNOWN_MEMBER_ID,
    KafkaError.REBALANCE_IN_PROGRESS,
    KafkaError.FENCED_INSTANCE_ID,
}


class GroupMovedError(Exception):
    """The consumer group rebalanced under an open transaction: its batches were dropped."""


class Transaction:
    """The open transaction of a batch consumer: the batches it spans and their offsets."""

    def __init__(
        self,
        delivery: Delivery,
        group_metadata: Callable[[], Any],
        *,
        interval_s: float,
        max_backoff_s: float = 5.0,
        committed: Callable[[list[TopicPartition]], list[TopicPartition]] | None = None,
    ) -> None:
        self.delivery = delivery
        self.kafka = delivery.kafka
        self.group_metadata = group_metadata
        self.committed = committed
        self.interval_s = interval_s
        self.max_backoff_s = max_backoff_s
        self.batches: list[Outputs] = []
        self.offsets: dict[tuple[str, int], int] = {}
        self.opened_at: float | None = None
        self.commits = 0

    @property
    def stopping(self) -> threading.Event:
        """Set when the worker stops: outages are no longer waited out."""
        return self.delivery.stopping

    def deliver(self, outputs: Outputs) -> int:
        """Send one batch's outputs into the open transaction and write Redis; returns the
        number of new alerts."""
        if self.opened_at is None:
            self.opened_at = time.monotonic()
        self.batches.append(outputs)
        try:
            return self.delivery.deliver(outputs)
        except RETRYABLE as exc:
            self._redo(exc)
            return 0  # counted by the first delivery that wrote them to Redis

    def add_offsets(self, last: dict[tuple[str, int], int]) -> None:
        """Record the last offset read of each partition of a delivered batch."""
        self.offsets.update(last)

    def due(self) -> bool:
        """The transaction has been open for the commit interval."""
        return self.opened_at is not None and (time.monotonic() - self.opened_at >= self.interval_s)

    def commit(self) -> None:
        """Commit the open transaction with its input offsets, waiting out outages.

        Raises :class:`GroupMovedError` when the group rebalanced under it (its batches are
        dropped, for their new owner to process).
        """
        if self.opened_at is None:
            return
        backoff = 0.2
        while True:
            offsets = [TopicPartition(t, p, o + 1) for (t, p), o in self.offsets.items()]
            try:
                self.kafka.commit(offsets, self.group_metadata())
                break
            except ProducerStuckError as exc:
                if self._landed(offsets):
                    logger.warning("transaction: committed by the producer replaced: %s", exc)
                    break
                self._redo(exc)
            except KafkaException as exc:
                error: KafkaError = exc.args[0]
                if error.code() in _GROUP_MOVED:
                    self.drop(f"the group moved on ({error.name()})")
                    raise GroupMovedError(str(error)) from exc
                if self.stopping.is_set():
                    raise
                metrics.RETRIES.labels("TransactionCommit").inc()
                if error.retriable() and not error.txn_requires_abort() and not error.fatal():
                    logger.warning("transaction: commit failed, retrying: %s", error)
                    time.sleep(backoff)
                else:
                    self._redo(exc)
            except RETRYABLE as exc:  # a delivery error reported at the commit
                self._redo(exc)
            backoff = min(backoff * 2, self.max_backoff_s)
        self.commits += 1
        self._reset()

    def _landed(self, offsets: list[TopicPartition]) -> bool:
        """The group's committed offsets are the transaction's: it committed after all.

        Asked after a stuck producer was replaced, when the new one's ``init_transactions``
        has settled the old transaction one way or the other. If the group coordinator cannot
        say, the transaction is taken as aborted and sent again: its alerts may then reach the
        alerts topic twice (Redis still holds each once).
        """
        if self.committed is None or not offsets:
            return False
        try:
            found = self.committed([TopicPartition(tp.topic, tp.partition) for tp in offsets])
        except KafkaException as exc:
            logger.warning("transaction: committed offsets unknown (%s): sending again", exc)
            return False
        have = {(tp.topic, tp.partition): tp.offset for tp in found}
        return all(have.get((tp.topic, tp.partition)) == tp.offset for tp in offsets)

    def drop(self, why: str) -> None:
        """Abort the open transaction and forget its batches (their partitions are gone)."""
        if self.opened_at is None:
            return
        logger.warning("transaction: dropping %d batch(es) uncommitted: %s", len(self.batches), why)
        try:
            self._abort()
        except KafkaException as exc:  # the next send finds the producer broken and redoes
            logger.warning("transaction: no new producer yet: %s", exc)
        self._reset()

    def _reset(self) -> None:
        self.batches, self.offsets, self.opened_at = [], {}, None

    def _redo(self, cause: BaseException) -> None:
        """Abort, then send every batch of the transaction again in a new one, until it works."""
        backoff = 0.2
        while True:
            if self.stopping.is_set():
                raise cause
            logger.warning(
                "transaction: aborting and sending %d batch(es) again after %s: %s",
                len(self.batches),
                type(cause).__name__,
                cause,
            )
            metrics.RETRIES.labels(type(cause).__name__).inc()
            time.sleep(backoff)
            backoff = min(backoff * 2, self.max_backoff_s)
            try:
                self._abort()
                for outputs in self.batches:
                    self.delivery.deliver(outputs)
                return
            except RETRYABLE as exc:  # KafkaException included: a new producer failed too
                cause = exc

    def _abort(self) -> None:
        """Abort the open transaction; a producer that cannot abort is replaced."""
        try:
            self.kafka.abort()
        except KafkaException as exc:
            logger.warning("transaction: abort failed, starting a new producer: %s", exc)
            self.kafka.renew()
