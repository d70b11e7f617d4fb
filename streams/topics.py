"""Kafka topics of Vigie and which event types travel on each.

Events about one entity share a topic keyed by the entity id, so Kafka keeps them in order:
an offer's OfferClosed always follows its OfferPosted, a job seeker's exit follows the profile.
The record type inside a topic is told by the Avro fingerprint, not by the topic.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from streams.settings import INPUT_TOPIC_NAMES, Settings


@dataclass(frozen=True)
class TopicSpec:
    """A topic Vigie owns: short name, partitioning and retention."""

    name: str
    records: tuple[str, ...]
    key_field: str | None
    partitions: int | None = None  # None: settings.partitions
    retention_ms: int | None = None  # None: broker default
    description: str = ""
    compact: bool = False  # keep only the newest message per key


DAY_MS = 86_400_000

TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(
        "offers",
        ("OfferPosted", "OfferClosed", "OfferAged"),
        "offer_id",
        description="Job offers posted by employers and their closure (filled, expired...).",
    ),
    TopicSpec(
        "jobseekers",
        ("JobSeekerProfileUpdated", "JobSeekerExited", "OfferProposed", "JobSeekerErased"),
        "jobseeker_id",
        description="Job-seeker profile updates, exits from the register, the offers "
        "proposed to them and their erasure requests.",
    ),
    TopicSpec(
        "emails",
        ("EmailReceived",),
        "jobseeker_id",
        retention_ms=30 * DAY_MS,  # bodies are personal data: keep them no longer than needed
        description="Emails job seekers send to their advisers.",
    ),
    TopicSpec(
        "feedback",
        ("AdviserFeedback",),
        "target_id",
        description="Advisers' answers to alerts, intents and drafts.",
    ),
    TopicSpec(
        "alerts",
        ("Alert",),
        "alert_id",
        retention_ms=400 * DAY_MS,  # audits look back a year
        description="Every alert Vigie raised, for systems that prefer Kafka to Redis.",
    ),
    TopicSpec(
        "deadletter",
        (),
        None,
        retention_ms=30 * DAY_MS,
        description="Input events that could not be processed: original bytes + reason headers.",
    ),
    TopicSpec(
        "erasures",
        (),
        "erasure_id",
        partitions=1,
        retention_ms=-1,  # the proof that a person was forgotten is kept (it names no one)
        description="Audit record of every erasure (JobSeekerErased), JSON: the requester's "
        "reference, who asked, when, what was deleted; never the person's id.",
    ),
    TopicSpec(
        "jobseeker-profiles",
        (),
        "jobseeker_id",
        compact=True,
        description="Changelog of each job seeker's profile state (JSON), co-partitioned "
        "with the job-seekers and emails topics: what a worker restores on taking one over.",
    ),
    TopicSpec(
        "learning",
        ("LearningExample",),
        "model name",
        retention_ms=7 * DAY_MS,  # far beyond a snapshot interval: a learner re-reads from there
        description="What each model must learn, from scoring workers to the model's one learner.",
    ),
    TopicSpec(
        "scored",
        (),
        "input topic:partition",
        retention_ms=7 * DAY_MS,  # as the learning topic, whose scored_with it completes
        description="Which model versions scored each range of input offsets (JSON, one "
        "record per input partition of a scoring batch), so a replay knows the versions of "
        "events that taught no model (timers, dead letters, feedback).",
    ),
    TopicSpec(
        "model-snapshots",
        (),
        "model name",
        partitions=1,  # one partition keeps every model's versions in order
        retention_ms=-1,  # every version is kept for audits
        description="Versioned snapshots of every River model (pickles).",
    ),
    TopicSpec(
        "model-latest",
        (),
        "model name",
        partitions=1,
        compact=True,
        description="The newest snapshot of each model (compacted): what a worker reads at start.",
    ),
)

BY_NAME: dict[str, TopicSpec] = {t.name: t for t in TOPICS}
LEARNING_TOPIC = "learning"
INPUT_TOPICS: tuple[str, ...] = INPUT_TOPIC_NAMES
# Input event type -> its topic. Alerts are Vigie's output: nobody publishes them from outside.
RECORD_TOPIC: dict[str, TopicSpec] = {
    r: t for t in TOPICS if t.name in INPUT_TOPICS for r in t.records
}


def topic_for_record(record_name: str) -> TopicSpec:
    """The topic an event type is published on; KeyError for a type that is not an input."""
    return RECORD_TOPIC[record_name]


def record_key(record_name: str, record: dict[str, object]) -> str:
    """Partitioning key of a record: the id of the entity it is about."""
    spec = topic_for_record(record_name)
    assert spec.key_field is not None
    return str(record[spec.key_field])


def partitions_of(spec: TopicSpec, settings: Settings) -> int:
    """Partitions a topic is created with."""
    return spec.partitions or settings.partitions


def learning_partition(model: str, partitions: int) -> int:
    """The partition of the learning topic that carries ``model``'s examples.

    Chosen by Vigie rather than by a client's partitioner, so the worker that owns it knows
    which learners are its own. Every example of a model lands on one partition, hence one
    consumer of the worker group: one learner per model.
    """
    return zlib.crc32(model.encode()) % partitions
