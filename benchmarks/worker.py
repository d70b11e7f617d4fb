"""A real ``vigie worker`` process under measurement: start, watch its counters, stop.

The worker reports progress only through Redis (``<prefix>:metrics:worker``), so throughput is
read from there: sampled every ``interval_s``, the counter ``processed + dead_letters`` gives the
time of the first and of the last batch, with no need to know when the consumer became ready.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import redis

from benchmarks.namespace import worker_env
from benchmarks.system import peak_rss_mib
from streams.security import open_redis
from streams.settings import Settings


class WorkerFailed(Exception):
    """Raised when the worker exits or stalls before it has processed what it was given."""


@dataclass
class Progress:
    """How the worker's counter grew in one phase: the first and the last sample that moved it."""

    started_at: float  # monotonic time the phase (or the process) started
    initial: int  # the counter's value before the phase
    first_change_at: float | None = None
    first_value: int = 0
    last_change_at: float | None = None
    last_value: int = 0

    def __post_init__(self) -> None:
        self.last_value = self.initial

    def observe(self, now: float, value: int) -> None:
        """Record one sample of the counter taken at monotonic time ``now``."""
        if value == self.last_value:
            return
        if self.first_change_at is None:
            self.first_change_at, self.first_value = now, value
        self.last_change_at, self.last_value = now, value

    @property
    def steady_events(self) -> int:
        """Events counted after the first change: those processed within the timed window."""
        return self.last_value - self.first_value

    @property
    def steady_seconds(self) -> float:
        """Time from the first change of the counter to its last."""
        if self.first_change_at is None or self.last_change_at is None:
            return 0.0
        return self.last_change_at - self.first_change_at


class WorkerProcess:
    """One ``python -m streams.cli worker`` child on the benchmark's namespace."""

    def __init__(
        self, settings: Settings, log_path: Path, workdir: Path, role: str = "all"
    ) -> None:
        self.settings = settings
        self.role = role
        self.log_path = log_path
        self.workdir = workdir  # Faust writes `<app id>-data/` in its working directory
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.redis = open_redis(settings, socket_timeout=10)
        self.metrics_key = settings.key("metrics", "worker")

    def start(self) -> None:
        """Start the process (its output goes to ``log_path``)."""
        env = {**os.environ, **worker_env(self.settings)}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.started_at = time.monotonic()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "streams.cli", "worker", "--role", self.role],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.workdir,
            )

    @property
    def pid(self) -> int:
        """The child's process id."""
        assert self.proc is not None
        return self.proc.pid

    def counted(self) -> int:
        """Events the worker has finished with: processed + dead letters."""
        processed, dead = self.redis.hmget(self.metrics_key, ["processed", "dead_letters"])
        return int(processed or 0) + int(dead or 0)

    def learnt(self) -> int:
        """Learning examples the worker's learners have read."""
        return int(self.redis.hget(self.metrics_key, "examples_learnt") or 0)

    def wait_learnt(self, target: int, *, timeout_s: float) -> float:
        """Wait until the learners have read ``target`` examples; returns when (monotonic)."""
        deadline = time.monotonic() + timeout_s
        while self.learnt() < target:
            self.check_alive()
            if time.monotonic() > deadline:
                raise WorkerFailed(
                    f"learners at {self.learnt()}/{target} examples after {timeout_s:.0f}s:\n"
                    + self.log_tail()
                )
            time.sleep(0.1)
        return time.monotonic()

    def wait_for(
        self,
        target: int,
        *,
        timeout_s: float,
        started_at: float | None = None,
        interval_s: float = 0.1,
        stall_s: float = 120.0,
    ) -> Progress:
        """Sample the counter until it reaches ``target``; raise if the worker dies or stalls."""
        progress = Progress(started_at or time.monotonic(), self.counted())
        deadline = time.monotonic() + timeout_s
        last_move = time.monotonic()
        while True:
            now = time.monotonic()
            value = self.counted()
            if value != progress.last_value:
                last_move = now
            progress.observe(now, value)
            if value >= target:
                return progress
            self.check_alive()
            if now > deadline:
                raise WorkerFailed(
                    f"timed out after {timeout_s:.0f}s at {value}/{target} events:\n"
                    + self.log_tail()
                )
            if progress.first_change_at is not None and now - last_move > stall_s:
                raise WorkerFailed(
                    f"no progress for {stall_s:.0f}s at {value}/{target} events:\n"
                    + self.log_tail()
                )
            time.sleep(interval_s)

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise WorkerFailed(
                f"the worker exited with code {self.proc.returncode}:\n" + self.log_tail()
            )

    def peak_rss_mib(self) -> float | None:
        """The worker's VmHWM, read while it still runs."""
        return peak_rss_mib(self.pid)

    def stop(self, timeout_s: float = 60.0) -> int | None:
        """SIGTERM and wait (a graceful stop); SIGKILL if it does not exit in time."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.redis.close()
        return self.proc.returncode

    def log_tail(self, lines: int = 40) -> str:
        """The end of the worker's log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def alert_entries(
    client: redis.Redis, key: str, chunk: int = 5_000, *, after: str = ""
) -> Iterator[tuple[str, int, Any]]:
    """(entry id, entry time in ms, alert) for every entry of an alert stream, oldest first
    (``after``: only the entries after that id)."""
    start = f"({after}" if after else "-"
    while True:
        entries = client.xrange(key, min=start, max="+", count=chunk)
        for entry_id, fields in entries:
            entry_ms = int(entry_id.split(b"-")[0])
            yield entry_id.decode(), entry_ms, orjson.loads(fields[b"json"])
        if len(entries) < chunk:
            return
        start = "(" + entries[-1][0].decode()


def alert_latencies(
    client: redis.Redis, settings: Settings, *, split_ms: int
) -> tuple[list[float], list[float]]:
    """Event-to-alert latencies (ms) of the alerts caused before and after ``split_ms``.

    The latency of an alert is its stream entry's id (the Redis clock when it was added) minus
    its ``source_timestamp`` (the Kafka timestamp the publisher gave its causing event).
    """
    before: list[float] = []
    after: list[float] = []
    for _id, entry_ms, alert in alert_entries(client, settings.key("alerts", "all")):
        source_ms = alert["source_timestamp"]
        (after if source_ms >= split_ms else before).append(float(entry_ms - source_ms))
    return before, after
