"""The console's Prometheus metrics, in a registry of its own (one per app: tests build many)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclass
class ConsoleMetrics:
    """Requests, refusals, verdicts and live streams of one console."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter(
            "vigie_console_requests",
            "HTTP requests by route template and status code.",
            ["route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "vigie_console_request_seconds",
            "Time to answer an HTTP request (live streams excluded).",
            ["route"],
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.forbidden = Counter(
            "vigie_console_forbidden",
            "Requests refused (403) for someone else's job seeker, email, offer or alerts.",
            ["resource", "role"],
            registry=r,
        )
        self.unauthenticated = Counter(
            "vigie_console_unauthenticated",
            "Requests without a valid token, by reason.",
            ["reason"],
            registry=r,
        )
        self.feedback = Counter(
            "vigie_console_feedback",
            "AdviserFeedback events published, by target kind and verdict.",
            ["target_kind", "verdict"],
            registry=r,
        )
        self.feedback_errors = Counter(
            "vigie_console_feedback_errors",
            "Feedback that could not be published (refused or broker unavailable).",
            registry=r,
        )
        self.live_streams = Gauge(
            "vigie_console_live_streams", "Open Server-Sent Events streams.", registry=r
        )
        self.live_alerts = Counter(
            "vigie_console_live_alerts", "Alerts pushed over live streams.", registry=r
        )
