"""The Python client adviser tools use to follow alerts in Redis, through consumer groups.

Each audience has its own stream (``<p>:alerts:<kind>:<id>``, see ``sinks.redis_sink``).
Tools that must each see everything use different group names; instances of one tool that
share the work use the same group with different consumer names. An alert is acknowledged
once the tool has handled it; one that was delivered but not acknowledged (the tool crashed)
is delivered again when that consumer comes back.

>>> sub = AlertSubscriber(load_settings(), ("adviser", "ADV-0701-03"), group="poste-conseil")
...                                                                   # doctest: +SKIP
>>> for delivered in sub.follow():                                    # doctest: +SKIP
...     show(delivered.alert)
...     sub.ack(delivered)
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import redis

from streams.security import open_redis
from streams.settings import Settings


@dataclass(frozen=True, slots=True)
class Delivered:
    """One alert read from a stream, with the entry id to acknowledge."""

    entry_id: str
    alert: dict[str, Any]


def stream_key(settings: Settings, audience: tuple[str, str] | None) -> str:
    """Key of an audience's stream; None is the stream of every alert."""
    if audience is None:
        return settings.key("alerts", "all")
    return settings.key("alerts", *audience)


def format_alert(alert: dict[str, Any]) -> str:
    """One readable line per alert, in French as advisers read it."""
    reason = alert["reasons"][0]["message"] if alert.get("reasons") else ""
    return (
        f"[{alert['severity']:8}] {alert['audience_kind']} {alert['audience_id']:>5} | "
        f"{alert['title']} | {reason} ({alert['model_name']} {alert['model_version']})"
    )


class AlertSubscriber:
    """Reads one alert stream as a member of a consumer group."""

    def __init__(
        self,
        settings: Settings,
        audience: tuple[str, str] | None,
        *,
        group: str,
        consumer: str | None = None,
        from_start: bool = False,
        client: redis.Redis | None = None,
    ) -> None:
        self.client = client or open_redis(settings, decode_responses=True)
        self.key = stream_key(settings, audience)
        self.group = group
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        try:
            self.client.xgroup_create(self.key, group, id="0" if from_start else "$", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
            if from_start:
                self.client.xgroup_setid(self.key, group, id="0")
        # Entries delivered to this consumer earlier but never acknowledged come first.
        self._cursor = "0"

    def read(self, count: int = 100, block_ms: int = 5000) -> list[Delivered]:
        """The next alerts for this consumer (at most ``count``; waits up to ``block_ms``)."""
        reply = self.client.xreadgroup(
            self.group,
            self.consumer,
            {self.key: self._cursor},
            count=count,
            block=None if self._cursor == "0" else block_ms,
        )
        entries = reply[0][1] if reply else []
        if self._cursor == "0" and not entries:
            self._cursor = ">"  # the backlog of unacknowledged entries is drained
            return self.read(count, block_ms)
        return [
            Delivered(entry_id, orjson.loads(fields["json"]))
            for entry_id, fields in entries
            if fields
        ]

    def ack(self, *delivered: Delivered) -> int:
        """Acknowledge handled alerts; returns how many were pending."""
        if not delivered:
            return 0
        return int(self.client.xack(self.key, self.group, *(d.entry_id for d in delivered)))

    def follow(self, *, count: int = 0, idle_timeout_s: float = 0.0) -> Iterator[Delivered]:
        """Yield alerts as they land; stop after ``count`` alerts or ``idle_timeout_s`` idle."""
        seen = 0
        block_ms = int(idle_timeout_s * 1000) if idle_timeout_s else 5000
        while True:
            batch = self.read(block_ms=block_ms)
            if not batch and idle_timeout_s:
                return
            for delivered in batch:
                yield delivered
                seen += 1
                if count and seen >= count:
                    return

    def delete_group(self) -> None:
        """Remove this consumer group (for one-off readers such as ``tail --from-start``)."""
        self.client.xgroup_destroy(self.key, self.group)
