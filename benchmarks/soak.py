"""``make soak``: a million simulated events through one worker, at a steady rate, sampled.

    .venv/bin/python benchmarks/soak.py [--events 1000000] [--rate 400] [--state-ttl-days 30]
                                        [--no-replay]

One ``vigie worker`` on a throw-away namespace follows simulated agency traffic published at
``--rate`` events/s (a live stream, not a backlog). Every ``--sample-s`` seconds the run records
the worker's resident memory (VmRSS), its consumer group's lag on the input topics, Redis's
memory and, less often, the run's own Redis keys and their memory (``MEMORY USAGE``; the server's
``used_memory`` counts other namespaces too) and the size of every model's latest snapshot.

State hashes expire ``VIGIE_STATE_TTL_S`` after their last write, in wall time, while the soak
simulates a day in about a second: the worker runs with that TTL scaled to the simulated clock
(``--state-ttl-days`` simulated days, 30 as in production, i.e. ``days x
spontaneous_per_day / rate`` seconds), and so are the alert ids kept against duplicates
(``--dedup-ttl-days``, 90 as in production), and so is the age at which alerts leave the
Redis streams (``--stream-days``, 30 as in production), so the run shows the bound production
has. Stream length caps are production's. At the end: event-to-alert
latency of every alert, RSS at 10 %, 50 % and 100 % of the events, snapshot sizes and Redis
memory over time, then ``vigie replay --models recorded`` over the whole run. The figures go
to stdout and ``benchmarks/results/soak.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks` importable as a package
    sys.path.insert(0, str(ROOT))

from confluent_kafka import KafkaException  # noqa: E402

from benchmarks import namespace  # noqa: E402
from benchmarks.fuzz import input_lag  # noqa: E402
from benchmarks.stats import summarize  # noqa: E402
from benchmarks.worker import WorkerProcess, alert_entries  # noqa: E402
from streams.modelstore import KafkaModelStore  # noqa: E402
from streams.security import open_redis  # noqa: E402
from streams.settings import Settings  # noqa: E402
from streams.simulate import run_simulation  # noqa: E402
from streams.simulator import SimConfig  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def rss_mib(pid: int) -> float | None:
    """The process's resident set size now (VmRSS), in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


MODELS = ("offer-intelligence", "offer-jobseeker-supply", "jobseeker-diagnostic", "email-triage")


def scaled_state_ttl_s(days: float, rate: float) -> int:
    """Wall seconds in which the simulator publishing ``rate`` events/s covers ``days``
    simulated days, counted on its spontaneous events (scheduled closures and exits add to the
    rate, so the TTL covers somewhat fewer simulated days than asked)."""
    return max(1, math.ceil(days * SimConfig().spontaneous_per_day / rate))


def namespace_redis(client: Any, settings: Settings) -> tuple[int, float]:
    """(keys, MiB by ``MEMORY USAGE``) of this run's namespace in Redis."""
    keys = used = 0
    batch: list[bytes] = []

    def flush() -> int:
        pipe = client.pipeline(transaction=False)
        for key in batch:
            pipe.memory_usage(key, samples=0)
        total = sum(n or 0 for n in pipe.execute())
        batch.clear()
        return total

    for key in client.scan_iter(match=settings.key("*"), count=2000):
        keys += 1
        batch.append(key)
        if len(batch) >= 2000:
            used += flush()
    if batch:
        used += flush()
    return keys, used / 2**20


def snapshot_sizes(store: KafkaModelStore) -> dict[str, int]:
    """Bytes of every model's latest snapshot."""
    store.refresh()
    return {name: snap.size for name in MODELS if (snap := store.latest(name))}


class Sampler:
    """Samples the worker, its lag, Redis and the snapshots until told to stop."""

    def __init__(self, settings: Settings, worker: WorkerProcess, every_s: float) -> None:
        self.settings, self.worker, self.every_s = settings, worker, every_s
        self.samples: list[dict[str, Any]] = []
        self.redis = open_redis(settings, socket_timeout=30)
        self.store = KafkaModelStore(settings)
        self.started = time.monotonic()
        # Event-to-alert latencies, read as alerts arrive: the streams keep only the last
        # (scaled) 30 days.
        self.latencies: list[float] = []
        self._last_entry = ""

    def read_latencies(self) -> None:
        """The latency of every alert added to the ``all`` stream since the last call: its
        entry's id (the Redis clock when added) minus its causing event's Kafka timestamp."""
        key = self.settings.key("alerts", "all")
        for entry_id, entry_ms, alert in alert_entries(self.redis, key, after=self._last_entry):
            self.latencies.append(float(entry_ms - alert["source_timestamp"]))
            self._last_entry = entry_id

    def memory(self) -> dict[str, float]:
        """The worker's own memory breakdown (``streams.memory.breakdown``, MiB), as it last
        wrote it to Redis with the versions it serves."""
        keys = list(self.redis.scan_iter(match=self.settings.key("memory", "*"), count=100))
        if not keys:
            return {}
        raw = self.redis.hgetall(keys[0])
        return {(k.decode() if isinstance(k, bytes) else k): float(v) for k, v in raw.items()}

    def sample(self, *, snapshots: bool) -> dict[str, Any]:
        on_topics, lag = input_lag(self.settings)
        row: dict[str, Any] = {
            "t_s": round(time.monotonic() - self.started, 1),
            "on_topics": on_topics,
            "done": on_topics - lag,
            "lag": lag,
            "rss_mib": rss_mib(self.worker.pid),
            "redis_used_mib": int(self.redis.info("memory")["used_memory"]) / 2**20,
            "counted": self.worker.counted(),
            "memory": self.memory(),
        }
        self.read_latencies()
        if snapshots:
            row["snapshots"] = snapshot_sizes(self.store)
            row["redis_keys"], row["redis_namespace_mib"] = namespace_redis(
                self.redis, self.settings
            )
        self.samples.append(row)
        return row


def _at_share(samples: list[dict[str, Any]], total: int, share: float) -> dict[str, Any]:
    """The first sample once ``share`` of the events were done."""
    for row in samples:
        if row["done"] >= share * total:
            return row
    return samples[-1]


def run(args: argparse.Namespace, settings: Settings, workdir: Path) -> dict[str, Any]:
    """Every phase; returns the figures."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    worker = WorkerProcess(settings, RESULTS / "soak-worker.log", workdir)
    worker.start()
    published: dict[str, Any] = {}

    def publish() -> None:
        stats = run_simulation(settings, seed=args.seed, events=args.events, rate=args.rate)
        published.update(events=sum(stats.published.values()), seconds=stats.seconds)

    publisher = threading.Thread(target=publish, name="soak-publisher", daemon=True)
    sampler = Sampler(settings, worker, args.sample_s)
    # A live stream: publishing starts once the worker has joined its group and loaded its
    # models, so no event waits for the start-up.
    serving = settings.key("serving", "*")
    while not sampler.redis.keys(serving):
        if worker.proc is not None and worker.proc.poll() is not None:
            raise RuntimeError("the worker exited during start-up:\n" + worker.log_tail())
        time.sleep(0.5)
    publisher.start()
    failure, n, last_move, last_done = "", 0, time.monotonic(), -1
    try:
        while True:
            time.sleep(args.sample_s)
            n += 1
            try:
                row = sampler.sample(snapshots=n % 3 == 0)
            except KafkaException as exc:  # a slow broker answer costs a sample, not the run
                print(json.dumps({"sample_failed": str(exc)}), flush=True)
                continue
            print(json.dumps(row), flush=True)
            if worker.proc is not None and worker.proc.poll() is not None:
                failure = f"worker exited with code {worker.proc.returncode}"
                break
            if row["done"] != last_done:
                last_done, last_move = row["done"], time.monotonic()
            elif time.monotonic() - last_move > args.stall_s:
                failure = f"no progress for {args.stall_s:.0f}s"
                break
            if not publisher.is_alive() and row["lag"] == 0:
                break
        final = sampler.sample(snapshots=True)
    finally:
        exit_code = worker.stop()
    client = open_redis(settings, socket_timeout=60)
    try:
        sampler.read_latencies()
        latencies = sampler.latencies
        dead = int(client.hget(settings.key("metrics", "worker"), "dead_letters") or 0)
    finally:
        client.close()
    total = final["on_topics"]
    samples = sampler.samples
    figures: dict[str, Any] = {
        "events": args.events,
        "rate": args.rate,
        "published": published,
        "failure": failure,
        "worker_exit_code": exit_code,
        "on_topics": total,
        "dead_letters": dead,
        "wall_s": final["t_s"],
        "max_lag": max(r["lag"] for r in samples),
        "rss_mib": {
            f"{int(s * 100)}%": _at_share(samples, total, s)["rss_mib"] for s in (0.1, 0.5, 1.0)
        },
        "memory_mib": {
            f"{int(s * 100)}%": _at_share(samples, total, s).get("memory") for s in (0.1, 0.5, 1.0)
        },
        "state_ttl_s": settings.state_ttl_s,
        "dedup_ttl_s": settings.dedup_ttl_s,
        "stream_retention_s": settings.alert_stream_retention_s,
        "redis_used_mib": {
            f"{int(s * 100)}%": _at_share(samples, total, s)["redis_used_mib"]
            for s in (0.1, 0.5, 1.0)
        },
        "redis_namespace": [
            {
                "t_s": r["t_s"],
                "done": r["done"],
                "keys": r["redis_keys"],
                "mib": round(r["redis_namespace_mib"], 1),
            }
            for r in samples
            if "redis_keys" in r
        ],
        "snapshots": [
            {"t_s": r["t_s"], "done": r["done"], **r["snapshots"]}
            for r in samples
            if "snapshots" in r
        ],
        "alert_latency_ms": summarize(latencies),
        "samples": samples,
    }
    if not args.no_replay and not failure:
        from benchmarks.run import BenchmarkFailed, replay_throughput

        try:
            figures["replay"] = replay_throughput(settings, workdir / "replay", timeout_s=3600)
        except BenchmarkFailed as exc:  # the soak's own figures still count: keep them
            figures["replay_failure"] = str(exc)[:500]
    return figures


def report(f: dict[str, Any]) -> None:
    """The figures, readable."""
    print(
        f"events on the input topics: {f['on_topics']:,} at {f['rate']:.0f}/s asked; "
        f"wall {f['wall_s']:.0f}s; dead letters {f['dead_letters']}; max lag {f['max_lag']:,}; "
        f"failure: {f['failure'] or 'none'}"
    )
    print(
        "worker RSS (MiB) at 10 %, 50 %, 100 %: "
        + ", ".join(f"{v:.0f}" for v in f["rss_mib"].values() if v is not None)
    )
    for share, parts in f.get("memory_mib", {}).items():
        print(f"  worker memory at {share} (MiB; python_blocks in millions): {parts}")
    print(
        "Redis used memory (MiB, whole server) at 10 %, 50 %, 100 %: "
        + ", ".join(f"{v:.1f}" for v in f["redis_used_mib"].values())
    )
    ns = f["redis_namespace"]
    print(
        f"the run's Redis keys (state TTL {f['state_ttl_s']} s, "
        f"dedup TTL {f.get('dedup_ttl_s')} s, stream retention {f.get('stream_retention_s')} s):"
    )
    for row in ns[:: max(1, len(ns) // 8)] + ns[-1:]:
        print("  ", row)
    lat = f["alert_latency_ms"]
    print(
        f"event-to-alert latency (ms): {lat['count']:,} alerts, p50 {lat['p50']}, "
        f"p95 {lat['p95']}, p99 {lat['p99']}, max {lat['max']}"
    )
    for row in f["snapshots"][:: max(1, len(f["snapshots"]) // 8)] + f["snapshots"][-1:]:
        print("  snapshots at", row)
    if "replay" in f:
        r = f["replay"]
        print(f"replay: wall {r['wall_s']:.0f}s, summary {r['summary']}")
    if "replay_failure" in f:
        print(f"replay: FAILED: {f['replay_failure']}")


def _interrupted(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    """``make soak``."""
    parser = argparse.ArgumentParser(prog="benchmarks/soak.py", description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=400.0, help="events per second")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--sample-s", type=float, default=10.0)
    parser.add_argument("--stall-s", type=float, default=300.0)
    parser.add_argument(
        "--state-ttl-days",
        type=float,
        default=30.0,
        help="simulated days a state hash lives (VIGIE_STATE_TTL_S scaled to the run)",
    )
    parser.add_argument(
        "--dedup-ttl-days",
        type=float,
        default=90.0,
        help="simulated days an alert id is remembered (VIGIE_DEDUP_TTL_S scaled to the run)",
    )
    parser.add_argument(
        "--stream-days",
        type=float,
        default=30.0,
        help="simulated days an alert stays in the Redis streams "
        "(VIGIE_ALERT_STREAM_RETENTION_S scaled to the run)",
    )
    parser.add_argument("--no-replay", action="store_true")
    args = parser.parse_args()
    # make runs us in the background with SIGINT ignored: a SIGTERM must still clean up.
    signal.signal(signal.SIGTERM, _interrupted)
    settings = dataclasses.replace(
        namespace.bench_settings(),
        state_ttl_s=scaled_state_ttl_s(args.state_ttl_days, args.rate),
        dedup_ttl_s=scaled_state_ttl_s(args.dedup_ttl_days, args.rate),
        alert_stream_retention_s=scaled_state_ttl_s(args.stream_days, args.rate),
    )
    namespace.check_services(settings)
    namespace.create(settings)
    try:
        with tempfile.TemporaryDirectory(prefix="vigie-soak-") as tmp:
            figures = run(args, settings, Path(tmp))
    finally:
        namespace.cleanup(settings)
    (RESULTS / "soak.json").write_text(json.dumps(figures, indent=2, default=str))
    report(figures)
    return 1 if figures["failure"] else 0


if __name__ == "__main__":
    sys.exit(main())
