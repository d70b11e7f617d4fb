"""Alert delivery for adviser tools: consumer groups, dismissals, and a Redis restart."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import redis

from sinks.alert_client import AlertSubscriber
from streams.publisher import Publisher
from streams.settings import Settings
from tests.integration.conftest import wait_for
from tests.integration.test_worker import offer, publish_market


def alert(n: int) -> dict[str, object]:
    return {
        "alert_id": f"a{n}",
        "alert_type": "t",
        "severity": "info",
        "audience_kind": "area",
        "audience_id": "07",
        "title": f"alerte {n}",
        "model_name": "m",
        "model_version": "v1",
    }


def fill_stream(client: redis.Redis, key: str, n: int) -> None:
    import orjson

    for i in range(n):
        client.xadd(key, {"alert_id": f"a{i}", "json": orjson.dumps(alert(i)).decode()})


def test_consumer_groups_let_tools_each_read_all_or_share_the_work(
    settings: Settings, redis_client: redis.Redis
) -> None:
    audience = ("area", "07")
    key = settings.key("alerts", *audience)
    fill_stream(redis_client, key, 10)
    # Two different tools: each sees everything.
    for group in ("crm", "dashboard"):
        sub = AlertSubscriber(settings, audience, group=group, from_start=True)
        got = list(sub.follow(idle_timeout_s=0.5))
        assert [d.alert["alert_id"] for d in got] == [f"a{i}" for i in range(10)]
    # Two instances of one tool share the work: disjoint, and together complete.
    one = AlertSubscriber(settings, audience, group="workers", consumer="w1", from_start=True)
    two = AlertSubscriber(settings, audience, group="workers", consumer="w2")
    first = one.read(count=4)
    second = list(two.follow(idle_timeout_s=0.5))
    ids_one = {d.alert["alert_id"] for d in first}
    ids_two = {d.alert["alert_id"] for d in second}
    assert ids_one.isdisjoint(ids_two) and len(ids_one | ids_two) == 10


def test_an_alert_not_acknowledged_is_delivered_again_after_a_crash(
    settings: Settings, redis_client: redis.Redis
) -> None:
    audience = ("adviser", "ADV-1")
    fill_stream(redis_client, settings.key("alerts", *audience), 3)
    tool = AlertSubscriber(settings, audience, group="poste", consumer="p1", from_start=True)
    batch = tool.read()
    tool.ack(batch[0])  # the tool crashes after handling the first alert only
    again = AlertSubscriber(settings, audience, group="poste", consumer="p1")
    redelivered = again.read()
    assert [d.alert["alert_id"] for d in redelivered] == ["a1", "a2"]


def test_a_dismissed_alert_is_not_raised_again_for_the_same_cause(
    settings: Settings, publisher: Publisher, worker_factory, redis_client: redis.Redis
) -> None:
    worker_factory()
    publish_market(publisher, redis_client, settings)
    publisher.publish("OfferPosted", offer("dismiss-me", 1100.0))
    publisher.flush()
    stream = settings.key("alerts", "all")
    entries = wait_for(lambda: redis_client.xrange(stream), what="the first alert")
    alert_id = entries[0][1]["alert_id"]
    publisher.publish(
        "AdviserFeedback",
        {
            "event_id": "fb-1",
            "feedback_id": "fb-1",
            "adviser_id": "ADV-0701-01",
            "given_at": datetime.now(UTC),
            "target_kind": "alert",
            "target_id": alert_id,
            "verdict": "not_useful",
            "corrected_intent": None,
            "corrected_urgency": None,
            "model_name": None,
            "model_version": None,
        },
    )
    publisher.flush()
    metrics = settings.key("metrics", "worker")
    wait_for(lambda: redis_client.hget(metrics, "dismissals") == "1", what="the dismissal")
    # The employer re-posts the same offer, still underpaid: same cause, no new alert.
    publisher.publish("OfferPosted", offer("dismiss-me", 1050.0, event_id="evt-again"))
    publisher.publish("OfferPosted", offer("other-low", 1000.0))
    publisher.flush()
    wait_for(
        lambda: redis_client.hget(metrics, "alerts_suppressed_dismissed") == "1",
        what="the re-posted offer's alert suppressed",
    )
    wait_for(lambda: redis_client.xlen(stream) == 2, what="the other offer's alert")
    subjects = [f["subject_id"] for _, f in redis_client.xrange(stream)]
    assert subjects == ["dismiss-me", "other-low"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_redis(port: int, folder: Path) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is installed by `make services-up`"
    proc = subprocess.Popen(  # noqa: S603
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(folder),
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    wait_for(lambda: _pings(client), timeout_s=20, what="the private redis-server")
    return proc


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def test_the_worker_waits_for_a_restarted_redis_and_loses_no_alert(
    settings: Settings, publisher: Publisher, worker_factory, tmp_path: Path
) -> None:
    # A private redis-server, so restarting it disturbs nothing else.
    port = _free_port()
    server = _start_redis(port, tmp_path)
    private = redis.Redis(port=port, decode_responses=True)
    shared_url = settings.redis_url
    object.__setattr__(settings, "redis_url", f"redis://127.0.0.1:{port}/0")
    # At least once here (exactly once, the default, meets outages in test_broker_restart.py
    # and test_restart.py): the integration test of that guarantee's retry path.
    object.__setattr__(settings, "processing_guarantee", "at_least_once")
    try:
        worker = worker_factory()
        publish_market(publisher, private, settings)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        lows = [f"while-down-{i}" for i in range(20)]
        for offer_id in lows:
            publisher.publish("OfferPosted", offer(offer_id, 1000.0))
            # Two fair offers for each low one keep the local median in the fair cluster.
            publisher.publish("OfferPosted", offer(f"{offer_id}-fair-a", 2000.0))
            publisher.publish("OfferPosted", offer(f"{offer_id}-fair-b", 1950.0))
        publisher.flush()
        time.sleep(3)  # the worker meets the outage and retries
        server = _start_redis(port, tmp_path)
        stream = settings.key("alerts", "all")
        for offer_id in lows:
            wait_for(
                lambda o=offer_id: private.exists(settings.key("offer", f"{o}-fair-b")),
                timeout_s=90,
                what=f"{offer_id} and its fair offers processed",
            )
        time.sleep(1)
        low_salary = [
            f["subject_id"]
            for _, f in private.xrange(stream)
            if f["alert_type"] == "offer_low_salary"
        ]
        assert sorted(low_salary) == sorted(lows)
        # At least once, the batch is retried (and no transaction is used).
        assert "delivery failed, retrying" in worker.log()
        assert "transaction:" not in worker.log()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        object.__setattr__(settings, "redis_url", shared_url)
    assert os.path.exists(tmp_path / "appendonlydir")
