"""Each ``OfferProposed`` checked as it arrives: the facts, the verdict, its hash and its alert.

Called by the job-seekers use case (``agents.jobseekers.logic``), whose partition holds the
seeker's profile (proposals travel on the job-seekers topic, keyed by the seeker): the facts
come from that profile and from the offer model's view of the open offers. What it writes:

* ``<p>:proposal:<jobseeker id>:<offer id>``: the latest verdict on the pair (``verdict``
  allow / refuse / unchecked, ``findings`` as JSON with their French messages and figures, the
  proposal, who proposed it and when). An adviser's answer adds ``adviser_verdict``: the last
  word for that pair (``sinks.proposals.check`` honours it).
* ``<p>:proposal-findings:<agency id>``: one field per refused proposal (its id -> the
  findings' codes), so counts per agency and per finding are idempotent (``HLEN``, or a scan).
* an alert « Proposition d'offre à revoir » to the proposer's portfolio (the adviser who
  proposed, or the seeker's adviser for the matching service), with the findings as reasons.

Its id is the event's (``alert_id``), its subject the pair: an adviser who marks it « Pas
utile » silences that pair's later proposals (the dismissal of its cause).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from agents.offers.features import market_areas
from agents.proposals.checks import OfferFacts, SeekerFacts, Verdict, check
from sinks.outputs import Alert, SourceRef, StateUpdate, alert_envelope
from streams.referential import Referential

RULE_PROPOSAL = "offer_proposal_to_review"
MAX_REMEMBERED = 100  # offers remembered per seeker, for « déjà proposée »
MODEL_NAME = "proposal-checks"  # no learnt model: the checks are rules over the state


def seeker_facts(profile: Mapping[str, Any] | None) -> SeekerFacts:
    """The check's facts of a seeker from their stored profile (None: unknown to Vigie)."""
    if profile is None:
        return SeekerFacts("unknown")
    memory = profile.get("memory") or {}
    proposed = {k: (v[0], v[1]) for k, v in (memory.get("proposed") or {}).items()}
    return SeekerFacts(
        str(profile.get("status") or "active"),
        rome=profile.get("rome_code"),
        bassin=profile.get("bassin"),
        radius_km=profile.get("mobility_radius_km"),
        exited_at=profile.get("exited_at"),
        exit_reason=profile.get("exit_reason"),
        category=profile.get("category"),
        proposed=proposed,
    )


def offer_facts(open_offers: Any, offer_id: str) -> OfferFacts:
    """The check's facts of an offer from the offer model's open offers (``OpenOffers``)."""
    offer = open_offers.get(offer_id) if open_offers is not None else None
    if offer is None:
        return OfferFacts(False)
    rome, areas = market_areas(offer.keys)
    return OfferFacts(True, rome or None, areas.get("bassin"))


def remember(profile: dict[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """The profile with this proposal remembered (the oldest forgotten past MAX_REMEMBERED)."""
    memory = dict(profile.get("memory") or {})
    proposed = dict(memory.get("proposed") or {})
    offer_id = record["offer_id"]
    if offer_id not in proposed:
        proposed[offer_id] = [record["proposal_id"], record["proposed_at"].isoformat()]
        while len(proposed) > MAX_REMEMBERED:
            proposed.pop(next(iter(proposed)))
    memory["proposed"] = proposed
    return {**profile, "memory": memory}


def pair_key(jobseeker_id: str, offer_id: str) -> str:
    """Entity id of a (job seeker, offer) pair's hash: ``<jobseeker id>:<offer id>``."""
    return f"{jobseeker_id}:{offer_id}"


def verdict_state(record: Mapping[str, Any], verdict: Verdict) -> StateUpdate:
    """The pair's hash fields: the latest verdict and the proposal it judged."""
    return StateUpdate(
        "proposal",
        pair_key(record["jobseeker_id"], record["offer_id"]),
        {
            "jobseeker_id": record["jobseeker_id"],
            "offer_id": record["offer_id"],
            "verdict": verdict.word,
            "findings": json.dumps([f.as_json() for f in verdict.findings], ensure_ascii=False),
            "proposal_id": record["proposal_id"],
            "proposed_by": record["proposed_by"],
            "proposer_kind": record["proposer_kind"],
            "channel": record["channel"],
            "proposed_at": record["proposed_at"].isoformat(),
        },
    )


def proposal_alert(
    record: Mapping[str, Any],
    source: SourceRef,
    verdict: Verdict,
    profile: Mapping[str, Any] | None,
) -> Alert:
    """« Proposition d'offre à revoir »: the findings, to the proposer's portfolio."""
    adviser = record["proposed_by"] if record["proposer_kind"] == "adviser" else None
    adviser = adviser or (profile or {}).get("adviser_id")
    audience = ("adviser", adviser) if adviser else ("agency", (profile or {}).get("agency_id"))
    codes = [f.code for f in verdict.findings]
    return {
        **alert_envelope(
            source,
            RULE_PROPOSAL,
            event_time=record["proposed_at"],
            audience=(audience[0], str(audience[1] or "unknown")),
            subject=("proposal", pair_key(record["jobseeker_id"], record["offer_id"])),
            model=(MODEL_NAME, "rules-v1"),
        ),
        "severity": "critical" if "seeker_exited" in codes else "warning",
        "title": (
            f"Proposition d'offre à revoir : offre {record['offer_id']} proposée à "
            f"{record['jobseeker_id']} ({len(codes)} problème(s))"
        ),
        "score": None,
        "reasons": [
            {
                "code": f.code,
                "message": f.message,
                "value": _float(f.figures.get("distance_km")),
                "reference": None,
                "level": "high",
            }
            for f in verdict.findings
        ],
        "suggestions": [
            "Ne pas envoyer la proposition, ou l'annuler si elle est partie ; vérifier la "
            "situation de la personne et l'état de l'offre.",
            "Si la proposition était justifiée, répondre « Pas utile » : la paire ne sera plus "
            "signalée.",
        ],
        "inputs": {
            "proposal_id": record["proposal_id"],
            "offer_id": record["offer_id"],
            "proposed_by": record["proposed_by"],
            "proposer_kind": record["proposer_kind"],
            "channel": record["channel"],
            "findings": ",".join(codes),
            "seeker_status": str((profile or {}).get("status") or "unknown"),
        },
        "rule": f"{RULE_PROPOSAL}:" + "+".join(codes),
    }


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def feedback_state(record: Mapping[str, Any]) -> StateUpdate | None:
    """An adviser's last word on a pair (feedback ``target_kind`` "proposal"), else None.

    ``target_id`` is the pair (``<jobseeker id>:<offer id>``), ``verdict`` "allowed" (the
    proposal was right after all) or "refused".
    """
    if record.get("target_kind") != "proposal" or record.get("verdict") not in {
        "allowed",
        "refused",
    }:
        return None
    return StateUpdate(
        "proposal",
        str(record["target_id"]),
        {
            "adviser_verdict": "allow" if record["verdict"] == "allowed" else "refuse",
            "adviser_id": str(record["adviser_id"]),
            "adviser_at": record["given_at"].isoformat(),
        },
    )


def check_proposal(
    record: Mapping[str, Any], profile: Mapping[str, Any] | None, open_offers: Any, ref: Referential
) -> Verdict:
    """The verdict on one ``OfferProposed`` given the seeker's profile and the open offers."""
    return check(
        seeker_facts(profile),
        offer_facts(open_offers, record["offer_id"]),
        record["offer_id"],
        ref,
        proposal_id=record["proposal_id"],
    )
