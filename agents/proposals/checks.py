"""Is this offer still worth proposing to this job seeker? The checks, as pure functions.

One function, :func:`check`, judges a (job seeker, offer) pair from two small sets of facts:
what Vigie holds of the seeker (:class:`SeekerFacts`: the profiles table in a worker, the
seeker's Redis hash in the pre-send client) and of the offer (:class:`OfferFacts`: the offer
model's open offers in a worker, the offer's Redis hash in the client). The worker checks each
``OfferProposed`` as it arrives; ``sinks.proposals.check`` asks the same question before a
proposal is sent. Each problem is a :class:`Finding` with its French reason and figures:

=====================  =========================================================================
``seeker_exited``      the seeker left the register (back to work, training, other exit)
``seeker_employed``    the seeker declared a return to work (category E: « en emploi »)
``offer_not_open``     the offer is not among the open offers (filled, expired, cancelled, unknown)
``occupation_unrelated``  the offer's ROME is neither the one sought nor a related one
``out_of_reach``       the offer's bassin lies beyond the seeker's mobility radius
``already_proposed``   the same offer was already proposed to the same person
=====================  =========================================================================

A pair with a finding is refused. A seeker Vigie does not know yet cannot be checked: the verdict
allows the proposal and says so (``checked`` False), it raises nothing.

"Related" occupations: the same ROME code, the same ROME 3 fiche, the same family (``M18``), or
one the ROME data relates to it in the seeker's bassin (labonneboite's ``bassin_rome_connexe``).
Distances run from the seeker's bassin to the offer's (centroids of their communes), so the
worker and the client, which only sees bassins, measure the same thing.

>>> from streams.referential import load_referential
>>> from streams.settings import load_settings
>>> ref = load_referential(load_settings(env={}).data_dir)
>>> seeker = SeekerFacts("exited", "G1603", "8420", 30, exited_at="2026-11-12T09:00:00+00:00",
...                      exit_reason="back_to_work")
>>> verdict = check(seeker, OfferFacts(True, "G1603", "8420"), "190HCYJ", ref)
>>> verdict.allowed, [f.code for f in verdict.findings]
(False, ['seeker_exited'])
>>> verdict.findings[0].message
"DE sorti le 12/11/2026 pour reprise d'emploi : l'offre ne devrait pas lui être proposée."
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agents.jobseekers.hints import distance_km
from agents.wording import place_name
from streams.referential import Referential

EXIT_WORDS = {
    "back_to_work": "reprise d'emploi",
    "training": "entrée en formation",
    "deregistered": "radiation ou non-renouvellement de l'inscription",
    "moved": "déménagement hors du territoire",
    "other": "autre motif",
}
EMPLOYED_CATEGORY = "E"  # catégorie E: en emploi, sans obligation de recherche


@dataclass(frozen=True, slots=True)
class SeekerFacts:
    """What the check needs of a job seeker; ``status`` "unknown" when Vigie has no profile."""

    status: str  # active | exited | unknown
    rome: str | None = None
    bassin: str | None = None
    radius_km: int | None = None
    exited_at: str | None = None  # ISO 8601
    exit_reason: str | None = None
    category: str | None = None
    proposed: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # offer -> (id, when)


@dataclass(frozen=True, slots=True)
class OfferFacts:
    """What the check needs of an offer: open or not, and its occupation and bassin if open."""

    open: bool
    rome: str | None = None
    bassin: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem of a proposal, in French, with the figures behind it."""

    code: str
    message: str
    figures: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """Compact form for Redis and alerts."""
        return {"code": self.code, "message": self.message, **self.figures}


@dataclass(frozen=True, slots=True)
class Verdict:
    """Allow or refuse a (job seeker, offer) pair, with the findings that refuse it."""

    allowed: bool
    findings: tuple[Finding, ...]
    checked: bool = True  # False: the seeker is unknown to Vigie, nothing could be checked

    @property
    def word(self) -> str:
        """``allow``, ``refuse`` or ``unchecked``."""
        if not self.checked:
            return "unchecked"
        return "allow" if self.allowed else "refuse"


def _date(iso: str | None) -> str:
    if not iso:
        return "?"
    return datetime.fromisoformat(iso).strftime("%d/%m/%Y")


def related(ref: Referential, sought: str, offered: str, bassin: str | None) -> bool:
    """Whether an offer's ROME is the one sought or a related one (see the module docstring)."""
    if sought == offered:
        return True
    fiche = ref.rome_parent(sought) or sought
    other = ref.rome_parent(offered) or offered
    family = ref.rome_family(sought)
    if fiche == other or (family is not None and family == ref.rome_family(offered)):
        return True
    if bassin:
        near = {code for code, _ in ref.related_occupations(bassin, sought)}
        if offered in near or other in near:
            return True
    return False


def check(
    seeker: SeekerFacts,
    offer: OfferFacts,
    offer_id: str,
    ref: Referential,
    *,
    proposal_id: str | None = None,
) -> Verdict:
    """The verdict on proposing ``offer_id`` to ``seeker`` (``proposal_id``: this proposal)."""
    if seeker.status == "unknown":
        return Verdict(True, (), checked=False)
    found: list[Finding] = []
    if seeker.status == "exited":
        reason = EXIT_WORDS.get(seeker.exit_reason or "other", EXIT_WORDS["other"])
        found.append(
            Finding(
                "seeker_exited",
                f"DE sorti le {_date(seeker.exited_at)} pour {reason} : l'offre ne devrait pas "
                "lui être proposée.",
                {"exited_at": seeker.exited_at, "exit_reason": seeker.exit_reason},
            )
        )
    elif seeker.category == EMPLOYED_CATEGORY:
        found.append(
            Finding(
                "seeker_employed",
                "DE en catégorie E (en emploi, sans obligation de recherche) : l'offre ne devrait "
                "pas lui être proposée.",
                {"category": seeker.category},
            )
        )
    if not offer.open:
        found.append(
            Finding(
                "offer_not_open",
                f"L'offre {offer_id} n'est pas parmi les offres ouvertes (pourvue, expirée, "
                "annulée ou inconnue) : elle ne peut plus être proposée.",
                {"offer_id": offer_id},
            )
        )
    else:
        if seeker.rome and offer.rome and not related(ref, seeker.rome, offer.rome, seeker.bassin):
            found.append(
                Finding(
                    "occupation_unrelated",
                    f"Métier de l'offre ({offer.rome} {ref.rome_label(offer.rome) or ''}) sans "
                    f"lien avec le métier recherché ({seeker.rome} "
                    f"{ref.rome_label(seeker.rome) or ''}) ni avec ses métiers proches.",
                    {"offer_rome": offer.rome, "sought_rome": seeker.rome},
                )
            )
        reach = _distance(ref, seeker.bassin, offer.bassin)
        if reach is not None and seeker.radius_km is not None and reach > seeker.radius_km:
            where = place_name(ref.bassin_name(offer.bassin or "")) or offer.bassin
            found.append(
                Finding(
                    "out_of_reach",
                    f"Offre à {round(reach)} km (bassin d'emploi {offer.bassin} {where}), "
                    f"au-delà du rayon de mobilité déclaré de {seeker.radius_km} km.",
                    {"distance_km": round(reach), "radius_km": seeker.radius_km},
                )
            )
    earlier = seeker.proposed.get(offer_id)
    if earlier is not None and earlier[0] != proposal_id:
        found.append(
            Finding(
                "already_proposed",
                f"Offre déjà proposée à ce DE le {_date(earlier[1])}.",
                {"earlier_proposal_id": earlier[0], "earlier_at": earlier[1]},
            )
        )
    return Verdict(not found, tuple(found))


def _distance(ref: Referential, home: str | None, there: str | None) -> float | None:
    if not home or not there or home == there:
        return None
    a, b = ref.bassin_centroid(home), ref.bassin_centroid(there)
    return distance_km(a, b) if a is not None and b is not None else None
