"""Mapping real France Travail offers to OfferPosted (streams.offers_import)."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from streams.errors import MappingError
from streams.offers_import import (
    OFFER_FIELDS,
    Salary,
    iter_raw_offers,
    map_offer,
    parse_experience_months,
    parse_salary,
    parse_weekly_hours,
)
from streams.referential import Referential, load_referential
from streams.settings import PROJECT_ROOT

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "ft_offers_sample.jsonl"
NOW = datetime(2025, 4, 1, tzinfo=UTC)
H35 = 35 * 52 / 12  # hours a month at the legal 35 h week


@pytest.fixture(scope="module")
def ref() -> Referential:
    return load_referential(PROJECT_ROOT / "data")


@pytest.fixture(scope="module")
def offers() -> dict[str, dict[str, Any]]:
    with FIXTURE.open(encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh]
    assert len(records) == 150
    return {r["id"]: r for r in records}


def raw_offer(offers: dict[str, dict[str, Any]], offer_id: str) -> dict[str, Any]:
    return copy.deepcopy(offers[offer_id])


# Salary --------------------------------------------------------------------------------------

# (label, weekly hours, monthly_min, monthly_max, period, months_per_year); every shape of
# salaire.libelle in the 150 real offers, then the variants the API and employers also write.
SALARY_CASES = [
    # hourly, no months
    ("Horaire de 11.88 Euros", None, 11.88 * H35, 11.88 * H35, "hourly", 12.0),
    ("Horaire de 12.17 Euros", 3.75, 12.17 * 3.75 * 52 / 12, 12.17 * 3.75 * 52 / 12, "hourly", 12),
    ("Horaire de 14.5 Euros", 39, 14.5 * 169, 14.5 * 169, "hourly", 12.0),
    # hourly, "sur 12 mois" / "sur 12.0 mois"
    ("Horaire de 11.88 Euros sur 12 mois", 30, 11.88 * 130, 11.88 * 130, "hourly", 12.0),
    ("Horaire de 11.88 Euros sur 12.0 mois", None, 1801.80, 1801.80, "hourly", 12.0),
    # hourly ranges, with and without months, including a degenerate one
    ("Horaire de 11.88 Euros à 13.38 Euros", None, 1801.80, 13.38 * H35, "hourly", 12.0),
    ("Horaire de 13.0 Euros à 14.3 Euros sur 12.0 mois", 39, 2197.0, 2416.70, "hourly", 12.0),
    ("Horaire de 11.88 Euros à 11.88 Euros sur 12.0 mois", 24, 1235.52, 1235.52, "hourly", 12.0),
    # monthly
    ("Mensuel de 1801.80 Euros sur 12 mois", None, 1801.80, 1801.80, "monthly", 12.0),
    ("Mensuel de 1900.0 Euros sur 12.0 mois", None, 1900.0, 1900.0, "monthly", 12.0),
    ("Mensuel de 2000.00 Euros à 2500.00 Euros sur 12 mois", None, 2000, 2500, "monthly", 12),
    ("Mensuel de 1600.0 Euros à 1800.0 Euros sur 12.0 mois", None, 1600, 1800, "monthly", 12),
    # part-time monthly pay is small but real (4 h a week of cleaning)
    ("Mensuel de 210.0 Euros sur 12.0 mois", 4, 210.0, 210.0, "monthly", 12.0),
    # 13 payments: the yearly pay spread over 12 months
    ("Mensuel de 2160.64 Euros sur 13.0 mois", None, 2340.69, 2340.69, "monthly", 13.0),
    ("Mensuel de 1805.0 Euros à 2000.0 Euros sur 13.0 mois", None, 1955.42, 2166.67, "monthly", 13),
    # yearly, 12 or 13 payments: always / 12
    ("Annuel de 25000.0 Euros à 30000.0 Euros sur 12.0 mois", None, 2083.33, 2500, "yearly", 12),
    ("Annuel de 50000.00 Euros à 70000.00 Euros sur 12 mois", None, 4166.67, 5833.33, "yearly", 12),
    ("Annuel de 17938.0 Euros sur 12.0 mois", 27, 1494.83, 1494.83, "yearly", 12.0),
    ("Annuel de 34000.00 Euros à 42000.00 Euros sur 13 mois", None, 2833.33, 3500, "yearly", 13),
    # a yearly amount typed as monthly (real offer 190DSKH)
    ("Mensuel de 45000.0 Euros à 60000.0 Euros sur 12.0 mois", 38, 3750, 5000, "yearly", 12.0),
    # variants: comma decimals, euro sign, thousands separator, hourly with 13 payments
    ("Horaire de 11,88 €", None, 1801.80, 1801.80, "hourly", 12.0),
    ("Horaire de 11,88 Euros sur 12,0 mois", 24, 1235.52, 1235.52, "hourly", 12.0),
    ("Mensuel de 1 801,80 € sur 12 mois", None, 1801.80, 1801.80, "monthly", 12.0),
    ("Horaire de 11.88 Euros sur 13 mois", None, 1801.80 * 13 / 12, 1951.95, "hourly", 13.0),
    ("Mensuel de 2000 Euros à 1800 Euros", None, 1800, 2000, "monthly", 12.0),
    # employer free text (salaire.commentaire) when there is no label
    ("12.62€ brut / heure", 23, 12.62 * 23 * 52 / 12, 1257.79, "hourly", 12.0),
    ("à partir de 24600€/an", None, 2050.0, 2050.0, "yearly", 12.0),
    ("à partir de 28000€ brut/an", None, 2333.33, 2333.33, "yearly", 12.0),
]


@pytest.mark.parametrize(
    ("text", "hours", "low", "high", "period", "months"),
    SALARY_CASES,
    ids=[c[0] for c in SALARY_CASES],
)
def test_parse_salary(
    text: str, hours: float | None, low: float, high: float, period: str, months: float
) -> None:
    salary = parse_salary(text, hours)
    assert salary is not None
    assert salary.monthly_min == pytest.approx(low, abs=0.01)
    assert salary.monthly_max == pytest.approx(high, abs=0.01)
    assert salary.monthly == pytest.approx((low + high) / 2, abs=0.01)
    assert salary.period == period
    assert salary.months_per_year == months


def test_hourly_salary_uses_the_offer_weekly_hours() -> None:
    assert parse_salary("Horaire de 11.88 Euros", 24) == Salary(
        monthly_min=1235.52, monthly_max=1235.52, monthly=1235.52, period="hourly",
        months_per_year=12.0,
    )  # fmt: skip
    # 24 h x 52 weeks / 12 months = 104 h a month; unknown or absurd hours mean 35 h
    assert parse_salary("Horaire de 11.88 Euros", None).monthly == 1801.8  # type: ignore[union-attr]
    assert parse_salary("Horaire de 11.88 Euros", 0).monthly == 1801.8  # type: ignore[union-attr]
    assert parse_salary("Horaire de 11.88 Euros", 200).monthly == 1801.8  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   ",
        "selon profil et expérience",
        "CCNT du 15 mars 1966",
        "Mensuel de 0 Euros",
        "Mensuel de 0.00 Euros sur 12 mois",
        "Mensuel de -1800 Euros",
        "Mensuel de 5 Euros",  # below 20 EUR a month
        "Horaire de 1000 Euros",  # 151,667 EUR a month
        "Mensuel de 1800 Euros à 25000 Euros",  # top of the range absurd
        "Mensuel de 300000 Euros",  # even read as yearly, 25,000 a month
        "Mensuel de 1800 Euros sur 40 mois",
        "Cachet de 120 Euros",  # per performance: no monthly equivalent
        "Hebdomadaire de 400 Euros",
        "1800 € brut mensuel ou 12 € de l'heure",  # two periods: ambiguous
        "entre 1800 €, 2000 € et 2200 € par mois",  # three amounts
        "Mensuel de douze cents Euros",
    ],
)
def test_parse_salary_rejects_unreadable_or_absurd(text: str | None) -> None:
    assert parse_salary(text) is None


def test_every_salary_label_shape_of_the_sample_is_covered(
    offers: dict[str, dict[str, Any]],
) -> None:
    def shape(text: str) -> str:
        return re.sub(r"\d+(?:[.,]\d+)?", "N", text)

    covered = {shape(c[0]) for c in SALARY_CASES}
    labels = {(o["salaire"] or {}).get("libelle") for o in offers.values()} - {None}
    assert len(labels) == 86
    missing = {shape(label) for label in labels} - covered
    assert not missing


# Working time and experience -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("35H Autre", 35.0),
        ("35H Travail en journée", 35.0),
        ("39H Horaires normaux", 39.0),
        ("35H", 35.0),
        ("35H30", 35.5),
        ("36H45 Autre", 36.75),
        ("temps partiel - 24H Autre", 24.0),
        ("temps partiel - 7H30 Travail en journée", 7.5),
        ("temps partiel - 7H25 Travail en journée", 7.42),
        ("temps partiel - 3H45 Autre", 3.75),
        ("24H/semaine", 24.0),
        ("35 heures", 35.0),
        ("temps partiel - 24H Au domicile d’un particulier", 24.0),
        ("Travail en journée", None),
        ("", None),
        ("65H", None),  # above the 60 h legal ceiling
        ("120H", None),
    ],
)
def test_parse_weekly_hours(text: str, expected: float | None) -> None:
    assert parse_weekly_hours({"dureeTravailLibelle": text}) == expected


def test_weekly_hours_fall_back_on_contexte_travail() -> None:
    raw = {"contexteTravail": {"horaires": ["temps partiel - 30H Autre"]}}
    assert parse_weekly_hours(raw) == 30.0
    assert parse_weekly_hours({}) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Débutant accepté", 0),
        ("Débutant accepté - si titulaire CAP AEPE ou BAFA", 0),
        ("2 An(s)", 24),
        ("1 An(s) - expérience en cuisine indienne", 12),
        ("1 an - expérience similaire", 12),
        ("6 Mois", 6),
        ("6 Mois - Minimum", 6),
        ("36 Mois", 36),
        ("10 An(s)", 120),
        ("Expérience exigée", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_experience_months(text: str | None, expected: int | None) -> None:
    assert parse_experience_months(text) == expected


# map_offer on real records -------------------------------------------------------------------


def test_map_offer_real_hourly_part_time(ref: Referential, offers: dict[str, Any]) -> None:
    record = map_offer(raw_offer(offers, "190HCYJ"), ref, now=NOW)
    assert tuple(record) == OFFER_FIELDS
    when = datetime(2025, 3, 28, 14, 24, 54, 516000, tzinfo=UTC)
    hourly = 11.88 * 30 * 52 / 12  # "Horaire de 11.88 Euros sur 12 mois", "temps partiel - 30H"
    assert record == {
        "event_id": "ft-offer-190HCYJ-2025-03-28T14:24:54.516Z",
        "offer_id": "190HCYJ",
        "posted_at": when,
        "updated_at": when,
        "title": "Employé polyvalent / Employée polyvalente de restauration (H/F)",
        "rome_code": "G1603",
        "rome_label": "Equipier polyvalent / Equipière polyvalente de restauration rapide",
        "appellation_label": "Employé polyvalent / Employée polyvalente de restauration",
        "commune_code": "07102",
        "postal_code": "07500",
        "departement": "07",
        "region": "84",
        "bassin": "8432",
        "latitude": 44.929344,
        "longitude": 4.869182,
        "contract_type": "CDI",
        "contract_duration_months": None,
        "experience_required": "D",
        "experience_months": 0,
        "salary_text": "Horaire de 11.88 Euros sur 12 mois",
        "salary_monthly_gross": pytest.approx(hourly, abs=0.01),
        "salary_monthly_gross_min": pytest.approx(hourly, abs=0.01),
        "salary_monthly_gross_max": pytest.approx(hourly, abs=0.01),
        "weekly_hours": 30.0,
        "full_time": False,
        "qualification_code": "5",
        "qualification_label": "Employé non qualifié",
        "positions": 1,
        "naf_code": "56.10B",
        "employer_name": "FLUNCH",
        "lacks_candidates": False,
        "source": "france-travail-api",
        "country": "FR",
    }
    assert record["posted_at"].utcoffset().total_seconds() == 0


def test_map_offer_real_yearly_typed_as_monthly(ref: Referential, offers: dict[str, Any]) -> None:
    raw = raw_offer(offers, "190DSKH")
    record = map_offer(raw, ref, now=NOW)
    assert record["salary_text"] == "Mensuel de 45000.0 Euros à 60000.0 Euros sur 12.0 mois"
    assert record["salary_monthly_gross_min"] == pytest.approx(45000 / 12)
    assert record["salary_monthly_gross_max"] == pytest.approx(60000 / 12)
    assert record["salary_monthly_gross"] == pytest.approx(52500 / 12)
    assert record["weekly_hours"] == 38.0 and record["full_time"] is True
    assert record["event_id"] == f"ft-offer-190DSKH-{raw['dateActualisation']}"
    assert record["updated_at"] > record["posted_at"]


def test_map_offer_without_salary_label_keeps_the_comment(
    ref: Referential, offers: dict[str, Any]
) -> None:
    record = map_offer(raw_offer(offers, "190BCZD"), ref, now=NOW)
    assert record["salary_text"] == "Rémunération selon CCN51"
    assert record["salary_monthly_gross"] is None
    assert record["salary_monthly_gross_min"] is None
    assert record["salary_monthly_gross_max"] is None
    assert record["weekly_hours"] == 39.0


def test_map_offer_without_commune_uses_the_label_prefix(
    ref: Referential, offers: dict[str, Any]
) -> None:
    raw = raw_offer(offers, "189RLMM")
    assert raw["lieuTravail"] == {"libelle": "07 - Ardèche, Isère & Drôme"}
    record = map_offer(raw, ref, now=NOW)
    assert record["departement"] == "07"
    assert (record["commune_code"], record["postal_code"], record["bassin"]) == (None, None, None)
    assert (record["latitude"], record["longitude"]) == (None, None)


def test_map_offer_lacks_candidates_and_experience(
    ref: Referential, offers: dict[str, Any]
) -> None:
    flagged = [o for o in offers.values() if o.get("offresManqueCandidats") is True]
    assert len(flagged) == 16
    record = map_offer(copy.deepcopy(flagged[0]), ref, now=NOW)
    assert record["lacks_candidates"] is True
    missing = next(o for o in offers.values() if "offresManqueCandidats" not in o)
    assert map_offer(copy.deepcopy(missing), ref, now=NOW)["lacks_candidates"] is None
    two_years = next(o for o in offers.values() if o["experienceLibelle"] == "2 An(s)")
    record = map_offer(copy.deepcopy(two_years), ref, now=NOW)
    assert (record["experience_required"], record["experience_months"]) == ("E", 24)


def test_map_offer_never_carries_the_description(ref: Referential, offers: dict[str, Any]) -> None:
    raw = raw_offer(offers, "190HCYJ")
    record = map_offer(raw, ref, now=NOW)
    flat = repr(record)
    assert raw["description"][:40] not in flat
    assert "description" not in record


def test_map_offer_is_deterministic(ref: Referential, offers: dict[str, Any]) -> None:
    raw = raw_offer(offers, "190HCYJ")
    assert map_offer(raw, ref, now=NOW) == map_offer(copy.deepcopy(raw), ref, now=NOW)


def test_map_offer_contract_duration_and_positions(
    ref: Referential, offers: dict[str, Any]
) -> None:
    raw = raw_offer(offers, "190HCYJ")
    raw.update(typeContrat="CDD", typeContratLibelle="CDD - 6 Mois", nombrePostes=3)
    record = map_offer(raw, ref, now=NOW)
    assert (record["contract_type"], record["contract_duration_months"]) == ("CDD", 6)
    assert record["positions"] == 3
    raw.update(typeContratLibelle="Contrat à durée déterminée - 1 An(s)")
    assert map_offer(raw, ref, now=NOW)["contract_duration_months"] == 12
    raw.update(typeContrat="MIS", typeContratLibelle="MIS - 18 Jour(s)")
    assert map_offer(raw, ref, now=NOW)["contract_duration_months"] is None
    del raw["nombrePostes"]
    assert map_offer(raw, ref, now=NOW)["positions"] == 1


def test_map_offer_derives_commune_from_a_single_commune_postal_code(
    ref: Referential, offers: dict[str, Any]
) -> None:
    raw = raw_offer(offers, "190HCYJ")
    raw["lieuTravail"] = {"libelle": "GUILHERAND GRANGES", "codePostal": "07500"}
    record = map_offer(raw, ref, now=NOW)
    assert (record["commune_code"], record["departement"], record["bassin"]) == (
        "07102",
        "07",
        "8432",
    )
    raw["lieuTravail"] = {"libelle": "Quelque part", "codePostal": "20200"}
    record = map_offer(raw, ref, now=NOW)
    assert (record["commune_code"], record["departement"], record["bassin"]) == (None, "2B", None)


def test_map_offer_accepts_a_rome_4_code(ref: Referential, offers: dict[str, Any]) -> None:
    raw = raw_offer(offers, "190HCYJ")
    raw["romeCode"] = "m1827"
    record = map_offer(raw, ref, now=NOW)
    assert (record["rome_code"], record["rome_label"]) == ("M1827", "Ingénieur / Ingénieure DevOps")


def _broken(raw: dict[str, Any], change: str) -> dict[str, Any]:
    if change == "no rome":
        del raw["romeCode"]
    elif change == "unknown rome":
        raw["romeCode"] = "X9999"
    elif change == "no place":
        raw["lieuTravail"] = {"libelle": "Nulle part"}
    elif change == "no lieu":
        del raw["lieuTravail"]
    elif change == "no id":
        raw["id"] = " "
    elif change == "no title":
        del raw["intitule"]
    elif change == "bad date":
        raw["dateCreation"] = "28/03/2025"
    elif change == "future":
        raw["dateCreation"] = "2025-04-05T00:00:00Z"
    elif change == "bad update":
        raw["dateActualisation"] = "hier"
    elif change == "no contract":
        raw["typeContrat"] = None
    elif change == "bad experience":
        raw["experienceExige"] = "X"
    elif change == "zero positions":
        raw["nombrePostes"] = 0
    elif change == "bool positions":
        raw["nombrePostes"] = True
    return raw


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("no rome", "missing romeCode"),
        ("unknown rome", "unknown ROME code X9999"),
        (
            "no place",
            "lieuTravail 'Nulle part' names no commune, postal code, département, région or "
            "country Vigie knows",
        ),
        ("no lieu", "missing lieuTravail"),
        ("no id", "missing id"),
        ("no title", "missing intitule"),
        ("bad date", "malformed dateCreation '28/03/2025'"),
        ("future", "dateCreation 2025-04-05T00:00:00Z is in the future"),
        ("bad update", "malformed dateActualisation 'hier'"),
        ("no contract", "missing typeContrat"),
        ("bad experience", "unknown experienceExige 'X'"),
        ("zero positions", "invalid nombrePostes 0"),
        ("bool positions", "invalid nombrePostes True"),
    ],
)
def test_map_offer_refuses_with_a_reason(
    ref: Referential, offers: dict[str, Any], change: str, reason: str
) -> None:
    raw = _broken(raw_offer(offers, "190HCYJ"), change)
    with pytest.raises(MappingError) as info:
        map_offer(raw, ref, now=NOW)
    assert str(info.value) == reason


def test_map_offer_refuses_a_non_object(ref: Referential) -> None:
    with pytest.raises(MappingError, match="not a JSON object"):
        map_offer(["not", "an", "offer"], ref, now=NOW)  # type: ignore[arg-type]


# The whole real sample -----------------------------------------------------------------------


def test_all_150_real_offers_map(ref: Referential) -> None:
    mapped: list[dict[str, Any]] = []
    rejected: list[tuple[int, str]] = []
    labelled = 0
    for number, raw in iter_raw_offers(FIXTURE):
        assert isinstance(raw, dict), f"line {number}: {raw}"
        labelled += bool((raw.get("salaire") or {}).get("libelle"))
        try:
            record = map_offer(raw, ref, now=NOW)
        except MappingError as exc:
            rejected.append((number, str(exc)))
            continue
        mapped.append(record)
        if (raw.get("salaire") or {}).get("libelle"):
            gross = record["salary_monthly_gross"]
            assert gross is not None, f"{raw['id']}: {record['salary_text']}"
            assert 100 <= gross <= 20_000, f"{raw['id']}: {gross}"
            # Part-time jobs pay little a month; per hour every offer pays about the SMIC or more.
            hours = record["weekly_hours"] or 35.0
            hourly = gross / (hours * 52 / 12)
            assert 11 <= hourly <= 60, f"{raw['id']}: {hourly:.2f} EUR/h"
            assert record["salary_monthly_gross_min"] <= gross <= record["salary_monthly_gross_max"]
    assert len(mapped) + len(rejected) == 150
    assert rejected == []
    assert labelled == 111
    with_salary = [r for r in mapped if r["salary_monthly_gross"] is not None]
    assert len(with_salary) == 119  # 111 labels + 8 readable employer comments
    assert all((r["departement"], r["region"], r["country"]) == ("07", "84", "FR") for r in mapped)
    assert sum(r["bassin"] is not None for r in mapped) == 148
    assert len({r["event_id"] for r in mapped}) == 150
    assert all(set(r) == set(OFFER_FIELDS) for r in mapped)


# Reading files -------------------------------------------------------------------------------


def test_iter_raw_offers_jsonl_reports_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "offers.jsonl"
    path.write_text('{"id": "A"}\n\n{"id": \n[1, 2]\n{"id": "B"}\n', encoding="utf-8")
    items = list(iter_raw_offers(path))
    assert [n for n, _ in items] == [1, 3, 4, 5]
    assert items[0][1] == {"id": "A"} and items[3][1] == {"id": "B"}
    assert isinstance(items[1][1], MappingError) and "invalid JSON" in str(items[1][1])
    assert isinstance(items[2][1], MappingError) and "not a JSON object" in str(items[2][1])


def test_iter_raw_offers_json_array_and_api_response(tmp_path: Path) -> None:
    array = tmp_path / "offers.json"
    array.write_text('[{"id": "A"}, 3, {"id": "B"}]', encoding="utf-8")
    items = list(iter_raw_offers(array))
    assert [(n, r) for n, r in items if isinstance(r, dict)] == [(1, {"id": "A"}), (3, {"id": "B"})]
    assert isinstance(items[1][1], MappingError)
    response = tmp_path / "response.json"
    response.write_text('{"resultats": [{"id": "C"}]}', encoding="utf-8")
    assert list(iter_raw_offers(response)) == [(1, {"id": "C"})]


def test_iter_raw_offers_broken_json_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[\n{"id": "A"},\n{"id": \n', encoding="utf-8")
    [(number, error)] = list(iter_raw_offers(path))
    assert isinstance(error, MappingError)
    assert number >= 3
    scalar = tmp_path / "scalar.json"
    scalar.write_text("42", encoding="utf-8")
    [(_, error)] = list(iter_raw_offers(scalar))
    assert isinstance(error, MappingError)


def test_iter_raw_offers_reads_the_real_sample() -> None:
    items = list(iter_raw_offers(FIXTURE))
    assert [n for n, _ in items] == list(range(1, 151))
    assert all(isinstance(r, dict) and r["id"] for _, r in items)
