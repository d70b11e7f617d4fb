"""Reading alerts back from Redis: what ``vigie alerts tail`` and adviser tools use."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import redis

from streams.settings import Settings


class AlertReader:
    """Follows one alert stream (an audience's, or the global one)."""

    def __init__(self, settings: Settings, client: redis.Redis | None = None) -> None:
        self.settings = settings
        self.client = client or redis.Redis.from_url(settings.redis_url, decode_responses=True)

    def stream_key(self, audience: tuple[str, str] | None) -> str:
        """Key of an audience's stream; None is the global stream."""
        if audience is None:
            return self.settings.key("alerts", "all")
        return self.settings.key("alerts", *audience)

    def follow(
        self,
        audience: tuple[str, str] | None,
        *,
        from_start: bool = False,
        count: int = 0,
        idle_timeout_s: float = 0.0,
    ) -> Iterator[dict[str, Any]]:
        """Yield alerts as they land; stop after ``count`` alerts or ``idle_timeout_s`` idle."""
        key, last_id, seen = self.stream_key(audience), "0" if from_start else "$", 0
        block_ms = int(idle_timeout_s * 1000) if idle_timeout_s else 5000
        while True:
            reply = self.client.xread({key: last_id}, count=100, block=block_ms)
            if not reply:
                if idle_timeout_s:
                    return
                continue
            for entry_id, fields in reply[0][1]:
                last_id = entry_id
                yield orjson.loads(fields["json"])
                seen += 1
                if count and seen >= count:
                    return

    @staticmethod
    def format(alert: dict[str, Any]) -> str:
        """One readable line per alert, in French as advisers read it."""
        reason = alert["reasons"][0]["message"] if alert.get("reasons") else ""
        return (
            f"[{alert['severity']:8}] {alert['audience_kind']} {alert['audience_id']:>5} | "
            f"{alert['title']} | {reason} ({alert['model_name']} {alert['model_version']})"
        )
