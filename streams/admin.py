"""Topic administration: create Vigie's topics with their settings, idempotently."""

from __future__ import annotations

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from streams.errors import ServiceUnavailableError
from streams.settings import Settings
from streams.topics import TOPICS, partitions_of


def _admin(settings: Settings) -> AdminClient:
    return AdminClient({"bootstrap.servers": settings.kafka_bootstrap_servers})


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
        if spec.name == "model-snapshots":
            config["max.message.bytes"] = str(20_000_000)
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
    return lines


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
