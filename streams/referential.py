"""In-memory reference data: ROME occupations, geography, tension, BMO hiring survey.

Everything comes from the vendored files in ``data/`` (see ``data/SOURCES.md``), loaded once per
folder by :func:`load_referential` and then only read, so one :class:`Referential` is shared by
every agent of a worker. Lookups are plain dictionary hits; the whole load takes a few hundred
milliseconds.

>>> from streams.settings import load_settings
>>> ref = load_referential(load_settings(env={}).data_dir)
>>> ref.rome_label("M1805")
'Développeur / Développeuse informatique'
>>> ref.commune("07102").departement
'07'
>>> ref.commune_coordinates("07186")  # Privas
(44.7221, 4.5941)
"""

from __future__ import annotations

import csv
import functools
import gzip
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

from streams.errors import ConfigurationError

logger = logging.getLogger(__name__)

__all__ = [
    "BmoHiring",
    "Commune",
    "Referential",
    "Tension",
    "load_referential",
]

FILES = {
    "rome": "rome_codes.csv",
    "rome_tree": "rome_tree.csv",
    "connexe": "rome_connexe_bassin.csv.gz",
    "communes": "communes.csv.gz",
    "bassins": "bassins.csv",
    "departements": "departements.csv",
    "tension": "tension_rome_bassin_2021.csv.gz",
    "difficulty": "rome_national_difficulty.csv",
    "bmo": "bmo_2024_bassin_fap.csv.gz",
    "bmo_fap": "bmo_2024_fap.csv",
    "bmo_dep": "bmo_2024_departement.csv",
    "rome_v3": "rome_v3_labels.csv",
    "dep_areas": "departement_areas.csv",
}
# Files the product works without: a missing one leaves its lookups answering None.
OPTIONAL_FILES = {
    "coordinates": "commune_coordinates.csv.gz",
}

_Setter = Callable[[str, object], None]

# Postal codes under 97 that belong to overseas collectivities, not to département 971.
_NOT_A_DEPARTEMENT = frozenset({"97133", "97150"})  # Saint-Barthélemy, Saint-Martin


@dataclass(frozen=True, slots=True)
class Commune:
    """One INSEE commune with its département, région and bassin d'emploi (2019 zoning)."""

    code: str
    name: str
    postal_code: str | None
    departement: str
    region: str
    bassin: str | None
    bassin_name: str | None


@dataclass(frozen=True, slots=True)
class Tension:
    """Recruitment tension of one ROME fiche in one bassin d'emploi, 2021 (classes 1 low - 5 high).

    ``offers`` and ``jobseekers`` are the source's yearly averages rounded to whole numbers.
    """

    offers: int
    jobseekers: int
    tension_class: int
    hiring_intensity: int | None
    lack_of_workforce: int | None
    non_durable_jobs: int | None
    hard_conditions: int | None
    geographic_mismatch: int | None
    training_specificity: int | None


@dataclass(frozen=True, slots=True)
class BmoHiring:
    """BMO 2024 hiring projects of one FAP occupation in one bassin; None = suppressed by source."""

    projects: int | None
    difficult_projects: int | None

    @property
    def difficulty_share(self) -> float | None:
        """Share (0-1) of hiring projects the employers judged difficult."""
        if not self.projects or self.difficult_projects is None:
            return None
        return self.difficult_projects / self.projects


def _rows(path: Path) -> Iterator[list[str]]:
    """Data rows of a vendored CSV (plain or gzip), header skipped."""
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    reader = csv.reader(raw.decode("utf-8").splitlines())
    next(reader)
    return reader


def _int_or_none(text: str) -> int | None:
    return int(text) if text else None


def _frozen(mapping: dict[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(mapping)


class Referential:
    """Read-only lookup tables; build with :func:`load_referential`, never mutate.

    ROME codes are ROME 4.60 (1,584 codes); a code retired from or split in the 2021 tables
    (ROME v3, 532 fiches) is looked up through its ``code_rome_parent``. Bassin codes are
    4-digit strings (``"8432"``); shorter numeric codes are zero-padded on lookup.
    """

    __slots__ = (
        "_rome",
        "_rome_codes",
        "_rome_tree",
        "_communes",
        "_communes_of_bassin",
        "_postal_deps",
        "_postal_communes",
        "_departements",
        "_departement_codes",
        "_regions",
        "_departements_of_region",
        "_bassins",
        "_bassin_codes",
        "_tension",
        "_tension_pairs",
        "_difficulty",
        "_connexe",
        "_bmo",
        "_bmo_fap",
        "_bmo_dep",
        "_rome_v3",
        "_rome_children",
        "_dep_areas",
        "_bassins_of_dep",
        "_tension_by_bassin",
        "_coordinates",
        "_bassin_centroids",
    )

    _rome: Mapping[str, tuple[str, str]]  # code -> (label, parent)
    _rome_codes: tuple[str, ...]
    _rome_tree: Mapping[str, str]
    _communes: Mapping[str, Commune]
    _communes_of_bassin: Mapping[str, tuple[str, ...]]
    _postal_deps: Mapping[str, str]
    _postal_communes: Mapping[str, tuple[str, ...]]
    _departements: Mapping[str, tuple[str, str, int]]  # code -> (name, region, population)
    _departement_codes: tuple[str, ...]
    _regions: Mapping[str, str]  # INSEE région code -> name
    _departements_of_region: Mapping[str, tuple[str, ...]]
    _bassins: Mapping[str, tuple[str, str]]  # code -> (name, département)
    _bassin_codes: tuple[str, ...]
    _tension: Mapping[tuple[str, str], Tension]
    _tension_pairs: tuple[tuple[str, str], ...]
    _difficulty: Mapping[str, float]
    _connexe: Mapping[tuple[str, str], tuple[tuple[str, float], ...]]
    _bmo: Mapping[tuple[str, str], tuple[int | None, int | None]]
    _bmo_fap: Mapping[str, str]
    _bmo_dep: Mapping[str, tuple[int, float | None]]  # dep -> (projects, difficult share)
    _rome_v3: Mapping[str, str]  # v3 fiche -> its ROME v3 label
    _rome_children: Mapping[str, tuple[str, ...]]  # v3 fiche -> ROME 4 codes under it
    _dep_areas: Mapping[str, float]  # département -> km²
    _bassins_of_dep: Mapping[str, tuple[str, ...]]
    _tension_by_bassin: Mapping[str, tuple[tuple[str, Tension], ...]]
    _coordinates: Mapping[str, tuple[float, float]]  # commune -> (lat, lon), polygon centroid
    _bassin_centroids: Mapping[str, tuple[float, float]]  # bassin -> mean of its communes'

    def __init__(self, data_dir: Path) -> None:
        paths = {key: data_dir / name for key, name in FILES.items()}
        missing = [str(p) for p in paths.values() if not p.is_file()]
        if missing:
            raise ConfigurationError(
                f"reference data missing in {data_dir} (set VIGIE_DATA_DIR?): {', '.join(missing)}"
            )
        put = functools.partial(object.__setattr__, self)
        rome = {code: (label, parent) for code, label, parent in _rows(paths["rome"])}
        put("_rome", _frozen(rome))
        put("_rome_codes", tuple(sorted(rome)))
        put("_rome_tree", _frozen({node: label for node, label in _rows(paths["rome_tree"])}))
        self._load_geography(paths, put)
        self._load_tension(paths, put)
        self._load_bmo(paths, put)
        self._load_jobseeker_extras(paths, put, rome)
        self._load_coordinates(data_dir / OPTIONAL_FILES["coordinates"], put)

    # Loading -----------------------------------------------------------------------------

    @staticmethod
    def _load_geography(paths: Mapping[str, Path], put: _Setter) -> None:
        deps: dict[str, tuple[str, str, int]] = {}
        regions: dict[str, str] = {}
        of_region: dict[str, list[str]] = defaultdict(list)
        for code, name, region, region_name, population in _rows(paths["departements"]):
            deps[code] = (name, region, int(population))
            regions[region] = region_name
            of_region[region].append(code)
        bassins = {code: (name, dep) for code, name, dep, _ in _rows(paths["bassins"])}
        communes: dict[str, Commune] = {}
        of_bassin: dict[str, list[str]] = defaultdict(list)
        postal_deps: dict[str, Counter[str]] = defaultdict(Counter)
        postal_communes: dict[str, list[str]] = defaultdict(list)
        for code, name, postals, dep, region, bassin in _rows(paths["communes"]):
            postal_codes = postals.split("|") if postals else []
            bassin_name = bassins[bassin][0] if bassin in bassins else None
            communes[code] = Commune(
                code,
                name,
                postal_codes[0] if postal_codes else None,
                dep,
                region,
                bassin or None,
                bassin_name,
            )
            if bassin:
                of_bassin[bassin].append(code)
            for postal in postal_codes:
                postal_deps[postal][dep] += 1
                postal_communes[postal].append(code)
        # A few postal codes straddle two départements (01200: Ain and Haute-Savoie): the one its
        # prefix names wins, else the département of most of its communes.
        postal_dep = {
            postal: (postal[:2] if postal[:2] in counts else counts.most_common(1)[0][0])
            for postal, counts in postal_deps.items()
        }
        put("_departements", _frozen(deps))
        put("_departement_codes", tuple(sorted(deps)))
        put("_regions", _frozen(regions))
        put("_departements_of_region", _frozen({r: tuple(sorted(d)) for r, d in of_region.items()}))
        put("_bassins", _frozen(bassins))
        put("_bassin_codes", tuple(sorted(bassins)))
        put("_communes", _frozen(communes))
        put("_communes_of_bassin", _frozen({b: tuple(c) for b, c in of_bassin.items()}))
        put("_postal_deps", _frozen(postal_dep))
        put("_postal_communes", _frozen({p: tuple(c) for p, c in postal_communes.items()}))

    @staticmethod
    def _load_tension(paths: Mapping[str, Path], put: _Setter) -> None:
        tension: dict[tuple[str, str], Tension] = {}
        for rome, bassin, offers, seekers, cls, *indicators in _rows(paths["tension"]):
            tension[(rome, bassin)] = Tension(
                int(float(offers) + 0.5),
                int(float(seekers) + 0.5),
                int(cls),
                *[int(v) if v else None for v in indicators],
            )
        put("_tension", _frozen(tension))
        put("_tension_pairs", tuple(tension))
        put(
            "_difficulty",
            _frozen({rome: float(share) for rome, share, _ in _rows(paths["difficulty"])}),
        )
        # The file is sorted best score first within each (bassin, rome).
        connexe: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
        for bassin, rome, other, score in _rows(paths["connexe"]):
            connexe[(bassin, rome)].append((other, float(score)))
        put("_connexe", _frozen({key: tuple(pairs) for key, pairs in connexe.items()}))

    @staticmethod
    def _load_bmo(paths: Mapping[str, Path], put: _Setter) -> None:
        put(
            "_bmo",
            _frozen(
                {
                    (bassin, fap): (_int_or_none(met), _int_or_none(xmet))
                    for bassin, fap, met, xmet in _rows(paths["bmo"])
                }
            ),
        )
        put("_bmo_fap", _frozen({fap: label for fap, label, _, _ in _rows(paths["bmo_fap"])}))
        put(
            "_bmo_dep",
            _frozen(
                {
                    dep: (int(projects), float(share) if share else None)
                    for dep, projects, share in _rows(paths["bmo_dep"])
                }
            ),
        )

    def _load_jobseeker_extras(
        self, paths: Mapping[str, Path], put: _Setter, rome: Mapping[str, tuple[str, str]]
    ) -> None:
        put("_rome_v3", _frozen({code: label for code, label in _rows(paths["rome_v3"])}))
        children: dict[str, list[str]] = defaultdict(list)
        for code, (_, parent) in sorted(rome.items()):
            if parent != code:
                children[parent].append(code)
        put("_rome_children", _frozen({p: tuple(c) for p, c in children.items()}))
        put(
            "_dep_areas",
            _frozen({code: float(area) for code, area in _rows(paths["dep_areas"]) if area}),
        )
        of_dep: dict[str, list[str]] = defaultdict(list)
        for bassin, (_, dep) in sorted(self._bassins.items()):
            of_dep[dep].append(bassin)
        put("_bassins_of_dep", _frozen({d: tuple(b) for d, b in of_dep.items()}))
        by_bassin: dict[str, list[tuple[str, Tension]]] = defaultdict(list)
        for (fiche, bassin), tension in sorted(self._tension.items()):
            by_bassin[bassin].append((fiche, tension))
        put("_tension_by_bassin", _frozen({b: tuple(p) for b, p in by_bassin.items()}))

    def _load_coordinates(self, path: Path, put: _Setter) -> None:
        coordinates: dict[str, tuple[float, float]] = {}
        if path.is_file():
            coordinates = {code: (float(lat), float(lon)) for code, lat, lon in _rows(path)}
        else:
            logger.info("no %s in %s: mobility hints keep the area proxy", path.name, path.parent)
        centroids: dict[str, tuple[float, float]] = {}
        for bassin, codes in self._communes_of_bassin.items():
            points = [coordinates[c] for c in codes if c in coordinates]
            if points:
                centroids[bassin] = (
                    sum(lat for lat, _ in points) / len(points),
                    sum(lon for _, lon in points) / len(points),
                )
        put("_coordinates", _frozen(coordinates))
        put("_bassin_centroids", _frozen(centroids))

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"Referential is read-only (tried to set {name})")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"Referential is read-only (tried to delete {name})")

    def __repr__(self) -> str:
        return (
            f"Referential(rome={len(self._rome)}, communes={len(self._communes)}, "
            f"bassins={len(self._bassins)}, tension={len(self._tension)})"
        )

    # ROME ---------------------------------------------------------------------------------

    def is_known_rome(self, code: str) -> bool:
        """True when ``code`` is a ROME 4.60 code (including the 532 historical fiches)."""
        return code in self._rome

    def rome_label(self, code: str) -> str | None:
        """Official label of a ROME code, None when unknown."""
        entry = self._rome.get(code)
        return entry[0] if entry else None

    def rome_parent(self, code: str) -> str | None:
        """The historical (ROME v3) fiche a ROME 4 code belongs to; a fiche is its own parent."""
        entry = self._rome.get(code)
        return entry[1] if entry else None

    def rome_codes(self) -> tuple[str, ...]:
        """Every ROME 4.60 code, sorted."""
        return self._rome_codes

    def rome_domain(self, code: str) -> str | None:
        """Domain letter (``"M"``) of a known ROME code."""
        return code[0] if code in self._rome else None

    def rome_family(self, code: str) -> str | None:
        """Family code (``"M18"``) of a known ROME code."""
        return code[:3] if code in self._rome else None

    def rome_tree_label(self, node: str) -> str | None:
        """Label of a domain (``"M"``) or family (``"M18"``) of the ROME tree."""
        return self._rome_tree.get(node)

    def rome_v3_label(self, code: str) -> str | None:
        """The ROME v3 label of one of the 532 historical fiches (ROME 4 renamed them all)."""
        return self._rome_v3.get(code)

    def rome_children(self, code: str) -> tuple[str, ...]:
        """ROME 4 codes whose ``code_rome_parent`` is the fiche ``code`` (itself excluded)."""
        return self._rome_children.get(code, ())

    # Geography ----------------------------------------------------------------------------

    def commune(self, code_insee: str) -> Commune | None:
        """Commune by INSEE code (COG 2024, plus communes merged since 2019 and PLM districts)."""
        return self._communes.get(code_insee)

    def communes_of_postal_code(self, postal_code: str) -> tuple[str, ...]:
        """INSEE codes of the communes served by a postal code (none for Corsica and overseas)."""
        return self._postal_communes.get(postal_code, ())

    def departement_of_postal_code(self, postal_code: str) -> str | None:
        """Département of a 5-digit postal code, None when it names no département."""
        postal_code = postal_code.strip()
        if len(postal_code) != 5 or not postal_code.isdigit():
            return None
        dep = self._postal_deps.get(postal_code)
        if dep is not None:
            return dep
        prefix = postal_code[:2]
        if prefix == "20":
            # No Corsican postal code in the vendored tables; La Poste gives 200xx-201xx to
            # Corse-du-Sud and 202xx-206xx to Haute-Corse.
            return "2A" if postal_code < "20200" else "2B"
        if prefix == "97":
            if postal_code in _NOT_A_DEPARTEMENT:
                return None
            prefix = postal_code[:3]
        return prefix if prefix in self._departements else None

    def is_known_departement(self, code: str) -> bool:
        """True for the 101 départements (``"07"``, ``"2A"``, ``"974"``...)."""
        return code in self._departements

    def departements(self) -> tuple[str, ...]:
        """Every département code, sorted."""
        return self._departement_codes

    def departement_name(self, dep: str) -> str | None:
        """Name of a département."""
        entry = self._departements.get(dep)
        return entry[0] if entry else None

    def region_of_departement(self, dep: str) -> str | None:
        """INSEE region code (``"84"``; ``"01"``..``"06"`` overseas) of a département."""
        entry = self._departements.get(dep)
        return entry[1] if entry else None

    def is_known_region(self, code: str) -> bool:
        """True for the 18 INSEE régions (``"84"``; ``"01"``..``"06"`` overseas)."""
        return code in self._regions

    def regions(self) -> tuple[str, ...]:
        """Every région code, sorted."""
        return tuple(sorted(self._regions))

    def region_name(self, region: str) -> str | None:
        """Name of a région (``"Auvergne-Rhône-Alpes"``)."""
        return self._regions.get(region)

    def departements_of_region(self, region: str) -> tuple[str, ...]:
        """Département codes of a région, sorted."""
        return self._departements_of_region.get(region, ())

    def departement_population(self, dep: str) -> int | None:
        """Population of a département (mobiville's INSEE figure)."""
        entry = self._departements.get(dep)
        return entry[2] if entry else None

    def bassins(self) -> tuple[str, ...]:
        """Every bassin d'emploi code known to the geography or the BMO survey, sorted."""
        return self._bassin_codes

    def bassin_departement(self, bassin: str) -> str | None:
        """Département holding most of a bassin's communes (a few bassins straddle two)."""
        entry = self._bassins.get(_bassin_key(bassin))
        return entry[1] if entry else None

    def bassin_name(self, bassin: str) -> str | None:
        """Name of a bassin d'emploi (upper-case, as published)."""
        entry = self._bassins.get(_bassin_key(bassin))
        return entry[0] if entry else None

    def departement_area_km2(self, dep: str) -> float | None:
        """Land area of a département, in km² (mobiville's ``superficie``)."""
        return self._dep_areas.get(dep)

    def bassins_of_departement(self, dep: str) -> tuple[str, ...]:
        """Bassins whose main département (:meth:`bassin_departement`) is ``dep``, sorted."""
        return self._bassins_of_dep.get(dep, ())

    def communes_of_bassin(self, bassin: str) -> tuple[str, ...]:
        """INSEE codes of the communes of a bassin (empty for BMO-only bassins)."""
        return self._communes_of_bassin.get(_bassin_key(bassin), ())

    def commune_coordinates(self, code_insee: str) -> tuple[float, float] | None:
        """(latitude, longitude) of a commune's polygon centroid (WGS 84, 4 decimals).

        None when the commune is unknown or unlocated, or ``commune_coordinates.csv.gz`` is
        absent from the data folder.
        """
        return self._coordinates.get(code_insee)

    def bassin_centroid(self, bassin: str) -> tuple[float, float] | None:
        """(latitude, longitude): the unweighted mean of the centroids of a bassin's communes.

        None for a bassin without located communes (the four BMO-only bassins) or without the
        coordinates file.
        """
        return self._bassin_centroids.get(_bassin_key(bassin))

    # Tension and hiring -------------------------------------------------------------------

    def tension(self, rome: str, bassin: str) -> Tension | None:
        """2021 tension of ``rome`` in ``bassin``, through the parent fiche for ROME 4 codes."""
        key = _bassin_key(bassin)
        found = self._tension.get((rome, key))
        if found is None:
            parent = self.rome_parent(rome)
            if parent is not None and parent != rome:
                found = self._tension.get((parent, key))
        return found

    def tension_in_bassin(self, bassin: str) -> tuple[tuple[str, Tension], ...]:
        """Every (ROME fiche, 2021 tension) row of a bassin, sorted by fiche."""
        return self._tension_by_bassin.get(_bassin_key(bassin), ())

    def tension_pairs(self) -> tuple[tuple[str, str], ...]:
        """Every (ROME fiche, bassin) pair with a 2021 tension row, sorted."""
        return self._tension_pairs

    def national_difficulty_share(self, rome: str) -> float | None:
        """National share (0-1) of hiring projects judged difficult (BMO) for an occupation."""
        share = self._difficulty.get(rome)
        if share is None:
            parent = self.rome_parent(rome)
            share = self._difficulty.get(parent) if parent is not None else None
        return share

    def related_occupations(self, bassin: str, rome: str) -> tuple[tuple[str, float], ...]:
        """Occupations related to ``rome`` in ``bassin`` as (ROME fiche, score), best first."""
        key = _bassin_key(bassin)
        found = self._connexe.get((key, rome))
        if found is None:
            parent = self.rome_parent(rome)
            found = self._connexe.get((key, parent)) if parent is not None else None
        return found or ()

    def bmo_hiring(self, bassin: str, fap: str) -> BmoHiring | None:
        """BMO 2024 hiring projects of a FAP-2021 occupation in a bassin (BE24)."""
        cell = self._bmo.get((_bassin_key(bassin), fap))
        return BmoHiring(*cell) if cell is not None else None

    def fap_label(self, fap: str) -> str | None:
        """Label of a FAP-2021 occupation code of the BMO survey (``"A0X40"``)."""
        return self._bmo_fap.get(fap)

    def faps(self) -> tuple[str, ...]:
        """Every FAP-2021 occupation code of the BMO survey, sorted."""
        return tuple(sorted(self._bmo_fap))

    def departement_hiring_projects(self, dep: str) -> int | None:
        """BMO 2024 hiring projects of a département (sum of the values not suppressed)."""
        entry = self._bmo_dep.get(dep)
        return entry[0] if entry else None

    def departement_difficulty_share(self, dep: str) -> float | None:
        """Share (0-1) of a département's BMO 2024 hiring projects judged difficult."""
        entry = self._bmo_dep.get(dep)
        return entry[1] if entry else None


def _bassin_key(bassin: str) -> str:
    # The sources spell Guadeloupe's bassins "101" or "0101"; the tables use 4 digits.
    return bassin.zfill(4) if len(bassin) < 4 and bassin.isdigit() else bassin


@functools.cache
def _load(data_dir: Path) -> Referential:
    started = time.perf_counter()
    referential = Referential(data_dir)
    logger.info(
        "referential loaded data_dir=%s elapsed_ms=%.0f %r",
        data_dir,
        (time.perf_counter() - started) * 1000,
        referential,
    )
    return referential


def load_referential(data_dir: Path) -> Referential:
    """The :class:`Referential` of ``data_dir``, loaded on first call and cached per folder."""
    return _load(Path(data_dir).resolve())


def area_level(country: str, bassin: str | None, departement: str, region: str | None) -> str:
    """The finest market level an offer's area gives: bassin, departement, region, national
    or abroad (an offer outside France is assessed against the national market)."""
    if country != "FR":
        return "abroad"
    if bassin:
        return "bassin"
    if departement:
        return "departement"
    return "region" if region else "national"
