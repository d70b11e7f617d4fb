"""The vendored reference data and its in-memory lookups (streams.referential)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from streams.errors import ConfigurationError
from streams.referential import (
    FILES,
    BmoHiring,
    Commune,
    Referential,
    Tension,
    load_referential,
)
from streams.settings import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / "data"


@pytest.fixture(scope="module")
def ref() -> Referential:
    return load_referential(DATA_DIR)


# Files and loading ---------------------------------------------------------------------------


def test_vendored_data_is_compact_and_documented() -> None:
    total = sum((DATA_DIR / name).stat().st_size for name in FILES.values())
    assert total < 5_000_000
    sources = (DATA_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for name in FILES.values():
        assert name in sources, f"{name} is not documented in data/SOURCES.md"


def test_cold_load_is_well_under_two_seconds() -> None:
    started = time.perf_counter()
    Referential(DATA_DIR)
    assert time.perf_counter() - started < 2.0


def test_load_is_cached_per_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_referential(DATA_DIR)
    monkeypatch.chdir(PROJECT_ROOT)
    assert load_referential(Path("data")) is first


def test_missing_data_folder_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="rome_codes.csv"):
        load_referential(tmp_path)


def test_referential_is_read_only(ref: Referential) -> None:
    with pytest.raises(AttributeError):
        ref._rome = {}  # type: ignore[misc]
    commune = ref.commune("07102")
    assert commune is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        commune.bassin = "0000"  # type: ignore[misc]


# ROME ----------------------------------------------------------------------------------------


def test_rome_code_lookup(ref: Referential) -> None:
    assert ref.is_known_rome("M1805")
    assert ref.rome_label("M1805") == "Développeur / Développeuse informatique"
    assert ref.rome_parent("M1805") == "M1805"
    assert not ref.is_known_rome("X9999")
    assert ref.rome_label("X9999") is None
    assert ref.rome_parent("X9999") is None


def test_rome_4_code_maps_to_its_historical_fiche(ref: Referential) -> None:
    # A1102 was split out of A1101 in ROME 4.0; the 2021 tables only know A1101.
    assert ref.rome_label("A1102") == "Conducteur / Conductrice d'engins d'exploitation forestière"
    assert ref.rome_parent("A1102") == "A1101"
    assert ref.rome_parent("M1827") == "M1805"


def test_rome_codes_are_the_460_referential(ref: Referential) -> None:
    codes = ref.rome_codes()
    assert len(codes) == 1584
    assert list(codes) == sorted(codes)
    assert len({ref.rome_parent(c) for c in codes}) == 532


def test_rome_tree(ref: Referential) -> None:
    assert ref.rome_domain("M1805") == "M"
    assert ref.rome_family("M1805") == "M18"
    assert ref.rome_tree_label("M") == "Support à l'entreprise"
    assert ref.rome_tree_label("M18") == "Systèmes d'information et de télécommunication"
    assert ref.rome_domain("X9999") is None
    families = {ref.rome_family(c) for c in ref.rome_codes()}
    assert all(ref.rome_tree_label(f) for f in families)  # type: ignore[arg-type]


# Geography -----------------------------------------------------------------------------------


def test_commune_of_the_sample_offers(ref: Referential) -> None:
    assert ref.commune("07102") == Commune(
        code="07102",
        name="Guilherand-Granges",
        postal_code="07500",
        departement="07",
        region="84",
        bassin="8432",
        bassin_name="DROME ARDECHE CENTRE",
    )
    assert ref.commune("99999") is None


def test_paris_districts_inherit_the_city_bassin(ref: Referential) -> None:
    district = ref.commune("75111")
    city = ref.commune("75056")
    assert district is not None and city is not None
    assert district.postal_code == "75011"
    assert district.bassin == city.bassin == "1107"


def test_corsica_and_overseas_communes(ref: Referential) -> None:
    ajaccio = ref.commune("2A004")
    saint_denis = ref.commune("97411")
    assert ajaccio is not None and ajaccio.departement == "2A" and ajaccio.bassin == "9407"
    assert saint_denis is not None
    assert (saint_denis.departement, saint_denis.region) == ("974", "04")


@pytest.mark.parametrize(
    ("postal_code", "expected"),
    [
        ("07500", "07"),
        ("01200", "01"),  # also serves a Haute-Savoie commune; the prefix wins
        ("13780", "13"),
        ("75001", "75"),
        ("20000", "2A"),
        ("20167", "2A"),
        ("20200", "2B"),
        ("20600", "2B"),
        ("97100", "971"),
        ("97200", "972"),
        ("97300", "973"),
        ("97400", "974"),
        ("97600", "976"),
        ("97133", None),  # Saint-Barthélemy: an overseas collectivity
        ("97500", None),  # Saint-Pierre-et-Miquelon
        ("98000", None),  # Monaco
        ("00100", None),
        ("7500", None),
        ("ABCDE", None),
        ("", None),
    ],
)
def test_departement_of_postal_code(
    ref: Referential, postal_code: str, expected: str | None
) -> None:
    assert ref.departement_of_postal_code(postal_code) == expected


def test_postal_code_to_communes(ref: Referential) -> None:
    assert ref.communes_of_postal_code("07500") == ("07102",)
    assert len(ref.communes_of_postal_code("07200")) > 1
    assert ref.communes_of_postal_code("20000") == ()


def test_departements(ref: Referential) -> None:
    deps = ref.departements()
    assert len(deps) == 101
    assert {"2A", "2B", "971", "972", "973", "974", "976"} <= set(deps)
    assert "20" not in deps and "975" not in deps
    assert ref.is_known_departement("07")
    assert not ref.is_known_departement("7")
    assert ref.region_of_departement("07") == "84"
    assert ref.region_of_departement("974") == "04"
    assert ref.region_of_departement("99") is None
    assert ref.departement_population("07") == 330865
    assert ref.departement_name("2B") == "Haute-Corse"


def test_bassins(ref: Referential) -> None:
    bassins = ref.bassins()
    assert len(bassins) == 407
    assert all(len(b) == 4 and b.isdigit() for b in bassins)
    assert ref.bassin_name("8432") == "DROME ARDECHE CENTRE"
    assert ref.bassin_departement("8432") == "26"  # straddles Drôme and Ardèche, mostly Drôme
    assert ref.bassin_departement("101") == "971"  # short codes are zero-padded
    assert "07102" in ref.communes_of_bassin("8432")
    assert ref.communes_of_bassin("0000") == ()
    assert all(ref.is_known_departement(ref.bassin_departement(b) or "") for b in bassins)


# Tension, hiring, related occupations -------------------------------------------------------


def test_tension_of_a_known_pair(ref: Referential) -> None:
    # Source row: 2021;A1101;0203;16,61538462;28,25;5;5;1;5;4;4;5
    assert ref.tension("A1101", "0203") == Tension(
        offers=17,
        jobseekers=28,
        tension_class=5,
        hiring_intensity=5,
        lack_of_workforce=1,
        non_durable_jobs=5,
        hard_conditions=4,
        geographic_mismatch=4,
        training_specificity=5,
    )
    assert ref.tension("A1101", "203") == ref.tension("A1101", "0203")


def test_tension_falls_back_on_the_parent_fiche(ref: Referential) -> None:
    assert ref.tension("A1102", "0203") == ref.tension("A1101", "0203")
    assert ref.tension("X9999", "0203") is None
    assert ref.tension("A1101", "9999") is None


def test_tension_missing_indicator_is_none(ref: Referential) -> None:
    tension = ref.tension("M1301", "1107")
    assert tension is not None
    assert tension.training_specificity is None
    assert 1 <= tension.tension_class <= 5


def test_tension_pairs(ref: Referential) -> None:
    pairs = ref.tension_pairs()
    assert len(pairs) == 27135
    assert ("A1101", "0203") in pairs
    bassins = set(ref.bassins())
    assert all(ref.is_known_rome(r) and b in bassins for r, b in pairs)


def test_national_difficulty_share(ref: Referential) -> None:
    assert ref.national_difficulty_share("A1101") == pytest.approx(0.619)
    assert ref.national_difficulty_share("A1102") == pytest.approx(0.619)  # via A1101
    assert ref.national_difficulty_share("X9999") is None


def test_related_occupations_best_first(ref: Referential) -> None:
    # Source rows: 101,G1603,D1502,.71875381 and 101,G1603,G1803,.10810352
    assert ref.related_occupations("0101", "G1603") == (
        ("D1502", pytest.approx(0.71875381)),
        ("G1803", pytest.approx(0.10810352)),
    )
    assert ref.related_occupations("0101", "X9999") == ()
    related = ref.related_occupations("8432", "A1401")
    assert related and [s for _, s in related] == sorted((s for _, s in related), reverse=True)


def test_bmo_hiring(ref: Referential) -> None:
    assert ref.bmo_hiring("0101", "A0X40") == BmoHiring(projects=95, difficult_projects=31)
    assert ref.bmo_hiring("0101", "A0X40").difficulty_share == pytest.approx(31 / 95)  # type: ignore[union-attr]
    suppressed = ref.bmo_hiring("103", "A0X40")
    assert suppressed == BmoHiring(projects=17, difficult_projects=None)
    assert suppressed.difficulty_share is None
    assert ref.fap_label("A0X40") == "Agriculteurs"
    assert len(ref.faps()) == 217
    assert ref.departement_difficulty_share("07") == pytest.approx(0.6801)
    assert ref.departement_hiring_projects("07") == 13596
