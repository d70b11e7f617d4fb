"""Writes alerts and latest-state hashes to Redis, in one pipeline per batch.

Layout (``<p>`` is ``VIGIE_REDIS_PREFIX``):

- ``<p>:alerts:all``: stream of every alert (operations);
- ``<p>:alerts:<audience kind>:<audience id>``: stream per audience, e.g. ``alerts:area:07``;
- ``<p>:alert-ids:<alert id>``: marker that refuses a second copy of the same alert (its
  value is the alert's cause);
- ``<p>:dismissed:<cause>``: an adviser dismissed an alert with this cause: no more alerts
  for it (see ``sinks.outputs.alert_cause``);
- ``<p>:<kind>:<entity id>``: hash of an entity's latest state, e.g. ``offer:190HCYJ``;
- ``<p>:metrics:worker``: hash of counters (processed, alerts, dead letters by error type).

An alert is added by a Lua script that sets its marker and appends it to its streams
atomically, so the same alert written twice (a restart, a replay) lands once.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

import hiredis
import orjson
import redis
from redis.connection import Encoder, HiredisRespSerializer

from sinks.erasure import erase_jobseeker
from sinks.outputs import Alert, Outputs, alert_cause
from streams.security import open_redis
from streams.settings import Settings

logger = logging.getLogger(__name__)

# KEYS[1] = marker, KEYS[2] = metrics hash, KEYS[3..] = streams. ARGV[1] = marker TTL,
# ARGV[2] = stream max length, ARGV[3] = oldest entry id kept (time retention),
# ARGV[4] = the alert's cause (kept in the marker, for dismissals), ARGV[5..] = the entry's
# field/value pairs. Returns 1 when added, 0 for a duplicate (counted as such).
_ADD_ALERT = """
if not redis.call('SET', KEYS[1], ARGV[4], 'NX', 'EX', ARGV[1]) then
  redis.call('HINCRBY', KEYS[2], 'alerts_duplicate_refused', 1)
  return 0
end
redis.call('HINCRBY', KEYS[2], 'alerts', 1)
local entry = {}
for i = 5, #ARGV do entry[#entry + 1] = ARGV[i] end
for i = 3, #KEYS do
  redis.call('XADD', KEYS[i], 'MAXLEN', '~', ARGV[2], '*', unpack(entry))
  redis.call('XTRIM', KEYS[i], 'MINID', '~', ARGV[3])
end
return 1
"""

# KEYS[1] = marker of the dismissed alert, KEYS[2] = metrics hash. ARGV[1] = prefix of the
# dismissed-cause keys, ARGV[2] = their TTL, ARGV[3] = the verdict. The cause is read from the
# marker, so feedback needs only the alert id. Single-node Redis: the dismissed key is built
# here rather than declared (a Redis Cluster would need both keys in one hash slot).
_DISMISS = """
local cause = redis.call('GET', KEYS[1])
if not cause then
  redis.call('HINCRBY', KEYS[2], 'dismissals_unknown_alert', 1)
  return 0
end
redis.call('SET', ARGV[1] .. cause, ARGV[3], 'EX', ARGV[2])
redis.call('HINCRBY', KEYS[2], 'dismissals', 1)
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


class CommandPacker:
    """redis-py's command packer, with hiredis packing each whole command in one call.

    redis-py's own packer passes every argument through its ``Encoder`` in Python before
    hiredis packs them: for a 25-field state hash that is 27 µs a command, against 3.3 µs for
    ``hiredis.pack_command`` on the same arguments, which encodes ``str`` as UTF-8 and
    numbers by ``repr`` as redis-py does (the bytes are the same: tested). Whatever hiredis
    refuses (``bool``, ``None``, ``bytearray``) and command names with a space (``CLIENT
    SETINFO``) go to redis-py's packer, which raises its own errors. Passed to redis-py as
    its documented ``command_packer`` connection argument.
    """

    def __init__(self) -> None:
        encoder = Encoder(encoding="utf-8", encoding_errors="strict", decode_responses=False)
        self._fallback = HiredisRespSerializer(encode=encoder.encode)

    def pack(self, *args: Any) -> list[bytes]:
        """The RESP bytes of one command."""
        name = args[0]
        if (b" " if isinstance(name, bytes) else " ") not in name:
            try:
                return [hiredis.pack_command(args)]
            except TypeError:
                pass
        return self._fallback.pack(*args)  # type: ignore[no-any-return]


class RedisSink:
    """Idempotent, pipelined writer of one batch's outputs."""

    def __init__(self, settings: Settings, client: redis.Redis | None = None) -> None:
        self.settings = settings
        self.client = client or open_redis(
            settings,
            socket_timeout=10,
            socket_connect_timeout=5,
            health_check_interval=30,
            command_packer=CommandPacker(),
        )
        self._add_alert = self.client.register_script(_ADD_ALERT)
        self._dismiss = self.client.register_script(_DISMISS)
        self._text: redis.Redis | None = None  # decoding client, made for the first erasure

    def screen(self, alerts: list[Alert]) -> tuple[set[str], set[str]]:
        """Ids of ``alerts`` already delivered, and of those whose cause an adviser dismissed.

        One round-trip for the whole batch.
        """
        if not alerts:
            return set(), set()
        pipe = self.client.pipeline(transaction=False)
        for alert in alerts:
            pipe.exists(self.settings.key("alert-ids", str(alert["alert_id"])))
            pipe.exists(self.settings.key("dismissed", alert_cause(alert)))
        found = pipe.execute()
        known = {str(a["alert_id"]) for a, hit in zip(alerts, found[0::2], strict=True) if hit}
        dismissed = {str(a["alert_id"]) for a, hit in zip(alerts, found[1::2], strict=True) if hit}
        return known, dismissed

    def write(self, outputs: Outputs, *, suppressed: int = 0) -> int:
        """Write alerts, states, dismissals and counters; returns how many alerts were new.

        ``outputs.alerts`` must already be screened (:meth:`screen`); ``suppressed`` counts
        those left out because an adviser dismissed their cause.
        """
        s = self.settings
        pipe = self.client.pipeline(transaction=False)
        oldest = f"{max(0, int(time.time() * 1000) - s.alert_stream_retention_s * 1000)}-0"
        for alert in outputs.alerts:
            entry = stream_entry(alert)
            args: list[Any] = [s.dedup_ttl_s, s.alert_stream_maxlen, oldest, alert_cause(alert)]
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
        for dismissal in outputs.dismissals:
            self._dismiss(
                keys=[s.key("alert-ids", dismissal.alert_id), s.key("metrics", "worker")],
                args=[s.key("dismissed", ""), s.dedup_ttl_s, dismissal.verdict],
                client=pipe,
            )
        # Alerts go in a pipeline of their own, sent first: the time between the Kafka
        # acknowledgement of an alert and its Redis marker is the only moment a crash can
        # repeat it on Kafka, so the (much larger) state writes must not lengthen it.
        added = pipe.execute() if outputs.alerts or outputs.dismissals else []
        pipe = self.client.pipeline(transaction=False)
        for state in outputs.states:
            key = s.key(state.kind, state.entity_id)
            pipe.hset(key, mapping=state.fields)  # type: ignore[arg-type]
            pipe.expire(key, s.state_ttl_s)
        self._count(pipe, outputs)
        if suppressed:
            pipe.hincrby(s.key("metrics", "worker"), "alerts_suppressed_dismissed", suppressed)
        pipe.execute()
        return sum(added[: len(outputs.alerts)])

    def erase(self, jobseeker_id: str) -> dict[str, int]:
        """Delete everything about one person (``sinks.erasure``); counts by what was deleted."""
        if self._text is None:
            self._text = open_redis(self.settings, decode_responses=True, socket_timeout=30)
        return erase_jobseeker(self._text, self.settings, jobseeker_id)

    def serving(self, worker: str, versions: dict[str, int], ttl_s: int) -> None:
        """Say which model versions ``worker`` scores with: ``<p>:serving:<model>:<worker>``.

        Each key expires ``ttl_s`` after the worker last said so, so a dead worker drops
        out; operators (``vigie models``) and tests see a new snapshot reach every worker.
        """
        pipe = self.client.pipeline(transaction=False)
        for name, version in versions.items():
            pipe.set(self.settings.key("serving", name, worker), version, ex=ttl_s)
        pipe.execute()

    def memory(self, worker: str, figures: dict[str, float], ttl_s: int) -> None:
        """Record ``worker``'s memory breakdown (``<p>:memory:<worker>``, expiring as
        ``serving``): no personal data, read by ``make soak``."""
        key = self.settings.key("memory", worker)
        pipe = self.client.pipeline(transaction=False)
        pipe.hset(key, mapping=figures)  # type: ignore[arg-type]
        pipe.expire(key, ttl_s)
        pipe.execute()

    def serving_versions(self, name: str) -> dict[str, int]:
        """The version each live worker scores ``name`` with, by worker."""
        prefix = self.settings.key("serving", name, "")
        keys = sorted(self.client.scan_iter(match=f"{prefix}*", count=500))
        values = self.client.mget(keys) if keys else []
        return {
            k.decode().removeprefix(prefix)
            if isinstance(k, bytes)
            else k.removeprefix(prefix): int(v)
            for k, v in zip(keys, values, strict=True)
            if v is not None
        }

    def _count(self, pipe: Any, outputs: Outputs) -> None:
        key = self.settings.key("metrics", "worker")
        if outputs.processed:
            pipe.hincrby(key, "processed", outputs.processed)
        if outputs.learnt:
            pipe.hincrby(key, "examples_learnt", outputs.learnt)
        for error_type, n in Counter(d.error_type for d in outputs.dead_letters).items():
            pipe.hincrby(key, "dead_letters", n)
            pipe.hincrby(key, f"dead_letters:{error_type}", n)
