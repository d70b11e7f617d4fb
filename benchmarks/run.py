"""``make bench``: the worker's throughput, memory and latency, each against a same-run baseline.

    .venv/bin/python benchmarks/run.py [--events N] [--seed S] [--quick]

One run, on a fresh namespace (topics ``bench-<id>.*``, Redis keys ``bench-<id>:*``, its own
consumer groups), all deleted at the end:

1. publish N simulated events, unthrottled (the publisher's rate);
2. baseline: a raw confluent-kafka consume-and-decode loop over them, in its own process;
3. a real ``vigie worker`` processes them (throughput, wall time, peak memory, backlog latency);
4. live phase: M more events at a fixed rate while the worker and a raw consumer both follow
   the topics (event-to-alert latency against produce-to-consume latency);
5. the worker stopped, the raw loop runs again over the same N events: the baseline is the
   mean of its two runs, which bracket the worker's;
6. ``vigie replay --models recorded`` re-scores the N + M events and audits the alerts (replay
   events/s against the same baseline).

The table goes to stdout, ``benchmarks/results/latest.md`` and ``latest.json``; the worker's log
to ``benchmarks/results/worker.log``. How to read the figures: ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NoReturn

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks` importable as a package
    sys.path.insert(0, str(ROOT))

from confluent_kafka import Consumer, TopicPartition  # noqa: E402

from benchmarks import namespace  # noqa: E402
from benchmarks.fuzz import committed_records, input_lag  # noqa: E402
from benchmarks.stats import Row, markdown_table, rate, summarize  # noqa: E402
from benchmarks.system import machine  # noqa: E402
from benchmarks.worker import WorkerFailed, WorkerProcess, alert_latencies  # noqa: E402
from streams.errors import VigieError  # noqa: E402
from streams.security import kafka_config, open_redis  # noqa: E402
from streams.settings import Settings  # noqa: E402
from streams.simulate import run_simulation  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_EVENTS = 50_000
QUICK_EVENTS = 5_000
LIVE_EVENTS = 10_000
LIVE_RATE = 2000.0
NOISY_SPREAD = 0.2  # baseline runs further apart than this make a run suspect


class BenchmarkFailed(Exception):
    """Raised when a phase cannot produce its figure (a child failed, a timeout)."""


def _raw_command(mode: str, expect: int, timeout_s: float) -> list[str]:
    return [
        sys.executable,
        "-m",
        "benchmarks.raw_consume",
        mode,
        "--expect",
        str(expect),
        "--timeout",
        str(timeout_s),
    ]


def _last_json(stdout: str, what: str) -> dict[str, Any]:
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise BenchmarkFailed(f"{what} printed no result")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _child(settings: Settings, command: list[str], timeout_s: float) -> Any:
    """Run a benchmark's child process on the run's namespace; its completed process."""
    return subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, **namespace.worker_env(settings)},
        capture_output=True,
        text=True,
        timeout=timeout_s + 60,
        check=False,
    )


def raw_throughput(settings: Settings, events: int, timeout_s: float) -> dict[str, Any]:
    """Run the baseline loop in its own process; adds its wall time including start-up."""
    began = time.monotonic()
    done = _child(settings, _raw_command("throughput", events, timeout_s), timeout_s)
    wall_s = time.monotonic() - began
    if done.returncode != 0:
        raise BenchmarkFailed(f"raw consumer failed ({done.returncode}): {done.stderr[-2000:]}")
    result = _last_json(done.stdout, "the raw consumer")
    if not result["complete"]:
        raise BenchmarkFailed(f"raw consumer read {result['events']}/{events} events in time")
    result["wall_s"] = wall_s
    return result


class RawLive:
    """The baseline's live reader: a raw consumer process following the topics' end."""

    def __init__(self, settings: Settings, expect: int, timeout_s: float) -> None:
        env = {**os.environ, **namespace.worker_env(settings)}
        self.proc = subprocess.Popen(
            _raw_command("live", expect, timeout_s),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Block until it has assigned itself the topics' current ends."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            readable, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if readable:
                line = self.proc.stdout.readline()
                if '"ready"' in line:
                    return
                if not line:  # EOF: it died
                    break
        raise BenchmarkFailed(f"raw live consumer not ready: {self._stderr()}")

    def result(self, timeout_s: float) -> dict[str, Any]:
        """Its figures, once it has read what it expected."""
        try:
            stdout, stderr = self.proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise BenchmarkFailed("raw live consumer did not finish in time") from exc
        if self.proc.returncode != 0:
            raise BenchmarkFailed(f"raw live consumer failed: {stderr[-2000:]}")
        return _last_json(stdout, "the raw live consumer")

    def _stderr(self) -> str:
        self.stop()
        assert self.proc.stderr is not None
        return self.proc.stderr.read()[-2000:]

    def stop(self) -> None:
        """Terminate it if it still runs."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def measure(settings: Settings, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Every phase, in order; returns the raw figures."""
    figures: dict[str, Any] = {}
    namespace.create(settings)

    _say(f"1/4 publishing {args.events:,} simulated events (seed {args.seed}, unthrottled)")
    span = args.events + args.live_events
    published = run_simulation(
        settings, seed=args.seed, events=args.events, span_events=span, emails=args.emails
    )
    n = sum(published.published.values())
    figures["publish"] = {
        "events": n,
        "seconds": published.seconds,
        "events_per_s": rate(n, published.seconds),
        "by_type": dict(published.published),
    }

    _say("2/4 baseline: raw consume + decode loop (1st of 2 runs)")
    before = raw_throughput(settings, n, args.timeout)
    _say("layers: a Faust agent that only decodes; Vigie's processing alone, in-process")
    figures["faust_floor"] = faust_floor(settings, n, args.timeout)
    figures["processing"] = processing_rates(settings, args)

    _say("3/4 worker: processing the backlog" + (" (scoring + learning processes)" * args.split))
    worker = WorkerProcess(
        settings, RESULTS / "worker.log", workdir, role="scoring" if args.split else "all"
    )
    learner = WorkerProcess(settings, RESULTS / "learner.log", workdir, role="learning")
    more = [  # --scoring-workers N: N - 1 more scoring processes in the same group
        WorkerProcess(settings, RESULTS / f"worker-{k}.log", workdir, role="scoring")
        for k in range(2, args.scoring_workers + 1)
    ]
    raw_live: RawLive | None = None
    try:
        if args.split:
            learner.start()
        for extra in more:
            extra.start()
        worker.start()
        backlog = worker.wait_for(n, timeout_s=args.timeout, started_at=worker.started_at)
        figures["worker"] = {
            "events": backlog.last_value,
            "steady_events": backlog.steady_events,
            "steady_seconds": backlog.steady_seconds,
            "events_per_s": rate(backlog.steady_events, backlog.steady_seconds),
            "wall_s": (backlog.last_change_at or 0.0) - worker.started_at,
            "startup_s": (backlog.first_change_at or 0.0) - worker.started_at,
        }

        # Learning runs beside scoring and lags it: the live phase starts once the learners
        # have caught up, so its latency is the steady state's, not the backlog's learning.
        examples = learning_examples(settings)
        caught_up_at = (learner if args.split else worker).wait_learnt(
            examples, timeout_s=args.timeout
        )
        figures["learning"] = {
            "examples": examples,
            "caught_up_s": caught_up_at - worker.started_at,
            "after_scoring_s": caught_up_at - (backlog.last_change_at or caught_up_at),
            "examples_per_s": rate(examples, caught_up_at - (backlog.first_change_at or 0.0)),
        }

        _say(
            f"4/4 live: {args.live_events:,} events at {args.live_rate:.0f}/s "
            "(worker and raw consumer following)"
        )
        raw_live = RawLive(settings, args.live_events, args.timeout)
        raw_live.wait_ready()
        live_start_ms = int(time.time() * 1000)
        live = run_simulation(
            settings,
            seed=args.seed,
            events=args.live_events,
            rate=args.live_rate,
            skip=args.events,
            span_events=args.events + args.live_events,
            emails=args.emails,
        )
        m = sum(live.published.values())
        worker.wait_for(backlog.last_value + m, timeout_s=args.timeout)
        # The counter also counts the OfferAged events the learners publish: it can reach its
        # target with live events still queued, whose alerts (the slowest) the latency would
        # then leave out. The worker's group must have committed every input message.
        wait_drained(settings, worker, timeout_s=args.timeout)
        figures["live_publish"] = {
            "events": m,
            "seconds": live.seconds,
            "events_per_s": rate(m, live.seconds),
        }
        raw_live_result = raw_live.result(timeout_s=60)
        figures["raw"] = {
            "live_peak_rss_mib": raw_live_result["peak_rss_mib"],
            "live_latency_ms": summarize(raw_live_result["latencies_ms"]),
        }
        figures["worker"]["peak_rss_mib"] = (
            (worker.peak_rss_mib() or 0.0)
            + ((learner.peak_rss_mib() or 0.0) if args.split else 0.0)
            + sum(extra.peak_rss_mib() or 0.0 for extra in more)
        )

        client = open_redis(settings, socket_timeout=30)
        try:
            backlog_ms, live_ms = alert_latencies(client, settings, split_ms=live_start_ms)
        finally:
            client.close()
        figures["worker"]["backlog_latency_ms"] = summarize(backlog_ms)
        figures["worker"]["live_latency_ms"] = summarize(live_ms)
    finally:
        if raw_live is not None:
            raw_live.stop()
        figures.setdefault("worker", {})["exit_code"] = worker.stop()
        for extra in more:
            extra.stop()
        if args.split:
            learner.stop()

    _say("baseline: raw consume + decode loop (2nd of 2 runs, the worker stopped)")
    after = raw_throughput(settings, n, args.timeout)
    figures["raw"].update(baseline_of(before, after))

    _say("replay: vigie replay --models recorded over the same events")
    figures["replay"] = replay_throughput(settings, RESULTS / "replay", args.timeout)
    return figures


def wait_drained(settings: Settings, worker: WorkerProcess, *, timeout_s: float) -> None:
    """Until the worker's group has committed every message of the input topics."""
    deadline = time.monotonic() + timeout_s
    while input_lag(settings)[1] > 0:
        worker.check_alive()  # raises with its log tail if it died
        if time.monotonic() > deadline:
            raise BenchmarkFailed(f"input topics not drained after {timeout_s:.0f}s")
        time.sleep(0.2)


def faust_floor(settings: Settings, events: int, timeout_s: float) -> dict[str, Any]:
    """The Faust framework's floor over the same events: an agent that only decodes."""
    command = [sys.executable, "-m", "benchmarks.faust_floor", "--expect", str(events)]
    done = _child(settings, [*command, "--timeout", str(timeout_s)], timeout_s)
    if not any(line.startswith("{") for line in done.stdout.splitlines()):
        raise BenchmarkFailed(f"the Faust floor failed ({done.returncode}): {done.stderr[-2000:]}")
    result = _last_json(done.stdout, "the Faust floor")
    result["events_per_s"] = rate(result["events"], result["seconds"])
    return result


def processing_rates(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    """Vigie's processing alone (no Kafka, no Redis, no Faust), per record type, in a child."""
    command = [sys.executable, "-m", "benchmarks.profile_batch", "--rates"]
    command += ["--events", str(min(args.events, 20_000)), "--seed", str(args.seed)]
    done = _child(settings, command + ([] if args.emails else ["--no-emails"]), args.timeout)
    if done.returncode != 0:
        raise BenchmarkFailed(f"profile_batch failed: {done.stderr[-2000:]}")
    return _last_json(done.stdout, "profile_batch --rates")


def learning_examples(settings: Settings) -> int:
    """How many learning examples the scoring of the backlog produced: the learning topic's
    committed records (under exactly once its offsets also number the commit markers, which no
    learner reads). Called once scoring has finished, so the topic no longer grows."""
    consumer = Consumer({**kafka_config(settings), "group.id": "bench-probe"})
    try:
        topic = settings.topic("learning")
        ranges = {
            (topic, p): consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
            for p in range(settings.partitions)
        }
    finally:
        consumer.close()
    return committed_records(settings, ranges)


def replay_throughput(settings: Settings, out: Path, timeout_s: float) -> dict[str, Any]:
    """Run ``vigie replay`` over everything published, in its own process, as an operator would.

    Its events/s are timed over scoring (read, score, compare in flight), without start-up
    (models and the alerts topic loaded first), which ``wall_s`` includes.
    """
    env = {**os.environ, **namespace.worker_env(settings)}
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "replay", "--from", "earliest", "--to", "latest"]
        + ["--models", "recorded", "--out", str(out), "--quiet"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s + 60,
        check=False,
    )
    if done.returncode != 0:
        raise BenchmarkFailed(f"replay failed ({done.returncode}): {done.stderr[-2000:]}")
    run: dict[str, Any] = json.loads((out / "replay-run.json").read_text())
    summary = json.loads((out / "replay-report.json").read_text())["summary"]
    return {**run, "wall_s": time.monotonic() - began, "summary": summary}


def baseline_of(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The raw loop's figures from its runs before and after the worker's.

    The two runs bracket the worker's measurement in time, so their mean cancels a drift of
    the machine's speed (another process, CPU throttling) and their spread shows how noisy the
    run was. Peak memory is the larger of the two.
    """
    rates = [rate(r["events"], r["seconds"]) or 0.0 for r in (before, after)]
    mean_rate = sum(rates) / len(rates)
    return {
        "events": before["events"],
        "events_per_s": mean_rate,
        "events_per_s_runs": rates,
        "spread": (max(rates) - min(rates)) / mean_rate if mean_rate else None,
        "seconds_runs": [before["seconds"], after["seconds"]],
        "first_message_s_runs": [before["first_message_s"], after["first_message_s"]],
        "wall_s": (before["wall_s"] + after["wall_s"]) / 2,
        "wall_s_runs": [before["wall_s"], after["wall_s"]],
        "peak_rss_mib": max(before["peak_rss_mib"] or 0.0, after["peak_rss_mib"] or 0.0),
    }


def rows(f: dict[str, Any]) -> list[Row]:
    """The results table, every figure beside its same-run baseline."""
    worker, raw = f["worker"], f["raw"]
    live, raw_live = worker["live_latency_ms"], raw["live_latency_ms"]
    table = [
        Row(
            "throughput (events/s): worker vs raw consume+decode",
            worker["events_per_s"],
            raw["events_per_s"],
        ),
        Row(
            "layer: Faust agent, take_events + decode only, vs raw consume+decode",
            f["faust_floor"]["events_per_s"],
            raw["events_per_s"],
        ),
        Row(
            "layer: Vigie's processing alone (no I/O, in-process) vs raw consume+decode",
            f["processing"]["all"]["events_per_s"],
            raw["events_per_s"],
        ),
    ]
    for name, figure in sorted(f["processing"].items()):
        if name != "all":
            table.append(
                Row(
                    f"  processing alone, {name} only ({figure['events']:,} events)",
                    figure["events_per_s"],
                    raw["events_per_s"],
                )
            )
    table += [
        Row(
            "replay (events/s): vigie replay --models recorded vs raw consume+decode",
            f["replay"]["events_per_s"],
            raw["events_per_s"],
        ),
        Row(
            "learning (examples/s, beside scoring): learners vs raw consume+decode",
            f["learning"]["examples_per_s"],
            raw["events_per_s"],
        ),
        Row(
            "publish (events/s): simulate+validate+encode+send vs raw consume+decode",
            f["publish"]["events_per_s"],
            raw["events_per_s"],
        ),
        Row(
            "peak memory (MiB, VmHWM): worker vs raw loop",
            worker["peak_rss_mib"],
            raw["peak_rss_mib"],
        ),
        Row(
            "wall time for the N events incl. start-up (s): worker vs raw loop process",
            worker["wall_s"],
            raw["wall_s"],
        ),
    ]
    for q in ("p50", "p95", "p99", "max"):
        table.append(
            Row(
                f"live latency {q} (ms): worker event->alert vs raw produce->decode",
                live[q],
                raw_live[q],
            )
        )
    backlog = worker["backlog_latency_ms"]
    for q in ("p50", "p99"):
        table.append(
            Row(f"backlog latency {q} (ms, pre-produced: includes queueing)", backlog[q], "n/a")
        )
    return table


BULK_TOPICS = ("offers", "jobseekers", "feedback")  # VIGIE_SCORE_TOPICS without --emails
WORKER_SHAPE = {False: "one process (role all)", True: "scoring process(es) and a learning process"}


def report(
    f: dict[str, Any], info: dict[str, Any], args: argparse.Namespace, settings: Settings
) -> str:
    """The Markdown report: context, table, and the counts behind the figures."""
    worker, raw = f["worker"], f["raw"]
    header = [
        "# Vigie benchmark",
        "",
        f"- date: {info['date']}; commit: `{info['commit']}`",
        f"- machine: {info['nproc']} CPU ({info['cpu']}), {info['memory_mib']:,.0f} MiB RAM, "
        f"Python {info['python']}, Linux {info['kernel']}",
        f"- N = {f['publish']['events']:,} events ({'mixed' if args.emails else 'bulk: no email'}"
        f"), seed {args.seed}; live phase: "
        f"{f['live_publish']['events']:,} at {args.live_rate:.0f}/s (same traffic, continued)",
        f"- worker: {WORKER_SHAPE[args.split]} ({args.scoring_workers} scoring) reading "
        f"{settings.score_topics}, {settings.partitions} partitions per topic, batch "
        f"{settings.batch_size} within {settings.batch_within_s}s",
        "",
    ]
    notes = [
        "",
        f"- worker: start-up to first batch {worker['startup_s']:.1f}s; throughput timed over "
        f"{worker['steady_events']:,} events in {worker['steady_seconds']:.1f}s",
        f"- learning: {f['learning']['examples']:,} examples (one per model an event teaches) "
        f"read by the learners {f['learning']['after_scoring_s']:.1f}s after scoring ended; "
        "the live phase starts then",
        "- raw loop, before and after the worker: "
        + ", ".join(f"{r:,.0f}" for r in raw["events_per_s_runs"])
        + f" events/s (spread {raw['spread']:.0%}; the baseline is their mean)",
        f"- alerts: {worker['backlog_latency_ms']['count']:,} from the backlog, "
        f"{worker['live_latency_ms']['count']:,} under live load; raw live latency over "
        f"{raw['live_latency_ms']['count']:,} messages",
        f"- replay: {f['replay']['events']:,} events scored in {f['replay']['scoring_s']:.1f}s "
        f"after {f['replay']['startup_s']:.1f}s of start-up (models, alerts topic); "
        f"{f['replay']['summary']['matches']:,} recorded alerts re-derived identically, "
        f"{f['replay']['summary']['missing']:,} missing, {f['replay']['summary']['extra']:,} "
        f"extra, {f['replay']['summary']['different']:,} different (benchmarks/results/replay)",
        "- events by type: "
        + ", ".join(f"{k}={v}" for k, v in sorted(f["publish"]["by_type"].items())),
    ]
    if args.quick:
        notes.append(
            "- smoke run (--quick): timing windows of about a second, dominated by "
            "warm-up and noise; do not draw conclusions from these figures"
        )
    elif raw["spread"] is not None and raw["spread"] > NOISY_SPREAD:
        notes.append(
            f"- WARNING: the two baseline runs differ by {raw['spread']:.0%}: the "
            "machine was busy or throttled; ratios are unreliable, run again"
        )
    if worker.get("exit_code") not in (0, None):
        notes.append(
            f"- the worker exited with code {worker['exit_code']} on SIGTERM: see "
            "benchmarks/results/worker.log"
        )
    return "\n".join([*header, markdown_table(rows(f)), *notes]) + "\n"


def _say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _terminate(signum: int, _frame: Any) -> NoReturn:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that clean up


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description="Benchmark the Vigie worker against a raw consumer, in one run."
    )
    add = parser.add_argument
    add(
        "--events",
        type=int,
        default=None,
        help=f"events N to process (default: {DEFAULT_EVENTS:,}; with --quick: {QUICK_EVENTS:,})",
    )
    add(
        "--seed",
        type=int,
        default=7,
        help="simulation seed; the live phase continues the same traffic (default: %(default)s)",
    )
    add("--quick", action="store_true", help=f"smoke run: N={QUICK_EVENTS:,} unless --events")
    add(
        "--scoring-workers",
        type=int,
        default=1,
        help="scoring processes (more than 1 implies --split: one learning process beside "
        "them); the scale-out figure",
    )
    add(
        "--emails",
        action="store_true",
        help="simulate emails too (the mixed traffic; each email costs milliseconds of the "
        "French pipeline): by default the bulk traffic, benchmarks/email_triage.py measures "
        "emails",
    )
    add(
        "--split",
        action="store_true",
        help="run a scoring worker and a learning worker (two processes) instead of one 'all' "
        "worker; memory is then their sum",
    )
    add(
        "--live-events",
        type=int,
        default=LIVE_EVENTS,
        help="events M published during the live-latency phase (default: %(default)s)",
    )
    add(
        "--live-rate",
        type=float,
        default=LIVE_RATE,
        help="events per second of the live-latency phase (default: %(default)s)",
    )
    add(
        "--timeout",
        type=float,
        default=600.0,
        help="seconds each phase may take before the run fails (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.events is None:
        args.events = QUICK_EVENTS if args.quick else DEFAULT_EVENTS
    if args.scoring_workers > 1:
        args.split = True
    if args.events < 1 or args.live_events < 1 or args.live_rate <= 0 or args.scoring_workers < 1:
        parser.error("--events, --live-events and --live-rate must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 1 when a phase failed, 2 when services are down.

    Whatever happens after the namespace is created (an error, Ctrl-C, SIGTERM), the worker and
    the raw consumers are stopped and the namespace is deleted.
    """
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    settings = namespace.bench_settings()
    if not args.emails:  # bulk traffic: bulk workers, which never load the French pipeline
        settings = dataclasses.replace(settings, score_topics=",".join(BULK_TOPICS))
    try:
        namespace.check_services(settings)
    except namespace.ServicesDown as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    info = machine(ROOT)
    _say(
        f"namespace {settings.topic_prefix}* / {settings.redis_prefix}:* on "
        f"{settings.kafka_bootstrap_servers}"
    )
    workdir = Path(tempfile.mkdtemp(prefix="vigie-bench-"))
    try:
        figures = measure(settings, args, workdir)
    except (BenchmarkFailed, WorkerFailed, VigieError) as exc:
        print(f"bench: failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    finally:
        _say("cleaning up the namespace")
        for failure in namespace.cleanup(settings):
            print(f"bench: cleanup: {failure}", file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
    text = report(figures, info, args, settings)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.md").write_text(text)
    payload = {
        "machine": info,
        "events": figures["publish"]["events"],
        "seed": args.seed,
        "live_rate": args.live_rate,
        "namespace": settings.topic_prefix,
        "figures": figures,
        "table": [
            {"measure": r.measure, "value": r.value, "baseline": r.baseline, "ratio": r.ratio}
            for r in rows(figures)
        ],
    }
    (RESULTS / "latest.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
