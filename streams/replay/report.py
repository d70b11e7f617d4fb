"""The replay report as data (JSON for machines); ``streams.replay.html`` renders it for people.

Deterministic: every list is sorted and nothing depends on the machine or on when it ran, except
``generated_at``. Two replays of the same range with the same models give the same bytes once
that one field is set aside (timings go to the separate ``replay-run.json``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from sinks.outputs import Alert
from streams.replay.bounds import PartitionRange
from streams.replay.compare import Comparison, Difference, comparable, epoch_ms, jsonable

FORMAT_VERSION = 1
TIMELINE_BUCKETS = 24
EXAMPLES_PER_TYPE = 3
JSON_NAME, HTML_NAME, RUN_NAME = "replay-report.json", "replay-report.html", "replay-run.json"


@dataclass
class EventStats:
    """Counts gathered while reading and scoring the range."""

    read: int = 0
    scored: int = 0
    by_topic: Counter[str] = field(default_factory=Counter)
    dead_letters: Counter[str] = field(default_factory=Counter)  # by error type
    timestamps: list[int] = field(default_factory=list)  # of every event, for the timeline


@dataclass
class AlertStats:
    """What was read from the alerts topic."""

    read: int = 0
    undecodable: int = 0
    in_range: int = 0


def iso_ms(ms: int) -> str:
    """Epoch milliseconds as ISO 8601 UTC."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def build_report(
    *,
    mode: str,
    bounds: tuple[str, str],
    topics: Sequence[str],
    ranges: Sequence[PartitionRange],
    events: EventStats,
    alerts: AlertStats,
    usage: Counter[tuple[str, int, str]],
    comparison: Comparison,
    choices: Counter[str] | None = None,
    rescored: int = 0,
    rederived_count: int,
    generated_at: datetime,
) -> dict[str, Any]:
    """The whole report as a JSON-ready dict."""
    diffs = comparison.differences
    recorded_ids = {a["alert_id"] for a in comparison.matches} | {
        d.alert["alert_id"] for d in diffs if d.kind != "extra"
    }
    kinds = Counter(d.kind for d in diffs)
    return {
        "report": "vigie replay",
        "format_version": FORMAT_VERSION,
        "generated_at": generated_at.astimezone(UTC).isoformat(timespec="seconds"),
        "mode": mode,
        "range": {
            "from": bounds[0],
            "to": bounds[1],
            "topics": sorted(topics),
            "partitions": [r.as_json() for r in sorted(ranges)],
            "first_event": iso_ms(min(events.timestamps)) if events.timestamps else None,
            "last_event": iso_ms(max(events.timestamps)) if events.timestamps else None,
        },
        "events": {
            "read": events.read,
            "scored": events.scored,
            "dead_letters": sum(events.dead_letters.values()),
            "dead_letters_by_type": dict(sorted(events.dead_letters.items())),
            "by_topic": dict(sorted(events.by_topic.items())),
        },
        "alerts_topic": {
            "read": alerts.read,
            "undecodable": alerts.undecodable,
            "raised_by_events_in_range": alerts.in_range,
        },
        # Events by how their versions were chosen (the least certain of their models').
        "versions_chosen": {
            "events": dict(sorted((choices or Counter()).items())),
            "scored_twice_with_other_versions": rescored,
        },
        "versions_used": [
            {"model": m, "version": f"v{v}", "chosen_as": how, "events": n}
            for (m, v, how), n in sorted(usage.items())
        ],
        "summary": {
            "recorded": len(recorded_ids),
            "rederived": rederived_count,
            "matches": len(comparison.matches),
            "missing": kinds["missing"],
            "extra": kinds["extra"],
            "different": kinds["different"],
            "identical_copies_on_topic": comparison.identical_copies,
            "identical": not diffs,
        },
        "by_type": by_type(comparison),
        "by_cause": [
            {"kind": k, "code": c, "count": n}
            for (k, c), n in sorted(Counter((d.kind, d.code) for d in diffs).items())
        ],
        "timeline": timeline(events.timestamps, comparison),
        "differences": [difference_json(d) for d in diffs],
        "examples": examples(comparison.matches),
    }


def by_type(comparison: Comparison) -> list[dict[str, Any]]:
    """Counts per alert type and model version (the re-derived version, else the recorded).

    ``recorded`` and ``rederived`` count alert ids: a tampered copy next to a good one is one
    recorded alert, one match and one difference.
    """
    counts: dict[tuple[str, str, str], Counter[str]] = {}
    ids: dict[tuple[str, str, str, str], set[str]] = {}

    def add(alert: Alert, version: str | None, kind: str, recorded: bool, rederived: bool) -> None:
        key = (alert["alert_type"], alert["model_name"], version or alert["model_version"])
        counts.setdefault(key, Counter())[kind] += 1
        for name, flag in (("recorded", recorded), ("rederived", rederived)):
            if flag:
                ids.setdefault((*key, name), set()).add(alert["alert_id"])

    for a in comparison.matches:
        add(a, None, "matches", True, True)
    for d in comparison.differences:
        add(d.alert, d.replay_version, d.kind, d.kind != "extra", d.kind != "missing")
    kinds = ("matches", "missing", "extra", "different")
    return [
        {
            "alert_type": t,
            "model_name": m,
            "model_version": v,
            "recorded": len(ids.get((t, m, v, "recorded"), ())),
            "rederived": len(ids.get((t, m, v, "rederived"), ())),
            **{k: c[k] for k in kinds},
        }
        for (t, m, v), c in sorted(counts.items())
    ]


def timeline(timestamps: Sequence[int], comparison: Comparison) -> dict[str, Any]:
    """Events, recorded and re-derived alerts and differences per slice of the range."""
    if not timestamps:
        return {"bucket_ms": 0, "buckets": []}
    first, last = min(timestamps), max(timestamps)
    width = max(1, -(-(last - first + 1) // TIMELINE_BUCKETS))
    counts = [Counter() for _ in range(TIMELINE_BUCKETS)]  # type: list[Counter[str]]

    def bucket(ms: int) -> Counter[str]:
        return counts[min(TIMELINE_BUCKETS - 1, max(0, (ms - first) // width))]

    for ts in timestamps:
        bucket(ts)["events"] += 1
    for a in comparison.matches:
        c = bucket(epoch_ms(a["source_timestamp"]))
        c["recorded"] += 1
        c["rederived"] += 1
    for d in comparison.differences:
        c = bucket(epoch_ms(d.alert["source_timestamp"]))
        c["recorded"] += d.kind != "extra"
        c["rederived"] += d.kind != "missing"
        c["differences"] += 1
    return {
        "bucket_ms": width,
        "buckets": [
            {
                "start": iso_ms(first + i * width),
                **{k: c[k] for k in ("events", "recorded", "rederived", "differences")},
            }
            for i, c in enumerate(counts)
        ],
    }


def difference_json(d: Difference) -> dict[str, Any]:
    """One difference as the report lists it."""
    a = d.alert
    out: dict[str, Any] = {
        "kind": d.kind,
        "code": d.code,
        "explanation": d.explanation,
        "alert_id": a["alert_id"],
        "alert_type": a["alert_type"],
        "title": a.get("title", ""),
        "subject": f"{a['subject_kind']}:{a['subject_id']}",
        "model_name": a["model_name"],
        "recorded_version": d.recorded_version,
        "replay_version": d.replay_version,
        "source": {
            "topic": a["source_topic"],
            "partition": a["source_partition"],
            "offset": a["source_offset"],
            "timestamp": iso_ms(epoch_ms(a["source_timestamp"])),
        },
        "alerts_topic_copy": f"{d.copy_at[0]}@{d.copy_at[1]}" if d.copy_at else None,
        "version_chosen_as": d.chosen_as,
    }
    if d.fields:
        out["fields"] = [{"field": f, "recorded": r, "rederived": v} for f, r, v in d.fields]
    else:
        out["alert"] = comparable(a)
    return out


def examples(matches: Iterable[Alert]) -> list[dict[str, Any]]:
    """A few reproduced alerts of each type, with their reasons (what an adviser saw)."""
    seen: Counter[str] = Counter()
    out = []
    for a in matches:
        if seen[a["alert_type"]] < EXAMPLES_PER_TYPE:
            seen[a["alert_type"]] += 1
            out.append(comparable(a))
    return sorted(out, key=lambda a: (a["alert_type"], a["alert_id"]))


def to_json(report: dict[str, Any]) -> bytes:
    """Canonical JSON bytes: sorted keys, two-space indent, newline at the end."""
    return (
        orjson.dumps(report, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2, default=jsonable)
        + b"\n"
    )


def write(report: dict[str, Any], html: str, run: dict[str, Any], out_dir: Path) -> Path:
    """Write the JSON report, the HTML page and the run's timings; returns the JSON's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / JSON_NAME
    path.write_bytes(to_json(report))
    (out_dir / HTML_NAME).write_text(html, encoding="utf-8")
    (out_dir / RUN_NAME).write_bytes(to_json(run))
    return path
