"""Writes alerts and latest-state hashes to Redis, in one pipeline per batch.

Layout (``<p>`` is ``VIGIE_REDIS_PREFIX``):

- ``<p>:alerts:all``: stream of every alert (operations);
- ``<p>:alerts:<audience kind>:<audience id>``: stream per audience, e.g. ``alerts:area:07``;
- ``<p>:alert-ids:<alert id>``: marker that refuses a second copy of the same alert;
- ``<p>:<kind>:<entity id>``: hash of an entity's latest state, e.g. ``offer:190HCYJ``;
- ``<p>:metrics:worker``: hash of counters (processed, alerts, dead letters by error type).

An alert is added by a Lua script that sets its marker and appends it to its streams
atomically, so the same alert written twice (a restart, a replay) lands once.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from typing import Any

import orjson
import redis

from sinks.outputs import Alert, Outputs
from streams.settings import Settings

logger = logging.getLogger(__name__)

# KEYS[1] = marker, KEYS[2] = metrics hash, KEYS[3..] = streams. ARGV[1] = marker TTL,
# ARGV[2] = stream max length, ARGV[3..] = the entry's field/value pairs.
# Returns 1 when added, 0 for a duplicate (counted as such).
_ADD_ALERT = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  redis.call('HINCRBY', KEYS[2], 'alerts_duplicate_refused', 1)
  return 0
end
redis.call('HINCRBY', KEYS[2], 'alerts', 1)
local entry = {}
for i = 3, #ARGV do entry[#entry + 1] = ARGV[i] end
for i = 3, #KEYS do
  redis.call('XADD', KEYS[i], 'MAXLEN', '~', ARGV[2], '*', unpack(entry))
end
return 1
"""

# Alert fields copied to the top level of a stream entry, so tools can filter without parsing.
_ENTRY_FIELDS = (
    "alert_id",
    "alert_type",
    "severity",
    "audience_kind",
    "audience_id",
    "subject_kind",
    "subject_id",
    "title",
    "model_name",
    "model_version",
)


def alert_streams(settings: Settings, alert: Alert) -> list[str]:
    """Stream keys an alert is delivered to: its audience's stream and the global one."""
    return [
        settings.key("alerts", "all"),
        settings.key("alerts", str(alert["audience_kind"]), str(alert["audience_id"])),
    ]


def stream_entry(alert: Alert) -> dict[str, str]:
    """The fields of an alert's stream entry: a few flat fields plus the full JSON."""
    entry = {k: str(alert[k]) for k in _ENTRY_FIELDS}
    entry["score"] = "" if alert.get("score") is None else f"{alert['score']:.4f}"
    entry["json"] = orjson.dumps(alert, default=_json_default).decode()
    return entry


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class RedisSink:
    """Idempotent, pipelined writer of one batch's outputs."""

    def __init__(self, settings: Settings, client: redis.Redis | None = None) -> None:
        self.settings = settings
        self.client = client or redis.Redis.from_url(
            settings.redis_url,
            socket_timeout=10,
            socket_connect_timeout=5,
            health_check_interval=30,
        )
        self._add_alert = self.client.register_script(_ADD_ALERT)

    def already_written(self, alerts: Iterable[Alert]) -> set[str]:
        """Ids among ``alerts`` that Redis already holds (one round-trip)."""
        ids = [str(a["alert_id"]) for a in alerts]
        if not ids:
            return set()
        pipe = self.client.pipeline(transaction=False)
        for aid in ids:
            pipe.exists(self.settings.key("alert-ids", aid))
        return {aid for aid, found in zip(ids, pipe.execute(), strict=True) if found}

    def write(self, outputs: Outputs) -> int:
        """Write alerts, states and counters; returns how many alerts were new."""
        s = self.settings
        pipe = self.client.pipeline(transaction=False)
        for alert in outputs.alerts:
            entry = stream_entry(alert)
            args: list[Any] = [s.dedup_ttl_s, s.alert_stream_maxlen]
            for k, v in entry.items():
                args += [k, v]
            self._add_alert(
                keys=[
                    s.key("alert-ids", str(alert["alert_id"])),
                    s.key("metrics", "worker"),
                    *alert_streams(s, alert),
                ],
                args=args,
                client=pipe,
            )
        for state in outputs.states:
            key = s.key(state.kind, state.entity_id)
            pipe.hset(key, mapping=state.fields)  # type: ignore[arg-type]
            pipe.expire(key, s.state_ttl_s)
        self._count(pipe, outputs)
        results = pipe.execute()
        return sum(results[: len(outputs.alerts)])

    def _count(self, pipe: Any, outputs: Outputs) -> None:
        key = self.settings.key("metrics", "worker")
        if outputs.processed:
            pipe.hincrby(key, "processed", outputs.processed)
        for error_type, n in Counter(d.error_type for d in outputs.dead_letters).items():
            pipe.hincrby(key, "dead_letters", n)
            pipe.hincrby(key, f"dead_letters:{error_type}", n)
