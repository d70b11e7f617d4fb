"""An isolated, throw-away namespace on the shared broker and Redis, for one benchmark run.

Unique topic prefix, Redis prefix and application id, so a run never reads or disturbs anyone
else's data; :func:`cleanup` deletes everything the run created (topics, Faust's internal
topics, consumer groups, Redis keys).
"""

from __future__ import annotations

import logging
import uuid

import redis
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from streams.admin import create_topics
from streams.settings import Settings, load_settings

logger = logging.getLogger(__name__)

HINT = "start the local services with `make services-up` (or set KAFKA_BOOTSTRAP_SERVERS/REDIS_URL)"


class ServicesDown(Exception):
    """Raised when Kafka or Redis does not answer before the benchmark starts."""


def bench_settings(run_id: str | None = None) -> Settings:
    """Settings of a fresh namespace ``bench-<id>``; everything else from the environment."""
    ns = run_id or uuid.uuid4().hex[:10]
    return load_settings(
        topic_prefix=f"bench-{ns}.",
        redis_prefix=f"bench-{ns}",
        app_id=f"vigie-bench-{ns}",
        web_port=0,
        log_level="WARNING",
    )


def worker_env(s: Settings) -> dict[str, str]:
    """Environment that makes a child process (worker, raw consumer) use settings ``s``."""
    return {
        "KAFKA_BOOTSTRAP_SERVERS": s.kafka_bootstrap_servers,
        "REDIS_URL": s.redis_url,
        "VIGIE_TOPIC_PREFIX": s.topic_prefix,
        "VIGIE_REDIS_PREFIX": s.redis_prefix,
        "VIGIE_APP_ID": s.app_id,
        "VIGIE_PARTITIONS": str(s.partitions),
        "VIGIE_BATCH_SIZE": str(s.batch_size),
        "VIGIE_BATCH_WITHIN_S": str(s.batch_within_s),
        "VIGIE_SNAPSHOT_INTERVAL_S": str(s.snapshot_interval_s),
        "VIGIE_DATA_DIR": str(s.data_dir),
        "VIGIE_WEB_PORT": "0",
        "VIGIE_LOG_LEVEL": s.log_level,
    }


def _admin(s: Settings) -> AdminClient:
    return AdminClient({"bootstrap.servers": s.kafka_bootstrap_servers})


def check_services(s: Settings, timeout_s: float = 5.0) -> None:
    """Raise :class:`ServicesDown` with what to do when Kafka or Redis does not answer."""
    problems = []
    try:
        _admin(s).list_topics(timeout=timeout_s)
    except KafkaException as exc:
        problems.append(f"Kafka at {s.kafka_bootstrap_servers} does not answer ({exc})")
    client = redis.Redis.from_url(s.redis_url, socket_connect_timeout=timeout_s)
    try:
        client.ping()
    except redis.RedisError as exc:
        problems.append(f"Redis does not answer ({type(exc).__name__}: {exc})")
    finally:
        client.close()
    if problems:
        raise ServicesDown("; ".join(problems) + f": {HINT}")


def create(s: Settings) -> None:
    """Create the namespace's topics (``VIGIE_PARTITIONS`` partitions each, default 4)."""
    create_topics(s)


def cleanup(s: Settings, *, timeout_s: float = 30.0) -> list[str]:
    """Delete the namespace's topics, consumer groups and Redis keys; returns what failed.

    Best effort: a failure is reported, never raised, so it cannot hide the benchmark's own
    error when cleaning up after one.
    """
    failures: list[str] = []
    admin = _admin(s)
    try:
        names = admin.list_topics(timeout=timeout_s).topics
        # Faust names its internal topics after the app id (e.g. `<app id>-__assignor-__leader`).
        ours = [n for n in names if n.startswith((s.topic_prefix, f"{s.app_id}-"))]
        for name, future in (
            admin.delete_topics(ours, operation_timeout=timeout_s).items() if ours else []
        ):
            try:
                future.result()
            except KafkaException as exc:
                failures.append(f"topic {name}: {exc}")
        groups = [s.app_id, f"{s.app_id}-raw"]
        deleted = admin.delete_consumer_groups(groups, request_timeout=timeout_s)
        for group, future in deleted.items():
            try:
                future.result()
            except KafkaException as exc:
                if "GROUP_ID_NOT_FOUND" not in str(exc):
                    failures.append(f"group {group}: {exc}")
    except KafkaException as exc:
        failures.append(f"Kafka: {exc}")
    try:
        client = redis.Redis.from_url(s.redis_url, socket_timeout=timeout_s)
        batch: list[bytes] = []
        for key in client.scan_iter(f"{s.redis_prefix}:*", count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
        client.close()
    except redis.RedisError as exc:
        failures.append(f"Redis: {exc}")
    return failures
