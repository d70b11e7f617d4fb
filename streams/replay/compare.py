"""Re-derived alerts against recorded ones: matches, missing, extra and different, explained.

Pure: no I/O. Alerts are compared by id (a hash of the input event and the rule, so the same
event judged by the same rule has the same id live and in a replay), on every field but
``created_at`` (the wall-clock time the alert was built). The alerts topic may hold several
copies of one alert: identical ones (a delivery repeated after a crash, see the README's
guarantees) count once; a copy that differs from the re-derived alert is a difference of its own,
which is how a record altered after the fact shows up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import orjson

from sinks.outputs import Alert, SourceRef, alert_cause
from streams.replay.reading import RecordedAlert
from streams.replay.versions import EXACT, FROM_WORKER, VersionPlan, parse_label

IGNORED_FIELDS = frozenset({"created_at"})
SourceKey = tuple[str, int, int]

MISSING, EXTRA, DIFFERENT = "missing", "extra", "different"


@dataclass(frozen=True, slots=True)
class SeenDismissal:
    """An adviser's dismissal read from the feedback topic during the replay."""

    alert_id: str
    verdict: str
    source: SourceRef  # the feedback event


@dataclass(frozen=True, slots=True)
class Alternative:
    """The event of an extra alert re-scored with the version saved after the one used."""

    version: str
    saved_after_event_s: float
    raises: bool


@dataclass
class Facts:
    """What the replay learnt about events, for explanations."""

    dead_letters: dict[SourceKey, str] = field(default_factory=dict)
    dismissals: list[SeenDismissal] = field(default_factory=list)
    alternatives: dict[str, Alternative] = field(default_factory=dict)  # by alert id


@dataclass(frozen=True)
class Difference:
    """One recorded alert the replay does not reproduce, or one it adds, and why."""

    kind: str  # missing | extra | different
    code: str  # machine-readable cause, e.g. score_differs
    explanation: str
    alert: Alert  # the recorded copy (missing, different) or the re-derived alert (extra)
    recorded_version: str | None
    replay_version: str | None
    fields: tuple[tuple[str, Any, Any], ...] = ()  # (field, recorded, re-derived)
    copy_at: tuple[int, int] | None = None  # (partition, offset) on the alerts topic
    chosen_as: str | None = None  # how the replay chose the version of the alert's model

    def sort_key(self) -> tuple[Any, ...]:
        """Order of the report: by input event, then alert, then kind and copy."""
        a = self.alert
        return (
            a["source_topic"],
            a["source_partition"],
            a["source_offset"],
            a["alert_id"],
            self.kind,
            self.copy_at or (-1, -1),
        )


@dataclass
class Comparison:
    """The outcome of comparing one replay with the alerts topic."""

    matches: list[Alert] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    identical_copies: int = 0  # recorded more than once, identically (a repeated delivery)


def comparable(alert: Alert) -> dict[str, Any]:
    """The fields that must be equal for two copies of an alert to be the same alert."""
    return {k: v for k, v in alert.items() if k not in IGNORED_FIELDS}


def fingerprint(alert: Alert) -> bytes:
    """A canonical byte form of :func:`comparable` (dict order does not matter)."""
    return orjson.dumps(comparable(alert), option=orjson.OPT_SORT_KEYS, default=jsonable)


def jsonable(value: Any) -> Any:
    """JSON form of what alerts hold: datetimes as ISO 8601 UTC, the rest as it is."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def field_diffs(recorded: Alert, rederived: Alert) -> tuple[tuple[str, Any, Any], ...]:
    """The fields that differ, in name order."""
    a, b = comparable(recorded), comparable(rederived)
    return tuple((k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k))


def epoch_ms(value: datetime | int) -> int:
    """Epoch milliseconds of an Avro ``timestamp-millis`` (decoded as a datetime, or an int)."""
    return round(value.timestamp() * 1000) if isinstance(value, datetime) else int(value)


def source_of(alert: Alert) -> SourceRef:
    """The input event that raised ``alert``."""
    return SourceRef(
        alert["source_topic"],
        int(alert["source_partition"]),
        int(alert["source_offset"]),
        epoch_ms(alert["source_timestamp"]),
    )


def _key(alert: Alert) -> SourceKey:
    return (alert["source_topic"], int(alert["source_partition"]), int(alert["source_offset"]))


class _Explainer:
    """Turns each kind of difference into a code and an operator-readable sentence."""

    def __init__(
        self,
        plan: VersionPlan,
        facts: Facts,
        recorded_by_event: Mapping[SourceKey, list[Alert]],
        rederived_by_event: Mapping[SourceKey, list[Alert]],
        causes: Mapping[str, str],
    ) -> None:
        self.plan, self.facts = plan, facts
        self.recorded_by_event = recorded_by_event
        self.rederived_by_event = rederived_by_event
        self.causes = causes  # alert id -> cause, for dismissals

    @property
    def what_if(self) -> bool:
        return self.plan.mode == "current"

    def different(
        self, rec: Alert, red: Alert, diffs: tuple[tuple[str, Any, Any], ...]
    ) -> tuple[str, str]:
        rv, dv = rec["model_version"], red["model_version"]
        names = ", ".join(d[0] for d in diffs)
        if self.what_if:
            return "what_if_changed", (
                f"what-if: recorded by {rv}; today's {dv} raises it with other {names}"
            )
        if rv != dv:
            code, why = self._version_gap(rec, dv, self.how(rec))
            return code, f"recorded {rv} but replay used {dv}: {why}; differing: {names}"
        scores = [d for d in diffs if d[0] == "score"]
        if scores:
            _, a, b = scores[0]
            others = [d[0] for d in diffs if d[0] != "score"]
            also = f" (also {', '.join(others)})" if others else ""
            return "score_differs", (
                f"different score: recorded {_num(a)} vs re-derived {_num(b)} with the same "
                f"version {rv}{also}: the recorded alert does not match the decision function "
                "(tampered or non-deterministic)"
            )
        return "content_differs", (
            f"{names} differ with the same version {rv}: the recorded alert does not match "
            "the decision function (tampered or non-deterministic)"
        )

    def missing(self, rec: Alert) -> tuple[str, str]:
        label, model, key = rec["model_version"], rec["model_name"], _key(rec)
        if key in self.facts.dead_letters:
            return "dead_lettered", (
                f"missing: recorded by {label}; the replay dead-letters the event "
                f"({self.facts.dead_letters[key]})"
            )
        instead = sorted(
            {
                a["alert_type"]
                for a in self.rederived_by_event.get(key, [])
                if a["model_name"] == model
            }
        )
        if self.what_if:
            version = f"v{self.plan.choose(model, source_of(rec)).version}"
            return (
                "what_if_dropped",
                f"what-if: recorded by {label}; today's {version} raises no alert",
            )
        parsed = parse_label(label)
        choice = self.plan.choose(model, source_of(rec))
        if (
            parsed is None
            or parsed[1]
            or not self.plan.known(model, parsed[0])
            or choice.version != parsed[0]  # the worker recorded another version for the event
        ):
            code, why = self._version_gap(rec, f"v{choice.version}", choice.how)
            return code, (
                f"missing: recorded by {label}, replay with v{choice.version} ({choice.how}) "
                f"raises no alert: {why}"
            )
        if instead:
            return "other_rule", (
                f"missing: recorded by {label}, replay with {label} raises "
                f"{', '.join(instead)} on this event instead: decision differs"
            )
        return "decision_differs", (
            f"missing: recorded by {label}, replay with {label} raises no alert: decision "
            "differs — recorded alert does not match the decision function (tampered or "
            "non-deterministic)"
        )

    def unrecorded(self, red: Alert) -> tuple[str, str]:
        dv, model, key = red["model_version"], red["model_name"], _key(red)
        dismissal = self._dismissed_before(red)
        if dismissal is not None:
            d = dismissal.source
            return "dismissed", (
                f"extra: no alert recorded; the cause ({alert_cause(red)}) was dismissed by an "
                f"adviser ({dismissal.verdict}) before the event (feedback topic "
                f"{d.topic}[{d.partition}]@{d.offset}, {_when(d.timestamp_ms)}): the worker "
                "drops alerts whose cause was dismissed"
            )
        if self.what_if:
            return "what_if_new", f"what-if: no alert recorded; today's {dv} raises it"
        choice = self.plan.choose(model, source_of(red))
        siblings = [a for a in self.recorded_by_event.get(key, []) if a["model_name"] == model]
        if choice.how in EXACT and siblings:
            return "decision_differs", (
                f"extra: no alert recorded, yet the event's {siblings[0]['alert_type']} alert was "
                f"recorded by {siblings[0]['model_version']} and the replay used {dv} "
                f"({choice.how}): decision differs (the alert was lost before the alerts topic, "
                "or scoring depends on more than the event and the model versions)"
            )
        if choice.how == FROM_WORKER:
            # The version is known exactly: re-scoring with other versions would explain nothing.
            return "not_recorded", (
                f"extra: no alert recorded, yet the scoring worker recorded on the learning topic "
                f"that it scored this event with {dv}, the version the replay used: the alert was "
                "lost before the alerts topic, written after the alerts window (--alerts-lag), "
                "its cause was dismissed before the replayed range, or scoring depends on more "
                "than the event and the model versions"
            )
        alt = self.facts.alternatives.get(red["alert_id"])
        if alt is not None and not alt.raises and choice.how not in EXACT:
            return "version_uncertain", (
                f"extra: no alert recorded; neither the learning topic nor an alert of this "
                f"event names a version, so the replay used {dv} ({choice.how}); "
                f"{alt.version}, saved {alt.saved_after_event_s:.1f} s after the event, raises "
                "no alert: the worker "
                f"most likely scored it with {alt.version}"
            )
        later = f"; the later versions up to {alt.version} raise it too" if alt is not None else ""
        return "not_recorded", (
            f"extra: no alert recorded; the replay used {dv} ({choice.how}){later}: the alert "
            "was lost before the alerts topic, written after the alerts window (--alerts-lag), "
            "or its cause was dismissed before the replayed range"
        )

    def how(self, alert: Alert) -> str | None:
        """How the replay chose the version of ``alert``'s model for its event."""
        if alert["model_name"] not in self.plan.models:
            return None
        return self.plan.choose(alert["model_name"], source_of(alert)).how

    def _version_gap(self, rec: Alert, used: str, how: str | None) -> tuple[str, str]:
        label, model = rec["model_version"], rec["model_name"]
        parsed = parse_label(label)
        if parsed is None:
            return "unknown_version", f"{label!r} is not a version label"
        if parsed[1]:
            return "learning_worker_label", (
                f"{label} is a model that had learnt {parsed[1]} example(s) since snapshot "
                f"v{parsed[0]} (a worker that learnt while scoring); no snapshot holds that state"
            )
        if not self.plan.known(model, parsed[0]):
            return "version_not_in_store", (
                f"{label} is not in the model store (model-snapshots topic); the replay used {used}"
            )
        if how == FROM_WORKER:
            return "versions_disagree", (
                f"the scoring worker recorded {used} for this event on the learning topic, not "
                f"{label}: the event was scored more than once with different versions and the "
                "examples of the scoring that raised this alert are missing, or the alert was "
                "altered"
            )
        return "version_differs", f"the replay chose {used} ({how})"

    def _dismissed_before(self, red: Alert) -> SeenDismissal | None:
        cause, ts = alert_cause(red), epoch_ms(red["source_timestamp"])
        for d in self.facts.dismissals:
            if d.source.timestamp_ms <= ts and self.causes.get(d.alert_id) == cause:
                return d
        return None


def compare(
    recorded: Sequence[RecordedAlert],
    rederived: Sequence[Alert],
    plan: VersionPlan,
    facts: Facts | None = None,
) -> Comparison:
    """Compare the alerts recorded over a range with those the replay re-derived."""
    facts = facts or Facts()
    copies: dict[str, list[RecordedAlert]] = defaultdict(list)
    recorded_by_event: dict[SourceKey, list[Alert]] = defaultdict(list)
    for r in recorded:
        copies[r.alert["alert_id"]].append(r)
        recorded_by_event[r.source_key].append(r.alert)
    replayed: dict[str, Alert] = {}
    rederived_by_event: dict[SourceKey, list[Alert]] = defaultdict(list)
    for a in rederived:
        replayed.setdefault(a["alert_id"], a)
        rederived_by_event[_key(a)].append(a)
    causes = {r.alert["alert_id"]: alert_cause(r.alert) for r in recorded}
    causes.update({a["alert_id"]: alert_cause(a) for a in rederived})
    explain = _Explainer(plan, facts, recorded_by_event, rederived_by_event, causes)

    result = Comparison()
    for aid in sorted(set(copies) | set(replayed)):
        red = replayed.get(aid)
        distinct: dict[bytes, RecordedAlert] = {}
        for r in copies.get(aid, []):
            distinct.setdefault(fingerprint(r.alert), r)
        result.identical_copies += len(copies.get(aid, [])) - len(distinct)
        if red is None:
            for r in distinct.values():
                code, text = explain.missing(r.alert)
                result.differences.append(
                    Difference(
                        MISSING,
                        code,
                        text + _copies_note(distinct, r),
                        r.alert,
                        r.alert["model_version"],
                        None,
                        copy_at=(r.partition, r.offset),
                        chosen_as=explain.how(r.alert),
                    )
                )
            continue
        if not distinct:
            code, text = explain.unrecorded(red)
            result.differences.append(
                Difference(
                    EXTRA, code, text, red, None, red["model_version"], chosen_as=explain.how(red)
                )
            )
            continue
        mine = fingerprint(red)
        if mine in distinct:
            result.matches.append(red)
        for fp, r in distinct.items():
            if fp == mine:
                continue
            diffs = field_diffs(r.alert, red)
            code, text = explain.different(r.alert, red, diffs)
            result.differences.append(
                Difference(
                    DIFFERENT,
                    code,
                    text + _copies_note(distinct, r, mine),
                    r.alert,
                    r.alert["model_version"],
                    red["model_version"],
                    diffs,
                    (r.partition, r.offset),
                    explain.how(red),
                )
            )
    result.matches.sort(key=lambda a: (*_key(a), a["alert_id"]))
    result.differences.sort(key=Difference.sort_key)
    return result


def _copies_note(
    distinct: Mapping[bytes, RecordedAlert], this: RecordedAlert, matching: bytes | None = None
) -> str:
    if len(distinct) < 2:
        return ""
    where = ", ".join(f"{r.partition}@{r.offset}" for r in distinct.values())
    note = f". The alerts topic holds {len(distinct)} different copies of this alert ({where})"
    if matching is not None and matching in distinct:
        good = distinct[matching]
        note += f"; the copy at {good.partition}@{good.offset} matches the replay"
    return note


def _num(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
