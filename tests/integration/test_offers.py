"""Offer intelligence on the real broker and Redis: explained risk alerts, and restarts.

Metalworkers in Toulouse (ROME H2911, bassin 7617) are one of the tightest cells of the 2021
tension table (5/5 with every component high, 38 job seekers): the prior alone puts an offer
there at 68 %, computed here from the same referential; the workers of this module alert from
60 % (``VIGIE_HARD_TO_FILL_THRESHOLD``), the default being 70 %.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis

from agents.offers.prior import market_context, tension_prior
from agents.wording import percent
from schemas.codec import Codec
from streams.modelstore import KafkaModelStore
from streams.publisher import Publisher
from streams.referential import load_referential
from streams.settings import PROJECT_ROOT, Settings
from tests.integration.conftest import (
    WorkerProcess,
    read_topic,
    settings_env,
    wait_for,
    wait_for_model,
)
from tests.integration.test_worker import offer as base_offer

METAL = {
    "rome": "H2911",
    "rome_label": "Métallier / Métallière",
    "title": "Métallier serrurier (H/F)",
    "dep": "31",
    "bassin": "7617",
    "commune_code": "31555",
    "postal_code": "31100",
}
MARKET = (2300.0, 2350.0, 2400.0, 2450.0, 2500.0, 2550.0)
RISK_THRESHOLD = 0.6


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The conftest's isolated namespace, with the alert threshold under the metal prior."""
    return replace(settings, hard_to_fill_threshold=RISK_THRESHOLD)


def metal_prior(settings: Settings) -> float:
    """The prior of an offer of the metal cell, from the referential the worker reads."""
    ref = load_referential(settings.data_dir)
    return tension_prior(
        market_context(ref, METAL["rome"], METAL["bassin"], METAL["dep"])
    ).probability


def metal_offer(offer_id: str, salary: float, **extra: Any) -> dict[str, Any]:
    return base_offer(offer_id, salary, **{**METAL, **extra})


def seeker(jobseeker_id: str) -> dict[str, Any]:
    now = datetime.now(UTC) - timedelta(hours=1)
    return {
        "event_id": f"evt-{jobseeker_id}",
        "jobseeker_id": jobseeker_id,
        "updated_at": now,
        "registered_at": date.today() - timedelta(days=90),
        "category": "A",
        "rome_code": "H2911",
        "rome_label": "Métallier / Métallière",
        "departement": "31",
        "bassin": "7617",
        "commune_code": "31555",
        "qualification_code": "4",
        "experience_months": 24,
        "mobility_radius_km": 20,
        "constraints": [],
        "training_in_progress": False,
        "adviser_id": "ADV-7617-01",
        "agency_id": "AG-7617",
        "last_contact_at": None,
        "source": "agency",
    }


def closure(offer_id: str, posted_at: datetime, filled_after_days: float) -> dict[str, Any]:
    """Filled a few days after posting, closed two hours after the hire."""
    filled = posted_at + timedelta(days=filled_after_days)
    return {
        "event_id": f"close-{offer_id}",
        "offer_id": offer_id,
        "closed_at": filled + timedelta(hours=2),
        "outcome": "filled",
        "posted_at": posted_at,
        "filled_at": filled,
        "positions_filled": 1,
    }


def wait_processed(client: redis.Redis, settings: Settings, ids: list[str], **field: str) -> None:
    for offer_id in ids:

        def done(o: str = offer_id) -> bool:
            state = client.hgetall(settings.key("offer", o))
            return bool(state) and all(state.get(k) == v for k, v in field.items())

        wait_for(done, timeout_s=60, what=f"offer {offer_id} processed ({field or 'posted'})")


def wait_learnt(client: redis.Redis, settings: Settings, open_offers: int) -> None:
    """Wait until the offer model's learner holds ``open_offers`` open offers."""
    key = settings.key("model", "offer-hard-to-fill")
    wait_for(
        lambda: client.hget(key, "open_offers") == str(open_offers),
        what=f"the learner holding {open_offers} open offers",
    )


def wait_served(client: redis.Redis, settings: Settings, offer_events: int) -> None:
    """Wait until the workers score with a snapshot that learnt ``offer_events`` offer events.

    A snapshot's positions say, per input partition, up to which offset it learnt.
    """
    topic = settings.topic("offers")

    def covers(meta: dict[str, Any]) -> bool:
        positions = meta.get("positions", {})
        return sum(v for k, v in positions.items() if k.rsplit(":", 1)[0] == topic) == offer_events

    wait_for_model(client, settings, "offer-intelligence", covers)


def test_a_low_offer_in_a_high_tension_area_gets_an_explained_risk_alert(
    settings: Settings,
    publisher: Publisher,
    worker_factory,
    redis_client: redis.Redis,
    codec: Codec,
) -> None:
    worker_factory()
    for i in range(2):
        publisher.publish("JobSeekerProfileUpdated", seeker(f"DE-{i}"))
    for i, pay in enumerate(MARKET):
        publisher.publish("OfferPosted", metal_offer(f"metal-{i}", pay))
    publisher.flush()
    wait_processed(redis_client, settings, [f"metal-{i}" for i in range(len(MARKET))])
    wait_served(redis_client, settings, len(MARKET))
    wait_for_model(
        redis_client,
        settings,
        "offer-jobseeker-supply",
        lambda m: m.get("active_jobseekers") == 2,
    )

    publisher.publish("OfferPosted", metal_offer("metal-low", 1850.0))
    publisher.flush()

    def risk_alert() -> dict[str, Any] | None:
        for _, entry in redis_client.xrange(settings.key("alerts", "area", "31")):
            if entry["subject_id"] == "metal-low" and entry["alert_type"] == "offer_hard_to_fill":
                return orjson.loads(entry["json"])
        return None

    alert = wait_for(risk_alert, what="the risk alert of the low offer")
    assert alert["score"] >= RISK_THRESHOLD and alert["model_name"] == "offer-intelligence"
    prior = metal_prior(settings)
    assert prior > RISK_THRESHOLD
    assert alert["title"].startswith(f"Offre metal-low à risque : {percent(prior)} de risque")
    reasons = {r["code"]: r for r in alert["reasons"]}
    assert list(reasons)[0] == "hard_to_fill_risk"
    assert (
        "estimation a priori (indicateurs de tension), le modèle n'a pas encore assez "
        "d'issues observées" in reasons["hard_to_fill_risk"]["message"]
    )
    salary = reasons["salary_below_q1"]
    assert salary["value"] == 1850.0 and salary["level"] == "bassin"
    assert 2350 <= salary["reference"] <= 2500, "the local median"
    assert "bassin d'emploi 7617 (Toulouse)" in salary["message"]
    assert reasons["market_tension"]["message"].startswith(
        "Vivier dans le bassin d'emploi 7617 (Toulouse) : 38 demandeurs d'emploi"
    )
    assert alert["suggestions"][0].startswith("Aligner le salaire sur la médiane locale : 2 4")
    assert (
        alert["inputs"]["risk_source"] == "prior" and alert["inputs"]["gaps"] == "salary_below_q1"
    )

    state = redis_client.hgetall(settings.key("offer", "metal-low"))
    assert state["status"] == "open" and state["risk_source"] == "prior"
    assert (
        state["risk_alert_id"] == alert["alert_id"] and state["salary_assessment"] == "below_market"
    )
    assert orjson.loads(state["gap_report"])["gaps"][0]["code"] == "salary_below_q1"
    # Each learner writes its own side of the potential exactly and the other's from its view
    # of the other model: the hash settles once the offer learner has learnt the low offer
    # (exactly once, its examples arrive when their transaction commits).
    key = settings.key("potential", "H2911", "bassin", "7617")
    potential = wait_for(
        lambda: (found := redis_client.hgetall(key)).get("open_offers") == "7" and found,
        what="the potential counting the low offer",
    )
    assert (potential["open_offers"], potential["active_jobseekers"]) == ("7", "2")
    metrics = redis_client.hgetall(settings.key("model", "offer-hard-to-fill"))
    assert metrics["in_use"] == "prior" and metrics["open_offers"] == "7"

    on_kafka = [codec.decode(m.value()).record for m in read_topic(settings, "alerts", expect=8)]
    kinds = sorted((a["subject_id"], a["alert_type"]) for a in on_kafka)
    # The tension prior alone puts every offer of this cell above the threshold; only the low
    # one is also below the market.
    assert kinds == sorted(
        [(f"metal-{i}", "offer_hard_to_fill") for i in range(len(MARKET))]
        + [("metal-low", "offer_hard_to_fill"), ("metal-low", "offer_low_salary")]
    )


@pytest.fixture
def fresh_group_worker(settings: Settings, tmp_path: Path) -> Iterator[Callable[[], WorkerProcess]]:
    """Start a worker in a new consumer group on the same topics, Redis keys and models.

    After a SIGKILL, a worker of the *same* group waits for Kafka's session timeout (a minute)
    before it gets the partitions; test_restart.py covers that path. A new group, as on a
    fresh deployment, starts at once: it restores the latest snapshot and reads the input log
    from the start, learning only what the snapshot does not hold.
    """
    started: list[WorkerProcess] = []

    def start() -> WorkerProcess:
        other = replace(settings, app_id=f"{settings.app_id}-b")
        log_path = tmp_path / "worker-fresh-group.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker"],
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            env={**os.environ, **settings_env(other)},
            cwd=PROJECT_ROOT,
        )
        started.append(WorkerProcess(proc, log_path))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


def test_restarts_keep_the_baselines_the_open_offers_features_and_the_model(
    settings: Settings,
    publisher: Publisher,
    worker_factory,
    fresh_group_worker,
    redis_client: redis.Redis,
) -> None:
    # Offers posted 45 days ago: their outcomes are due as soon as they close.
    posted = datetime.now(UTC) - timedelta(days=45)
    first_batch = [f"a-{i}" for i in range(6)]
    second_batch = [f"b-{i}" for i in range(6)]

    first = worker_factory()
    for i, offer_id in enumerate(first_batch):
        publisher.publish("OfferPosted", base_offer(offer_id, 1950.0 + 20 * i, posted_at=posted))
    publisher.flush()
    wait_processed(redis_client, settings, first_batch)
    wait_learnt(redis_client, settings, len(first_batch))
    first.stop()  # graceful: a final snapshot holds the open offers and their features
    saved = KafkaModelStore(settings).latest("offer-intelligence")
    assert saved is not None and saved.metadata["open_offers"] == len(first_batch)

    second = worker_factory()
    for i, offer_id in enumerate(second_batch):
        publisher.publish("OfferPosted", base_offer(offer_id, 1950.0 + 20 * i, posted_at=posted))
    publisher.flush()
    wait_processed(redis_client, settings, second_batch)
    wait_learnt(redis_client, settings, len(first_batch) + len(second_batch))
    second.kill()  # no final snapshot: what it learnt since the last one is learnt again

    third = fresh_group_worker()
    closed = first_batch[:3] + second_batch[:3]
    for offer_id in closed:  # hired within days: not hard to fill
        publisher.publish("OfferClosed", closure(offer_id, posted, filled_after_days=4))
    publisher.flush()
    wait_processed(redis_client, settings, closed, status="closed")
    for offer_id in closed:
        state = redis_client.hgetall(settings.key("offer", offer_id))
        assert state["hard_to_fill_observed"] == "0" and state["risk_at_posting"], offer_id

    wait_served(redis_client, settings, len(first_batch) + len(second_batch) + len(closed))
    # Posted today, 45 days after the others, and judged against the market learnt before the
    # restarts. An offer of two days ago closes today: closures are known up to today, so the
    # six older offers still open are learnt as unfilled after 30 days.
    recent = datetime.now(UTC) - timedelta(days=2)
    publisher.publish("OfferPosted", base_offer("low-after", 1200.0))
    other_market = {"dep": "26", "commune_code": "26362", "postal_code": "26000"}
    publisher.publish("OfferPosted", base_offer("recent", 2000.0, posted_at=recent, **other_market))
    publisher.flush()
    wait_processed(redis_client, settings, ["low-after", "recent"])
    publisher.publish("OfferClosed", closure("recent", recent, filled_after_days=1.9))
    publisher.flush()
    wait_processed(redis_client, settings, ["recent"], status="closed")
    state = redis_client.hgetall(settings.key("offer", "low-after"))
    assert state["salary_assessment"] == "below_market"
    assert state["market_count"] == "12" and state["market_level"] == "departement"

    def metrics() -> dict[str, str] | None:
        found = redis_client.hgetall(settings.key("model", "offer-hard-to-fill"))
        return found if found.get("outcomes") == "12" else None

    learnt = wait_for(metrics, what="the twelve outcomes learnt")
    assert learnt["positives"] == "6" and learnt["closed_unknown"] == "0"
    assert learnt["open_offers"] == "7"

    third.stop()  # its last snapshot carries the classifier's metrics
    latest = KafkaModelStore(settings).latest("offer-intelligence")
    assert latest is not None
    risk = latest.metadata["hard_to_fill"]
    assert risk["outcomes"] == 12 and risk["positives"] == 6
    assert risk["auc"] is not None and risk["log_loss"] is not None and risk["drift"] is False
    assert latest.metadata["closed_unknown"] == 0 and latest.metadata["open_offers"] == 7
