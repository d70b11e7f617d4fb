"""Ask before sending: may this offer be proposed to this job seeker? (pre-send client)

``check(jobseeker_id, offer_id)`` answers allow or refuse, with the French reasons, from what
Vigie keeps in Redis, with the same checks the worker runs on each ``OfferProposed``
(``agents.proposals.checks.check``):

* ``<p>:jobseeker:<id>``: status (active / exited), exit reason and date, category, occupation,
  bassin and mobility radius, as the job-seekers use case last wrote them;
* ``<p>:offer:<id>``: status (open / closed), occupation and bassin, as the offers use case
  last wrote them;
* ``<p>:proposal:<jobseeker id>:<offer id>``: the worker's latest verdict on the pair, if the
  offer was proposed before (« déjà proposée »), and the adviser's last word if one was given
  (``adviser_verdict``), which wins over everything else.

Staleness: the seeker's hash is written in the batch that scored their latest event (within a
batch, a second or so, of the event reaching Kafka); the offer's closure is written by the
offer model's learner (the learning lag, usually under a second). A proposal sent in that window
is still checked when it arrives, and alerts then.

>>> verdict = check("DE-123", "190HCYJ")                                  # doctest: +SKIP
>>> verdict.allowed, verdict.reasons                                    # doctest: +SKIP
(False, ["DE sorti le 12/11/2026 pour reprise d'emploi : l'offre ne devrait pas lui être ..."])
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from agents.proposals.checks import OfferFacts, SeekerFacts
from agents.proposals.checks import check as check_pair
from agents.proposals.logic import pair_key
from streams.referential import Referential, load_referential
from streams.security import open_redis
from streams.settings import Settings, load_settings


@dataclass(frozen=True, slots=True)
class ProposalCheck:
    """The answer: allowed or not, why, and where the answer came from."""

    allowed: bool
    reasons: list[str]
    codes: list[str]
    source: str  # "adviser" (their last word), "state" (the checks), "unknown_seeker"
    latest_verdict: str | None = None  # the worker's verdict on the pair's latest proposal


def _int(text: str | None) -> int | None:
    return int(text) if text not in (None, "") else None


def check(
    jobseeker_id: str,
    offer_id: str,
    *,
    client: redis.Redis | None = None,
    settings: Settings | None = None,
    referential: Referential | None = None,
) -> ProposalCheck:
    """Allow or refuse proposing ``offer_id`` to ``jobseeker_id``, with the reasons."""
    s = settings or load_settings()
    r = client or open_redis(s, decode_responses=True)
    ref = referential or load_referential(s.data_dir)
    pair = r.hgetall(s.key("proposal", pair_key(jobseeker_id, offer_id)))
    if pair.get("adviser_verdict"):
        allowed = pair["adviser_verdict"] == "allow"
        who = pair.get("adviser_id", "?")
        word = "autorisée" if allowed else "refusée"
        return ProposalCheck(
            allowed,
            [f"Dernier mot du conseiller {who} : proposition {word}."],
            [] if allowed else ["adviser_refused"],
            "adviser",
            pair.get("verdict"),
        )
    seeker_hash = r.hgetall(s.key("jobseeker", jobseeker_id))
    if not seeker_hash:
        return ProposalCheck(
            True, ["DE inconnu de Vigie : rien n'a pu être vérifié."], [], "unknown_seeker"
        )
    proposed = {}
    if pair.get("proposal_id"):
        proposed[offer_id] = (pair["proposal_id"], pair.get("proposed_at", ""))
    seeker = SeekerFacts(
        seeker_hash.get("status") or "active",
        rome=seeker_hash.get("rome_code") or None,
        bassin=seeker_hash.get("bassin") or None,
        radius_km=_int(seeker_hash.get("mobility_radius_km")),
        exited_at=seeker_hash.get("exited_at") or None,
        exit_reason=seeker_hash.get("exit_reason") or None,
        category=seeker_hash.get("category") or None,
        proposed=proposed,
    )
    offer_hash = r.hgetall(s.key("offer", offer_id))
    is_open = offer_hash.get("status") == "open"
    offer = OfferFacts(
        is_open,
        rome=offer_hash.get("rome_code") or None if is_open else None,
        bassin=offer_hash.get("bassin") or None if is_open else None,
    )
    verdict = check_pair(seeker, offer, offer_id, ref)
    return ProposalCheck(
        verdict.allowed,
        [f.message for f in verdict.findings],
        [f.code for f in verdict.findings],
        "state",
        pair.get("verdict"),
    )


def findings_per_agency(
    agency_id: str, *, client: redis.Redis | None = None, settings: Settings | None = None
) -> dict[str, int]:
    """Refused proposals of an agency, per finding code (from ``<p>:proposal-findings:<id>``)."""
    s = settings or load_settings()
    r = client or open_redis(s, decode_responses=True)
    counts: dict[str, int] = {}
    for codes in r.hgetall(s.key("proposal-findings", agency_id)).values():
        for code in codes.split(","):
            counts[code] = counts.get(code, 0) + 1
    return counts
