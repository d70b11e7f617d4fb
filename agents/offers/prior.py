"""The prior: how hard an offer is to fill, from real open data, before Vigie has seen outcomes.

P(not filled within 30 days) is read, in this order, from

1. the 2021 tension indicators of the offer's ROME fiche in its bassin d'emploi (France Travail /
   DARES, ``data/tension_rome_bassin_2021.csv.gz``; a ROME 4 code is looked up through its
   parent fiche): the tension class and three of its components;
2. else the share of the département's BMO 2024 hiring projects that employers judged difficult;
3. else, for an offer located by its région alone, the same share over the région's
   départements (weighted by their hiring projects);
4. else the national BMO share of difficult projects for the occupation;
5. else the base rate.

and mapped to a probability by a small logistic whose coefficients are a judgement, not a fit
(no real outcome data is vendored):

    logit P = logit(0.40) + 0.40 (tension - 3) + 0.15 (lack of workforce - 3)
              + 0.10 (hard conditions - 3) + 0.05 (geographic mismatch - 3)      [1]
    logit P = logit(0.40) + 3.0 (BMO share - 0.58)                             [2, 3, 4]

0.40 says that in a market of middling tension about four offers in ten are still open after
a month; one tension class moves the odds by half (x1.5); 0.58 is the national share of
difficult hiring projects in BMO 2024, so an area or occupation at the national share gets the
base rate. A bassin where everything is at 5/5 gets 0.73, one at 1/5 everywhere 0.14.

>>> from streams.referential import load_referential
>>> from streams.settings import load_settings
>>> ref = load_referential(load_settings(env={}).data_dir)
>>> prior = tension_prior(market_context(ref, "A1101", "0203", "02"))
>>> prior.source, prior.tension_class, round(prior.probability, 2)
('tension', 5, 0.56)
>>> tension_prior(market_context(ref, "A1101", None, "02")).source
'bmo_departement'
>>> tension_prior(market_context(ref, "A1101", None, "", "32")).source  # Hauts-de-France
'bmo_region'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streams.referential import Referential, Tension

BASE_RATE = 0.40
PER_TENSION_CLASS = 0.40
PER_LACK_OF_WORKFORCE = 0.15
PER_HARD_CONDITIONS = 0.10
PER_GEOGRAPHIC_MISMATCH = 0.05
BMO_SLOPE = 3.0
BMO_NATIONAL_SHARE = 0.58

SOURCE_WORDS = {
    "tension": "indicateurs de tension 2021 du métier dans le bassin d'emploi",
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


@dataclass(frozen=True, slots=True)
class Prior:
    """P(not filled within 30 days) from the indicators, and which indicator gave it."""

    probability: float
    source: str  # a key of SOURCE_WORDS
    tension_class: int | None
    share: float | None  # the BMO share used, for sources 2 and 3

    def describe(self) -> str:
        """French words for where the prior comes from, with its figure."""
        if self.source == "tension":
            return f"{SOURCE_WORDS['tension']} (tension {self.tension_class}/5)"
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
    return MarketContext(
        tension=ref.tension(rome, bassin) if bassin else None,
        bmo_departement=ref.departement_difficulty_share(departement) if departement else None,
        bmo_national=ref.national_difficulty_share(rome),
        bmo_region=region_difficulty_share(ref, region) if region and not departement else None,
    )


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _minus3(value: int | None) -> float:
    return 0.0 if value is None else value - 3.0


def tension_prior(context: MarketContext) -> Prior:
    """The prior of an offer whose indicators are ``context`` (see the module docstring)."""
    base = math.log(BASE_RATE / (1.0 - BASE_RATE))
    t = context.tension
    if t is not None:
        z = (
            base
            + PER_TENSION_CLASS * (t.tension_class - 3)
            + PER_LACK_OF_WORKFORCE * _minus3(t.lack_of_workforce)
            + PER_HARD_CONDITIONS * _minus3(t.hard_conditions)
            + PER_GEOGRAPHIC_MISMATCH * _minus3(t.geographic_mismatch)
        )
        return Prior(_sigmoid(z), "tension", t.tension_class, None)
    for source, share in (
        ("bmo_departement", context.bmo_departement),
        ("bmo_region", context.bmo_region),
        ("bmo_national", context.bmo_national),
    ):
        if share is not None:
            z = base + BMO_SLOPE * (share - BMO_NATIONAL_SHARE)
            return Prior(_sigmoid(z), source, None, share)
    return Prior(BASE_RATE, "base_rate", None, None)
