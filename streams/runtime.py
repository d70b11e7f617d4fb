"""What a worker holds while it runs: codec, reference data, models, sinks and the pipeline.

Use cases register a handler factory at import time (``runtime.register``); the runtime builds
everything on the first batch, off the event loop, so importing the app costs nothing and the
CLI or the tests never connect by accident.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from schemas.codec import Codec, SchemaRegistry
from sinks.kafka_sink import KafkaSink
from sinks.outputs import SourceRef
from sinks.redis_sink import RedisSink
from streams.modelstore import KafkaModelStore, ManagedModel, ModelStore
from streams.pipeline import Delivery, Handler, InputEvent, Processor
from streams.referential import Referential, load_referential
from streams.relearn import read_range, relearn_ranges
from streams.settings import Settings

logger = logging.getLogger(__name__)

HandlerFactory = Callable[["Runtime"], Handler]


class Runtime:
    """The worker's shared state; one per process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._factories: list[HandlerFactory] = []
        self._started = False
        self._lock = asyncio.Lock()
        self.models: dict[str, ManagedModel] = {}
        self.codec: Codec
        self.referential: Referential
        self.model_store: ModelStore
        self.processor: Processor
        self.delivery: Delivery

    def register(self, factory: HandlerFactory) -> HandlerFactory:
        """Add a use case; usable as a decorator."""
        self._factories.append(factory)
        return factory

    def model(
        self, name: str, factory: Callable[[], Any], *, learns_from: tuple[str, ...]
    ) -> ManagedModel:
        """The worker's copy of model ``name``, restored from its latest snapshot.

        ``learns_from`` names the input topics (short names) whose events it learns from.
        """
        if name not in self.models:
            self.models[name] = ManagedModel(
                name,
                self.model_store,
                factory,
                interval_s=self.settings.snapshot_interval_s,
                learns_from=tuple(self.settings.topic(t) for t in learns_from),
            )
        return self.models[name]

    def restore(self, assigned: Iterable[tuple[str, int]]) -> int:
        """Re-learn what the models' snapshots miss on newly assigned partitions.

        Between a model's last snapshot and the consumer group's committed offset lie events
        that were processed (their alerts are delivered) but whose learning died with the
        previous worker. They are re-read here and fed through the same pipeline with the
        outputs discarded, so each model ends up exactly as if no worker had stopped. Returns
        the number of events re-read.
        """
        ranges = relearn_ranges(self.settings, list(self.models.values()), assigned)
        total = 0
        for (topic, partition), (start, end) in sorted(ranges.items()):
            for batch in read_range(self.settings, topic, partition, start, end):
                self.processor.process(batch)
                total += len(batch)
            logger.info(
                "models re-learnt topic=%s partition=%d from=%d to=%d", topic, partition, start, end
            )
        return total

    def start(self, model_store: ModelStore | None = None) -> None:
        """Build everything (blocking I/O: reads the model store and reference data)."""
        if self._started:
            return
        s = self.settings
        self.codec = Codec(SchemaRegistry.default())
        self.referential = load_referential(s.data_dir)
        self.model_store = model_store or KafkaModelStore(s)
        handlers = [factory(self) for factory in self._factories]
        self.processor = Processor(self.codec, self.referential, handlers, s.topic_prefix)
        self.delivery = Delivery(KafkaSink(s, self.codec), RedisSink(s))
        self._started = True
        logger.info("runtime started use_cases=%d models=%s", len(handlers), sorted(self.models))

    async def ensure_started(self) -> None:
        """Start once, off the event loop."""
        async with self._lock:
            if not self._started:
                await asyncio.get_running_loop().run_in_executor(None, self.start)

    async def process_batch(self, events: Sequence[InputEvent]) -> int:
        """Process one batch and deliver its outputs; returns the number of new alerts."""
        await self.ensure_started()
        started = time.perf_counter()
        outputs = self.processor.process(events)
        loop = asyncio.get_running_loop()
        new_alerts = await loop.run_in_executor(None, self.delivery.deliver_with_retry, outputs)
        # On the loop thread: a snapshot pickles models that other agents' batches update on
        # this same thread, so it must not run concurrently with them.
        self.processor.after_batch()
        logger.debug(
            "batch events=%d processed=%d dead_letters=%d alerts_new=%d ms=%.1f",
            len(events),
            outputs.processed,
            len(outputs.dead_letters),
            new_alerts,
            (time.perf_counter() - started) * 1000,
        )
        return new_alerts

    async def consume(self, stream: Any) -> None:
        """The loop every agent runs: take a batch of events, process it, let Faust ack it."""
        s = self.settings
        async for events in stream.take_events(s.batch_size, within=s.batch_within_s):
            try:
                await self.process_batch([to_input_event(e.message) for e in events])
            except BaseException:
                # take_events acks the batch even when this body raises (a stop during an
                # outage cancels the delivery). Holding one more reference on each message
                # keeps its offset uncommitted, so the next worker reads it again.
                for e in events:
                    e.message.incref()
                raise

    async def stop(self) -> None:
        """Snapshot models that learnt since their last snapshot."""
        if not self._started:
            return
        self.delivery.stopping.set()
        for model in self.models.values():
            model.maybe_snapshot(force=True)


def to_input_event(message: Any) -> InputEvent:
    """Adapt a Faust message to the pipeline's input type."""
    return InputEvent(
        SourceRef(message.topic, message.partition, message.offset, int(message.timestamp * 1000)),
        message.key,
        message.value,
    )
