"""One model store for every River model: versioned snapshots, kept durably on Kafka.

Each snapshot is one message on the ``model-snapshots`` topic (one partition, kept forever):
key = model name, value = the pickled model, headers = version, time and metadata. The same
message also goes to ``model-latest``, compacted, which is all a starting worker reads. Kafka is
already the durable, replicated log every worker can reach, so no other store is needed; the
audit replay finds the version live at any past time from the same log.

Security note: snapshots are pickles. Only Vigie's own workers may write to that topic (broker
ACLs in production); a reader trusts what it loads from there.
"""

from __future__ import annotations

import functools
import logging
import pickle  # noqa: S403 - our own snapshots, see the module docstring
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from streams.errors import ServiceUnavailableError
from streams.security import kafka_config
from streams.settings import Settings

logger = logging.getLogger(__name__)

FETCH_CACHE = 4  # history payloads kept after a fetch (a replay swaps back and forth)
# What one history fetch asks the broker for: less than a snapshot, so each fetch returns one
# snapshot (a first record batch comes whole whatever its size), never the ones after it.
FETCH_BYTES = 1_048_576


@dataclass(frozen=True)
class Snapshot:
    """One saved version of a model.

    A snapshot read from the history holds no payload (``payload`` is empty): ``fetch``
    reads it from Kafka when the model is loaded, so listing every version ever kept costs
    their metadata, not their megabytes.
    """

    name: str
    version: int
    created_at: datetime
    payload: bytes = field(repr=False)
    metadata: dict[str, Any] = field(default_factory=dict)
    stored_size: int | None = None
    fetch: Callable[[], bytes] | None = field(default=None, repr=False, compare=False)

    @property
    def size(self) -> int:
        """Bytes of the pickled model."""
        return self.stored_size if self.stored_size is not None else len(self.payload)

    def data(self) -> bytes:
        """The pickled model (read from Kafka for a snapshot of the history)."""
        return self.fetch() if self.fetch is not None and not self.payload else self.payload

    def load(self) -> Any:
        """Unpickle the model this snapshot holds."""
        return pickle.loads(self.data())  # noqa: S301 - see the module docstring


@dataclass(frozen=True)
class Pickled:
    """A model already pickled: what a learner hands the store, so that the slow part of a
    snapshot (the write, waiting for the broker) runs without holding the model's lock."""

    payload: bytes = field(repr=False)


def _payload(model: Any) -> bytes:
    return model.payload if isinstance(model, Pickled) else pickle.dumps(model, protocol=5)


class ModelStore(Protocol):
    """Where models are saved and restored."""

    def latest(self, name: str) -> Snapshot | None:
        """The newest snapshot of ``name``, or None when it was never saved."""
        ...

    def at(self, name: str, when: datetime) -> Snapshot | None:
        """The snapshot of ``name`` that was live at ``when``."""
        ...

    def versions(self, name: str) -> list[Snapshot]:
        """Every snapshot of ``name``, oldest first."""
        ...

    def names(self) -> list[str]:
        """Names of every model saved."""
        ...

    def save(self, name: str, model: Any, metadata: dict[str, Any] | None = None) -> Snapshot:
        """Save ``model`` as the next version of ``name`` and return the new snapshot."""
        ...

    def refresh(self) -> None:
        """Learn of snapshots other processes saved since (``latest`` then returns them)."""
        ...


class MemoryModelStore:
    """A model store in memory, for unit tests and isolated replays."""

    def __init__(self) -> None:
        self._snapshots: dict[str, list[Snapshot]] = {}
        self._lock = threading.Lock()

    def latest(self, name: str) -> Snapshot | None:
        versions = self._snapshots.get(name)
        return versions[-1] if versions else None

    def at(self, name: str, when: datetime) -> Snapshot | None:
        live = [s for s in self._snapshots.get(name, []) if s.created_at <= when]
        return live[-1] if live else None

    def versions(self, name: str) -> list[Snapshot]:
        return list(self._snapshots.get(name, []))

    def names(self) -> list[str]:
        return sorted(self._snapshots)

    def save(self, name: str, model: Any, metadata: dict[str, Any] | None = None) -> Snapshot:
        with self._lock:
            return self._append(name, _payload(model), metadata or {})

    def refresh(self) -> None:
        """Nothing to do: one process sees its own saves."""

    def _append(self, name: str, payload: bytes, metadata: dict[str, Any]) -> Snapshot:
        previous = self.latest(name)
        snapshot = Snapshot(
            name=name,
            version=(previous.version + 1) if previous else 1,
            created_at=datetime.now(UTC),
            payload=payload,
            metadata=metadata,
        )
        self._snapshots.setdefault(name, []).append(snapshot)
        return snapshot

    def _add_loaded(self, snapshot: Snapshot) -> None:
        versions = self._snapshots.setdefault(snapshot.name, [])
        versions.append(snapshot)
        versions.sort(key=lambda s: s.version)


_TRANSIENT = {
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
}


def _transient(exc: KafkaException) -> bool:
    error = exc.args[0] if exc.args else None
    return isinstance(error, KafkaError) and (error.retriable() or error.code() in _TRANSIENT)


def _header(headers: list[tuple[str, bytes]] | None, key: str) -> bytes | None:
    for k, v in headers or []:
        if k == key:
            return v
    return None


class KafkaModelStore:
    """Model store on two topics: ``model-snapshots`` keeps every version (audits),
    ``model-latest`` is compacted to the newest snapshot of each model (start-up).

    A starting worker reads only ``model-latest``; the history is read when asked for
    (``versions``, ``at``, ``names``: ``vigie models``, audits), so start-up time and memory do
    not grow with the number of snapshots ever taken.
    """

    def __init__(self, settings: Settings, *, timeout_s: float = 30.0) -> None:
        self._history_topic = settings.topic("model-snapshots")
        self._latest_topic = settings.topic("model-latest")
        self._kafka = kafka_config(settings)
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._latest: dict[str, Snapshot] = {}
        self._history: MemoryModelStore | None = None
        self._producer = Producer(
            {
                **self._kafka,
                "enable.idempotence": True,
                "acks": "all",
                "message.max.bytes": 20_000_000,
            }
        )
        self._tail: Consumer | None = None
        self._tail_position = 0
        self._tail_lock = threading.Lock()
        self._fetcher: Consumer | None = None
        self._fetch_lock = threading.Lock()
        self._fetched: dict[tuple[str, int], bytes] = {}
        self.refresh()
        if not self._latest:
            # A store written before model-latest existed: its newest versions are in the
            # history, and a worker must never start its models from zero.
            history = self._load_history()
            for name in history.names():
                latest = history.latest(name)
                if latest is not None:
                    self._latest[name] = latest
            # A worker never reads the history again: not kept, it does not grow with every
            # version saved afterwards (read again from Kafka if asked).
            self._history = None

    def latest(self, name: str) -> Snapshot | None:
        return self._latest.get(name)

    def refresh(self) -> None:
        """Read what ``model-latest`` received since the last call (from its start, first).

        Scoring workers call this every few seconds (``VIGIE_MODEL_REFRESH_S``): that is how a
        snapshot a learner published reaches them without a restart. Cheap when nothing is
        new: one watermark request.
        """
        with self._tail_lock:
            self._refresh()

    def _refresh(self) -> None:
        if self._tail is None:
            self._tail = Consumer(
                {
                    **self._kafka,
                    "group.id": "vigie-modelstore-reader",
                    "enable.auto.commit": False,
                    "auto.offset.reset": "earliest",
                }
            )
        low, high = self._watermarks(self._tail, self._latest_topic)
        if high <= max(low, self._tail_position):
            return
        start = max(low, self._tail_position)
        for snapshot, position in self._read_from(self._tail, self._latest_topic, start, high):
            self._tail_position = position
            with self._lock:
                known = self._latest.get(snapshot.name)
                if known is None or snapshot.version > known.version:
                    self._latest[snapshot.name] = snapshot

    def at(self, name: str, when: datetime) -> Snapshot | None:
        return self._load_history().at(name, when)

    def versions(self, name: str) -> list[Snapshot]:
        return self._load_history().versions(name)

    def names(self) -> list[str]:
        return sorted(set(self._latest) | set(self._load_history().names()))

    def _load_history(self) -> MemoryModelStore:
        if self._history is None:
            history = MemoryModelStore()
            for snapshot in self._read_topic(self._history_topic, lazy=True):
                history._add_loaded(snapshot)  # noqa: SLF001 - same module
            self._history = history
        return self._history

    def _fetch(self, topic: str, offset: int) -> bytes:
        """The payload of the message at ``offset`` (one partition): a history snapshot's.

        The fetcher asks for that message alone: a fetch returns the first record batch whole
        however large (KIP-74), so byte limits of one message keep the broker from sending the
        snapshots after it (librdkafka's defaults fetch up to 50 MB and queue 64 MB more), and
        the partition is unassigned once it is read, so nothing is prefetched while the replay
        scores. A replay swapping versions of 10-20 MB snapshots otherwise pulled a hundred MB
        for each, which on a loaded machine took longer than the deadline (« cannot read
        model-snapshots at 35 » over a soak). The deadline restarts while data arrives, and
        the last error the consumer reported is in the exception.
        """
        with self._fetch_lock:
            cached = self._fetched.get((topic, offset))
            if cached is not None:
                return cached
            if self._fetcher is None:
                self._fetcher = Consumer(
                    {
                        **self._kafka,
                        "group.id": "vigie-modelstore-reader",
                        "enable.auto.commit": False,
                        "fetch.max.bytes": FETCH_BYTES,
                        "max.partition.fetch.bytes": FETCH_BYTES,
                        "queued.max.messages.kbytes": FETCH_BYTES // 1024,
                        "queued.min.messages": 1,
                    }
                )
            self._fetcher.assign([TopicPartition(topic, 0, offset)])
            try:
                return self._poll_for(topic, offset)
            finally:
                self._fetcher.unassign()

    def _poll_for(self, topic: str, offset: int) -> bytes:
        assert self._fetcher is not None
        deadline, last_error = time.monotonic() + self._timeout_s, None
        while time.monotonic() < deadline:
            msg = self._fetcher.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                last_error = msg.error()
                if last_error.fatal():
                    break
                continue
            if msg.offset() != offset:
                deadline = time.monotonic() + self._timeout_s  # data flows: not stuck
                continue
            value: bytes = msg.value()
            if len(self._fetched) >= FETCH_CACHE:
                self._fetched.pop(next(iter(self._fetched)))
            self._fetched[(topic, offset)] = value
            return value
        raise ServiceUnavailableError(
            f"model store: cannot read {topic} at {offset} within {self._timeout_s:.0f}s"
            + (f": {last_error}" if last_error is not None else "")
        )

    def _read_topic(self, topic: str, *, lazy: bool = False) -> list[Snapshot]:
        consumer = Consumer(
            {
                **self._kafka,
                "group.id": "vigie-modelstore-reader",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
            }
        )
        try:
            return self._read_all(consumer, topic, lazy=lazy)
        finally:
            consumer.close()

    def _read_all(self, consumer: Consumer, topic: str, *, lazy: bool = False) -> list[Snapshot]:
        low, high = self._watermarks(consumer, topic)
        return [snapshot for snapshot, _ in self._read_from(consumer, topic, low, high, lazy)]

    def _read_from(
        self, consumer: Consumer, topic: str, start: int, high: int, lazy: bool = False
    ) -> Iterator[tuple[Snapshot, int]]:
        """Snapshots of ``topic`` from ``start`` to ``high``, each with the position after it."""
        if high <= start:
            return
        consumer.assign([TopicPartition(topic, 0, start)])
        position, deadline = start, time.monotonic() + self._timeout_s
        while position < high:
            if time.monotonic() > deadline:
                raise ServiceUnavailableError(f"model store: timed out reading {topic}")
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:  # noqa: SLF001 - public in librdkafka
                    break
                raise ServiceUnavailableError(f"model store: {msg.error()}")
            position = msg.offset() + 1
            if msg.value() is not None:  # a compaction tombstone has none
                snapshot = self._from_message(msg)
                if lazy:  # keep the metadata; the payload is read again when loaded
                    snapshot = replace(
                        snapshot,
                        payload=b"",
                        stored_size=len(msg.value()),
                        fetch=functools.partial(self._fetch, topic, msg.offset()),
                    )
                yield snapshot, position

    def _watermarks(self, consumer: Consumer, topic: str) -> tuple[int, int]:
        # A topic created a moment ago may not have its leader in place yet: wait for it.
        deadline = time.monotonic() + self._timeout_s
        while True:
            try:
                low, high = consumer.get_watermark_offsets(
                    TopicPartition(topic, 0), timeout=self._timeout_s
                )
                return int(low), int(high)
            except KafkaException as exc:
                if time.monotonic() > deadline or not _transient(exc):
                    raise ServiceUnavailableError(f"model store: {topic}: {exc}") from exc
                time.sleep(0.2)

    @staticmethod
    def _from_message(msg: Any) -> Snapshot:
        headers = msg.headers()
        meta_raw = _header(headers, "metadata")
        created = _header(headers, "created_at_ms")
        return Snapshot(
            name=msg.key().decode(),
            version=int(_header(headers, "version") or b"0"),
            created_at=datetime.fromtimestamp(int(created or b"0") / 1000, UTC),
            payload=msg.value(),
            metadata=orjson.loads(meta_raw) if meta_raw else {},
        )

    def save(self, name: str, model: Any, metadata: dict[str, Any] | None = None) -> Snapshot:
        payload = _payload(model)
        with self._lock:
            previous = self._latest.get(name)
            snapshot = Snapshot(
                name=name,
                version=(previous.version + 1) if previous else 1,
                created_at=datetime.now(UTC),
                payload=payload,
                metadata=metadata or {},
            )
        errors: list[str] = []
        offsets: dict[str, int] = {}

        def on_delivery(err: Any, msg: Any) -> None:
            if err is not None:
                errors.append(str(err))
            else:
                offsets[msg.topic()] = msg.offset()

        headers = [
            ("version", str(snapshot.version).encode()),
            ("created_at_ms", str(int(snapshot.created_at.timestamp() * 1000)).encode()),
            ("metadata", orjson.dumps(snapshot.metadata)),
        ]
        for topic in (self._history_topic, self._latest_topic):
            self._producer.produce(
                topic, key=name.encode(), value=payload, headers=headers, on_delivery=on_delivery
            )
        remaining = self._producer.flush(self._timeout_s)
        if remaining or errors:
            raise ServiceUnavailableError(
                f"model store: snapshot {name} v{snapshot.version} "
                f"not acknowledged: {errors or 'timeout'}"
            )
        with self._lock:
            self._latest[name] = snapshot
            if self._history is not None:
                # Metadata only, as the history read from Kafka: a learner saves a snapshot
                # every few seconds, and keeping each payload grew a worker by hundreds of MB
                # over a million events (the soak's linear RSS).
                self._history._add_loaded(  # noqa: SLF001 - same module
                    replace(
                        snapshot,
                        payload=b"",
                        stored_size=len(payload),
                        fetch=functools.partial(
                            self._fetch, self._history_topic, offsets[self._history_topic]
                        ),
                    )
                )
        logger.info(
            "model snapshot saved name=%s version=%d bytes=%d", name, snapshot.version, len(payload)
        )
        return snapshot


class ModelView:
    """A scoring worker's read-only copy of a model: the snapshot it was loaded from, exactly.

    Scoring never changes it; the runtime swaps ``model`` for a newer snapshot when the model's
    learner publishes one (:meth:`refresh`). ``version`` 0 is the model as its factory makes
    it, before any snapshot: deterministic, so an audit can rebuild it.
    """

    def __init__(self, name: str, factory: Callable[[], Any]) -> None:
        self.name = name
        self.factory = factory
        self.model: Any = factory()
        self.version = 0

    @property
    def version_label(self) -> str:
        """The version written in alerts: ``v<n>``."""
        return f"v{self.version}"

    def use(self, snapshot: Snapshot | None) -> None:
        """Score with ``snapshot`` from now on (None: the factory-fresh model, v0)."""
        if snapshot is None:
            self.model, self.version = self.factory(), 0
        elif snapshot.version != self.version:
            self.model, self.version = snapshot.load(), snapshot.version

    def refresh(self, store: ModelStore) -> bool:
        """Take the store's latest snapshot if it is newer; True if the model changed."""
        latest = store.latest(self.name)
        if latest is None or latest.version <= self.version:
            return False
        self.use(latest)
        logger.info("model view refreshed name=%s version=%d", self.name, self.version)
        return True


class ManagedModel:
    """A model's learner: restored from the store, learning, snapshotted as it learns.

    Exactly one worker learns a model at a time (the owner of its learning-topic partition,
    see ``streams.topics.learning_partition``); every worker scores with a :class:`ModelView`.
    In tests and offline evaluations, one ManagedModel serves as both, with no lag.

    ``version`` names the snapshot the current state descends from; learning since then is
    counted in ``pending`` and saved by :meth:`maybe_snapshot` at most every ``interval_s``.

    ``positions`` maps each input partition (``topic:partition``) to the next offset the model
    has not learnt yet, and the learning-topic partition to the next example not read. Snapshots
    carry them, so a new learner knows which examples to re-read (those after the snapshot) and
    which events to skip (those already in it, re-sent by a scoring worker that restarted).

    ``describe`` returns metadata every snapshot carries (online metrics, sizes), and ``lock``
    guards the model while it is pickled.
    """

    def __init__(
        self,
        name: str,
        store: ModelStore,
        factory: Callable[[], Any],
        *,
        interval_s: float = 30.0,
        learns_from: tuple[str, ...] = (),
        restore: bool = True,
    ) -> None:
        self.name = name
        self.store = store
        self.factory = factory
        self.interval_s = interval_s
        self.learns_from = learns_from
        self.describe: Callable[[], dict[str, Any]] = dict
        self.lock = threading.RLock()
        self._save_lock = threading.Lock()
        if restore:
            self.reload()
        else:  # a worker's learner: restored when the worker takes its partition (reload)
            self.model, self.version, self.positions = factory(), 0, {}
            self.pending = 0
            self._last_snapshot = time.monotonic()

    def reload(self) -> None:
        """Start again from the store's latest snapshot (a learner taking over the model)."""
        latest = self.store.latest(self.name)
        if latest is None:
            self.model = self.factory()
            self.version = 0
            self.positions: dict[str, int] = {}
            logger.info("model started fresh name=%s", self.name)
        else:
            self.model = latest.load()
            self.version = latest.version
            self.positions = dict(latest.metadata.get("positions", {}))
            logger.info("model restored name=%s version=%d", self.name, latest.version)
        self.pending = 0
        self._last_snapshot = time.monotonic()

    @property
    def version_label(self) -> str:
        """``v<n>``, or ``v<n>+<k>`` after k examples learnt since snapshot n."""
        return f"v{self.version}+{self.pending}" if self.pending else f"v{self.version}"

    def should_learn(self, topic: str, partition: int, offset: int) -> bool:
        """False for an event the model already learnt (re-delivered after a restart)."""
        return offset >= self.positions.get(f"{topic}:{partition}", 0)

    def learned(self, topic: str, partition: int, offset: int) -> None:
        """Record that the model learnt the event at ``offset``."""
        self.positions[f"{topic}:{partition}"] = offset + 1
        self.pending += 1

    def read(self, topic: str, partition: int, offset: int) -> None:
        """Record that the learning example at ``offset`` was read (learnt or skipped)."""
        self.positions[f"{topic}:{partition}"] = offset + 1

    def expedite(self) -> None:
        """Make the next snapshot due now (after an erasure: the person must leave the latest
        snapshot at its next version, not an interval later)."""
        with self.lock:
            self._last_snapshot = float("-inf")

    def snapshot_due(self) -> bool:
        """True when the model learnt and the snapshot interval passed."""
        return bool(self.pending) and time.monotonic() - self._last_snapshot >= self.interval_s

    def maybe_snapshot(
        self, *, force: bool = False, metadata: dict[str, Any] | None = None
    ) -> bool:
        """Save a snapshot if the model learnt and the interval passed (or ``force``).

        The model is pickled under its lock (a consistent state); the write to the store,
        which waits for the broker, is done without it, so learning goes on meanwhile.
        """
        with self._save_lock:
            with self.lock:
                if not self.pending or not (force or self.snapshot_due()):
                    return False
                learnt = self.pending
                meta = {
                    "learned_since_previous": learnt,
                    "positions": dict(self.positions),
                    **self.describe(),
                    **(metadata or {}),
                }
                payload = Pickled(pickle.dumps(self.model, protocol=5))
            snapshot = self.store.save(self.name, payload, meta)
            with self.lock:
                self.version, self.pending = snapshot.version, self.pending - learnt
                self._last_snapshot = time.monotonic()
            return True
