"""The fixed scenery of a simulation run, built over the real referential.

Offers and job seekers are drawn from the real (ROME, bassin) pairs of the 2021 tension table,
weighted by its ``offers`` and ``jobseekers`` counts; each gets a commune of its bassin. Agencies
("AG-0701") and advisers ("ADV-0701-03") exist per bassin, more advisers where more people look
for work. Employers are created as offers need them, per bassin and ROME domain, each with a fake
name, an illustrative NAF code and a pay policy (:mod:`streams.simulator.dynamics`).
Everything per ROME or bassin is computed on first use and cached; iteration orders are sorted.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from streams.simulator import dynamics, market
from streams.simulator.emails import LAST_NAMES

if TYPE_CHECKING:
    from streams.referential import Referential, Tension

PLACES = ("Centre", "Marché", "Port", "Parc", "Lac", "Moulin", "Val", "Pont", "Château", "Soleil",
          "Vallon", "Plateau")  # fmt: skip
TREES = ("Tilleuls", "Chênes", "Érables", "Glycines", "Lilas", "Platanes")
SURNAMES = LAST_NAMES
EMPLOYER_NAMES: dict[str, tuple[str, ...]] = {
    "A": ("EARL {last}", "GAEC du {place}", "Pépinières {last}", "Domaine du {place}"),
    "B": ("Atelier {last}", "Ébénisterie du {place}", "Verrerie de {town}"),
    "C": ("Cabinet {last} Assurances", "Agence Immobilière du {place}", "Courtage {last}"),
    "D": ("Boulangerie du Centre", "Supermarché de {town}", "Boutique {last}",
          "Bricolage du {place}", "Pharmacie du {place}"),
    "E": ("Studio {last}", "Agence {place} Communication", "Imprimerie de {town}"),
    "F": ("Bâtiment {last} et Fils", "SARL {last} Maçonnerie", "Électricité {last}",
          "Toitures du {place}"),
    "G": ("Restaurant Le {place}", "Hôtel du {place}", "Brasserie du Centre",
          "Camping du {place}", "Le Bistrot de {town}"),
    "H": ("Usine {last}", "Métallerie du {place}", "Plasturgie de {town}", "Conserverie {last}"),
    "I": ("Garage du {place}", "Maintenance {last}", "Chauffage {last}"),
    "J": ("Clinique du {place}", "Centre Hospitalier de {town}", "EHPAD Les {trees}",
          "Cabinet médical {last}"),
    "K": ("Aide à Domicile de {town}", "Propreté {last}", "Crèche Les {trees}",
          "Sécurité du {place}"),
    "L": ("Théâtre du {place}", "Compagnie {last}"),
    "M": ("Cabinet {last} Conseil", "Expertise Comptable {last}", "Secrétariat du {place}"),
    "N": ("Transports {last}", "Logistique du {place}", "Messagerie de {town}", "Taxi {last}"),
    "interim": ("Intérim {town}", "{last} Travail Temporaire", "Agence Intérim du {place}"),
}  # fmt: skip
INTERIM_NAF = "78.20Z"
NEW_EMPLOYER_P = 0.3  # an offer comes from an employer not seen before in its area
MAX_EMPLOYERS_PER_AREA = 60


@dataclass(frozen=True, slots=True)
class Pair:
    """One real (ROME, bassin) cell of the tension table."""

    rome: str
    bassin: str
    tension: Tension


@dataclass(frozen=True, slots=True)
class Place:
    """A commune where an offer is located or a job seeker lives."""

    code: str
    name: str
    postal_code: str | None
    departement: str
    cost_factor: float  # local pay level of its département vs the national median


@dataclass(frozen=True, slots=True)
class Bassin:
    """A bassin d'emploi as the simulator uses it."""

    code: str
    places: tuple[Place, ...]
    agency_id: str
    advisers: int


@dataclass(frozen=True, slots=True)
class Rome:
    """A ROME fiche as the simulator uses it."""

    code: str
    label: str
    domain: str
    typical_qualification: str
    national_median: float  # full-time monthly gross


@dataclass(frozen=True, slots=True)
class Employer:
    """An employer: fake name, NAF code and the hidden pay policy."""

    employer_id: str
    name: str
    naf_code: str
    policy: str
    pay_ratio: float


class World:
    """Samplers over the referential for one run (``seed`` fixes the per-ROME/bassin draws)."""

    def __init__(self, ref: Referential, seed: int, advisers: int) -> None:
        self.ref = ref
        self.seed = seed
        self._dep_factor: dict[str, float] = {}
        self._romes: dict[str, Rome] = {}
        self._employers: dict[tuple[str, str], list[Employer]] = {}
        self._employer_count = 0
        candidates: list[Pair] = []
        for rome, bassin in sorted(ref.tension_pairs()):
            tension = ref.tension(rome, bassin)
            if tension is not None and ref.is_known_rome(rome):
                candidates.append(Pair(rome, bassin, tension))
        seekers: dict[str, float] = {}
        for p in candidates:
            seekers[p.bassin] = seekers.get(p.bassin, 0.0) + p.tension.jobseekers
        total = sum(seekers.values()) or 1.0
        self._bassins: dict[str, Bassin] = {}
        for code in sorted(seekers):
            built = self._build_bassin(
                code, min(40, max(1, round(seekers[code] / total * advisers)))
            )
            if built is not None:
                self._bassins[code] = built
        pairs = tuple(p for p in candidates if p.bassin in self._bassins)
        if not pairs:
            raise ValueError("the referential has no usable (ROME, bassin) tension pair")
        self.pairs = pairs
        self._offer_cum = _cumulative([max(p.tension.offers, 0) + 0.5 for p in pairs])
        self._seeker_cum = _cumulative([max(p.tension.jobseekers, 0) + 0.5 for p in pairs])

    def offer_pair(self, rng: random.Random) -> Pair:
        """A (ROME, bassin) cell drawn in proportion to its yearly offers."""
        return self.pairs[_draw(rng, self._offer_cum)]

    def seeker_pair(self, rng: random.Random) -> Pair:
        """A (ROME, bassin) cell drawn in proportion to its registered job seekers."""
        return self.pairs[_draw(rng, self._seeker_cum)]

    def bassin(self, code: str) -> Bassin:
        """The bassin ``code`` (one of the bassins of :attr:`pairs`)."""
        return self._bassins[code]

    def rome(self, code: str) -> Rome:
        """The ROME fiche ``code`` (cached)."""
        found = self._romes.get(code)
        if found is None:
            qualification, median = market.rome_pay_profile(self.seed, code)
            label = self.ref.rome_label(code) or code
            found = self._romes[code] = Rome(code, label, code[0], qualification, median)
        return found

    def cost_factor(self, departement: str) -> float:
        """Local pay level of a département relative to the national median (cached)."""
        factor = self._dep_factor.get(departement)
        if factor is None:
            ref = self.ref
            factor = self._dep_factor[departement] = market.departement_cost_factor(
                self.seed,
                departement,
                ref.region_of_departement(departement),
                ref.departement_population(departement),
            )
        return factor

    def employer(self, rng: random.Random, bassin: Bassin, kind: str) -> Employer:
        """An employer of ``bassin`` for a ROME domain letter, or ``"interim"``."""
        pool = self._employers.setdefault((bassin.code, kind), [])
        if pool and (len(pool) >= MAX_EMPLOYERS_PER_AREA or rng.random() >= NEW_EMPLOYER_P):
            return pool[rng.randrange(len(pool))]
        self._employer_count += 1
        template = rng.choice(EMPLOYER_NAMES.get(kind, EMPLOYER_NAMES["M"]))
        name = template.format(
            last=rng.choice(SURNAMES),
            place=rng.choice(PLACES),
            trees=rng.choice(TREES),
            town=rng.choice(bassin.places).name,
        )
        naf = (
            INTERIM_NAF
            if kind == "interim"
            else rng.choice(market.DOMAIN_NAF.get(kind, ("70.22Z",)))
        )
        policy, ratio = dynamics.sample_pay_policy(rng)
        employer = Employer(f"EMP-{self._employer_count:06d}", name, naf, policy, ratio)
        pool.append(employer)
        return employer

    def related_rome(self, rng: random.Random, bassin: str, rome: str) -> str:
        """An occupation related to ``rome`` in ``bassin`` (``rome`` itself when none is)."""
        related = [code for code, _ in self.ref.related_occupations(bassin, rome)[:5]
                   if self.ref.is_known_rome(code)]  # fmt: skip
        return rng.choice(related) if related else rome

    def _build_bassin(self, code: str, advisers: int) -> Bassin | None:
        places = []
        for insee in self.ref.communes_of_bassin(code):
            c = self.ref.commune(insee)
            if c is not None and self.ref.is_known_departement(c.departement):
                factor = self.cost_factor(c.departement)
                places.append(Place(c.code, c.name, c.postal_code, c.departement, factor))
        return Bassin(code, tuple(places), f"AG-{code}", advisers) if places else None


def _cumulative(weights: list[float]) -> tuple[float, ...]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return tuple(out)


def _draw(rng: random.Random, cumulative: tuple[float, ...]) -> int:
    index = bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
    return min(index, len(cumulative) - 1)
