"""What a worker holds while it runs: codec, reference data, models, sinks and the pipeline.

Use cases register a handler factory at import time (``runtime.register``); the runtime builds
everything on the first batch, off the event loop, so importing the app costs nothing and the
CLI or the tests never connect by accident.

Models live twice in a worker, on purpose (Kafka Streams' "standby" idea turned around):

* a :class:`~streams.modelstore.ModelView` per model, for scoring: an exact copy of the newest
  snapshot, swapped when the learner publishes a newer one (:meth:`Runtime.tick`). Alerts name
  that snapshot's version, so an audit can load the very model that decided.
* a :class:`~streams.modelstore.ManagedModel` per model, its learner, which learns only on the
  worker that owns the model's partition of the learning topic (one learner per model, however
  many workers score). It snapshots as it learns; on taking a partition over, it restarts from
  the latest snapshot and re-reads the learning topic from the position that snapshot covers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from schemas.codec import Codec, SchemaRegistry
from sinks.kafka_sink import KafkaSink
from sinks.outputs import Outputs, SourceRef
from sinks.redis_sink import RedisSink
from streams import gcpause, memory, metrics
from streams.modelstore import KafkaModelStore, ManagedModel, ModelStore, ModelView, Snapshot
from streams.pipeline import Delivery, Handler, InputEvent, Learning, LearningProcessor, Processor
from streams.referential import Referential, load_referential
from streams.relearn import read_range, relearn_ranges
from streams.settings import Settings
from streams.table import ChangelogTable
from streams.topics import LEARNING_TOPIC, learning_partition

logger = logging.getLogger(__name__)

HandlerFactory = Callable[["Runtime"], Handler]
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


def scored_ranges(events: Sequence[InputEvent]) -> dict[tuple[str, int], tuple[int, int]]:
    """The first and last offsets of ``events`` on each input partition."""
    out: dict[tuple[str, int], tuple[int, int]] = {}
    for event in events:
        key, offset = (event.source.topic, event.source.partition), event.source.offset
        found = out.get(key)
        out[key] = (
            (offset, offset) if found is None else (min(found[0], offset), max(found[1], offset))
        )
    return out


class Runtime:
    """The worker's shared state; one per process."""

    def __init__(
        self, settings: Settings, *, learning: bool = True, record_tables: bool = True
    ) -> None:
        self.settings = settings
        self.learning_enabled = learning
        self.record_tables = record_tables
        self._factories: list[HandlerFactory] = []
        self._started = False
        self._lock = asyncio.Lock()
        self.views: dict[str, ModelView] = {}
        self.learners: dict[str, ManagedModel] = {}
        self.tables: dict[str, ChangelogTable] = {}
        self.learning_topic = settings.topic(LEARNING_TOPIC)
        # Closed while partitions change hands: no event is processed before the tables and
        # learners of the new assignment are restored (Faust starts fetching before our
        # on_partitions_assigned handler ends; an event processed then would be acknowledged,
        # then missing from the restored state).
        self.restored = asyncio.Event()
        self._refresher: threading.Thread | None = None
        self._refresher_stop = threading.Event()
        # Newer snapshots the model thread loaded, for the batch consumer's thread to swap in
        # between two batches (VIGIE_CONSUMER=batch); the Faust path swaps on the loop.
        self._pending: list[tuple[ModelView, Snapshot, Any]] = []
        self._pending_lock = threading.Lock()
        self.gc_pauses = gcpause.GcPauses(metrics.observe_gc_pause)
        self.swap_in_thread = settings.consumer == "batch"
        self.codec: Codec
        self.referential: Referential
        self.model_store: ModelStore
        self.processor: Processor
        self.learning: Learning
        self.learner_processor: LearningProcessor
        self.delivery: Delivery

    @property
    def started(self) -> bool:
        """True once :meth:`start` built everything."""
        return self._started

    def register(self, factory: HandlerFactory) -> HandlerFactory:
        """Add a use case; usable as a decorator."""
        self._factories.append(factory)
        return factory

    # Models -----------------------------------------------------------------------------------

    def view(self, name: str, factory: Callable[[], Any]) -> ModelView:
        """The scoring copy of model ``name``, at its latest snapshot."""
        if name not in self.views:
            view = self.views[name] = ModelView(name, factory)
            view.refresh(self.model_store)
        return self.views[name]

    def learner(
        self, name: str, factory: Callable[[], Any], *, interval_s: float | None = None
    ) -> ManagedModel:
        """The learner of model ``name`` (idle until this worker owns its partition)."""
        if name not in self.learners:
            self.learners[name] = ManagedModel(
                name,
                self.model_store,
                factory,
                interval_s=self.settings.snapshot_interval_s if interval_s is None else interval_s,
                learns_from=(self.learning_topic,),
                restore=False,  # restore() loads it if and when this worker learns it
            )
        return self.learners[name]

    def table(self, name: str, source_topic: str) -> ChangelogTable:
        """The table ``name`` (changelog topic ``name``), co-partitioned with ``source_topic``.

        Both are short topic names. A worker holds the entries of the source partitions it
        owns (see :meth:`restore`).
        """
        if name not in self.tables:
            s = self.settings
            self.tables[name] = ChangelogTable(
                s.topic(name), s.topic(source_topic), s.partitions, record=self.record_tables
            )
        return self.tables[name]

    def model_names(self) -> list[str]:
        """Every model the use cases score with."""
        return sorted(self.views)

    def use_versions(self, snapshots: dict[str, Snapshot | None]) -> None:
        """Point views at given snapshots (None: the factory-fresh v0); for audit replays."""
        for name, snapshot in snapshots.items():
            self.views[name].use(snapshot)

    def _learning_partitions(self, assigned: Iterable[tuple[str, int]]) -> set[int]:
        return {p for t, p in assigned if t == self.learning_topic}

    def _models_on(self, partitions: set[int]) -> list[ManagedModel]:
        n = self.settings.partitions
        return [m for m in self.learners.values() if learning_partition(m.name, n) in partitions]

    def restore(self, assigned: Iterable[tuple[str, int]]) -> int:
        """Rebuild the tables of newly assigned partitions, then take their learners over."""
        assigned = list(assigned)
        logger.info("partitions assigned %s", sorted(assigned))
        for table in self.tables.values():
            mine = [p for t, p in assigned if t == table.source_topic]
            table.restore(self.settings, mine)
        return self._restore_learners(assigned)

    def _restore_learners(self, assigned: list[tuple[str, int]]) -> int:
        """Take over the learners of newly assigned learning partitions.

        Each restarts from its latest snapshot (another worker may have learnt since this one
        last held it), then re-reads the learning topic from the position the snapshot covers
        to the group's committed offset: examples already acknowledged whose learning died with
        the previous owner. Their outputs were delivered then and are discarded now. Returns
        the number of examples re-read.
        """
        partitions = self._learning_partitions(assigned)
        models = self._models_on(partitions)
        if not models or not self.learning_enabled:
            return 0
        self.model_store.refresh()
        for model in models:
            with model.lock:
                model.reload()
            self.learning.active.add(model.name)
        wanted = [(self.learning_topic, p) for p in sorted(partitions)]
        ranges = relearn_ranges(self.settings, models, wanted)
        total = 0
        for (topic, partition), (start, end) in sorted(ranges.items()):
            for batch in read_range(self.settings, topic, partition, start, end):
                self.learner_processor.process(batch)
                total += len(batch)
            logger.info("learners caught up partition=%d from=%d to=%d", partition, start, end)
        logger.info("learning models=%s", sorted(self.learning.active))
        return total

    def release(self, revoked: Iterable[tuple[str, int]]) -> None:
        """Forget the table entries of revoked partitions; snapshot and stop their learners."""
        revoked = list(revoked)
        logger.info("partitions revoked %s", sorted(revoked))
        for table in self.tables.values():
            table.release(p for t, p in revoked if t == table.source_topic)
        for model in self._models_on(self._learning_partitions(revoked)):
            if model.name in self.learning.active:
                model.maybe_snapshot(force=True)
                self.learning.active.discard(model.name)

    def tick(self) -> list[tuple[ModelView, Snapshot]]:
        """Periodic work (blocking I/O): snapshot due learners, find newer snapshots.

        Returns the views to move on, each with its newer snapshot. The swap itself is
        :meth:`swap`, on the loop thread, between two batches: no batch ever scores with two
        versions of a model.
        """
        if not self._started:
            return []
        for model in self.learners.values():
            if model.name in self.learning.active and model.snapshot_due():
                model.maybe_snapshot()
        self.model_store.refresh()
        newer = []
        for view in self.views.values():
            latest = self.model_store.latest(view.name)
            if latest is not None and latest.version > view.version:
                newer.append((view, latest))
        return newer

    def swap(self, loaded: list[tuple[ModelView, Snapshot, Any]]) -> None:
        """Move views to newer snapshots (on the thread that scores, between two batches)."""
        for view, snapshot, model in loaded:
            if snapshot.version > view.version:
                view.model, view.version = model, snapshot.version
                logger.info("model view refreshed name=%s version=%d", view.name, view.version)

    def swap_pending(self) -> None:
        """Swap in what the model thread loaded since the last call (the batch consumer's)."""
        if not self._pending:
            return
        with self._pending_lock:
            loaded, self._pending = self._pending, []
        self.swap(loaded)
        memory.trim()  # the versions replaced were freed by the swap: give their pages back

    def _refresh_forever(self, loop: asyncio.AbstractEventLoop) -> None:
        """The model thread: every ``VIGIE_MODEL_REFRESH_S``, snapshot due learners, load the
        snapshots newer than the views, have the loop swap them in, and say in Redis which
        versions this worker serves. Its own thread: pickling and unpickling MB-sized models
        never stalls the event loop, and no Faust timer can silently stop it."""
        s = self.settings
        ttl = max(5, int(5 * s.model_refresh_s))
        tracer = memory.Tracer()
        while not self._refresher_stop.wait(s.model_refresh_s):
            tracer.maybe_dump()
            try:
                loaded = [(v, snap, snap.load()) for v, snap in self.tick()]
                if loaded and self.swap_in_thread:
                    with self._pending_lock:
                        self._pending.extend(loaded)
                elif loaded:
                    loop.call_soon_threadsafe(self.swap, loaded)
                versions = {name: view.version for name, view in self.views.items()}
                self.delivery.redis.serving(WORKER_ID, versions, ttl)
                figures = memory.breakdown()
                for part, value in figures.items():
                    metrics.MEMORY.labels(part).set(value)
                figures.update(self.gc_pauses.take())
                self.delivery.redis.memory(WORKER_ID, figures, ttl)
            except Exception as exc:  # an outage: try again next time, scoring goes on
                logger.warning("model refresh failed: %s: %s", type(exc).__name__, exc)

    # Life cycle -------------------------------------------------------------------------------

    def start(self, model_store: ModelStore | None = None, *, deliver: bool = True) -> None:
        """Build everything (blocking I/O: reads the model store and reference data)."""
        if self._started:
            return
        s = self.settings
        self.codec = Codec(SchemaRegistry.default())
        self.referential = load_referential(s.data_dir)
        self.model_store = model_store or KafkaModelStore(s)
        handlers = [factory(self) for factory in self._factories]
        self.processor = Processor(self.codec, self.referential, handlers, s.topic_prefix)
        self.learning = Learning(handlers, self.learners)
        self.learning.active.clear()  # learners start idle: see restore()
        self.learner_processor = LearningProcessor(
            self.codec, self.learning, learning_topic=self.learning_topic, partitions=s.partitions
        )
        if deliver:
            # Exactly once: one transactional id per process, as Kafka Streams' EOS v2 (fencing
            # is by the consumer group's generation, KIP-447, not by the id).
            txn_id = f"{s.app_id}-{s.worker_role}-{WORKER_ID}" if s.exactly_once else None
            kafka = KafkaSink(s, self.codec, transactional_id=txn_id)
            self.delivery = Delivery(kafka, RedisSink(s), worker=WORKER_ID)
        self._started = True
        logger.info("runtime started use_cases=%d models=%s", len(handlers), sorted(self.learners))

    async def ensure_started(self) -> None:
        """Start once, off the event loop; then start the model thread."""
        async with self._lock:
            if not self._started:
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(None, self.start)
                # Start-up's objects (the French pipeline, the referential, the models) are
                # out of the collector's scans from now on: see streams/gcpause.py.
                gcpause.freeze_startup()
                self.gc_pauses.install()
                self._refresher = threading.Thread(
                    target=self._refresh_forever, args=(loop,), name="vigie-models", daemon=True
                )
                self._refresher.start()

    def _outputs(self, events: Sequence[InputEvent], *, learning: bool) -> Outputs:
        processor = self.learner_processor if learning else self.processor
        outputs = processor.process(events)
        if not learning:  # views only change between batches (swap, on the scoring thread)
            outputs.scored_with = {name: view.version for name, view in self.views.items()}
            outputs.scored = scored_ranges(events)
            for table in self.tables.values():
                outputs.changes.extend(table.drain())
        return outputs

    def run_batch_blocking(
        self,
        events: Sequence[InputEvent],
        *,
        learning: bool,
        deliver: Callable[[Outputs], int] | None = None,
    ) -> int:
        """Process one batch and deliver its outputs, on the calling thread (the batch
        consumer's), with ``deliver`` (default: at least once, retried); returns the number
        of new alerts."""
        started = time.perf_counter()
        outputs = self._outputs(events, learning=learning)
        new_alerts = (deliver or self.delivery.deliver_with_retry)(outputs)
        self._after(events, outputs, new_alerts, started, learning=learning)
        return new_alerts

    async def _run_batch(self, events: Sequence[InputEvent], *, learning: bool) -> int:
        await self.ensure_started()
        started = time.perf_counter()
        outputs = self._outputs(events, learning=learning)
        loop = asyncio.get_running_loop()
        new_alerts = await loop.run_in_executor(None, self.delivery.deliver_with_retry, outputs)
        self._after(events, outputs, new_alerts, started, learning=learning)
        return new_alerts

    def _after(
        self,
        events: Sequence[InputEvent],
        outputs: Outputs,
        new_alerts: int,
        started: float,
        *,
        learning: bool,
    ) -> None:
        self.processor.after_batch()
        metrics.observe_batch(
            "learning" if learning else "scoring",
            events,
            outputs,
            new_alerts,
            time.perf_counter() - started,
        )
        logger.debug(
            "batch events=%d processed=%d dead_letters=%d examples=%d alerts_new=%d ms=%.1f",
            len(events),
            outputs.processed,
            len(outputs.dead_letters),
            len(outputs.examples),
            new_alerts,
            (time.perf_counter() - started) * 1000,
        )

    async def process_batch(self, events: Sequence[InputEvent]) -> int:
        """Score one batch and deliver its outputs; returns the number of new alerts."""
        await self.restored.wait()
        return await self._run_batch(events, learning=False)

    async def learn_batch(self, events: Sequence[InputEvent]) -> int:
        """Teach this worker's learners one batch of the learning topic."""
        await self.restored.wait()
        return await self._run_batch(events, learning=True)

    async def consume(self, stream: Any, *, learning: bool = False) -> None:
        """The loop every agent runs: take a batch of events, process it, let Faust ack it."""
        s = self.settings
        run = self.learn_batch if learning else self.process_batch
        async for events in stream.take_events(s.batch_size, within=s.batch_within_s):
            try:
                await run([to_input_event(e.message) for e in events])
                consumer = getattr(getattr(stream, "app", None), "consumer", None)
                metrics.observe_lag(consumer, (e.message for e in events))
            except BaseException:
                # take_events acks the batch even when this body raises (a stop during an
                # outage cancels the delivery). Holding one more reference on each message
                # keeps its offset uncommitted, so the next worker reads it again.
                for e in events:
                    e.message.incref()
                raise

    async def stop(self) -> None:
        """Snapshot the learners that learnt since their last snapshot."""
        if not self._started:
            return
        self.delivery.stopping.set()
        self._refresher_stop.set()
        if self._refresher is not None:
            self._refresher.join(timeout=30)
        for model in self.learners.values():
            if model.name in self.learning.active:
                model.maybe_snapshot(force=True)


def scoring_runtime(settings: Settings, store: ModelStore) -> Runtime:
    """A runtime that scores and never learns nor delivers: the audit replay's.

    The use cases are the worker's own (``agents``), built on views of ``store``; learning
    examples are produced by scoring and left for the caller to drop.
    """
    from streams.app import runtime as worker_runtime

    _import_agents()
    rt = Runtime(settings, learning=False, record_tables=False)
    rt._factories = list(worker_runtime._factories)  # noqa: SLF001 - same module
    rt.start(store, deliver=False)
    return rt


def _import_agents() -> None:
    """Import every ``agents.<use case>.agent`` module, as Faust's autodiscovery does."""
    import importlib
    import pkgutil

    import agents

    for info in pkgutil.iter_modules(agents.__path__):
        if info.ispkg:  # a use case is a package; agents.metrics and the like are helpers
            importlib.import_module(f"agents.{info.name}.agent")


def to_input_event(message: Any) -> InputEvent:
    """Adapt a Faust message to the pipeline's input type."""
    return InputEvent(
        SourceRef(message.topic, message.partition, message.offset, int(message.timestamp * 1000)),
        message.key,
        message.value,
    )
