"""The gap report: what makes an offer stand out against its local market, in French.

Five criteria, each judged against the finest area level that has enough comparable offers
for that figure (``baseline.local_norms``), and each reported with its figures (offer value,
local value, level used), a sentence an employer-relations adviser can read out to the employer,
and a concrete adjustment:

========================  ==================================================================
``salary_below_q1``       full-time-equivalent pay below the local first quartile
``experience_above_norm`` at least 12 months more experience asked than the local average
``rare_contract``         a contract type under 15 % of comparable offers
``part_time_vs_norm``     part time where at least 75 % of comparable offers are full time
``qualification_above``   a qualification above the local norm that under 25 % of offers ask
========================  ==================================================================

A criterion that cannot be judged says why (``checks``): nothing stated, or too few comparable
offers at every level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.offers.baseline import LocalNorms, MarketFigures
from agents.offers.features import FULL_TIME_HOURS, QUALIFICATION_RANK, OfferFacts
from agents.wording import count, percent
from streams.referential import area_level

EXPERIENCE_MARGIN_MONTHS = 12.0
RARE_CONTRACT_SHARE = 0.15
FULL_TIME_NORM_SHARE = 0.75
RARE_QUALIFICATION_SHARE = 0.25

OK = "conforme"
GAP = "écart"
THIN = "trop peu d'offres comparables"
NO_SALARY = "salaire non précisé"  # as streams.offers_import.NOT_STATED

QUALIFICATION_LABELS: dict[str, str] = {
    "1": "Manœuvre",
    "2": "Ouvrier spécialisé",
    "3": "Ouvrier qualifié (P1, P2)",
    "4": "Ouvrier qualifié (P3, P4, OHQ)",
    "5": "Employé non qualifié",
    "6": "Employé qualifié",
    "7": "Technicien",
    "8": "Agent de maîtrise",
    "9": "Cadre",
}
CONTRACT_WORDS: dict[str, str] = {
    "CDI": "un CDI",
    "CDD": "un CDD",
    "MIS": "une mission d'intérim",
    "SAI": "un contrat saisonnier",
    "LIB": "une activité libérale",
    "FRA": "une franchise",
    "CCE": "un contrat de chef d'entreprise",
    "DDI": "un CDD d'insertion",
    "DIN": "un CDI intérimaire",
    "TTI": "un contrat de travail temporaire d'insertion",
}


def euros(amount: float) -> str:
    """French formatting of a monthly amount: ``2 150 €``."""
    return count(amount) + " €"


def duration(months: float, *, approximate: bool = False) -> str:
    """French words for a length of experience: ``6 mois``, ``1 an``, ``3 ans``."""
    prefix = "environ " if approximate else ""
    if months < 11.5:
        return f"{prefix}{max(1, round(months))} mois"
    years = round(months / 12.0)
    if not approximate and abs(months - 12 * years) > 0.5:
        return f"{round(months)} mois"
    return f"{prefix}{years} an" + ("s" if years > 1 else "")


def contract_words(code: str) -> str:
    """French words for a contract type code, with its article."""
    return CONTRACT_WORDS.get(code, f"un contrat « {code} »")


@dataclass(frozen=True, slots=True)
class AreaWords:
    """How to name the areas of one offer in French.

    ``departement`` is "" for an offer that names none (a région only, France, abroad).
    """

    bassin: str | None
    bassin_name: str | None
    departement: str
    departement_name: str | None
    region: str | None = None
    region_name: str | None = None
    country: str = "FR"

    @property
    def level(self) -> str:
        """The offer's finest area: bassin, departement, region, national or abroad."""
        return area_level(self.country, self.bassin, self.departement, self.region)

    @property
    def audience(self) -> str:
        """Id of the employer-relations team the offer's alerts go to (audience ``area``).

        The département (``07``), else the région (``region-32``), else France (``FR``): an
        offer located only as France, abroad, or in an overseas collectivity without a
        département goes to the national team.
        """
        if self.departement:
            return self.departement
        return f"region-{self.region}" if self.region else "FR"

    def where(self, level: str) -> str:
        """« dans le bassin d'emploi 2609 (Valence) », « dans le département 07 (Ardèche) »..."""
        if level == "bassin":
            name = f" ({self.bassin_name})" if self.bassin_name else ""
            return f"dans le bassin d'emploi {self.bassin}{name}"
        if level == "departement":
            name = f" ({self.departement_name})" if self.departement_name else ""
            return f"dans le département {self.departement}{name}"
        if level == "region":
            if self.region_name:
                return f"dans la région {self.region_name}"
            return "dans la région de l'offre"
        return "en France"


@dataclass(frozen=True, slots=True)
class Gap:
    """One criterion on which the offer stands out, with its figures and French texts."""

    code: str
    feature: str  # the model feature carrying it, to rank gaps by their weight in the risk
    value: float
    reference: float
    level: str  # area level of the reference: bassin, departement, region, national
    message: str
    suggestion: str


@dataclass(frozen=True, slots=True)
class GapReport:
    """Every criterion's verdict and the gaps found."""

    gaps: tuple[Gap, ...]
    checks: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """Compact JSON-friendly form, for the offer's Redis hash."""
        return {
            "checks": self.checks,
            "gaps": [
                {
                    "code": g.code,
                    "value": round(g.value, 2),
                    "reference": round(g.reference, 2),
                    "level": g.level,
                    "message": g.message,
                    "suggestion": g.suggestion,
                }
                for g in self.gaps
            ],
        }


def gap_report(
    facts: OfferFacts, norms: LocalNorms, words: AreaWords, occupation: str
) -> GapReport:
    """Judge the five criteria of an offer against its local norms."""
    checks: dict[str, str] = {}
    gaps = [
        gap
        for gap in (
            _salary(facts, norms, words, occupation, checks),
            _experience(facts, norms, words, checks),
            _contract(facts, norms, words, checks),
            _part_time(facts, norms, words, checks),
            _qualification(facts, norms, words, checks),
        )
        if gap is not None
    ]
    return GapReport(tuple(gaps), checks)


def _comparable(fig: MarketFigures, weight: float) -> str:
    n = round(weight)
    return f"{n} offres comparables récentes" if n > 1 else f"{n} offre comparable récente"


def _salary(
    facts: OfferFacts, norms: LocalNorms, words: AreaWords, occupation: str, checks: dict[str, str]
) -> Gap | None:
    code = "salary_below_q1"
    if facts.salary_fte is None:
        checks[code] = NO_SALARY
        return None
    if norms.salary is None or norms.salary_quartiles is None:
        checks[code] = THIN
        return None
    level, fig = norms.salary
    q1, median, _ = norms.salary_quartiles
    if facts.salary_fte >= q1:
        checks[code] = OK
        return None
    checks[code] = GAP
    seen = _comparable(fig, fig.salary_count)
    if median - q1 < 1.0:  # most comparable offers pay the same amount
        reference, figures = "le salaire de la plupart des offres", f"{euros(median)}, {seen}"
    else:
        reference = "le premier quartile des offres"
        figures = f"{euros(q1)} ; médiane {euros(median)} ; {seen}"
    message = (
        f"Salaire proposé : {euros(facts.salary_fte)} brut mensuel (équivalent temps plein), "
        f"sous {reference} de « {occupation} » {words.where(level)} ({figures})."
    )
    suggestion = f"Aligner le salaire sur la médiane locale : {euros(median)} brut mensuel"
    if facts.full_time is False and facts.weekly_hours:
        hours = facts.weekly_hours
        prorata = median * hours / FULL_TIME_HOURS
        suggestion += f" en équivalent temps plein, soit {euros(prorata)} pour {hours:g} h"
    return Gap(code, "salary_gap", facts.salary_fte, median, level, message, suggestion + ".")


def _experience(
    facts: OfferFacts, norms: LocalNorms, words: AreaWords, checks: dict[str, str]
) -> Gap | None:
    code = "experience_above_norm"
    if facts.experience_months is None:
        checks[code] = "expérience non précisée"
        return None
    if norms.experience is None or norms.experience[1].experience_mean_months is None:
        checks[code] = THIN
        return None
    level, fig = norms.experience
    norm = fig.experience_mean_months or 0.0
    asked = facts.experience_months
    if asked - norm < EXPERIENCE_MARGIN_MONTHS:
        checks[code] = OK
        return None
    checks[code] = GAP
    message = (
        f"Expérience demandée : {duration(asked)}, contre {duration(norm, approximate=True)} "
        f"en moyenne pour les offres comparables {words.where(level)} "
        f"({_comparable(fig, fig.experience_count)})."
    )
    if norm < 6:
        suggestion = (
            "Ouvrir le poste aux débutants, comme la plupart des offres comparables, "
            "avec une formation au poste (par exemple une POE)."
        )
    else:
        suggestion = (
            f"Ramener l'expérience demandée à {duration(norm, approximate=True)}, la norme "
            "locale, et compléter par une formation au poste."
        )
    return Gap(code, "experience_gap_years", asked, norm, level, message, suggestion)


def _contract(
    facts: OfferFacts, norms: LocalNorms, words: AreaWords, checks: dict[str, str]
) -> Gap | None:
    code = "rare_contract"
    if not facts.contract:
        checks[code] = "type de contrat non précisé"
        return None
    if norms.contract is None:
        checks[code] = THIN
        return None
    level, fig = norms.contract
    shares = fig.contract_shares
    share = shares.get(facts.contract, 0.0)
    usual = max(sorted(shares), key=shares.__getitem__)
    if share >= RARE_CONTRACT_SHARE or usual == facts.contract:
        checks[code] = OK
        return None
    checks[code] = GAP
    message = (
        f"Contrat proposé : {contract_words(facts.contract)}, rare pour ce métier "
        f"{words.where(level)} ({percent(share)} des offres comparables) ; "
        f"{percent(shares[usual])} y proposent {contract_words(usual)}."
    )
    suggestion = (
        f"Proposer {contract_words(usual)}, comme {percent(shares[usual])} des offres comparables."
    )
    return Gap(code, "contract_local_share", share, shares[usual], level, message, suggestion)


def _part_time(
    facts: OfferFacts, norms: LocalNorms, words: AreaWords, checks: dict[str, str]
) -> Gap | None:
    code = "part_time_vs_norm"
    if facts.full_time is None:
        checks[code] = "durée du travail non précisée"
        return None
    if facts.full_time:
        checks[code] = OK
        return None
    if norms.working_time is None or norms.working_time[1].full_time_share is None:
        checks[code] = THIN
        return None
    level, fig = norms.working_time
    share = fig.full_time_share or 0.0
    if share < FULL_TIME_NORM_SHARE:
        checks[code] = OK
        return None
    checks[code] = GAP
    hours = f" ({facts.weekly_hours:g} h par semaine)" if facts.weekly_hours else ""
    message = (
        f"Temps partiel{hours} alors que {percent(share)} des offres comparables "
        f"{words.where(level)} sont à temps plein ({_comparable(fig, fig.time_count)})."
    )
    suggestion = (
        f"Proposer un temps plein, comme {percent(share)} des offres comparables, "
        "ou un volume horaire plus proche de 35 h."
    )
    value = facts.weekly_hours or 0.0
    return Gap(code, "part_time_where_rare", value, share, level, message, suggestion)


def _qualification(
    facts: OfferFacts, norms: LocalNorms, words: AreaWords, checks: dict[str, str]
) -> Gap | None:
    code = "qualification_above_norm"
    if facts.qualification is None:
        checks[code] = "qualification non précisée"
        return None
    if norms.qualification is None:
        checks[code] = THIN
        return None
    level, fig = norms.qualification
    usual = fig.modal_qualification()
    rank = QUALIFICATION_RANK[facts.qualification]
    at_or_above = sum(
        share for q, share in fig.qualification_shares.items() if QUALIFICATION_RANK[q] >= rank
    )
    common = at_or_above >= RARE_QUALIFICATION_SHARE
    if usual is None or rank <= QUALIFICATION_RANK[usual] or common:
        checks[code] = OK
        return None
    checks[code] = GAP
    usual_share = fig.qualification_shares[usual]
    rare = (
        "aucune ne demande ce niveau ou plus"
        if round(at_or_above * 100) == 0
        else f"{percent(at_or_above)} seulement ce niveau ou plus"
    )
    message = (
        f"Qualification demandée : {QUALIFICATION_LABELS[facts.qualification]}, au-dessus de la "
        f"norme locale {words.where(level)} : {percent(usual_share)} des offres comparables "
        f"demandent « {QUALIFICATION_LABELS[usual]} », {rare}."
    )
    suggestion = (
        f"Ouvrir le poste au niveau « {QUALIFICATION_LABELS[usual]} », le plus demandé "
        "localement, avec une montée en compétences prévue."
    )
    return Gap(
        code,
        "qualification_gap",
        float(rank),
        float(QUALIFICATION_RANK[usual]),
        level,
        message,
        suggestion,
    )
