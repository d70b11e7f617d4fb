"""Audit replay on the real broker and Redis: a worker's alerts re-derived, tampering caught,
nothing live touched.

One worker run (module scope) records the traffic the three tests replay. Its learners snapshot
every second and its views follow, so the recorded alerts name several versions of the models:
the replay must pick the right one for each event. The tamper test publishes to the alerts
topic, so it runs last (pytest keeps the file's order).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from confluent_kafka import Consumer, Producer, TopicPartition

from agents.offers.model import MODEL_NAME as OFFER_MODEL
from schemas.codec import Codec, SchemaRegistry
from streams.admin import create_topics, delete_namespace
from streams.modelstore import KafkaModelStore
from streams.replay import ReplayOptions, ReplayResult, run_replay
from streams.replay.bounds import parse_bound
from streams.replay.versions import FROM_WORKER, parse_label
from streams.settings import PROJECT_ROOT, Settings
from streams.simulate import run_simulation
from streams.topics import INPUT_TOPICS, TOPICS
from tests.integration.conftest import (
    WorkerProcess,
    namespace_settings,
    read_topic,
    settings_env,
    wait_for,
)

pytestmark = pytest.mark.integration

EVENTS = 1600


@dataclass
class Recorded:
    """The namespace a worker recorded its traffic in."""

    settings: Settings
    published: int
    alerts: int


@pytest.fixture(scope="module")
def recorded(
    kafka_bootstrap: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Recorded]:
    """Simulated traffic processed by a real worker, then the worker stopped."""
    s = namespace_settings(kafka_bootstrap, redis_url)
    create_topics(s)
    try:
        half = EVENTS // 2
        published = _publish(s, events=half)
        log = tmp_path_factory.mktemp("replay") / "worker.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker"],
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            env={**os.environ, **settings_env(s)},
            cwd=PROJECT_ROOT,
        )
        worker = WorkerProcess(proc, log)
        try:
            _wait_processed(s)
            # Let the learner publish a snapshot and the views take it: the second half of
            # the traffic is then scored with a newer version than the first.
            wait_for(lambda: KafkaModelStore(s).latest(OFFER_MODEL), what="a first snapshot")
            time.sleep(2 * s.model_refresh_s + 1)
            published += _publish(s, events=EVENTS - half, skip=half)
            _wait_processed(s)
        finally:
            worker.stop()
        codec = Codec(SchemaRegistry.default())
        alerts = len({codec.decode(m.value()).record["alert_id"] for m in read_topic(s, "alerts")})
        yield Recorded(s, published, alerts)
    finally:
        delete_namespace(s)


def _publish(s: Settings, *, events: int, skip: int = 0) -> int:
    """Publish part of one simulated traffic of EVENTS events; returns how many were sent."""
    stats = run_simulation(s, seed=11, events=events, skip=skip, span_events=EVENTS)
    return sum(stats.published.values())


def _wait_processed(s: Settings) -> None:
    """Wait until the worker's group committed every input event: all were scored and delivered.

    Not the ``processed`` counter of the worker's metrics: it also counts the learning topic's
    examples, so it reaches the number published before the last input events are scored.
    """
    consumer = Consumer({"bootstrap.servers": s.kafka_bootstrap_servers, "group.id": s.app_id})
    try:
        partitions = [
            TopicPartition(s.topic(short), p) for short in INPUT_TOPICS for p in range(s.partitions)
        ]

        def done() -> bool:
            committed = consumer.committed(partitions, timeout=10)
            for tp in committed:
                _, high = consumer.get_watermark_offsets(tp, timeout=10)
                if high > 0 and tp.offset < high:
                    return False
            return True

        wait_for(done, timeout_s=120, what="the worker to commit every input event")
    finally:
        consumer.close()


def _replay(s: Settings, models: str = "recorded", **kw: Any) -> ReplayResult:
    kw.setdefault("start", parse_bound("earliest"))
    options = ReplayOptions(
        end=parse_bound("latest"),
        models=models,  # type: ignore[arg-type]
        progress=False,
        **kw,
    )
    return run_replay(s, options, now=datetime(2026, 1, 1, tzinfo=UTC))


def test_replay_rederives_every_recorded_alert_identically_and_deterministically(
    recorded: Recorded,
) -> None:
    assert recorded.alerts > 0, "the traffic raised alerts"
    first = _replay(recorded.settings)
    summary = first.report["summary"]
    assert summary["recorded"] == summary["matches"] == recorded.alerts
    assert summary["missing"] == summary["different"] == 0
    # The worker recorded, with its learning examples, the versions that scored each event:
    # with those exact versions the replay raises nothing the worker did not. An extra could
    # only come from an event whose versions were inferred (no learning example).
    differences = first.report["differences"]
    exact = [d for d in differences if d["version_chosen_as"] == FROM_WORKER]
    assert not exact, f"extra alerts with the recorded versions: {_brief(exact)}"
    assert all(d["kind"] == "extra" and d["explanation"] for d in differences)
    assert first.report["events"]["read"] == recorded.published
    # Every scored event's versions were recorded, by its learning examples or, for events
    # that teach no model (feedback, timers), by its scoring batch's range on the scored topic,
    # whose ranges cover every input event read.
    ranges = [orjson.loads(m.value()) for m in read_topic(recorded.settings, "scored", expect=1)]
    covered = {
        (r["topic"], r["partition"], offset)
        for r in ranges
        for offset in range(r["first"], r["last"] + 1)
    }
    assert len(covered) >= recorded.published and all(r["scored_with"] for r in ranges)
    chosen = first.report["versions_chosen"]["events"]
    assert chosen.get(FROM_WORKER) == recorded.published, chosen
    assert summary["extra"] == 0 and summary["identical"], _brief(differences)
    used = first.report["versions_used"]
    assert {v["chosen_as"] for v in used} >= {FROM_WORKER}
    offer_versions = {v["version"] for v in used if v["model"] == OFFER_MODEL}
    assert len(offer_versions) >= 2, f"the traffic spans several versions: {used}"
    assert f"{summary['matches']:,}</b><span>matches" in first.html

    again = _replay(recorded.settings)
    assert again.report == first.report
    later = run_replay(
        recorded.settings,
        ReplayOptions(start=parse_bound("earliest"), end=parse_bound("latest"), progress=False),
    )
    assert {**later.report, "generated_at": "x"} == {**first.report, "generated_at": "x"}

    what_if = _replay(recorded.settings, models="current")
    assert what_if.report["versions_chosen"]["events"] == {"latest": recorded.published}
    assert {v["chosen_as"] for v in what_if.report["versions_used"]} == {"latest"}
    assert what_if.report["summary"]["recorded"] == recorded.alerts


def test_a_range_that_starts_mid_stream_rebuilds_the_job_seekers_state_first(
    recorded: Recorded,
) -> None:
    # The job seekers' diagnostics read the profile table (what earlier events wrote, e.g.
    # which reconversion options were already shown): a replay from the middle of the traffic
    # rebuilds it from the events before the range, then matches the worker exactly.
    stamps = sorted(m.timestamp()[1] for m in read_topic(recorded.settings, "jobseekers"))
    middle = datetime.fromtimestamp(stamps[len(stamps) // 2] / 1000, UTC).isoformat()
    half = _replay(recorded.settings, start=parse_bound(middle))
    summary = half.report["summary"]
    assert 0 < half.report["events"]["read"] < recorded.published
    assert summary["recorded"] > 0 and summary["matches"] == summary["recorded"]
    assert summary["missing"] == summary["different"] == summary["extra"] == 0, _brief(
        half.report["differences"]
    )
    assert half.run["warm_up_events"] > 0


def _brief(differences: list[dict[str, Any]]) -> list[str]:
    return [
        f"{d['kind']} {d['code']} {d['alert_type']} {d['source']['topic']}"
        f"[{d['source']['partition']}]@{d['source']['offset']} {d['replay_version']}"
        for d in differences[:10]
    ]


def _namespace_state(s: Settings) -> dict[str, Any]:
    """Every Redis key of the namespace with its content, and every topic's end offsets."""
    client = redis.Redis.from_url(s.redis_url, decode_responses=True)
    try:
        keys: dict[str, Any] = {}
        for key in sorted(client.scan_iter(match=f"{s.redis_prefix}:*", count=1000)):
            if key.startswith(s.key("serving", "")):
                continue  # the stopped worker's heartbeats, expiring on their own
            keys[key] = _redis_value(client, key)
    finally:
        client.close()
    consumer = Consumer({"bootstrap.servers": s.kafka_bootstrap_servers, "group.id": "probe"})
    try:
        ends = {}
        for spec in TOPICS:
            topic = s.topic(spec.name)
            meta = consumer.list_topics(topic, timeout=10).topics[topic]
            for p in meta.partitions:
                ends[f"{topic}:{p}"] = consumer.get_watermark_offsets(
                    TopicPartition(topic, p), timeout=10
                )
    finally:
        consumer.close()
    return {"redis": keys, "topics": ends}


def _redis_value(client: redis.Redis, key: str) -> Any:
    kind = client.type(key)
    if kind == "hash":
        return client.hgetall(key)
    if kind == "stream":
        return client.xrange(key)
    if kind == "string":
        return client.get(key)
    if kind == "set":
        return sorted(client.smembers(key))
    return kind


def test_a_replay_writes_nothing_live(recorded: Recorded, tmp_path: Path) -> None:
    s = recorded.settings
    before = _namespace_state(s)
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "replay", "--from", "earliest", "--out", tmp_path],
        env={**os.environ, **settings_env(s)},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "100%" in done.stderr, "the progress bar ran"
    assert f"{recorded.alerts:,} matches" in done.stdout
    time.sleep(1.0)  # anything written asynchronously would have landed by now
    after = _namespace_state(s)
    changed = [
        k
        for k in before["redis"].keys() | after["redis"].keys()
        if before["redis"].get(k) != after["redis"].get(k)
    ]
    assert not changed, f"Redis keys changed by the replay: {changed[:5]}"
    assert after["topics"] == before["topics"]
    report = orjson.loads((tmp_path / "replay-report.json").read_bytes())
    assert report["summary"]["missing"] == report["summary"]["different"] == 0
    assert (tmp_path / "replay-report.html").read_text().startswith("<!DOCTYPE html>")


def test_a_tampered_or_forged_alert_shows_up_as_a_difference(recorded: Recorded) -> None:
    s = recorded.settings
    untouched = _replay(s).report["summary"]
    codec = Codec(SchemaRegistry.default())
    alerts = [codec.decode(m.value()).record for m in read_topic(s, "alerts", expect=1)]
    original = sorted(alerts, key=lambda a: a["alert_id"])[0]
    tampered = {
        **original,
        "score": round((original["score"] or 0.0) + 0.05, 4),
        "title": original["title"] + " (modifié)",
    }
    forged_source = _event_without_alert(s, alerts, original)
    forged = {
        **original,
        "alert_id": "forged0000000000000000000",
        "source_topic": forged_source[0],
        "source_partition": forged_source[1],
        "source_offset": forged_source[2],
    }
    producer = Producer({"bootstrap.servers": s.kafka_bootstrap_servers})
    for alert in (tampered, forged):
        producer.produce(
            s.topic("alerts"), key=alert["alert_id"].encode(), value=codec.encode("Alert", alert)
        )
    assert producer.flush(10) == 0

    result = _replay(s)
    summary = result.report["summary"]
    assert summary["matches"] == recorded.alerts, "the untouched copy still matches"
    assert (summary["different"], summary["missing"]) == (1, 1)
    assert summary["extra"] == untouched["extra"]
    by_kind = {d["kind"]: d for d in result.report["differences"] if d["kind"] != "extra"}
    diff = by_kind["different"]
    assert diff["alert_id"] == original["alert_id"]
    assert diff["code"] == "score_differs"
    assert {f["field"] for f in diff["fields"]} == {"score", "title"}
    assert "tampered" in diff["explanation"] and "2 different copies" in diff["explanation"]
    missing = by_kind["missing"]
    assert missing["alert_id"] == forged["alert_id"]
    assert missing["code"] == "decision_differs"
    assert f"replay with {forged['model_version']} raises no alert" in missing["explanation"]
    assert diff["explanation"] in result.html


def _event_without_alert(
    s: Settings, alerts: list[dict[str, Any]], like: dict[str, Any]
) -> tuple[str, int, int]:
    """An offers-topic event that raised no alert, scored with the version ``like`` names (the
    worker recorded it on the learning topic): a forged alert the replay must call forged."""
    raised = {(a["source_topic"], a["source_partition"], a["source_offset"]) for a in alerts}
    codec = Codec(SchemaRegistry.default())
    topic, model = s.topic("offers"), like["model_name"]
    version = (parse_label(like["model_version"]) or (-1, 0))[0]
    for m in read_topic(s, "learning", expect=1):
        w = codec.decode(m.value()).record
        source = (w["source_topic"], w["source_partition"], w["source_offset"])
        if source[0] == topic and source not in raised and w["scored_with"].get(model) == version:
            return source
    raise AssertionError(f"no offer without alert was scored with {model} {like['model_version']}")
