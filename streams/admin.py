"""Topic administration: create Vigie's topics with their settings, idempotently."""

from __future__ import annotations

import time

import redis
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from streams.errors import ServiceUnavailableError
from streams.security import kafka_config, open_redis
from streams.settings import Settings
from streams.topics import TOPICS, partitions_of


def _admin(settings: Settings) -> AdminClient:
    return AdminClient(kafka_config(settings))


COMPACTION_BOUND_MS = 86_400_000  # superseded values of a compacted topic live at most a day


def create_topics(settings: Settings, timeout_s: float = 30.0) -> list[str]:
    """Create every missing topic; returns one line per topic saying what was done."""
    admin = _admin(settings)
    try:
        existing = set(admin.list_topics(timeout=timeout_s).topics)
    except KafkaException as exc:
        raise ServiceUnavailableError(
            f"Kafka at {settings.kafka_bootstrap_servers}: {exc}"
        ) from exc
    lines, new = [], []
    for spec in TOPICS:
        name = settings.topic(spec.name)
        if name in existing:
            lines.append(f"exists   {name}")
            continue
        config = {} if spec.retention_ms is None else {"retention.ms": str(spec.retention_ms)}
        if spec.name.startswith("model-"):
            config["max.message.bytes"] = str(20_000_000)
        if spec.compact:
            # Roll segments hourly so old versions are compacted away within the hour; and
            # whatever the dirty ratio, within a day (an erased person's superseded values).
            config.update(
                {
                    "cleanup.policy": "compact",
                    "segment.ms": str(3_600_000),
                    "min.cleanable.dirty.ratio": "0.1",
                    "max.compaction.lag.ms": str(COMPACTION_BOUND_MS),
                }
            )
        new.append(
            NewTopic(name, partitions_of(spec, settings), settings.replication, config=config)
        )
    for name, future in (
        admin.create_topics(new, operation_timeout=timeout_s).items() if new else []
    ):
        try:
            future.result()
            lines.append(f"created  {name}")
        except KafkaException as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise ServiceUnavailableError(f"could not create {name}: {exc}") from exc
            lines.append(f"exists   {name}")
    _wait_for_leaders(admin, [t.topic for t in new], timeout_s)
    return lines


def _wait_for_leaders(admin: AdminClient, names: list[str], timeout_s: float) -> None:
    """Block until every partition of ``names`` has a leader: a topic just created may not."""
    deadline = time.monotonic() + timeout_s
    while names and time.monotonic() < deadline:
        topics = admin.list_topics(timeout=timeout_s).topics
        if all(
            name in topics
            and topics[name].partitions
            and all(p.leader >= 0 for p in topics[name].partitions.values())
            for name in names
        ):
            return
        time.sleep(0.1)


def describe_topics(settings: Settings, timeout_s: float = 30.0) -> list[str]:
    """One line per Vigie topic: partitions and what it carries."""
    metadata = _admin(settings).list_topics(timeout=timeout_s)
    lines = []
    for spec in TOPICS:
        name = settings.topic(spec.name)
        topic = metadata.topics.get(name)
        state = f"{len(topic.partitions)} partition(s)" if topic else "MISSING"
        lines.append(f"{name:32} {state:16} {spec.description}")
    return lines


def delete_namespace(
    s: Settings, *, extra_groups: tuple[str, ...] = (), timeout_s: float = 30.0
) -> list[str]:
    """Delete a namespace's topics, consumer groups and Redis keys; returns what failed.

    For test and benchmark namespaces. Best effort: failures are reported, never raised, so
    cleaning up after an error cannot hide that error.
    """
    failures: list[str] = []
    admin = _admin(s)
    try:
        names = admin.list_topics(timeout=timeout_s).topics
        # Faust names its internal topics after the app id (`<app id>-__assignor-__leader`).
        ours = [n for n in names if n.startswith((s.topic_prefix, f"{s.app_id}-"))]
        for name, future in (
            admin.delete_topics(ours, operation_timeout=timeout_s).items() if ours else []
        ):
            try:
                future.result()
            except KafkaException as exc:
                failures.append(f"topic {name}: {exc}")
        groups = [
            s.app_id,
            f"{s.app_id}-relearn",
            f"{s.app_id}-learning",
            f"{s.app_id}-learning-relearn",
            "vigie-modelstore-reader",
            *extra_groups,
        ]
        failures += _delete_groups(admin, groups, timeout_s)
    except KafkaException as exc:
        failures.append(f"Kafka: {exc}")
    try:
        client = open_redis(s, socket_timeout=timeout_s)
        keys = list(client.scan_iter(f"{s.redis_prefix}:*", count=1000))
        for i in range(0, len(keys), 1000):
            client.delete(*keys[i : i + 1000])
        client.close()
    except redis.RedisError as exc:
        failures.append(f"Redis: {exc}")
    return failures


_GONE = ("GROUP_ID_NOT_FOUND", "NON_EMPTY")
# A broker that just started may still be loading its group coordinator: ask again.
_NOT_YET = ("COORDINATOR_LOAD_IN_PROGRESS", "COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR")


def _delete_groups(admin: AdminClient, groups: list[str], timeout_s: float) -> list[str]:
    """Delete consumer groups; returns what could not be deleted, and why."""
    failures: list[str] = []
    pending = list(groups)
    for attempt in range(20):
        retry: list[str] = []
        for group, future in admin.delete_consumer_groups(
            pending, request_timeout=timeout_s
        ).items():
            try:
                future.result()
            except KafkaException as exc:
                if any(code in str(exc) for code in _GONE):
                    continue
                if any(code in str(exc) for code in _NOT_YET) and attempt < 19:
                    retry.append(group)
                else:
                    failures.append(f"group {group}: {exc}")
        if not retry:
            break
        pending = retry
        time.sleep(0.5)
    return failures
