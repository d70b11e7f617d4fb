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

from streams.admin import create_topics, delete_namespace
from streams.security import kafka_config, open_redis
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
    return {**s.to_env(), "VIGIE_WEB_PORT": "0"}


def _admin(s: Settings, **config: object) -> AdminClient:
    return AdminClient(kafka_config(s, **config))


def check_services(s: Settings, timeout_s: float = 5.0) -> None:
    """Raise :class:`ServicesDown` with what to do when Kafka or Redis does not answer."""
    problems = []
    try:
        # librdkafka's own connection-refused lines would only repeat the error reported here.
        _admin(s, log_level=2).list_topics(timeout=timeout_s)
    except KafkaException as exc:
        problems.append(f"Kafka at {s.kafka_bootstrap_servers} does not answer ({exc})")
    client = open_redis(s, socket_connect_timeout=timeout_s)
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
    """Delete the namespace's topics, consumer groups and Redis keys; returns what failed."""
    return delete_namespace(s, extra_groups=(f"{s.app_id}-raw",), timeout_s=timeout_s)
