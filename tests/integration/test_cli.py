"""The `vigie` command against the real broker: publish, import-offers, alerts tail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
import redis

from schemas.codec import Codec
from streams.settings import PROJECT_ROOT, Settings
from tests.integration.conftest import read_topic, settings_env, wait_for_offers
from tests.integration.test_worker import offer

SAMPLE = PROJECT_ROOT / "tests" / "fixtures" / "ft_offers_sample.jsonl"


def vigie(
    settings: Settings, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess:
    env = {**os.environ, **settings_env(settings)}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "streams.cli", *args],
        input=stdin,
        capture_output=True,
        env=env,
        cwd=PROJECT_ROOT,
        timeout=180,
        check=False,
    )


def jsonable(record: dict) -> dict:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in record.items()}


def test_publish_sends_good_lines_and_reports_bad_ones(
    settings: Settings, tmp_path: Path, codec: Codec
) -> None:
    path = tmp_path / "offers.jsonl"
    lines = [
        json.dumps(jsonable(offer("cli-1", 2000.0))),
        json.dumps(jsonable(offer("cli-2", 2000.0, rome="Z9999"))),
        "{broken",
        json.dumps(jsonable(offer("cli-3", 2100.0))),
    ]
    path.write_text("\n".join(lines) + "\n")
    result = vigie(settings, "publish", "OfferPosted", str(path))
    assert result.returncode == 1
    stderr = result.stderr.decode()
    assert f"{path}:2: rejected: unknown ROME code 'Z9999'" in stderr
    assert f"{path}:3: rejected: invalid JSON" in stderr
    assert "published 2 OfferPosted record(s), rejected 2" in result.stdout.decode()
    sent = {
        codec.decode(m.value()).record["offer_id"] for m in read_topic(settings, "offers", expect=2)
    }
    assert sent == {"cli-1", "cli-3"}


def test_the_150_real_offers_are_imported_and_each_is_assessed(
    settings: Settings, worker_factory, redis_client: redis.Redis
) -> None:
    result = vigie(settings, "import-offers", str(SAMPLE))
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert "published 150 offer(s), rejected 0" in result.stdout.decode()
    worker_factory()
    ids = [json.loads(line)["id"] for line in SAMPLE.read_text().splitlines() if line.strip()]
    wait_for_offers(redis_client, settings, ids, timeout_s=90)
    states = [redis_client.hgetall(settings.key("offer", o)) for o in ids]
    verdicts = {s["salary_assessment"] for s in states}
    assert verdicts <= {"no_salary", "no_baseline", "in_market", "below_market"}
    # 111 of the 150 offers state a salary label; 8 of the 39 others give a figure in their
    # comment (« SMIC », « 2000 € brut »...): 31 are left without one.
    assert sum(s["salary_assessment"] == "no_salary" for s in states) == 31


def test_alerts_tail_prints_the_alerts_of_an_area(
    settings: Settings, redis_client: redis.Redis
) -> None:
    stream = settings.key("alerts", "area", "07")
    alert = {
        "alert_id": "a1",
        "alert_type": "offer_low_salary",
        "severity": "warning",
        "audience_kind": "area",
        "audience_id": "07",
        "title": "Offre X : salaire bas",
        "reasons": [{"message": "Salaire proposé : 1 200 €"}],
        "model_name": "offer-salary-baseline",
        "model_version": "v3",
    }
    redis_client.xadd(stream, {"alert_id": "a1", "json": orjson.dumps(alert).decode()})
    result = vigie(settings, "alerts", "tail", "--area", "07", "--from-start", "--count", "1")
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    out = result.stdout.decode()
    assert "Offre X : salaire bas" in out and "Salaire proposé : 1 200 €" in out
    assert "offer-salary-baseline v3" in out


def test_models_lists_versions_metrics_and_drift(settings: Settings) -> None:
    from streams.modelstore import KafkaModelStore

    store = KafkaModelStore(settings)
    store.save("offer-intelligence", {"w": 1}, {"positions": {"t:0": 10}})
    store.save(
        "offer-intelligence",
        {"w": 2},
        {"positions": {"t:0": 25, "t:1": 5}, "hard_to_fill": {"auc": 0.73512, "drift": True}},
    )
    result = vigie(settings, "models")
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    out = result.stdout.decode()
    assert "offer-intelligence: 2 version(s) kept, latest v2" in out
    assert "covers input up to 30 events over 2 partition(s)" in out
    assert "hard_to_fill: auc=0.7351 drift=True" in out
