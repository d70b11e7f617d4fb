"""Job-seeker diagnostics on the real broker and Redis: updated on profile events, trained by
exits, flags on crafted cases only, and the profile table kept across a restart."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import redis

from agents.jobseekers.model import MIN_RETURNS, MODEL_NAME
from streams.publisher import Publisher
from streams.settings import Settings
from tests.integration.conftest import wait_for, wait_for_model
from tests.integration.test_offers import seeker

ADVISER = "ADV-7617-01"


def profile(jobseeker_id: str, *, days_registered: int = 90, **extra: Any) -> dict[str, Any]:
    record = seeker(jobseeker_id)
    record["registered_at"] = date.today() - timedelta(days=days_registered)
    record.update(extra)
    return record


def exited(jobseeker_id: str, days_registered: int) -> dict[str, Any]:
    return {
        "event_id": f"exit-{jobseeker_id}",
        "jobseeker_id": jobseeker_id,
        "exited_at": datetime.now(UTC) - timedelta(minutes=30),
        "reason": "back_to_work",
        "job_rome_code": "H2911",
        "contract_type": "CDI",
        "registered_at": date.today() - timedelta(days=days_registered),
    }


# The first wait of a test also covers the worker's start (the French pipeline, the warm
# start, the group's first rebalance), which a loaded machine stretches past a minute.
FIRST_WAIT_S = 180.0


def diagnostic(
    client: redis.Redis, settings: Settings, jid: str, timeout_s: float = 60.0, **want: str
) -> dict[str, str]:
    """The seeker's diagnostic hash once it has every field of ``want``."""

    def ready() -> dict[str, str] | None:
        found = client.hgetall(settings.key("jobseeker", jid))
        return found if found and all(found.get(k) == v for k, v in want.items()) else None

    return wait_for(ready, timeout_s=timeout_s, what=f"the diagnostic of {jid} with {want}")


def test_diagnostics_update_on_profile_events_and_exits_train_the_model(
    settings: Settings, publisher: Publisher, worker_factory, redis_client: redis.Redis
) -> None:
    worker_factory()
    publisher.publish("JobSeekerProfileUpdated", profile("DE-clean"))
    # In training yet filed in category A: a contradiction the adviser must fix.
    publisher.publish(
        "JobSeekerProfileUpdated", profile("DE-odd", training_in_progress=True, category="A")
    )
    publisher.flush()

    clean = diagnostic(redis_client, settings, "DE-clean", FIRST_WAIT_S, status="active")
    assert clean["flags"] == "" and clean["adviser_id"] == ADVISER
    assert clean["return_median_days"] == "", "no estimate before the model learnt enough exits"
    odd = diagnostic(redis_client, settings, "DE-odd", status="active")
    assert "training_category" in odd["flags"].split(",")
    alerts = redis_client.xrange(settings.key("alerts", "adviser", ADVISER))
    flagged = [orjson.loads(f["json"]) for _, f in alerts if f["subject_id"] == "DE-odd"]
    assert [a["alert_type"] for a in flagged] == ["jobseeker_data_quality"]
    assert "formation" in flagged[0]["title"].lower() or flagged[0]["reasons"]
    assert not [f for _, f in alerts if f["subject_id"] == "DE-clean"]

    # Exits train the duration model: registered 30 to 400 days before returning to work.
    for i in range(MIN_RETURNS):
        days = 30 + (i * 37) % 370
        publisher.publish("JobSeekerProfileUpdated", profile(f"DE-{i}", days_registered=days))
        publisher.publish("JobSeekerExited", exited(f"DE-{i}", days))
    publisher.flush()
    version = wait_for_model(
        redis_client,
        settings,
        MODEL_NAME,
        lambda m: m.get("duration", {}).get("returns", 0) >= MIN_RETURNS,
        timeout_s=120,
    )
    publisher.publish("JobSeekerProfileUpdated", profile("DE-after", days_registered=60))
    publisher.flush()
    after = diagnostic(redis_client, settings, "DE-after", status="active")
    assert after["return_median_days"] != "" and float(after["return_median_days"]) > 0
    assert int(after["model_version"].removeprefix("v")) >= version
    metrics = redis_client.hgetall(settings.key("model", MODEL_NAME))
    assert int(metrics["duration.returns"]) >= MIN_RETURNS


def test_the_profile_table_survives_a_restart_and_flags_an_update_after_a_return_to_work(
    settings: Settings, publisher: Publisher, worker_factory, redis_client: redis.Redis
) -> None:
    first = worker_factory()
    publisher.publish("JobSeekerProfileUpdated", profile("DE-back", days_registered=120))
    publisher.publish("JobSeekerExited", exited("DE-back", 120))
    publisher.flush()
    diagnostic(redis_client, settings, "DE-back", FIRST_WAIT_S, status="exited")
    first.stop()

    # The new worker knows of the exit only through the restored profile table.
    worker_factory()
    later = datetime.now(UTC) - timedelta(minutes=1)  # after the exit
    publisher.publish(
        "JobSeekerProfileUpdated", profile("DE-back", days_registered=120, updated_at=later)
    )
    publisher.flush()

    def flagged() -> dict[str, str] | None:
        found = redis_client.hgetall(settings.key("jobseeker", "DE-back"))
        return found if "update_after_exit" in found.get("flags", "").split(",") else None

    state = wait_for(flagged, timeout_s=FIRST_WAIT_S, what="the update-after-exit flag")
    assert state["status"] == "exited", "a stray update does not bring the seeker back"
