"""The prior: how hard an offer is to fill, from real open data, before Vigie has seen outcomes.

P(not filled within 30 days) is read, in this order, from

1. the 2021 tension indicators of the offer's ROME fiche in its bassin d'emploi (France Travail /
   DARES, ``data/tension_rome_bassin_2021.csv.gz``; a ROME 4 code is looked up through its
   parent fiche): **the pool of candidates** (the job seekers registered in the occupation in
   the bassin) and two components of the tension, hard working conditions and non-durable jobs;
2. else, when the bassin is in the tension file but this occupation is not, a **small market**:
   the file lists every (fiche, bassin) pair with at least a dozen job seekers, so a missing pair
   is an occupation with fewer candidates than that in the bassin; its working conditions are
   the occupation's national ones (``national_conditions``);
3. else the share of the département's BMO 2024 hiring projects that employers judged difficult;
4. else, for an offer located by its région alone, the same share over the région's
   départements (weighted by their hiring projects);
5. else the national BMO share of difficult projects for the occupation;
6. else the base rate.

and mapped to a probability by a small logistic whose coefficients are a judgement, not a fit:

    logit P = logit(0.40) - 0.5 ln(pool / 76) + 0.2 (hard conditions - 3)
              + 0.2 (non-durable jobs - 3)               [1; 2 with pool 8, national conditions]
    logit P = logit(0.40) + 3.0 (BMO share - 0.58)                             [3, 4, 5]

Why the pool and not the tension class. France Travail flags an offer « manque de candidats »
(``offresManqueCandidats``) when it is still open after about two weeks with too few
candidates. Against that flag, on the two real samples (``python -m agents.offers.evaluate
--real-only``), the tension class ranks offers no better than chance (ROC AUC 0.42 on the
national development offers, 0.49 on the Ardèche sample), while the number of job seekers in
the occupation and bassin ranks them well (0.75 and 0.71 where the pair is known): a class-5
occupation in a large market still brings many applicants to each offer, a class-3 one in a
bassin with twenty job seekers brings few. Hard conditions and non-durable jobs (0.68-0.71 on
both) say the applicants the pool has are reluctant. The formula was chosen on those two
samples, with round coefficients and three inputs, so as not to fit their 45 flagged offers.

76 is the median pool of the tension file, so a median market with middling conditions gets
the base rate 0.40: about four offers in ten still open after a month. Ten times fewer job
seekers raise the odds by x3.2, ten times more lower them as much. 8 is the pool of a missing
pair (below the file's floor of 12). 0.58 is the national share of difficult hiring projects in
BMO 2024. The tension class is kept for the reasons an alert gives, not for the figure.

>>> from streams.referential import load_referential
>>> from streams.settings import load_settings
>>> ref = load_referential(load_settings(env={}).data_dir)
>>> prior = tension_prior(market_context(ref, "A1101", "0203", "02"))
>>> prior.source, prior.tension_class, prior.pool, round(prior.probability, 2)
('tension', 5, 28, 0.67)
>>> tension_prior(market_context(ref, "K1304", "8436", "07")).source  # not in the 2021 file
'small_market'
>>> tension_prior(market_context(ref, "A1101", None, "02")).source
'bmo_departement'
>>> tension_prior(market_context(ref, "A1101", None, "", "32")).source  # Hauts-de-France
'bmo_region'
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agents.wording import count

if TYPE_CHECKING:
    from streams.referential import Referential, Tension

BASE_RATE = 0.40
POOL_SLOPE = 0.5  # per unit of ln(job seekers): x10 fewer candidates, x3.2 the odds
POOL_REFERENCE = 76.0  # the median pool of a (fiche, bassin) pair in the 2021 file
SMALL_POOL = 8.0  # a pair the file leaves out has fewer than its floor of 12 job seekers
PER_HARD_CONDITIONS = 0.2
PER_NON_DURABLE_JOBS = 0.2
BMO_SLOPE = 3.0
BMO_NATIONAL_SHARE = 0.58

SOURCE_WORDS = {
    "tension": "indicateurs de tension 2021 du métier dans le bassin d'emploi",
    "small_market": (
        "métier absent des indicateurs de tension 2021 du bassin d'emploi : moins d'une "
        "douzaine de demandeurs d'emploi y étaient inscrits"
    ),
    "bmo_departement": "part des recrutements jugés difficiles dans le département (BMO 2024)",
    "bmo_region": "part des recrutements jugés difficiles dans la région (BMO 2024)",
    "bmo_national": "part nationale des recrutements jugés difficiles pour ce métier (BMO)",
    "base_rate": "taux de référence, faute d'indicateur pour ce métier et ce territoire",
}


@dataclass(frozen=True, slots=True)
class MarketContext:
    """The real-data indicators of an offer's occupation and area."""

    tension: Tension | None
    bmo_departement: float | None
    bmo_national: float | None
    bmo_region: float | None = None  # only for an offer without a département
    # The bassin is in the tension file, but not this occupation in it: a small market.
    small_market: bool = False
    # For a small market, the occupation's national (hard conditions, non-durable jobs).
    national_conditions: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class Prior:
    """P(not filled within 30 days) from the indicators, and which indicator gave it."""

    probability: float
    source: str  # a key of SOURCE_WORDS
    tension_class: int | None
    share: float | None  # the BMO share used, for the bmo_* sources
    pool: int | None = None  # job seekers in the occupation and bassin (2021), source tension

    def describe(self) -> str:
        """French words for where the prior comes from, with its figure."""
        if self.source == "tension":
            return (
                f"{SOURCE_WORDS['tension']} ({count(self.pool or 0)} demandeurs d'emploi "
                f"inscrits dans le métier, tension {self.tension_class}/5)"
            )
        if self.share is not None:
            return f"{SOURCE_WORDS[self.source]} : {round(self.share * 100)} %"
        return SOURCE_WORDS[self.source]


def region_difficulty_share(ref: Referential, region: str) -> float | None:
    """BMO 2024 share of difficult hiring projects over a région's départements.

    Each département's share weighs by its hiring projects; None when none is known.
    """
    weight = total = 0.0
    for dep in ref.departements_of_region(region):
        share = ref.departement_difficulty_share(dep)
        projects = ref.departement_hiring_projects(dep)
        if share is not None and projects:
            weight += projects
            total += projects * share
    return total / weight if weight else None


@functools.lru_cache(maxsize=4)
def _national_conditions(ref: Referential) -> dict[str, tuple[float, float]]:
    sums: dict[str, list[float]] = {}
    for rome, bassin in ref.tension_pairs():
        t = ref.tension(rome, bassin)
        if t is None or t.hard_conditions is None or t.non_durable_jobs is None:
            continue
        acc = sums.setdefault(rome, [0.0, 0.0, 0.0])
        acc[0] += t.jobseekers
        acc[1] += t.jobseekers * t.hard_conditions
        acc[2] += t.jobseekers * t.non_durable_jobs
    return {rome: (h / w, d / w) for rome, (w, h, d) in sums.items() if w}


def national_conditions(ref: Referential, rome: str) -> tuple[float, float] | None:
    """(hard conditions, non-durable jobs) of an occupation over France, 1-5.

    The means of its bassins' 2021 indicators, each bassin weighing by its job seekers; a
    ROME 4 code is read through its parent fiche. None when no bassin gives them.
    """
    table = _national_conditions(ref)
    found = table.get(rome)
    if found is None:
        parent = ref.rome_parent(rome)
        found = table.get(parent) if parent is not None else None
    return found


def market_context(
    ref: Referential,
    rome: str,
    bassin: str | None,
    departement: str | None,
    region: str | None = None,
) -> MarketContext:
    """Look the indicators of (``rome``, ``bassin``, ``departement``) up in the referential.

    An offer without a département (``""``) falls back on its ``region``, if it has one.
    """
    tension = ref.tension(rome, bassin) if bassin else None
    small = bool(bassin) and tension is None and bool(ref.tension_in_bassin(bassin or ""))
    return MarketContext(
        tension=tension,
        bmo_departement=ref.departement_difficulty_share(departement) if departement else None,
        bmo_national=ref.national_difficulty_share(rome),
        bmo_region=region_difficulty_share(ref, region) if region and not departement else None,
        small_market=small,
        national_conditions=national_conditions(ref, rome) if small else None,
    )


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _minus3(value: int | None) -> float:
    return 0.0 if value is None else value - 3.0


def pool_logit(pool: float) -> float:
    """The pool's share of the prior's log-odds: 0 for the median pool, more when smaller."""
    return -POOL_SLOPE * math.log(max(pool, 1.0) / POOL_REFERENCE)


def tension_prior(context: MarketContext) -> Prior:
    """The prior of an offer whose indicators are ``context`` (see the module docstring)."""
    base = math.log(BASE_RATE / (1.0 - BASE_RATE))
    t = context.tension
    if t is not None:
        z = (
            base
            + pool_logit(t.jobseekers)
            + PER_HARD_CONDITIONS * _minus3(t.hard_conditions)
            + PER_NON_DURABLE_JOBS * _minus3(t.non_durable_jobs)
        )
        return Prior(_sigmoid(z), "tension", t.tension_class, None, t.jobseekers)
    if context.small_market:
        z = base + pool_logit(SMALL_POOL)
        if context.national_conditions is not None:
            hard, non_durable = context.national_conditions
            z += PER_HARD_CONDITIONS * (hard - 3) + PER_NON_DURABLE_JOBS * (non_durable - 3)
        return Prior(_sigmoid(z), "small_market", None, None)
    for source, share in (
        ("bmo_departement", context.bmo_departement),
        ("bmo_region", context.bmo_region),
        ("bmo_national", context.bmo_national),
    ):
        if share is not None:
            z = base + BMO_SLOPE * (share - BMO_NATIONAL_SHARE)
            return Prior(_sigmoid(z), source, None, share)
    return Prior(BASE_RATE, "base_rate", None, None)
