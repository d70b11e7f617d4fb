"""Fuzzing a running worker: hostile and broken messages mixed with valid ones, on every input
topic, and the figures that say whether the worker held.

``python benchmarks/fuzz.py`` (``make fuzz``) sends ``--bad-per-topic`` (10,000) bad messages
per input topic (``benchmarks.mutations``: truncated, bit-flipped headers, unknown and foreign
fingerprints, another topic's records, huge strings, invalid UTF-8, extreme numbers and dates,
broken domain rules, garbage, null values), sound ones (some with deep Unicode or edge numbers)
and body bit-flips, to one real ``vigie worker`` in a throw-away namespace, then reads the
dead-letter topic back. Figures: crashes and stalls, the share of bad messages on the
dead-letter topic with a reason, the share of valid ones processed, per topic and per kind.
``tests/integration/test_fuzz.py`` runs the same at CI size.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Consumer, Producer, TopicPartition

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.mutations import Mutant, mutants  # noqa: E402
from benchmarks.worker import WorkerProcess  # noqa: E402
from schemas.codec import Codec  # noqa: E402
from sinks.kafka_sink import DLQ_HEADER_PREFIX  # noqa: E402
from streams.errors import ServiceUnavailableError  # noqa: E402
from streams.logread import read_partition  # noqa: E402
from streams.referential import load_referential  # noqa: E402
from streams.security import kafka_config, open_redis
from streams.settings import Settings  # noqa: E402
from streams.topics import INPUT_TOPICS  # noqa: E402

DEFAULT_VALID = {"offers": 1000, "jobseekers": 1000, "emails": 200, "feedback": 1000}


@dataclass
class Tally:
    """Counts of one topic or one kind."""

    sent: int = 0
    dead_lettered: int = 0
    with_reason: int = 0
    processed: int = 0


@dataclass
class FuzzReport:
    """The figures of a fuzz run."""

    crashed: bool = False
    stalled: bool = False
    failure: str = ""
    seconds: float = 0.0
    bad: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    valid: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    kinds: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    errors: Counter[str] = field(default_factory=Counter)
    misjudged: list[str] = field(default_factory=list)  # worker and reference disagree
    unexpected_dead_letters: int = 0  # on the DLQ, not a message we sent (e.g. OfferAged)
    worker_counted: int = 0  # processed + dead letters, re-deliveries counted again
    on_topics: int = 0
    lag: int = -1  # input messages the worker's group has not committed
    dead_letter_repeats: int = 0  # dead letters written twice (an event re-delivered)
    peak_rss_mib: float | None = None

    def share(self, which: str) -> float:
        """Bad messages dead-lettered with a reason, or valid ones processed, over all topics."""
        tallies = (self.bad if which == "bad" else self.valid).values()
        sent = sum(t.sent for t in tallies)
        done = sum(t.with_reason if which == "bad" else t.processed for t in tallies)
        return done / sent if sent else 1.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "crashed": self.crashed,
            "stalled": self.stalled,
            "failure": self.failure,
            "seconds": round(self.seconds, 1),
            "bad_dead_lettered_with_reason": self.share("bad"),
            "valid_processed": self.share("valid"),
            "bad": {k: vars(v) for k, v in self.bad.items()},
            "valid": {k: vars(v) for k, v in self.valid.items()},
            "kinds": {k: vars(v) for k, v in self.kinds.items()},
            "error_types": dict(self.errors.most_common()),
            "misjudged": self.misjudged[:20],
            "unexpected_dead_letters": self.unexpected_dead_letters,
            "dead_letter_repeats": self.dead_letter_repeats,
            "worker_counted": self.worker_counted,
            "on_topics": self.on_topics,
            "peak_rss_mib": self.peak_rss_mib,
        }


def _produce(settings: Settings, messages: list[Mutant], sent_ms: int) -> dict[tuple, Mutant]:
    """Send every message; returns them by (topic, partition, offset)."""
    producer = Producer(
        {
            **kafka_config(settings),
            "enable.idempotence": True,
            "acks": "all",
            "partitioner": "murmur2_random",
            "linger.ms": 20,
            "compression.type": "lz4",
            "message.max.bytes": 1_000_000,
            "queue.buffering.max.messages": 200_000,
        }
    )
    placed: dict[tuple, Mutant] = {}
    errors: list[str] = []

    def delivered(mutant: Mutant) -> Any:
        def on_delivery(err: Any, msg: Any) -> None:
            if err is not None:
                errors.append(f"{mutant.kind}: {err}")
            else:
                placed[(msg.topic(), msg.partition(), msg.offset())] = mutant

        return on_delivery

    for mutant in messages:
        while True:
            try:
                producer.produce(
                    settings.topic(mutant.topic),
                    key=mutant.key,
                    value=mutant.value,
                    timestamp=sent_ms,
                    on_delivery=delivered(mutant),
                )
                break
            except BufferError:
                producer.poll(0.5)
        producer.poll(0)
    producer.flush(120)
    if errors:
        raise RuntimeError(f"{len(errors)} messages not delivered, e.g. {errors[:3]}")
    return placed


TAIL_READ = 50  # below this lag, read the tail to tell records from transaction markers


def input_lag(settings: Settings) -> tuple[int, int]:
    """(messages on the input topics, of which not yet committed by the worker's group).

    Vigie commits an event's offset only once what it caused is delivered, so a lag of zero
    means every message was processed or dead-lettered, whatever the counters say (they count
    an event again when a rebalance re-delivers it)."""
    consumer = Consumer({**kafka_config(settings), "group.id": settings.group_id})
    try:
        ends = _input_ends(consumer, settings)
        committed = consumer.committed([TopicPartition(t, p) for t, p in ends], timeout=10)
    finally:
        consumer.close()
    done = {(tp.topic, tp.partition): max(tp.offset, 0) for tp in committed}
    lag = sum(high - done[tp] for tp, high in ends.items())
    if lag <= TAIL_READ:  # the tail: count its records, not the transaction markers
        lag = committed_records(settings, {tp: (done[tp], high) for tp, high in ends.items()})
    return sum(ends.values()), lag


def input_records(settings: Settings) -> int:
    """Records on the input topics: their offsets, less the transaction markers among them."""
    consumer = Consumer({**kafka_config(settings), "group.id": "fuzz-count"})
    try:
        ends = _input_ends(consumer, settings)
    finally:
        consumer.close()
    return committed_records(settings, {tp: (0, high) for tp, high in ends.items()})


def _input_ends(consumer: Consumer, settings: Settings) -> dict[tuple[str, int], int]:
    """The high watermark of every partition of the input topics."""
    ends: dict[tuple[str, int], int] = {}
    for short in INPUT_TOPICS:
        topic = settings.topic(short)
        for p in consumer.list_topics(topic, timeout=10).topics[topic].partitions:
            ends[(topic, p)] = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[
                1
            ]
    return ends


def committed_records(settings: Settings, ranges: dict[tuple[str, int], tuple[int, int]]) -> int:
    """Committed records in each partition's [start, end) (the timers' ``OfferAged`` events
    are written in the learner's transactions, whose markers take offsets). A partition held
    back by an open transaction counts all its offsets."""
    consumer = Consumer(
        {**kafka_config(settings), "group.id": "fuzz-count", "enable.auto.commit": False}
    )
    count = 0
    try:
        for (topic, p), (start, end) in ranges.items():
            if end <= start:
                continue
            read = 0
            try:
                for records in read_partition(
                    consumer, topic, p, start, end, batch=100_000, stall_s=5.0
                ):
                    read += len(records)
            except ServiceUnavailableError:
                read = end - start
            count += read
    finally:
        consumer.close()
    return count


def _dead_letters(settings: Settings, report: FuzzReport) -> dict[tuple, tuple[str, str]]:
    """Every dead letter: (source topic, partition, offset) -> (error type, error message)."""
    topic = settings.topic("deadletter")
    consumer = Consumer(
        {
            **kafka_config(settings),
            "group.id": "fuzz-deadletters",
            "enable.auto.commit": False,
        }
    )
    found: dict[tuple, tuple[str, str]] = {}
    try:
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        ends = {}
        for p in meta.partitions:
            ends[p] = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
        consumer.assign([TopicPartition(topic, p, 0) for p in ends if ends[p] > 0])
        remaining = {p for p, end in ends.items() if end > 0}
        deadline = time.monotonic() + 120
        while remaining and time.monotonic() < deadline:
            for msg in consumer.consume(5000, timeout=1.0):
                if msg.error():
                    continue
                h = {
                    k.removeprefix(DLQ_HEADER_PREFIX): v.decode("utf-8", "replace")
                    for k, v in msg.headers() or []
                    if k.startswith(DLQ_HEADER_PREFIX)
                }
                where = (h.get("topic"), int(h.get("partition", -1)), int(h.get("offset", -1)))
                report.dead_letter_repeats += where in found
                found[where] = (h.get("error_type", ""), h.get("error_message", ""))
                if msg.offset() + 1 >= ends[msg.partition()]:
                    remaining.discard(msg.partition())
        return found
    finally:
        consumer.close()


def _wait(
    worker: WorkerProcess,
    settings: Settings,
    report: FuzzReport,
    *,
    timeout_s: float,
    stall_s: float,
) -> None:
    """Until the worker's group has committed every message of the input topics (OfferAged
    written by its learner included); a dead worker is a crash, no progress a stall."""
    deadline, last_move, last = time.monotonic() + timeout_s, time.monotonic(), -1
    while True:
        report.on_topics, lag = input_lag(settings)
        report.worker_counted = worker.counted()
        report.lag = lag
        if lag == 0:
            report.on_topics = input_records(settings)  # markers are not messages
            if report.worker_counted >= report.on_topics:
                return
        if lag != last:
            last, last_move = lag, time.monotonic()
        if worker.proc is not None and worker.proc.poll() is not None:
            report.crashed = True
            report.failure = f"worker exited with code {worker.proc.returncode}"
            return
        if time.monotonic() - last_move > stall_s:
            report.stalled = True
            report.failure = f"no progress for {stall_s:.0f}s, {lag}/{report.on_topics} left"
            return
        if time.monotonic() > deadline:
            report.stalled = True
            report.failure = f"timed out, {lag}/{report.on_topics} left"
            return
        report.peak_rss_mib = worker.peak_rss_mib() or report.peak_rss_mib
        time.sleep(0.5)


def run_fuzz(
    settings: Settings,
    *,
    bad_per_topic: int,
    valid_per_topic: dict[str, int],
    flips_per_topic: int,
    seed: int = 7,
    workdir: Path,
    timeout_s: float = 600.0,
    stall_s: float = 60.0,
) -> FuzzReport:
    """Fuzz one worker on ``settings``' namespace (its topics must exist)."""
    codec = Codec()
    ref = load_referential(settings.data_dir)
    sent_at = datetime.now(UTC)
    messages = list(
        mutants(
            codec,
            ref,
            seed=seed,
            bad_per_topic=bad_per_topic,
            valid_per_topic=valid_per_topic,
            flips_per_topic=flips_per_topic,
            sent_at=sent_at,
        )
    )
    report = FuzzReport()
    worker = WorkerProcess(settings, workdir / "fuzz-worker.log", workdir)
    worker.start()
    started = time.monotonic()
    try:
        placed = _produce(settings, messages, int(sent_at.timestamp() * 1000))
        _wait(worker, settings, report, timeout_s=timeout_s, stall_s=stall_s)
        report.seconds = time.monotonic() - started
        if report.crashed or report.stalled:
            report.failure += "\n" + worker.log_tail()
    finally:
        code = worker.stop()
    if code not in (0, None) and not report.crashed:
        report.failure += f"\nworker exit code {code} on SIGTERM"
    _tally(report, placed, _dead_letters(settings, report))
    return report


def _tally(report: FuzzReport, placed: dict[tuple, Mutant], dead: dict[tuple, Any]) -> None:
    for where, mutant in placed.items():
        dl = dead.get(where)
        tally = (report.bad if mutant.bad else report.valid)[mutant.topic]
        kind = report.kinds[f"{mutant.kind} ({'bad' if mutant.bad else 'valid'})"]
        for t in (tally, kind):
            t.sent += 1
            if dl is not None:
                t.dead_lettered += 1
                t.with_reason += bool(dl[1].strip())
        if dl is not None:
            report.errors[dl[0]] += 1
        if mutant.bad != (dl is not None):
            report.misjudged.append(
                f"{mutant.kind} on {mutant.topic} {'kept' if mutant.bad else 'dead-lettered'}"
                + (f": {dl[0]}: {dl[1][:200]}" if dl else "")
            )
    complete = report.lag == 0
    for tally in list(report.valid.values()) + list(report.kinds.values()):
        tally.processed = tally.sent - tally.dead_lettered if complete else 0
    report.unexpected_dead_letters = len(set(dead) - set(placed))


def print_report(report: FuzzReport, out: Any = sys.stdout) -> None:
    """The figures as a few readable tables."""
    p = lambda *a: print(*a, file=out)  # noqa: E731
    p(
        f"worker: {'CRASHED' if report.crashed else 'no crash'}, "
        f"{'STALLED' if report.stalled else 'no stall'}; {report.seconds:.1f}s; "
        f"peak RSS {report.peak_rss_mib or 0:.0f} MiB"
    )
    p(
        f"{report.on_topics} messages on the input topics, {report.lag} not committed by the "
        f"worker's group; counted {report.worker_counted} (re-deliveries count again); "
        f"{report.dead_letter_repeats} dead letters written twice"
    )
    p(f"bad messages dead-lettered with a reason: {100 * report.share('bad'):.2f} %")
    p(f"valid messages processed: {100 * report.share('valid'):.2f} %")
    p(f"{'topic':<12}{'bad sent':>10}{'bad DLQ+reason':>16}{'valid sent':>12}{'processed':>11}")
    for topic in INPUT_TOPICS:
        b, v = report.bad[topic], report.valid[topic]
        p(f"{topic:<12}{b.sent:>10}{b.with_reason:>16}{v.sent:>12}{v.processed:>11}")
    p(f"{'kind':<28}{'sent':>8}{'dead-lettered':>15}{'processed':>11}")
    for kind, t in sorted(report.kinds.items()):
        p(f"{kind:<28}{t.sent:>8}{t.dead_lettered:>15}{t.processed:>11}")
    p("dead letters by error type: " + ", ".join(f"{k} {n}" for k, n in report.errors.items()))
    if report.misjudged:
        p(f"{len(report.misjudged)} messages the worker judged otherwise, e.g.:")
        for line in report.misjudged[:10]:
            p("  " + line)
    if report.failure:
        p("failure: " + report.failure)


def main() -> int:
    """``make fuzz``."""
    from benchmarks.namespace import bench_settings, check_services, cleanup, create

    parser = argparse.ArgumentParser(prog="benchmarks/fuzz.py", description=__doc__)
    parser.add_argument("--bad-per-topic", type=int, default=10_000)
    parser.add_argument(
        "--valid-per-topic",
        type=int,
        default=1000,
        help="valid messages per topic (emails: a fifth, spaCy is slow)",
    )
    parser.add_argument("--flips-per-topic", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", default="", help="also write the figures to this file")
    args = parser.parse_args()
    settings = bench_settings()
    check_services(settings)
    create(settings)
    valid = {t: args.valid_per_topic for t in INPUT_TOPICS}
    valid["emails"] = max(1, args.valid_per_topic // 5)
    try:
        with tempfile.TemporaryDirectory(prefix="vigie-fuzz-") as tmp:
            report = run_fuzz(
                settings,
                bad_per_topic=args.bad_per_topic,
                valid_per_topic=valid,
                flips_per_topic=args.flips_per_topic,
                seed=args.seed,
                workdir=Path(tmp),
                timeout_s=1800,
                stall_s=120,
            )
    finally:
        cleanup(settings)
        open_redis(settings).close()
    print_report(report)
    if args.json:
        Path(args.json).write_text(
            orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode()
        )
    ok = not (report.crashed or report.stalled or report.misjudged)
    return 0 if ok and report.share("bad") == 1.0 and report.share("valid") == 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
