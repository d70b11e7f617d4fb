"""Integration fixtures: an isolated namespace per test on the real broker and Redis.

Each test gets its own topic prefix, Redis prefix and consumer group, so tests never see each
other's events, and ``worker_factory`` runs real ``vigie worker`` processes against them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from confluent_kafka import Consumer, TopicPartition

from schemas.codec import Codec, SchemaRegistry
from sinks.redis_sink import RedisSink
from streams.admin import create_topics, delete_namespace
from streams.modelstore import KafkaModelStore
from streams.publisher import Publisher
from streams.security import kafka_config, open_redis
from streams.settings import PROJECT_ROOT, Settings, load_settings

pytestmark = pytest.mark.integration


# Waits, never timing assertions. Long enough for a worker's start on a loaded 2-core machine
# (the French pipeline, the warm start, the group's first rebalance), which took over 60 s
# twice in one stop while a soak ran beside the suite.
DEFAULT_WAIT_S = 120.0


def wait_for(
    predicate: Callable[[], Any], timeout_s: float = DEFAULT_WAIT_S, what: str = "condition"
) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test after the timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout_s:.0f}s waiting for {what}")


def free_ports(n: int) -> list[int]:
    """``n`` TCP ports of the loopback free at this moment (for servers a test starts)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_for_offers(
    client: redis.Redis,
    settings: Settings,
    offer_ids: Iterable[str],
    timeout_s: float = DEFAULT_WAIT_S,
) -> None:
    """Wait until the worker has written an assessment for every offer of ``offer_ids``."""
    for offer_id in offer_ids:
        wait_for(
            lambda o=offer_id: client.exists(settings.key("offer", o)),
            timeout_s=timeout_s,
            what=f"offer {offer_id} processed",
        )


def wait_for_model(
    client: redis.Redis,
    settings: Settings,
    name: str,
    covers: Callable[[dict[str, Any]], bool],
    timeout_s: float = 60.0,
) -> int:
    """Wait until every live worker scores with a snapshot of ``name`` that ``covers`` accepts.

    ``covers`` reads the snapshot's metadata (e.g. how many open offers it holds). Scoring
    workers pick a learner's snapshot up within ``VIGIE_MODEL_REFRESH_S``; they say which
    version they serve in Redis (``<p>:serving:<model>:<worker>``). Returns the version.
    """
    store = KafkaModelStore(settings)

    def published() -> int | None:
        store.refresh()
        snapshot = store.latest(name)
        return snapshot.version if snapshot and covers(snapshot.metadata) else None

    version = wait_for(published, timeout_s=timeout_s, what=f"a snapshot of {name}")
    sink = RedisSink(settings, client=client)

    def served() -> bool:
        versions = sink.serving_versions(name)
        return bool(versions) and min(versions.values()) >= version

    wait_for(served, timeout_s=timeout_s, what=f"every worker serving {name} v{version}")
    return version


def namespace_settings(
    kafka_bootstrap: str, redis_url: str, env: Mapping[str, str] | None = None
) -> Settings:
    """Settings of a new, isolated namespace (topics, Redis keys, consumer groups), tuned so
    that workers snapshot and pick snapshots up within a second (``env``: more variables, e.g.
    the security settings of a secured broker)."""
    ns = uuid.uuid4().hex[:10]
    return load_settings(
        {**(env or {}), "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "REDIS_URL": redis_url},
        topic_prefix=f"it-{ns}.",
        redis_prefix=f"it-{ns}",
        app_id=f"vigie-it-{ns}",
        partitions=2,
        batch_within_s=0.05,
        snapshot_interval_s=1.0,
        email_snapshot_interval_s=1.0,
        model_refresh_s=0.5,
        web_port=0,
    )


@pytest.fixture
def settings(kafka_bootstrap: str, redis_url: str) -> Iterator[Settings]:
    """Settings of a fresh, isolated namespace, with its topics created (deleted after)."""
    s = namespace_settings(kafka_bootstrap, redis_url)
    create_topics(s)
    yield s
    failures = delete_namespace(s)
    assert not failures, f"cleaning up the test namespace failed: {failures}"


def settings_env(s: Settings) -> dict[str, str]:
    """Environment that makes a child process use settings ``s`` (Faust web server off)."""
    return {**s.to_env(), "VIGIE_WEB_PORT": "0"}


@dataclass
class WorkerProcess:
    """A ``vigie worker`` child process and its log."""

    proc: subprocess.Popen[bytes]
    log_path: Path
    logs: list[Path] = field(default_factory=list)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, no final commit, no final snapshot."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM and wait: a graceful stop."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def worker_factory(
    settings: Settings, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[], WorkerProcess]]:
    """Start real workers on the test's namespace; every one is stopped at teardown."""
    started: list[WorkerProcess] = []

    def start(role: str = "all") -> WorkerProcess:
        log_path = tmp_path / f"worker-{len(started)}.log"
        env = {**os.environ, **settings_env(settings)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker", "--role", role],
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            env=env,
            cwd=PROJECT_ROOT,
        )
        worker = WorkerProcess(proc, log_path)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        for worker in started:
            print(f"--- {worker.log_path.name} (last 60 lines) ---")
            print("\n".join(worker.log().splitlines()[-60:]))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the test item, so fixtures can tell a failed test."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def redis_client(settings: Settings) -> Iterator[redis.Redis]:
    """A Redis client (the ``settings`` fixture deletes the test's keys afterwards)."""
    client = open_redis(settings, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def publisher(settings: Settings) -> Iterator[Publisher]:
    """A publisher on the test's namespace."""
    pub = Publisher(settings)
    yield pub
    pub.flush()


@pytest.fixture
def codec() -> Codec:
    """The codec over the schemas kept in ``schemas/``."""
    return Codec(SchemaRegistry.default())


def read_topic(
    settings: Settings,
    short_name: str,
    *,
    expect: int = 0,
    timeout_s: float = 30.0,
    isolation: str = "read_committed",
) -> list[Any]:
    """Every message of a topic, read from the start (waits until ``expect`` are there)."""
    topic = settings.topic(short_name)
    consumer = Consumer(
        {
            **kafka_config(settings),
            "group.id": f"reader-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "isolation.level": isolation,
        }
    )
    try:
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        consumer.assign([TopicPartition(topic, p, 0) for p in meta.partitions])
        messages: list[Any] = []
        deadline = time.monotonic() + timeout_s
        idle_deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                if len(messages) >= expect and time.monotonic() > idle_deadline:
                    break
                continue
            if msg.error():
                continue
            messages.append(msg)
            idle_deadline = time.monotonic() + 2.0
        return messages
    finally:
        consumer.close()
