"""Reconversion and mobility hints: where the same seeker would find more demand.

Demand is read from static reference data first (``streams.referential``): the 2021 tension
indicators per ROME fiche x bassin d'emploi (offers registered in the year, job seekers, tension
class 1-5). When the worker passes the offers use case's model view, the offers open right now
in the market are added to the figures; the hints never depend on it.

* **Reconversion** when the seeker's occupation has weak demand in their bassin (tension class 2
  or less): the occupations the ROME data relates to it in that bassin
  (``related_occupations``, from labonneboite's ``bassin_rome_connexe``, best score first), then
  the other fiches of its ROME family, keeping those with strong demand there (class 4 or more
  and at least ``MIN_OFFERS`` offers a year).
* **Mobility**: bassins where the same occupation has strong demand and more tension than at
  home, within the seeker's mobility radius, nearest first (then most offers).

  - *By distance*, when the referential has coordinates (``commune_coordinates.csv.gz``,
    commune polygon centroids): every bassin of France is a candidate, those of neighbouring
    départements included, and one is within reach when the great-circle (haversine) distance
    from the seeker's commune to the bassin's centroid (the mean of its communes' centroids) is
    at most the radius. Without a located commune, the distance is measured from the centre of
    the seeker's bassin. It is a distance as the crow flies between centres, not a travel time:
    a bassin whose edge is close but whose centre is beyond the radius is not proposed.
  - *Area proxy*, when neither the commune nor the bassin is located (the coordinates file is
    absent, a BMO-only bassin): the other bassins of the seeker's département, when the radius
    is at least the radius of a disc as large as the département (``sqrt(area / pi)``, 42 km for
    the Ardèche, 56 km for the Gironde, 6 km for Paris); no bassin of another département.

>>> market_level(None), market_level(_t(2)), market_level(_t(4))
('unknown', 'weak', 'strong')
>>> round(distance_km((44.7352, 4.5989), (44.9332, 4.8921)))  # Privas to Valence town halls
32
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from agents.wording import place_name
from streams.referential import Referential, Tension

WEAK_TENSION_MAX = 2
STRONG_TENSION_MIN = 4
MIN_OFFERS = 20  # offers a year in the bassin (2021): below, a class says little
MAX_OPTIONS = 3
EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)

OpenOffers = Callable[[str, str], int | None]  # (ROME, bassin) -> offers open now, if known


def market_level(tension: Tension | None) -> str:
    """'weak', 'strong', 'medium' or 'unknown' demand for an occupation in a bassin."""
    if tension is None:
        return "unknown"
    if tension.tension_class <= WEAK_TENSION_MAX:
        return "weak"
    if tension.tension_class >= STRONG_TENSION_MIN and tension.offers >= MIN_OFFERS:
        return "strong"
    return "medium"


def _t(tension_class: int) -> Tension:  # doctest helper
    return Tension(100, 100, tension_class, None, None, None, None, None, None)


@dataclass(frozen=True, slots=True)
class Market:
    """The figures of one occupation in one bassin."""

    rome: str
    bassin: str
    tension_class: int
    offers: int  # registered in 2021
    jobseekers: int  # categories A, B, C, 2021
    open_offers: int | None = None  # open now (offers use case), when known

    def as_json(self) -> dict[str, object]:
        """Compact form for the diagnostic hash."""
        found = {
            "rome": self.rome,
            "bassin": self.bassin,
            "tension": self.tension_class,
            "offers_2021": self.offers,
            "jobseekers_2021": self.jobseekers,
        }
        if self.open_offers is not None:
            found["open_offers"] = self.open_offers
        return found


@dataclass(frozen=True, slots=True)
class ReconversionOption:
    """A related occupation with strong demand in the seeker's bassin."""

    label: str
    proximity: float | None  # labonneboite's relatedness score (0-1); None: same ROME family
    market: Market


@dataclass(frozen=True, slots=True)
class MobilityOption:
    """A bassin within reach where the seeker's occupation has strong demand."""

    bassin_name: str
    reach_km: float  # the radius the seeker's mobility had to cover: the distance, or the proxy
    market: Market
    distance_km: float | None = None  # as the crow flies to the bassin's centre; None: proxy
    distance_from: str | None = None  # "commune" (of residence) or "bassin" (its centre)


def _market(
    ref: Referential, rome: str, bassin: str, open_offers: OpenOffers | None
) -> Market | None:
    tension = ref.tension(rome, bassin)
    if tension is None:
        return None
    live = open_offers(rome, bassin) if open_offers is not None else None
    return Market(rome, bassin, tension.tension_class, tension.offers, tension.jobseekers, live)


def _fiche(ref: Referential, rome: str) -> str:
    return ref.rome_parent(rome) or rome


def reconversion_options(
    ref: Referential, rome: str, bassin: str | None, open_offers: OpenOffers | None = None
) -> list[ReconversionOption]:
    """Related occupations with strong demand, when the seeker's own demand is weak."""
    if not bassin or market_level(ref.tension(rome, bassin)) != "weak":
        return []
    own = _fiche(ref, rome)
    found: list[ReconversionOption] = []
    seen = {own, rome}
    candidates: list[tuple[str, float | None]] = list(ref.related_occupations(bassin, rome))
    family = [(code, None) for code in _FAMILIES.get(ref, (bassin, own[:3]))]
    for code, score in [*candidates, *family]:
        if code in seen or len(found) >= MAX_OPTIONS:
            continue
        seen.add(code)
        if market_level(ref.tension(code, bassin)) != "strong":
            continue
        market = _market(ref, code, bassin, open_offers)
        if market is not None:
            found.append(ReconversionOption(ref.rome_label(code) or code, score, market))
    return found


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle (haversine) distance in km between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class _Memo:
    """Answers that depend only on the referential and a key, kept while the referential is the
    same object; a bounded dict (cleared when full), since keys come from the traffic."""

    LIMIT = 100_000

    def __init__(self, compute: Callable[[Referential, Any], Any]) -> None:
        self.compute = compute
        self._ref: Referential | None = None
        self._answers: dict[Any, Any] = {}

    def get(self, ref: Referential, key: Any) -> Any:
        """``compute(ref, key)``, computed once per key."""
        if ref is not self._ref or len(self._answers) >= self.LIMIT:
            self._ref, self._answers = ref, {}
        found = self._answers.get(key)
        if found is None:
            found = self._answers[key] = self.compute(ref, key)
        return found


def _family_codes(ref: Referential, key: tuple[str, str]) -> tuple[str, ...]:
    """The bassin's tension fiches of one ROME family, most offers first."""
    bassin, family = key
    codes = [code for code, _ in ref.tension_in_bassin(bassin) if code[:3] == family]
    codes.sort(key=lambda c: -(ref.tension(c, bassin).offers))  # type: ignore[union-attr]
    return tuple(codes)


_FAMILIES = _Memo(_family_codes)


class _BassinCentres:
    """Every located bassin's centroid as arrays, to find those within a radius in one pass.

    A profile asks for the bassins within its radius among some 400: one vectorised haversine
    over all of them keeps the candidates (with a margin for float rounding), then
    :func:`distance_km` gives each kept one its exact distance, the very figure an alert shows.
    The arrays are built once per referential.
    """

    MARGIN_KM = 1.0

    def __init__(self) -> None:
        self._for: tuple[Referential, tuple[str, ...], np.ndarray, np.ndarray] | None = None
        self._near = _Memo(self._search)

    def _arrays(self, ref: Referential) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
        if self._for is None or self._for[0] is not ref:
            located = [(b, c) for b in ref.bassins() if (c := ref.bassin_centroid(b)) is not None]
            codes = tuple(b for b, _ in located)
            points = np.radians(np.array([c for _, c in located], dtype=float).reshape(-1, 2))
            self._for = (ref, codes, points[:, 0], points[:, 1])
        return self._for[1:]

    def within(
        self, ref: Referential, origin: tuple[float, float], radius_km: float
    ) -> list[tuple[str, float]]:
        """(bassin, km) of each located bassin within ``radius_km`` of ``origin``, in code order.

        A seeker's commune and radius come back with each profile update: answers are kept.
        """
        return list(self._near.get(ref, (origin, radius_km)))

    def _search(
        self, ref: Referential, key: tuple[tuple[float, float], float]
    ) -> tuple[tuple[str, float], ...]:
        origin, radius_km = key
        codes, lat, lon = self._arrays(ref)
        if not codes:
            return ()
        lat0, lon0 = math.radians(origin[0]), math.radians(origin[1])
        h = (
            np.sin((lat - lat0) / 2) ** 2
            + math.cos(lat0) * np.cos(lat) * np.sin((lon - lon0) / 2) ** 2
        )
        rough = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
        near = np.flatnonzero(rough <= radius_km + self.MARGIN_KM)
        out = []
        for i in near.tolist():
            code = codes[i]
            km = distance_km(origin, ref.bassin_centroid(code))  # type: ignore[arg-type]
            if km <= radius_km:
                out.append((code, km))
        return tuple(out)


_CENTRES = _BassinCentres()


def reach_km(ref: Referential, departement: str) -> float | None:
    """The mobility radius that reaches the other bassins of a département (the proxy)."""
    area = ref.departement_area_km2(departement)
    return math.sqrt(area / math.pi) if area else None


def _stronger(ref: Referential, rome: str, other: str, home_class: int) -> bool:
    tension = ref.tension(rome, other)
    return market_level(tension) == "strong" and tension.tension_class > home_class  # type: ignore[union-attr]


def mobility_options(
    ref: Referential,
    rome: str,
    bassin: str | None,
    departement: str,
    radius_km: int | None,
    open_offers: OpenOffers | None = None,
    *,
    commune: str | None = None,
) -> list[MobilityOption]:
    """Bassins within the seeker's reach where their occupation is in stronger demand.

    ``commune`` (INSEE code of residence) is where distances start when it is located; its
    bassin stands in for a missing ``bassin``.
    """
    if not bassin and commune:
        found_commune = ref.commune(commune)
        bassin = found_commune.bassin if found_commune is not None else None
    if not bassin or radius_km is None:
        return []
    home = ref.tension(rome, bassin)
    home_class = home.tension_class if home is not None else 0
    origin = ref.commune_coordinates(commune) if commune else None
    measured_from = "commune"
    if origin is None:
        origin, measured_from = ref.bassin_centroid(bassin), "bassin"
    if origin is None:
        return _proxy_options(ref, rome, bassin, departement, radius_km, home_class, open_offers)
    own = bassin.zfill(4) if bassin.isdigit() else bassin  # the referential's 4-digit codes
    found: list[MobilityOption] = []
    for other, km in _CENTRES.within(ref, origin, radius_km):
        if other == own or not _stronger(ref, rome, other, home_class):
            continue
        market = _market(ref, rome, other, open_offers)
        if market is not None:
            name = place_name(ref.bassin_name(other)) or other
            found.append(MobilityOption(name, km, market, km, measured_from))
    found.sort(key=lambda o: (o.reach_km, -o.market.offers, o.market.bassin))
    return found[:MAX_OPTIONS]


def _proxy_options(
    ref: Referential,
    rome: str,
    bassin: str,
    departement: str,
    radius_km: int,
    home_class: int,
    open_offers: OpenOffers | None,
) -> list[MobilityOption]:
    """Without coordinates: the other bassins of the département, if the radius covers it."""
    reach = reach_km(ref, departement)
    if reach is None or radius_km < reach:
        return []
    found: list[MobilityOption] = []
    for other in ref.bassins_of_departement(departement):
        if other == bassin or not _stronger(ref, rome, other, home_class):
            continue
        market = _market(ref, rome, other, open_offers)
        if market is not None:
            name = place_name(ref.bassin_name(other)) or other
            found.append(MobilityOption(name, reach, market))
    found.sort(key=lambda o: (-o.market.offers, o.market.bassin))
    return found[:MAX_OPTIONS]
