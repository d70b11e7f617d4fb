"""Audit replay: re-read the input topics over a range, re-score every event as the worker did,
and compare the alerts with those recorded on the alerts topic (``vigie replay``).

How a replay runs (``run_replay``):

1. ``bounds``: ``--from`` / ``--to`` become offsets per partition (``offsets_for_times``).
2. ``reading``: the alerts recorded over the range (plus ``--alerts-lag``: an alert is written
   after its event) are read first and, with ``--models recorded``, the versions scoring
   workers recorded with their learning examples (learning topic, same window), so
   ``versions`` can choose, per event, the snapshot of each model that decided live, or the
   latest ones (``--models current``).
3. The input events are read in large batches; each batch is cut into runs of consecutive
   events with one version tuple, each run scored by ``scoring`` (the worker's own Processor,
   views pointed at those snapshots, no sinks, no learning), in the order the events came.
   An event's alerts depend on the event, the versions and the per-key state (a job seeker's
   profile) that earlier events of its partition built: two replays of a range are identical.
4. ``compare`` explains every difference; ``report`` and ``html`` write the JSON and the page.

Isolation: nothing is written to Redis, to any Kafka topic, to the model store (a read-only
wrapper refuses saves) or to a consumer group (partitions are assigned, offsets never committed).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from schemas.codec import Codec, SchemaRegistry
from sinks.outputs import Alert
from streams.errors import ServiceUnavailableError, ValidationError
from streams.modelstore import KafkaModelStore, ModelStore
from streams.pipeline import InputEvent
from streams.replay import html as html_page
from streams.replay import report as reporting
from streams.replay.bounds import Bound, PartitionRange, resolve, unknown_topics
from streams.replay.compare import Alternative, Facts, SeenDismissal, compare
from streams.replay.progress import Progress
from streams.replay.reading import (
    READ_BATCH,
    RecordedAlert,
    ScoredRanges,
    ScoredWith,
    read_alerts,
    read_ranges,
    read_scored_ranges,
    read_scored_with,
    replay_consumer,
)
from streams.replay.scoring import Scorer, make_scorer
from streams.replay.versions import EXACT, Mode, VersionPlan
from streams.settings import Settings
from streams.topics import INPUT_TOPICS, LEARNING_TOPIC

__all__ = ["ReplayOptions", "ReplayResult", "run_replay"]

logger = logging.getLogger(__name__)

MAX_RECHECKS = 1000  # extra alerts re-scored with the next version, for their explanation
# The learning topic is read from a little before --from: clocks of the hosts that stamp input
# events and of the workers that write examples are not exactly in step.
LEARNING_SKEW_S = 300.0


@dataclass(frozen=True)
class ReplayOptions:
    """What ``vigie replay`` was asked."""

    start: Bound
    end: Bound
    topics: tuple[str, ...] = INPUT_TOPICS
    models: Mode = "recorded"
    out_dir: Path | None = None
    batch_size: int = READ_BATCH
    alerts_lag_s: float = 3600.0
    progress: bool = True


@dataclass
class ReplayResult:
    """The report (JSON-ready), its HTML page, and the run's timings (not in the report)."""

    report: dict[str, Any]
    html: str
    run: dict[str, Any]
    paths: list[Path] = field(default_factory=list)


@dataclass
class _Scored:
    """What scoring the range produced, gathered batch after batch."""

    stats: reporting.EventStats = field(default_factory=reporting.EventStats)
    facts: Facts = field(default_factory=Facts)
    alerts: list[Alert] = field(default_factory=list)
    # Events whose alerts nobody recorded, scored with inferred versions (for recheck).
    unrecorded: dict[str, tuple[InputEvent, tuple[int, ...], str]] = field(default_factory=dict)


def run_replay(
    settings: Settings,
    options: ReplayOptions,
    *,
    store: ModelStore | None = None,
    scorer: Scorer | None = None,
    stream: TextIO | None = None,
    now: datetime | None = None,
) -> ReplayResult:
    """Replay a range and compare; writes the report to ``options.out_dir`` when given."""
    began = time.perf_counter()
    bad = unknown_topics(options.start, options.topics) + unknown_topics(
        options.end, options.topics
    )
    if bad:
        raise ValueError(f"offsets name topics not replayed: {', '.join(bad)}")
    codec = Codec(SchemaRegistry.default())
    store = store if store is not None else KafkaModelStore(settings)
    scorer = scorer if scorer is not None else make_scorer(settings, store)
    history = {name: store.versions(name) for name in scorer.model_names()}
    ranges, alert_ranges, learning_ranges, scored_topic_ranges = _ranges(settings, options)
    recorded_all, undecodable = read_alerts(settings, alert_ranges, codec)
    recorded = [r for r in recorded_all if _within(r, ranges)]
    scored_with: ScoredWith = {}
    scored_ranges: ScoredRanges = {}
    if options.models == "recorded":
        scored_with, _ = read_scored_with(settings, learning_ranges, codec, ranges)
        scored_ranges, _ = read_scored_ranges(settings, scored_topic_ranges, ranges)
    plan = VersionPlan(options.models, history, recorded, scored_with, scored_ranges)
    logger.info(
        "replay range events=%d partitions=%d recorded_alerts=%d events_with_versions=%d "
        "rescored=%d models=%s",
        sum(r.size for r in ranges),
        len(ranges),
        len(recorded),
        len(scored_with),
        plan.rescored,
        {m: len(v) for m, v in history.items()},
    )

    warmed = _warm(settings, ranges, plan, scorer, options.batch_size)
    startup_s = time.perf_counter() - began
    progress = Progress(sum(r.size for r in ranges), stream=stream, enabled=options.progress)
    recorded_ids = {r.alert["alert_id"] for r in recorded}
    scored = _Scored()
    for batch in read_ranges(settings, ranges, batch_size=options.batch_size):
        _score_batch(batch, plan, scorer, codec, recorded_ids, scored)
        progress.advance(len(batch))
    progress.finish()
    scoring_s = progress.elapsed_s
    if options.models == "recorded":
        scored.facts.alternatives = _recheck(scored.unrecorded, plan, scorer)

    comparison = compare(recorded, scored.alerts, plan, scored.facts)
    report = reporting.build_report(
        mode=options.models,
        bounds=(options.start.text, options.end.text),
        topics=options.topics,
        ranges=ranges,
        events=scored.stats,
        alerts=reporting.AlertStats(len(recorded_all) + undecodable, undecodable, len(recorded)),
        usage=plan.usage,
        choices=plan.events_by_choice,
        rescored=plan.rescored,
        comparison=comparison,
        rederived_count=len({a["alert_id"] for a in scored.alerts}),
        generated_at=now or datetime.now(UTC),
    )
    page = html_page.render(report)
    events = scored.stats.read
    run = {
        "events": events,
        "startup_s": round(startup_s, 3),
        "warm_up_events": warmed,
        "scoring_s": round(scoring_s, 3),
        "total_s": round(time.perf_counter() - began, 3),
        "events_per_s": round(events / scoring_s, 1) if scoring_s > 0 else None,
        "models": options.models,
    }
    result = ReplayResult(report, page, run)
    if options.out_dir is not None:
        path = reporting.write(report, page, run, options.out_dir)
        result.paths = [path, options.out_dir / reporting.HTML_NAME]
    return result


def _ranges(
    settings: Settings, options: ReplayOptions
) -> tuple[list[PartitionRange], list[PartitionRange], list[PartitionRange], list[PartitionRange]]:
    """The input range, and the ranges of the alerts, learning and scored topics that may hold
    the alerts it raised and the examples and versions its scoring wrote (empty when not
    needed; the scored topic's too where it does not exist yet, for a deployment older than
    it)."""
    alerts_from = options.start if options.start.kind == "time" else Bound("earliest", "earliest")
    learning_from = Bound("earliest", "earliest")
    if options.start.kind == "time" and options.start.time_ms is not None:
        skewed = options.start.time_ms - round(LEARNING_SKEW_S * 1000)
        learning_from = Bound("time", options.start.text, time_ms=skewed)
    alerts_to = Bound("latest", "latest")
    if options.end.kind == "time" and options.end.time_ms is not None:
        lag_ms = round(options.alerts_lag_s * 1000)
        alerts_to = Bound("time", options.end.text, time_ms=options.end.time_ms + lag_ms)
    consumer = replay_consumer(settings)
    try:
        topics = {short: settings.topic(short) for short in options.topics}
        ranges = resolve(consumer, topics, options.start, options.end)
        alert_ranges = resolve(
            consumer, {"alerts": settings.topic("alerts")}, alerts_from, alerts_to
        )
        learning_ranges: list[PartitionRange] = []
        scored_ranges: list[PartitionRange] = []
        if options.models == "recorded":
            learning = {LEARNING_TOPIC: settings.topic(LEARNING_TOPIC)}
            learning_ranges = resolve(consumer, learning, learning_from, alerts_to)
            try:
                scored = {"scored": settings.topic("scored")}
                scored_ranges = resolve(consumer, scored, learning_from, alerts_to)
            except ServiceUnavailableError as exc:
                logger.warning("replay: no scored ranges (%s): versions from examples only", exc)
    finally:
        consumer.close()
    return ranges, alert_ranges, learning_ranges, scored_ranges


def _within(recorded: RecordedAlert, ranges: Iterable[PartitionRange]) -> bool:
    topic, partition, offset = recorded.source_key
    return any(
        r.topic == topic and r.partition == partition and r.start <= offset < r.end for r in ranges
    )


def _warm(
    settings: Settings,
    ranges: Sequence[PartitionRange],
    plan: VersionPlan,
    scorer: Scorer,
    batch_size: int,
) -> int:
    """Rebuild per-key scoring state (job seekers' profiles) from the events before the range.

    A live worker's table held what every earlier event wrote; the replay scores, without
    keeping any output, what the topics still hold before ``--from`` of the topics that feed
    it. Returns the number of events read. What retention dropped is gone: the report's
    ``retention`` figures say how far back the topics go.
    """
    topics = set(scorer.stateful_topics())
    before = [
        replace(r, start=r.low, end=r.start)
        for r in ranges
        if r.topic in topics and r.start > r.low
    ]
    total = 0
    for batch in read_ranges(settings, before, batch_size=batch_size):
        for versions, events in _runs(batch, plan):
            scorer.warm(events, plan.snapshots(versions))
        total += len(batch)
    if total:
        logger.info("replay state rebuilt from %d earlier events of %s", total, sorted(topics))
    return total


def _runs(
    batch: Sequence[InputEvent], plan: VersionPlan
) -> list[tuple[tuple[int, ...], list[InputEvent]]]:
    """The batch cut into runs of consecutive events that score with the same versions.

    Runs, not groups: gathering every event of a version tuple together would score an event
    before one that came earlier with other versions, and the use cases that keep state (a
    job seeker's exit, then an offer proposed to them) must see them in the order they came.
    """
    runs: list[tuple[tuple[int, ...], list[InputEvent]]] = []
    for event in batch:
        versions = plan.versions_for(event.source)
        if runs and runs[-1][0] == versions:
            runs[-1][1].append(event)
        else:
            runs.append((versions, [event]))
    return runs


def _score_batch(
    batch: Sequence[InputEvent],
    plan: VersionPlan,
    scorer: Scorer,
    codec: Codec,
    recorded_ids: set[str],
    scored: _Scored,
) -> None:
    """Score one batch, one call per run of a version tuple (feedback events one by one)."""
    stats = scored.stats
    for event in batch:
        stats.read += 1
        stats.by_topic[event.source.topic] += 1
        stats.timestamps.append(event.source.timestamp_ms)
    for versions, events in _runs(batch, plan):
        # A dismissal does not say which event carried it: feedback events are scored alone.
        plain = [e for e in events if not e.source.topic.endswith(".feedback")]
        calls = [plain] + [[e] for e in events if e.source.topic.endswith(".feedback")]
        for chunk in calls:
            if not chunk:
                continue
            out = scorer.score(chunk, plan.snapshots(versions))
            stats.scored += out.processed
            for dl in out.dead_letters:
                stats.dead_letters[dl.error_type] += 1
                key = (dl.source.topic, dl.source.partition, dl.source.offset)
                scored.facts.dead_letters[key] = f"{dl.error_type}: {dl.error_message[:200]}"
            for d in out.dismissals:
                scored.facts.dismissals.append(
                    SeenDismissal(d.alert_id, d.verdict, chunk[0].source)
                )
            by_offset = {(e.source.topic, e.source.partition, e.source.offset): e for e in chunk}
            for alert in out.alerts:
                normalised = _as_recorded(alert, codec)
                scored.alerts.append(normalised)
                if alert["alert_id"] not in recorded_ids and len(scored.unrecorded) < MAX_RECHECKS:
                    key = (alert["source_topic"], alert["source_partition"], alert["source_offset"])
                    event, model = by_offset[key], alert["model_name"]
                    if model in plan.models and plan.choose(model, event.source).how not in EXACT:
                        scored.unrecorded[alert["alert_id"]] = (event, versions, model)


def _as_recorded(alert: Alert, codec: Codec) -> Alert:
    """The alert as the alerts topic would hold it (Avro round trip: same types, same precision)."""
    try:
        return codec.decode(codec.encode("Alert", alert)).record
    except ValidationError:
        return dict(alert)


def _recheck(
    unrecorded: Mapping[str, tuple[InputEvent, tuple[int, ...], str]],
    plan: VersionPlan,
    scorer: Scorer,
) -> dict[str, Alternative]:
    """Re-score each unrecorded alert's event with the later versions the worker may have used.

    Only for versions the replay inferred (neither the learning topic nor an alert of the event
    named one): a worker scores an event a little after its timestamp, so a later snapshot may
    be the one that decided. The first that raises no alert explains the difference; if all
    raise it, the last is reported.
    """
    found: dict[str, Alternative] = {}
    for aid, (event, versions, model) in sorted(unrecorded.items()):
        i = plan.models.index(model)
        for snapshot in plan.later_candidates(model, event.source, versions[i]):
            alt = list(versions)
            alt[i] = snapshot.version
            out = scorer.score([event], plan.snapshots(alt))
            raised = any(a["alert_id"] == aid for a in out.alerts)
            after_s = (snapshot.created_at.timestamp() * 1000 - event.source.timestamp_ms) / 1000
            found[aid] = Alternative(f"v{snapshot.version}", after_s, raised)
            if not raised:
                break
    return found
