"""The worker's Prometheus metrics: what one batch records, and the /metrics endpoint."""

from __future__ import annotations

import socket
import time
import urllib.request
from types import SimpleNamespace

from faust.types import TP
from prometheus_client import REGISTRY

from sinks.outputs import DeadLetter, Outputs, SourceRef
from streams import metrics
from streams.pipeline import InputEvent


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_batch_counts_events_dead_letters_alerts_latency_and_versions() -> None:
    src = SourceRef("m.offers", 0, 7, int(time.time() * 1000) - 2000)
    events = [InputEvent(src, b"k", b"v"), InputEvent(src, b"k", b"v")]
    out = Outputs(
        alerts=[{"alert_type": "m_offer_low_salary", "source_timestamp": src.timestamp_ms}],
        dead_letters=[DeadLetter(src, b"k", b"v", "ValidationError", "bad")],
        scored_with={"m-offer-model": 12},
    )
    before = _value("vigie_events_total", topic="m.offers", stage="scoring")
    latency = _value("vigie_event_to_alert_seconds_sum")
    metrics.observe_batch("scoring", events, out, 1, 0.05)
    assert _value("vigie_events_total", topic="m.offers", stage="scoring") == before + 2
    assert _value("vigie_dead_letters_total", topic="m.offers", error_type="ValidationError") >= 1
    assert _value("vigie_alerts_raised_total", alert_type="m_offer_low_salary") >= 1
    assert _value("vigie_event_to_alert_seconds_sum") - latency >= 2.0
    assert _value("vigie_model_version_served", model="m-offer-model") == 12


def test_lag_is_the_partition_end_minus_the_next_offset() -> None:
    tp = TP("m.emails", 3)
    consumer = SimpleNamespace(highwater=lambda _tp: 110)
    metrics.observe_lag(consumer, [SimpleNamespace(tp=tp, offset=99)])
    assert _value("vigie_consumer_lag", topic="m.emails", partition="3") == 10


def test_the_endpoint_serves_the_metrics_and_a_taken_port_is_not_fatal() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert metrics.serve(port)
    assert not metrics.serve(port)  # taken: logged, the worker goes on
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()  # noqa: S310
    assert "vigie_batch_seconds_bucket" in body


def test_the_grafana_dashboard_reads_metrics_that_exist() -> None:
    import json
    import re

    from console.metrics import ConsoleMetrics
    from streams.settings import PROJECT_ROOT

    dashboard = json.loads((PROJECT_ROOT / "docs" / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {m for e in exprs for m in re.findall(r"\bvigie_[a-z_]+", e)}
    known = {
        family.name + suffix  # a labelled metric has no sample before its first labels
        for registry in (REGISTRY, ConsoleMetrics().registry)
        for family in registry.collect()
        for suffix in ("", "_total", "_bucket", "_sum", "_count")
    }
    assert used and used <= known, used - known
