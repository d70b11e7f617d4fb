"""Offer proposals checked as they happen, on the real broker and Redis, and replayed.

A metalworker of Toulouse goes back to work; an offer of the same cell proposed to her later
raises « Proposition d'offre à revoir » with its French reason, and the pre-send client refuses
it. The same offer proposed to an active seeker of the same occupation is allowed and raises
nothing. A replay of the range re-derives the same findings.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import redis

from sinks.proposals import check, findings_per_agency
from streams.publisher import Publisher
from streams.replay import ReplayOptions, run_replay
from streams.replay.bounds import parse_bound
from streams.settings import Settings
from tests.integration.conftest import wait_for
from tests.integration.test_offers import metal_offer, seeker, wait_processed, wait_served

pytestmark = pytest.mark.integration


def proposal(proposal_id: str, jobseeker_id: str, offer_id: str) -> dict[str, Any]:
    return {
        "event_id": f"evt-{proposal_id}",
        "proposal_id": proposal_id,
        "offer_id": offer_id,
        "jobseeker_id": jobseeker_id,
        "proposed_by": "ADV-7617-01",
        "proposer_kind": "adviser",
        "channel": "email",
        "proposed_at": datetime.now(UTC) - timedelta(minutes=5),
    }


def test_a_proposal_to_someone_back_at_work_is_caught_and_refused_before_sending(
    settings: Settings, publisher: Publisher, worker_factory, redis_client: redis.Redis
) -> None:
    worker_factory()
    publisher.publish("OfferPosted", metal_offer("metal-open", 2400.0))
    for jid in ("DE-back", "DE-active"):
        publisher.publish("JobSeekerProfileUpdated", seeker(jid))
    publisher.publish(
        "JobSeekerExited",
        {
            "event_id": "evt-exit-back",
            "jobseeker_id": "DE-back",
            "exited_at": datetime.now(UTC) - timedelta(minutes=30),
            "reason": "back_to_work",
            "job_rome_code": "H2911",
            "contract_type": "CDI",
            "registered_at": None,
        },
    )
    publisher.flush()
    wait_processed(redis_client, settings, ["metal-open"])
    wait_served(redis_client, settings, 1)  # the scoring view knows the offer is open
    wait_for(
        lambda: redis_client.hget(settings.key("jobseeker", "DE-back"), "status") == "exited",
        what="the exit in the seeker's hash",
    )

    # Before sending: the client refuses the first pair and allows the second.
    before = check("DE-back", "metal-open", client=redis_client, settings=settings)
    assert not before.allowed and before.codes == ["seeker_exited"], before
    assert "pour reprise d'emploi : l'offre ne devrait pas lui être proposée" in before.reasons[0]
    fine = check("DE-active", "metal-open", client=redis_client, settings=settings)
    assert fine.allowed and fine.source == "state", fine

    publisher.publish("OfferProposed", proposal("P-1", "DE-back", "metal-open"))
    publisher.publish("OfferProposed", proposal("P-2", "DE-active", "metal-open"))
    publisher.flush()
    pair = settings.key("proposal", "DE-back:metal-open")
    wait_for(lambda: redis_client.hget(pair, "verdict"), what="the first verdict")
    good = settings.key("proposal", "DE-active:metal-open")
    wait_for(lambda: redis_client.hget(good, "verdict"), what="the second verdict")
    assert redis_client.hget(pair, "verdict") == "refuse"
    assert redis_client.hget(good, "verdict") == "allow"

    def proposal_alerts() -> list[dict[str, Any]]:
        stream = settings.key("alerts", "adviser", "ADV-7617-01")
        return [
            orjson.loads(e["json"])
            for _, e in redis_client.xrange(stream)
            if e["alert_type"] == "offer_proposal_to_review"
        ]

    alerts = wait_for(proposal_alerts, what="the proposal alert")
    assert [a["subject_id"] for a in alerts] == ["DE-back:metal-open"], "the good one is quiet"
    reason = alerts[0]["reasons"][0]
    assert reason["code"] == "seeker_exited" and "reprise d'emploi" in reason["message"]
    assert findings_per_agency("AG-7617", client=redis_client, settings=settings) == {
        "seeker_exited": 1
    }
    # Once sent, proposing the same offer again to the active seeker is a duplicate.
    again = check("DE-active", "metal-open", client=redis_client, settings=settings)
    assert not again.allowed and again.codes == ["already_proposed"]

    # The adviser says the proposal was right after all: the last word for that pair.
    publisher.publish(
        "AdviserFeedback",
        {
            "event_id": "evt-fb-1",
            "feedback_id": "fb-1",
            "adviser_id": "ADV-7617-01",
            "given_at": datetime.now(UTC) - timedelta(minutes=1),
            "target_kind": "proposal",
            "target_id": "DE-back:metal-open",
            "verdict": "allowed",
            "corrected_intent": None,
            "corrected_urgency": None,
            "model_name": None,
            "model_version": None,
        },
    )
    publisher.flush()
    wait_for(lambda: redis_client.hget(pair, "adviser_verdict"), what="the adviser's last word")
    last = check("DE-back", "metal-open", client=redis_client, settings=settings)
    assert last.allowed and last.source == "adviser"

    result = run_replay(
        settings,
        ReplayOptions(start=parse_bound("earliest"), end=parse_bound("latest"), progress=False),
    )
    summary = result.report["summary"]
    assert summary["matches"] == summary["recorded"] >= 1, summary
    assert summary["missing"] == summary["different"] == 0, summary
