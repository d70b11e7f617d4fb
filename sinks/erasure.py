"""The right to be forgotten in Redis: every key, field and stream entry about one person.

What Vigie writes about a job seeker, by key (``<p>`` = ``VIGIE_REDIS_PREFIX``):

- ``<p>:jobseeker:<id>``: the diagnostic hash;
- ``<p>:email:<email id>``: the triage of each of their emails (found by its ``jobseeker_id``);
- ``<p>:proposal:<id>:<offer id>``: the verdict on each offer proposed to them, and their
  proposal ids as fields of ``<p>:proposal-findings:<agency id>``;
- entries of every alert stream ``<p>:alerts:*`` whose subject is them, one of their emails or
  proposals, or whose JSON names them; the duplicate markers ``<p>:alert-ids:<alert id>`` of
  those alerts and of any alert whose cause names them (the marker holds the cause);
- ``<p>:dismissed:<type>:<kind>:<subject>``: dismissals of alerts about them;
- ``<p>:feedback:<kind>:<target>``: advisers' verdicts on their alerts, emails, drafts and
  proposals.

Counters, market figures (``potential``), offers and model hashes hold no one's data.
:func:`erase_jobseeker` finds these with one ``SCAN`` of the namespace and one pass over each
alert stream: an erasure is rare, so it reads what it must rather than making every write keep
an index of a person's keys (an index that would itself be personal data to erase).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import redis

from sinks.outputs import Erasure
from streams.settings import Settings

SCAN_COUNT = 1000
CHUNK = 500
# Key kinds (the part after the prefix) an erasure looks at.
KINDS = frozenset(
    {
        "jobseeker",
        "email",
        "proposal",
        "proposal-findings",
        "alerts",
        "alert-ids",
        "dismissed",
        "feedback",
    }
)


def _chunks(items: list[str], size: int = CHUNK) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _namespace(client: redis.Redis, prefix: str) -> dict[str, list[str]]:
    """Every key of the namespace an erasure may concern, by kind."""
    groups: dict[str, list[str]] = defaultdict(list)
    for key in client.scan_iter(match=f"{prefix}*", count=SCAN_COUNT):
        kind = key[len(prefix) :].split(":", 1)[0]
        if kind in KINDS:
            groups[kind].append(key)
    return groups


def _hash_field(client: redis.Redis, keys: list[str], name: str) -> list[str | None]:
    values: list[str | None] = []
    for chunk in _chunks(keys):
        pipe = client.pipeline(transaction=False)
        for key in chunk:
            pipe.hget(key, name)
        values += pipe.execute()
    return values


def _erase_stream_entries(
    client: redis.Redis, stream: str, subjects: set[str], jid_token: str
) -> tuple[int, set[str]]:
    """XDEL the entries of ``stream`` about the person; returns (deleted, their alert ids)."""
    deleted, alert_ids, start = 0, set(), "-"
    while True:
        entries = client.xrange(stream, min=start, max="+", count=CHUNK)
        if not entries:
            break
        doomed = [
            entry_id
            for entry_id, fields in entries
            if fields.get("subject_id") in subjects or jid_token in fields.get("json", "")
        ]
        for entry_id, fields in entries:
            if entry_id in doomed and fields.get("alert_id"):
                alert_ids.add(fields["alert_id"])
        if doomed:
            deleted += int(client.xdel(stream, *doomed))
            # Adviser tools' groups may hold them as pending: acknowledged, they are gone
            # from every pending list too (a deleted entry would come back empty forever).
            for group in client.xinfo_groups(stream):
                client.xack(stream, group["name"], *doomed)
        if len(entries) < CHUNK:
            break
        start = "(" + entries[-1][0]
    return deleted, alert_ids


def _cause_subject(cause: str | None) -> str | None:
    """The subject id of an alert cause ``<alert type>:<subject kind>:<subject id>``."""
    parts = (cause or "").split(":", 2)
    return parts[2] if len(parts) == 3 else None


def erase_jobseeker(client: redis.Redis, settings: Settings, jobseeker_id: str) -> dict[str, int]:
    """Delete everything Redis holds about ``jobseeker_id``; returns counts by what was deleted.

    ``client`` must decode responses (text). Idempotent: a second run finds nothing.
    """
    prefix = settings.key("")
    groups = _namespace(client, prefix)
    counts: Counter[str] = Counter()
    doomed: list[str] = []

    own = settings.key("jobseeker", jobseeker_id)
    if own in groups["jobseeker"]:
        doomed.append(own)
        counts["jobseeker_hashes"] += 1

    email_keys = [
        key
        for key, sender in zip(
            groups["email"], _hash_field(client, groups["email"], "jobseeker_id"), strict=True
        )
        if sender == jobseeker_id
    ]
    email_ids = {key.removeprefix(settings.key("email", "")) for key in email_keys}
    doomed += email_keys
    counts["email_hashes"] = len(email_keys)

    mine = settings.key("proposal", jobseeker_id, "")
    proposal_keys = [k for k in groups["proposal"] if k.startswith(mine)]
    proposal_ids = {p for p in _hash_field(client, proposal_keys, "proposal_id") if p}
    # A proposal's alerts and feedback name the pair "<seeker id>:<offer id>".
    pairs = {key.removeprefix(settings.key("proposal", "")) for key in proposal_keys}
    doomed += proposal_keys
    counts["proposal_hashes"] = len(proposal_keys)
    if proposal_ids:
        for key in groups["proposal-findings"]:
            counts["proposal_findings_fields"] += int(client.hdel(key, *proposal_ids))

    subjects = {jobseeker_id} | email_ids | proposal_ids | pairs
    token = json.dumps(jobseeker_id)  # the id as a JSON string: "js-1" never matches "js-10"
    alert_ids: set[str] = set()
    for stream in groups["alerts"]:
        if client.type(stream) != "stream":
            continue
        deleted, ids = _erase_stream_entries(client, stream, subjects, token)
        counts["alert_stream_entries"] += deleted
        alert_ids |= ids

    markers = groups["alert-ids"]
    for chunk in _chunks(markers):
        for key, cause in zip(chunk, client.mget(chunk), strict=True):
            alert_id = key.removeprefix(settings.key("alert-ids", ""))
            if alert_id in alert_ids or _cause_subject(cause) in subjects:
                doomed.append(key)
                alert_ids.add(alert_id)
                counts["alert_markers"] += 1

    dismissed_prefix = settings.key("dismissed", "")
    for key in groups["dismissed"]:
        if _cause_subject(key.removeprefix(dismissed_prefix)) in subjects:
            doomed.append(key)
            counts["dismissals"] += 1

    targets = subjects | alert_ids
    feedback_prefix = settings.key("feedback", "")
    for key in groups["feedback"]:
        target = key.removeprefix(feedback_prefix).split(":", 1)[-1]
        if target in targets:
            doomed.append(key)
            counts["feedback_hashes"] += 1

    for chunk in _chunks(doomed):
        client.delete(*chunk)
    counts["erasures"] = 1
    client.hincrby(settings.key("metrics", "worker"), "erasures", 1)
    return dict(counts)


def audit_record(
    erasure: Erasure, deleted: dict[str, int], worker: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """The erasure's audit record: what was erased where, naming the request, never the person."""
    return {
        "erasure_id": erasure.erasure_id,
        "requested_by": erasure.requested_by,
        "requested_at": erasure.requested_at,
        "erased_at": (now or datetime.now(UTC)).isoformat(),
        "worker": worker,
        "event": {
            "topic": erasure.source.topic,
            "partition": erasure.source.partition,
            "offset": erasure.source.offset,
        },
        "profile_table": "tombstone" if erasure.table_entry else "absent",
        "redis": {k: v for k, v in sorted(deleted.items()) if k != "erasures"},
        "models_forget_at_next_snapshot": list(erasure.models),
    }
