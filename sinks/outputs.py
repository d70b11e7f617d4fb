"""What processing hands to the sinks: alerts, latest-state updates and dead letters.

These are plain data; the processing functions build them, the sinks write them. An alert is a
dict shaped like the Avro ``Alert`` record, so the Kafka sink can encode it as it is.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Alert = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where an input event came from: what makes an alert's id deterministic."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An input event that could not be processed, with its original bytes and the reason."""

    source: SourceRef
    key: bytes | None
    value: bytes
    error_type: str
    error_message: str


@dataclass(frozen=True, slots=True)
class StateUpdate:
    """Latest state of one entity (an offer's assessment...), written as a Redis hash."""

    kind: str
    entity_id: str
    fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class Dismissal:
    """An adviser judged an alert not useful or wrong: its cause must not alert again."""

    alert_id: str
    verdict: str


@dataclass(frozen=True, slots=True)
class Erasure:
    """A person to forget (``JobSeekerErased``): the sinks delete what they hold about them.

    ``erasure_id`` and ``requested_by`` go to the audit record; ``jobseeker_id`` never does.
    ``table_entry`` says whether the profile table held the person (its changelog then gets a
    tombstone with the batch); ``models`` are the models told to forget them at their next
    snapshot.
    """

    jobseeker_id: str
    erasure_id: str
    requested_by: str
    requested_at: str  # ISO 8601
    source: SourceRef
    table_entry: bool
    models: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Example:
    """Something model ``model`` must learn, for its single learner (the learning topic).

    ``record`` is an Avro record of type ``record_name``: the input event itself, or what
    scoring derived from it. ``source`` is the input event, by which the learner learns each
    event once however often scoring workers re-deliver it.
    """

    model: str
    record_name: str
    record: dict[str, Any]
    source: SourceRef


@dataclass(slots=True)
class Outputs:
    """Everything one batch produced."""

    alerts: list[Alert] = field(default_factory=list)
    states: list[StateUpdate] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    dismissals: list[Dismissal] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)
    processed: int = 0  # input events processed (scoring)
    learnt: int = 0  # learning examples read (learning)
    # Model versions scoring used for this batch (recorded with the examples, for audits).
    scored_with: dict[str, int] = field(default_factory=dict)
    # (input topic, partition) -> first and last offsets this scoring batch read there.
    scored: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    # Changes of the use cases' tables (streams.table.TableChange), for their changelogs.
    changes: list[Any] = field(default_factory=list)
    # Input events a learner's timers produced (``OfferAged``), for their input topic.
    records: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # People to forget (``JobSeekerErased``): erased from Redis after the batch's other writes.
    erasures: list[Erasure] = field(default_factory=list)
    # id() of an input record that examples carry -> the message bytes it was decoded from:
    # the learning topic gets those bytes again rather than a new encoding of the record.
    input_bytes: dict[int, bytes] = field(default_factory=dict)

    def learn(
        self, model: str, record_name: str, record: dict[str, Any], source: SourceRef
    ) -> None:
        """Send ``record`` to the learner of ``model``."""
        self.examples.append(Example(model, record_name, record, source))

    def publish(self, record_name: str, record: dict[str, Any]) -> None:
        """Send ``record`` to its input topic (keyed by its entity), for scoring workers."""
        self.records.append((record_name, record))

    def mark(self) -> tuple[int, int, int, int, int, int]:
        """Where the outputs stand now, for :meth:`rollback`."""
        return (
            len(self.alerts),
            len(self.states),
            len(self.dismissals),
            len(self.examples),
            len(self.records),
            len(self.erasures),
        )

    def rollback(self, mark: tuple[int, int, int, int, int, int]) -> None:
        """Drop what was added since ``mark``: an event that failed half-way causes nothing."""
        alerts, states, dismissals, examples, records, erasures = mark
        del self.alerts[alerts:], self.states[states:]
        del self.dismissals[dismissals:], self.examples[examples:], self.records[records:]
        del self.erasures[erasures:]

    def extend(self, other: Outputs) -> None:
        """Append ``other``'s outputs to this one."""
        self.alerts.extend(other.alerts)
        self.states.extend(other.states)
        self.dead_letters.extend(other.dead_letters)
        self.dismissals.extend(other.dismissals)
        self.examples.extend(other.examples)
        self.records.extend(other.records)
        self.erasures.extend(other.erasures)
        self.input_bytes.update(other.input_bytes)
        self.processed += other.processed
        self.learnt += other.learnt


def alert_id(source: SourceRef, rule: str) -> str:
    """Deterministic id of the alert ``rule`` raised on ``source``.

    The same event judged by the same rule gives the same id on a restart, a rebalance or a
    replay, which is what lets every sink refuse duplicates.
    """
    cause = f"{source.topic}|{source.partition}|{source.offset}|{rule}"
    return hashlib.blake2b(cause.encode(), digest_size=12).hexdigest()


def cause_alert_id(cause: str, rule: str) -> str:
    """Deterministic id of an alert a timer raised: its cause (``offer:X:age:14``), not an offset.

    A timer's event may be written twice (a learner that delivered it, then died before its
    offsets were committed, writes it again): both copies give the same alert id.
    """
    return hashlib.blake2b(f"{cause}|{rule}".encode(), digest_size=12).hexdigest()


def alert_envelope(
    source: SourceRef,
    rule: str,
    *,
    event_time: datetime,
    audience: tuple[str, str],
    subject: tuple[str, str],
    model: tuple[str, str],
) -> Alert:
    """The fields every alert has: deterministic id, audience, subject, model, source event.

    Use cases add what is theirs (severity, French title, reasons, suggestions, inputs, rule).
    """
    return {
        "alert_id": alert_id(source, rule),
        "alert_type": rule,
        "created_at": datetime.now(UTC),
        "event_time": event_time,
        "audience_kind": audience[0],
        "audience_id": audience[1],
        "subject_kind": subject[0],
        "subject_id": subject[1],
        "model_name": model[0],
        "model_version": model[1],
        "source_topic": source.topic,
        "source_partition": source.partition,
        "source_offset": source.offset,
        "source_timestamp": source.timestamp_ms,
    }


def alert_cause(alert: Alert) -> str:
    """What an alert is about, whatever event raised it: ``offer_low_salary:offer:190HCYJ``.

    An adviser who dismisses an alert dismisses its cause: the same rule on the same subject
    stays quiet afterwards, even when a new event about that subject arrives.
    """
    return f"{alert['alert_type']}:{alert['subject_kind']}:{alert['subject_id']}"
