"""What the console reads from Redis, in the layout the worker's sinks write (README).

Nothing here writes the worker's keys. The console's own key is ``<p>:console:draft:<email
id>``: a draft an adviser edited, kept so the page shows their text (the feedback event has no
field for it). Lists of a portfolio's emails and an area's offers scan the state hashes: there
is no per-adviser index yet, so a scan is bounded by ``SCAN_LIMIT`` keys.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import redis

from sinks.alert_client import stream_key
from streams.security import open_redis
from streams.settings import Settings

logger = logging.getLogger(__name__)

SCAN_LIMIT = 20_000
HISTORY_DEPTH = 2_000  # entries of a portfolio stream searched for one job seeker's alerts

EMAIL_LIST_FIELDS = (
    "email_id", "jobseeker_id", "adviser_id", "received_at", "intent", "intents", "urgency",
    "urgency_reasons", "answerable",
)  # fmt: skip
OFFER_LIST_FIELDS = (
    "offer_id", "status", "departement", "rome_code", "risk", "risk_source", "gaps", "reasons",
    "posted_at", "salary_assessment", "salary_ratio", "bassin",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class AlertEntry:
    """One alert as read from an audience stream: the entry id and the whole alert."""

    entry_id: str
    audience: tuple[str, str] | None
    alert: dict[str, Any]

    @property
    def jobseeker_id(self) -> str:
        """The job seeker the alert is about, when it is about one."""
        a = self.alert
        if a.get("subject_kind") == "jobseeker":
            return str(a["subject_id"])
        return str((a.get("inputs") or {}).get("jobseeker_id") or "")


class ConsoleStore:
    """Reads alerts and states; one client per console process (thread-safe pool)."""

    def __init__(self, settings: Settings, client: redis.Redis | None = None) -> None:
        self.settings = settings
        self.client = client or open_redis(settings, decode_responses=True, socket_timeout=10)

    # Alerts -----------------------------------------------------------------------------------

    def alerts(self, audience: tuple[str, str] | None, count: int = 100) -> list[AlertEntry]:
        """The newest ``count`` alerts of an audience's stream, newest first."""
        entries = self.client.xrevrange(stream_key(self.settings, audience), count=count)
        return [_entry(audience, eid, fields) for eid, fields in entries if fields.get("json")]

    def alert(self, audience: tuple[str, str] | None, entry_id: str) -> AlertEntry | None:
        """The alert at ``entry_id`` of an audience's stream, if it is still there."""
        try:
            found = self.client.xrange(stream_key(self.settings, audience), entry_id, entry_id)
        except redis.ResponseError:  # not a stream id
            return None
        return _entry(audience, *found[0]) if found and found[0][1].get("json") else None

    def last_entry_id(self, audience: tuple[str, str] | None) -> str:
        """Id of the newest entry of a stream (``0-0``: empty), where live reading starts."""
        last = self.client.xrevrange(stream_key(self.settings, audience), count=1)
        return str(last[0][0]) if last else "0-0"

    def jobseeker_alerts(self, jobseeker_id: str, adviser_id: str) -> list[AlertEntry]:
        """Alerts about one job seeker, from their adviser's stream (newest first)."""
        audience = ("adviser", adviser_id) if adviser_id else None
        return [a for a in self.alerts(audience, HISTORY_DEPTH) if a.jobseeker_id == jobseeker_id]

    def audiences(self, kind: str, limit: int = 50) -> list[str]:
        """Ids of the audiences of ``kind`` that have a stream (for the dev sign-in page)."""
        prefix = self.settings.key("alerts", kind, "")
        found: list[str] = []
        for key in self.client.scan_iter(match=f"{prefix}*", count=1000, _type="stream"):
            found.append(str(key).removeprefix(prefix))
            if len(found) >= limit:
                break
        return sorted(found)

    # States -----------------------------------------------------------------------------------

    def state(self, kind: str, entity_id: str) -> dict[str, str] | None:
        """The latest-state hash of an entity (``jobseeker``, ``email``, ``offer``), or None."""
        fields = self.client.hgetall(self.settings.key(kind, entity_id))
        return fields or None

    def feedback(self, target_kind: str, target_id: str) -> dict[str, str]:
        """The latest verdict the worker recorded on a target (empty: none yet)."""
        return self.client.hgetall(self.settings.key("feedback", target_kind, target_id)) or {}

    def scan_states(self, kind: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
        """``fields`` of every ``kind`` hash, at most :data:`SCAN_LIMIT` of them."""
        keys: list[str] = []
        for key in self.client.scan_iter(match=self.settings.key(kind, "*"), count=1000):
            keys.append(str(key))
            if len(keys) >= SCAN_LIMIT:
                logger.warning("console scan truncated kind=%s limit=%d", kind, SCAN_LIMIT)
                break
        rows: list[dict[str, str]] = []
        for start in range(0, len(keys), 1000):
            pipe = self.client.pipeline(transaction=False)
            for key in keys[start : start + 1000]:
                pipe.hmget(key, fields)
            for values in pipe.execute():
                if values and any(v is not None for v in values):
                    rows.append({f: v or "" for f, v in zip(fields, values, strict=True)})
        return rows

    def emails(self, adviser_id: str | None) -> list[dict[str, str]]:
        """Triaged emails of an adviser's portfolio (every adviser's: None), newest first."""
        rows = [
            r
            for r in self.scan_states("email", EMAIL_LIST_FIELDS)
            if adviser_id is None or r["adviser_id"] == adviser_id
        ]
        return sorted(rows, key=lambda r: r["received_at"], reverse=True)

    def open_offers(self, departement: str | None) -> list[dict[str, str]]:
        """Open offers of a département (every one: None)."""
        return [
            r
            for r in self.scan_states("offer", OFFER_LIST_FIELDS)
            if r["status"] == "open" and (departement is None or r["departement"] == departement)
        ]

    def serving_versions(self, model: str) -> dict[str, str]:
        """The snapshot version each live worker scores ``model`` with."""
        prefix = self.settings.key("serving", model, "")
        keys = list(self.client.scan_iter(match=f"{prefix}*", count=500))
        values = self.client.mget(keys) if keys else []
        return {str(k).removeprefix(prefix): str(v) for k, v in zip(keys, values) if v}  # noqa: B905

    # The console's own key ----------------------------------------------------------------------

    def save_draft(self, email_id: str, text: str, adviser_id: str) -> None:
        """Keep the draft an adviser edited (TTL of the state hashes)."""
        key = self.settings.key("console", "draft", email_id)
        at = datetime.now(UTC).isoformat(timespec="seconds")
        self.client.hset(key, mapping={"text": text, "adviser_id": adviser_id, "edited_at": at})
        self.client.expire(key, self.settings.state_ttl_s)

    def edited_draft(self, email_id: str) -> dict[str, str]:
        """The draft an adviser edited, if any."""
        return self.client.hgetall(self.settings.key("console", "draft", email_id)) or {}

    def ping(self) -> bool:
        """True when Redis answers."""
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False


def _entry(audience: tuple[str, str] | None, entry_id: Any, fields: dict[str, str]) -> AlertEntry:
    return AlertEntry(str(entry_id), audience, orjson.loads(fields["json"]))
