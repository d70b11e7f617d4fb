"""Secured Kafka and Redis: publish -> worker -> alert over SASL_SSL and TLS with an ACL user.

The module starts its own secured broker (one SASL_SSL listener, SCRAM-SHA-512 and PLAIN users
made at format time) and Redis (TLS only, the default user off, one ACL user), on free ports,
with certificates and data in a temporary folder (``services/local.py``), and stops both at the
end. Neither server has a plain-text port, so every client of the path (the publisher, Faust's
consumers and producer, the sinks, the model store, the table, the test's own readers) has to
go through the security settings to work at all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from schemas.codec import Codec
from streams.admin import create_topics
from streams.errors import CredentialsError
from streams.publisher import Publisher
from streams.security import check_connections
from streams.settings import PROJECT_ROOT, Settings
from tests.integration.conftest import (
    free_ports,
    namespace_settings,
    read_topic,
    settings_env,
    wait_for,
)
from tests.integration.test_worker import offer, publish_market
from tests.service_resolution import load_local_services, running_on_ci

pytestmark = pytest.mark.integration

FAIL_FAST_S = 30.0  # a refused password must stop `vigie worker` well within this
# A worker's first event waits for its start-up (models, referential): on a loaded 2-core
# machine that alone can take a minute, which says nothing about security.
FIRST_EVENT_S = 180.0


def _stop(pid: int) -> None:
    """SIGTERM, then SIGKILL after 20 s; returns once the process is gone."""
    with_kill = time.monotonic() + 20
    sig = signal.SIGTERM
    while True:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(") ", 1)[1][0] == "Z":
                    return
        except FileNotFoundError:
            return
        if time.monotonic() > with_kill:
            sig = signal.SIGKILL
        time.sleep(0.2)


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A secured broker and Redis of the module's own; yields the Vigie settings reaching them."""
    local = load_local_services()
    root = tmp_path_factory.mktemp("secured")
    kafka_port, controller_port, redis_port = free_ports(3)
    pids: list[int] = []
    try:
        certs = local.make_certs(root / "certs")
        kafka = local.kafka_security(root / "kafka", certs)
        redis_ = local.redis_security(root / "redis", certs)
        pids.append(local.start_redis_node(root / "redis", redis_port, redis_))
        pids.append(
            local.start_kafka_node(
                root / "kafka", kafka_port, controller_port, timeout=90, security=kafka
            )
        )
    except local.ServiceError as exc:
        for pid in pids:
            _stop(pid)
        if running_on_ci():
            pytest.fail(f"secured services could not start: {exc}")
        pytest.skip(f"secured services could not start: {exc}")
    try:
        yield {
            **kafka.env(f"127.0.0.1:{kafka_port}"),
            **redis_.env(redis_port),
            "VIGIE_SECURED_RUN_DIR": str(root),  # for the checks below, not a Vigie setting
        }
    finally:
        for pid in pids:
            _stop(pid)


@pytest.fixture
def settings(secured: dict[str, str]) -> Settings:
    """The conftest's isolated namespace, on the secured broker and Redis (both dropped at the
    end of the module, so the namespace is not deleted one by one)."""
    env = {k: v for k, v in secured.items() if k != "VIGIE_SECURED_RUN_DIR"}
    s = namespace_settings(env["KAFKA_BOOTSTRAP_SERVERS"], env["REDIS_URL"], env)
    create_topics(s)
    return s


def test_the_secured_servers_have_no_plain_text_port(secured: dict[str, str]) -> None:
    root = Path(secured["VIGIE_SECURED_RUN_DIR"])
    listeners = [
        line
        for line in (root / "kafka" / "server.properties").read_text().splitlines()
        if line.startswith(("listeners=", "advertised.listeners="))
    ]
    # The client listener is SASL_SSL; only the controller's own (KRaft) listener is not.
    assert len(listeners) == 2 and all("=SASL_SSL://" in line for line in listeners)
    assert not any("PLAINTEXT://" in line for line in listeners)
    plain_redis = secured["REDIS_URL"].replace("rediss://", "redis://")
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(plain_redis, socket_timeout=3).ping()


def test_low_salary_alert_over_sasl_ssl_and_redis_tls_acl(
    settings: Settings,
    publisher: Publisher,
    worker_factory,
    redis_client: redis.Redis,
    codec: Codec,
) -> None:
    assert settings.kafka_security_protocol == "SASL_SSL"
    assert settings.kafka_sasl_mechanism == "SCRAM-SHA-512"
    assert settings.redis_tls and settings.redis_username == "vigie"
    worker = worker_factory()
    publish_market(publisher, redis_client, settings, timeout_s=FIRST_EVENT_S)
    publisher.publish("OfferPosted", offer("low-1", 1200.0))
    publisher.flush()

    stream = settings.key("alerts", "area", "07")
    entries = wait_for(lambda: redis_client.xrange(stream), what="an alert on the area stream")
    assert [e[1]["subject_id"] for e in entries] == ["low-1"]
    assert entries[0][1]["alert_type"] == "offer_low_salary"
    alerts = [codec.decode(m.value()).record for m in read_topic(settings, "alerts", expect=1)]
    assert [a["alert_id"] for a in alerts] == [entries[0][1]["alert_id"]]
    assert "SASL authentication error" not in worker.log()


def test_plain_mechanism_is_accepted_too(settings: Settings) -> None:
    from dataclasses import replace

    check_connections(replace(settings, kafka_sasl_mechanism="PLAIN"), timeout_s=20)


@pytest.mark.parametrize(
    ("wrong", "expected"),
    [
        ({"VIGIE_KAFKA_SASL_PASSWORD": "not-the-password"}, "SASL authentication error"),
        (
            {"VIGIE_KAFKA_SASL_MECHANISM": "PLAIN", "VIGIE_KAFKA_SASL_PASSWORD": "nope"},
            "Invalid username or password",
        ),
        ({"VIGIE_REDIS_PASSWORD": "not-the-password"}, "Redis refused user 'vigie'"),
    ],
    ids=["kafka-scram", "kafka-plain", "redis-acl"],
)
def test_a_wrong_password_stops_the_worker_at_once_with_the_reason(
    settings: Settings, tmp_path: Path, wrong: dict[str, str], expected: str
) -> None:
    env = {**os.environ, **settings_env(settings), **wrong}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "streams.cli", "worker"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=FAIL_FAST_S * 2,
        check=False,
    )
    took = time.monotonic() - started
    assert result.returncode == 2, result.stderr[-2000:]
    assert expected in result.stderr and "vigie worker:" in result.stderr, result.stderr[-2000:]
    assert took < FAIL_FAST_S, f"took {took:.1f} s"


def test_check_connections_names_the_setting_to_fix(settings: Settings) -> None:
    from dataclasses import replace

    with pytest.raises(CredentialsError, match="VIGIE_KAFKA_SASL_PASSWORD"):
        check_connections(replace(settings, kafka_sasl_password="wrong"), redis_=False)
