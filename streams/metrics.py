"""The worker's Prometheus metrics, served by ``vigie worker`` on ``VIGIE_METRICS_PORT``.

What operators watch: events processed and dead-lettered (by topic and error type), batch size
and processing time, the time from an input event to its alert, alerts raised by type, the
model versions served, how long examples wait for their learner, consumer lag per partition
and delivery retries. Redis keeps its own
counters (``<p>:metrics:worker``) for tools without Prometheus; these are per process.
"""

from __future__ import annotations

import logging
import time
from collections import Counter as Tally
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from sinks.outputs import Outputs

if TYPE_CHECKING:  # the pipeline counts its retries here: no import at run time
    from streams.pipeline import InputEvent

logger = logging.getLogger(__name__)

EVENTS = Counter("vigie_events", "Input events read, by topic and stage.", ["topic", "stage"])
DEAD_LETTERS = Counter(
    "vigie_dead_letters", "Events sent to the dead-letter topic.", ["topic", "error_type"]
)
BATCH_SIZE = Histogram(
    "vigie_batch_size",
    "Events per processing batch.",
    ["stage"],
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500),
)
BATCH_SECONDS = Histogram(
    "vigie_batch_seconds",
    "Time to process and deliver one batch.",
    ["stage"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
EVENT_TO_ALERT = Histogram(
    "vigie_event_to_alert_seconds",
    "From an input event's Kafka timestamp to its alert's delivery.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
LEARNING_DELAY = Histogram(
    "vigie_learning_delay_seconds",
    "How long a learning example waited for its model's learner (its Kafka timestamp to learnt).",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900),
)
ALERTS = Counter("vigie_alerts_raised", "Alerts raised by scoring, by type.", ["alert_type"])
ALERTS_NEW = Counter("vigie_alerts_new", "Alerts delivered (not duplicates, not dismissed).")
MODEL_VERSION = Gauge(
    "vigie_model_version_served", "Snapshot version this worker scores with.", ["model"]
)
CONSUMER_LAG = Gauge(
    "vigie_consumer_lag",
    "Events behind the partition's end, after a batch.",
    ["topic", "partition"],
)
RETRIES = Counter(
    "vigie_delivery_retries", "Deliveries retried after a Kafka or Redis error.", ["error_type"]
)
GC_PAUSE = Histogram(
    "vigie_gc_pause_seconds",
    "How long each collection of the cyclic garbage collector stopped the process.",
    ["generation"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1),
)
MEMORY = Gauge(
    "vigie_memory_mib",
    "Where the process's memory is (streams.memory.breakdown): rss, malloc_in_use, "
    "malloc_free, malloc_mmapped; python_blocks in millions.",
    ["part"],
)


def observe_batch(
    stage: str,
    events: Sequence[InputEvent],
    outputs: Outputs,
    new_alerts: int,
    seconds: float,
) -> None:
    """Record one delivered batch (``stage``: scoring or learning)."""
    BATCH_SIZE.labels(stage).observe(len(events))
    BATCH_SECONDS.labels(stage).observe(seconds)
    for topic, n in Tally(e.source.topic for e in events).items():
        EVENTS.labels(topic, stage).inc(n)
    for (topic, error), n in Tally(
        (d.source.topic, d.error_type) for d in outputs.dead_letters
    ).items():
        DEAD_LETTERS.labels(topic, error).inc(n)
    now = time.time()
    if stage == "learning":
        for event in events:
            LEARNING_DELAY.observe(max(0.0, now - event.source.timestamp_ms / 1000))
    for alert in outputs.alerts:
        ALERTS.labels(str(alert["alert_type"])).inc()
        source_ms = alert.get("source_timestamp")
        if source_ms:
            EVENT_TO_ALERT.observe(max(0.0, now - int(source_ms) / 1000))
    ALERTS_NEW.inc(new_alerts)
    for name, version in outputs.scored_with.items():
        MODEL_VERSION.labels(name).set(version or 0)


def observe_gc_pause(generation: int, seconds: float) -> None:
    """One collection's pause (the callback of :class:`streams.gcpause.GcPauses`)."""
    GC_PAUSE.labels(str(generation)).observe(seconds)


def observe_lag(consumer: Any, messages: Iterable[Any]) -> None:
    """Lag of each partition of a batch: the partition's end minus the next offset to read."""
    last: dict[Any, int] = {}
    for message in messages:
        last[message.tp] = max(last.get(message.tp, -1), message.offset)
    for tp, offset in last.items():
        try:
            end = consumer.highwater(tp)
        except Exception:  # lag is best effort: it never fails a batch
            logger.debug("no highwater topic=%s partition=%s", tp.topic, tp.partition)
            continue
        if end is not None:
            record_lag(tp.topic, tp.partition, end, offset)


def record_lag(topic: str, partition: int, end: int, offset: int) -> None:
    """The lag gauge of one partition: its end minus the next offset to read (``offset`` + 1)."""
    CONSUMER_LAG.labels(topic, str(partition)).set(max(0, end - offset - 1))


def serve(port: int) -> bool:
    """Start the /metrics endpoint on ``port`` (0: off); a port in use is logged, not fatal."""
    if port <= 0:
        return False
    try:
        start_http_server(port)
    except OSError as exc:
        logger.warning("metrics endpoint not started port=%d error=%s", port, exc)
        return False
    logger.info("metrics endpoint port=%d path=/metrics", port)
    return True
