"""Offer proposals checked as they arrive: each finding, the verdict hash, the alert, the memory."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from agents.jobseekers.logic import JobSeekersConfig, JobSeekersHandler
from agents.offers.model import OpenOffer, OpenOffers
from agents.proposals.checks import OfferFacts, SeekerFacts, check
from agents.proposals.logic import feedback_state
from sinks.outputs import Outputs
from streams.referential import Referential, load_referential
from streams.settings import load_settings
from tests.unit.test_jobseeker_diagnostics import NOW, StubView, exited, profile, source

ROME, BASSIN, DEP = "G1603", "8420", "07"  # restaurant crew in the bassin of Privas


@pytest.fixture(scope="module")
def ref() -> Referential:
    return load_referential(load_settings().data_dir)


def seeker(**changes: Any) -> SeekerFacts:
    facts: dict[str, Any] = {"status": "active", "rome": ROME, "bassin": BASSIN, "radius_km": 30}
    facts.update(changes)
    return SeekerFacts(**facts)


def codes(s: SeekerFacts, o: OfferFacts, ref: Referential, **kw: Any) -> list[str]:
    return [f.code for f in check(s, o, "OFF1", ref, **kw).findings]


def test_a_proposal_to_an_active_seeker_for_a_related_open_offer_is_allowed(
    ref: Referential,
) -> None:
    verdict = check(seeker(), OfferFacts(True, ROME, BASSIN), "OFF1", ref)
    assert verdict.allowed and verdict.word == "allow" and not verdict.findings
    # A related occupation (the same family) in a bassin within reach is fine too.
    assert codes(seeker(), OfferFacts(True, "G1602", BASSIN), ref) == []


def test_each_finding(ref: Referential) -> None:
    gone = seeker(status="exited", exited_at=NOW.isoformat(), exit_reason="training")
    assert codes(gone, OfferFacts(True, ROME, BASSIN), ref) == ["seeker_exited"]
    message = check(gone, OfferFacts(True, ROME, BASSIN), "OFF1", ref).findings[0].message
    assert message.startswith("DE sorti le 02/03/2026 pour entrée en formation")
    assert codes(seeker(category="E"), OfferFacts(True, ROME, BASSIN), ref) == ["seeker_employed"]
    assert codes(seeker(), OfferFacts(False), ref) == ["offer_not_open"]
    assert codes(seeker(), OfferFacts(True, "M1805", BASSIN), ref) == ["occupation_unrelated"]
    # Toulouse (7617) is far beyond 30 km from Privas; with a 600 km radius it is in reach.
    far = OfferFacts(True, ROME, "7617")
    assert codes(seeker(), far, ref) == ["out_of_reach"]
    reach = check(seeker(), far, "OFF1", ref).findings[0]
    assert 200 < reach.figures["distance_km"] < 300 and "au-delà du rayon" in reach.message
    assert codes(seeker(radius_km=600), far, ref) == []
    earlier = seeker(proposed={"OFF1": ("P1", NOW.isoformat())})
    assert codes(earlier, OfferFacts(True, ROME, BASSIN), ref, proposal_id="P2") == [
        "already_proposed"
    ]
    assert codes(earlier, OfferFacts(True, ROME, BASSIN), ref, proposal_id="P1") == [], (
        "the same proposal delivered twice is not a second proposal"
    )
    unknown = check(SeekerFacts("unknown"), OfferFacts(False), "OFF1", ref)
    assert unknown.allowed and unknown.word == "unchecked"


@dataclass
class OffersView:
    model: Any = field(default_factory=lambda: type("M", (), {"open_offers": OpenOffers()})())
    version_label: str = "v1"


def proposal(proposal_id: str, offer_id: str = "OFF1", **changes: Any) -> dict[str, Any]:
    record = {
        "event_id": f"evt-{proposal_id}",
        "proposal_id": proposal_id,
        "offer_id": offer_id,
        "jobseeker_id": "DE00000001",
        "proposed_by": "ADV-0701-02",
        "proposer_kind": "adviser",
        "channel": "email",
        "proposed_at": NOW + timedelta(days=3),
    }
    record.update(changes)
    return record


def test_the_handler_checks_writes_the_verdict_alerts_and_remembers(ref: Referential) -> None:
    offers = OffersView()
    offers.model.open_offers.add(
        "OFF1",
        OpenOffer(
            0.0, (f"{ROME}|bassin:{BASSIN}", f"{ROME}|national:FR"), array("f"), 0.4, 0.4, 0.4, 1
        ),
    )
    h = JobSeekersHandler(StubView(), None, ref, offers=offers, config=JobSeekersConfig())
    out = Outputs()
    h.handle("JobSeekerProfileUpdated", profile(ref, rome_code=ROME, bassin=BASSIN,
             departement=DEP, mobility_radius_km=30), source(0), out)  # fmt: skip
    out = Outputs()
    h.handle("OfferProposed", proposal("P1"), source(1), out)
    pair = next(s for s in out.states if s.kind == "proposal")
    assert pair.entity_id == "DE00000001:OFF1" and pair.fields["verdict"] == "allow"
    assert not out.alerts
    h.handle("OfferProposed", proposal("P1"), source(1), out)  # redelivered: still fine
    assert not out.alerts
    h.handle("OfferProposed", proposal("P2"), source(2), out)  # the same offer again
    assert [r["code"] for r in out.alerts[0]["reasons"]] == ["already_proposed"]

    out = Outputs()
    h.handle("JobSeekerExited", exited(NOW + timedelta(days=5)), source(3), out)
    h.handle("OfferProposed", proposal("P3", "OFF2", proposed_at=NOW + timedelta(days=6)),
             source(4), out)  # fmt: skip
    alert = out.alerts[-1]
    assert [r["code"] for r in alert["reasons"]] == ["seeker_exited", "offer_not_open"]
    assert alert["reasons"][0]["message"].startswith("DE sorti le 07/03/2026 pour reprise d'emploi")
    assert alert["audience_kind"] == "adviser" and alert["audience_id"] == "ADV-0701-02"
    assert alert["subject_id"] == "DE00000001:OFF2" and alert["severity"] == "critical"
    findings = [s for s in out.states if s.kind == "proposal-findings"]
    assert findings and findings[-1].entity_id == "AG-3201"
    assert findings[-1].fields == {"P3": "seeker_exited,offer_not_open"}
    again = Outputs()
    h.handle("OfferProposed", proposal("P3", "OFF2", proposed_at=NOW + timedelta(days=6)),
             source(4), again)  # fmt: skip
    assert again.alerts[0]["alert_id"] == alert["alert_id"], "idempotent: same event, same id"


def test_an_advisers_answer_is_the_last_word_for_the_pair() -> None:
    record = {
        "target_kind": "proposal",
        "target_id": "DE00000001:OFF2",
        "verdict": "allowed",
        "adviser_id": "ADV-0701-02",
        "given_at": NOW,
    }
    state = feedback_state(record)
    assert state is not None and state.kind == "proposal"
    assert state.fields["adviser_verdict"] == "allow" and state.entity_id == "DE00000001:OFF2"
    assert feedback_state({**record, "target_kind": "alert"}) is None


def test_the_simulator_proposes_offers_with_a_known_share_of_bad_ones(ref: Referential) -> None:
    from collections import Counter

    from streams.simulator import SimConfig, simulate

    plain = [(e.record_name, e.key) for e in simulate(11, 2_000, referential=ref)]
    off = [(e.record_name, e.key) for e in simulate(11, 2_000, referential=ref, config=SimConfig())]
    assert plain == off and all(name != "OfferProposed" for name, _ in plain)
    config = SimConfig(proposals_per_offer=1.0, bad_proposal_share=0.2)
    events = list(simulate(11, 15_000, referential=ref, config=config))
    proposals = [e for e in events if e.record_name == "OfferProposed"]
    kinds = Counter(e.truth["bad"] for e in proposals)
    assert len(proposals) > 100 and set(kinds) <= {None, "seeker_exited", "offer_not_open",
                                                   "already_proposed"}  # fmt: skip
    assert 0.1 < 1 - kinds[None] / len(proposals) < 0.3


def test_the_checks_catch_the_simulated_bad_proposals(ref: Referential) -> None:
    from agents.proposals.evaluate import evaluate_simulated

    report = evaluate_simulated(11, 15_000, per_offer=1.0, bad_share=0.2, referential=ref)
    assert sum(report.bad.values()) >= 15 and report.good >= 100
    assert report.caught_share >= 0.9, report
    assert report.false_alarm_share <= 0.05, report
