"""Every location France Travail sends: the finest area an offer gives, and the market it meets.

Offers located only as « France », by a région, in an overseas collectivity, abroad, or by
coordinates alone are mapped (OfferPosted v3: an empty ``departement``, with ``region`` and
``country``), pass the domain rules and are assessed against the markets they name; what
cannot be located is refused with the reason. The national development sample
(``tests/fixtures/ft_offers_dev_national.jsonl``, sources in ``data/SOURCES.md``) holds 52
offers without commune.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from agents.offers.evaluate import DEV_NATIONAL, SAMPLE, area_level, evaluate_real_offers
from agents.offers.logic import OffersConfig, OffersHandler
from agents.offers.model import (
    MODEL_NAME,
    SUPPLY_MODEL_NAME,
    make_jobseeker_supply,
    make_offer_intelligence,
)
from agents.offers.prior import market_context, region_difficulty_share, tension_prior
from schemas.codec import Codec
from sinks.outputs import Outputs, SourceRef
from streams.errors import MappingError, ValidationError
from streams.modelstore import ManagedModel, MemoryModelStore
from streams.offers_import import iter_raw_offers, map_offer, resolve_place
from streams.pipeline import InlineHandler
from streams.referential import Referential, load_referential
from streams.rules import check_record
from streams.settings import load_settings

NOW = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def ref() -> Referential:
    return load_referential(load_settings().data_dir)


@pytest.fixture(scope="module")
def national() -> list[dict[str, Any]]:
    return [r for _, r in iter_raw_offers(DEV_NATIONAL) if isinstance(r, dict)]


# (lieuTravail, (departement, region, bassin, country, level)): every shape of the two samples
# (commune with or without postal code and coordinates; "NN - Name"; "France"; a région; a
# collectivity; abroad), then the other examples and coordinates alone.
PLACES: list[tuple[dict[str, Any], tuple[str, str | None, str | None, str, str]]] = [
    (
        {"libelle": "07 - GUILHERAND GRANGES", "latitude": 44.93, "longitude": 4.87,
         "codePostal": "07500", "commune": "07102"},
        ("07", "84", "8432", "FR", "bassin"),
    ),
    ({"libelle": "33 - Bordeaux", "commune": "33063", "latitude": 44.8, "longitude": -0.6},
     ("33", "75", "7532", "FR", "bassin")),
    ({"libelle": "69 - LYON 03", "commune": "69383"}, ("69", "84", "8428", "FR", "bassin")),
    ({"libelle": "07 - Ardèche, Isère & Drôme"}, ("07", "84", None, "FR", "departement")),
    ({"libelle": "75 - Paris (Dept.)"}, ("75", "11", None, "FR", "departement")),
    ({"libelle": "37 - sur le département 37"}, ("37", "24", None, "FR", "departement")),
    ({"libelle": "2A - AJACCIO"}, ("2A", "94", None, "FR", "departement")),
    ({"libelle": "France"}, ("", None, None, "FR", "national")),
    ({"libelle": "Hauts-de-France"}, ("", "32", None, "FR", "region")),
    ({"libelle": "Ile-de-France"}, ("", "11", None, "FR", "region")),
    ({"libelle": "Provence-Alpes-Côte d'Azur"}, ("", "93", None, "FR", "region")),
    ({"libelle": "Rhône-Alpes"}, ("", "84", None, "FR", "region")),  # before the 2016 merger
    ({"libelle": "Guadeloupe"}, ("971", "01", None, "FR", "departement")),
    ({"libelle": "Ardèche"}, ("07", "84", None, "FR", "departement")),
    ({"libelle": "977 - Saint Barthélémy"}, ("", "01", "0104", "FR", "bassin")),
    ({"libelle": "978 - Saint-Martin"}, ("", "01", "0104", "FR", "bassin")),
    ({"libelle": "988 - Nouvelle-Calédonie"}, ("", None, None, "FR", "national")),
    ({"libelle": "Québec Canada"}, ("", None, None, "CA", "abroad")),
    ({"libelle": "Luxembourg (Frontalier)"}, ("", None, None, "LU", "abroad")),
    ({"libelle": "Principauté de Monaco"}, ("", None, None, "MC", "abroad")),
    ({"libelle": "Suisse (Frontalier)", "latitude": 46.2, "longitude": 6.1},
     ("", None, None, "CH", "abroad")),
    # a postal code alone: its commune when it serves one, else its département
    ({"codePostal": "07500"}, ("07", "84", "8432", "FR", "bassin")),
    ({"codePostal": "20200"}, ("2B", "94", None, "FR", "departement")),
    ({"codePostal": "97133"}, ("", "01", "0104", "FR", "bassin")),
    # coordinates without commune: overseas départements and Corsica are told apart by their
    # coordinates; mainland France is not (no commune coordinates are vendored): national
    ({"libelle": "France", "latitude": -21.1, "longitude": 55.5},
     ("974", "04", None, "FR", "departement")),
    ({"latitude": 14.6, "longitude": -61.0}, ("972", "02", None, "FR", "departement")),
    ({"latitude": 42.2, "longitude": 9.1}, ("", "94", None, "FR", "region")),
    ({"latitude": 45.76, "longitude": 4.84}, ("", None, None, "FR", "national")),
    ({"libelle": "Hauts-de-France", "latitude": 50.6, "longitude": 3.06},
     ("", "32", None, "FR", "region")),
]  # fmt: skip


@pytest.mark.parametrize(("lieu", "expected"), PLACES, ids=[repr(p[0])[:60] for p in PLACES])
def test_each_location_maps_to_the_finest_area_it_gives(
    ref: Referential, lieu: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    place = resolve_place(lieu, ref)
    assert (place.departement, place.region, place.bassin, place.country, place.level) == expected


@pytest.mark.parametrize(
    ("lieu", "reason"),
    [
        (
            {"libelle": "Nulle part"},
            "lieuTravail 'Nulle part' names no commune, postal code, département, région or "
            "country Vigie knows",
        ),
        (
            # a name Vigie does not know, with coordinates that only say "metropolitan France
            # or a neighbour": not guessed
            {"libelle": "Bruxelles", "latitude": 50.85, "longitude": 4.35},
            "lieuTravail 'Bruxelles' names no commune, postal code, département, région or "
            "country Vigie knows",
        ),
        (
            {"latitude": 35.7, "longitude": 139.7},
            "lieuTravail gives only coordinates (35.7, 139.7), outside France",
        ),
        ({}, "lieuTravail gives no commune, postal code, place name or coordinates"),
    ],
)
def test_what_cannot_be_located_is_refused_with_the_reason(
    ref: Referential, lieu: dict[str, Any], reason: str
) -> None:
    with pytest.raises(MappingError) as info:
        resolve_place(lieu, ref)
    assert str(info.value) == reason


def test_every_offer_of_the_national_sample_is_located(
    ref: Referential, national: list[dict[str, Any]]
) -> None:
    levels: dict[str, int] = {}
    for raw in national:
        place = resolve_place(raw["lieuTravail"], ref)
        levels[place.level] = levels.get(place.level, 0) + 1
    assert len(national) == 434
    without_commune = [r for r in national if "commune" not in r["lieuTravail"]]
    assert len(without_commune) == 75  # 52 France or région (SOURCE.txt) + 23 "NN - Name"
    assert levels == {"bassin": 360, "departement": 22, "region": 3, "national": 46, "abroad": 3}


def _national_offer(national: list[dict[str, Any]], label: str) -> dict[str, Any]:
    return copy.deepcopy(next(r for r in national if r["lieuTravail"].get("libelle") == label))


@pytest.mark.parametrize(
    ("label", "area"),
    [
        ("France", ("", None, None, "FR")),
        ("Hauts-de-France", ("", "32", None, "FR")),
        ("977 - Saint Barthélémy", ("", "01", "0104", "FR")),
        ("Luxembourg (Frontalier)", ("", None, None, "LU")),
    ],
)
def test_an_area_less_real_offer_is_mapped_encoded_and_passes_the_rules(
    ref: Referential, national: list[dict[str, Any]], label: str, area: tuple[Any, ...]
) -> None:
    record = map_offer(_national_offer(national, label), ref, now=NOW)
    assert (record["departement"], record["region"], record["bassin"], record["country"]) == area
    check_record("OfferPosted", record, ref, NOW)
    codec = Codec()
    decoded = codec.decode(codec.encode("OfferPosted", record))
    assert decoded.version == 3 and decoded.record["departement"] == ""
    assert decoded.record["region"] == area[1] and decoded.record["country"] == area[3]


# Domain rules ---------------------------------------------------------------------------------


def posted(**changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "rome_code": "M1805",
        "departement": "",
        "region": None,
        "bassin": None,
        "country": "FR",
        "positions": 1,
        "posted_at": NOW - timedelta(days=1),
    }
    record.update(changes)
    return record


@pytest.mark.parametrize(
    "changes",
    [
        {},  # national
        {"region": "32"},
        {"region": "01", "bassin": "0104"},
        {"country": "LU"},
        {"departement": "59", "region": "32"},
        {"departement": "59"},  # written before v3: no région
    ],
)
def test_the_rules_accept_every_honest_area(ref: Referential, changes: dict[str, Any]) -> None:
    check_record("OfferPosted", posted(**changes), ref, NOW)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"departement": "00"}, "unknown département '00'"),
        ({"departement": "59", "region": "84"}, "région '84' is not the région of département"),
        ({"region": "99"}, "unknown région '99'"),
        ({"bassin": "9999"}, "unknown bassin '9999'"),
        ({"bassin": "0104"}, "without a département needs its région"),
        ({"country": "LU", "region": "44"}, r"an offer abroad \(LU\) has no département"),
        ({"country": "Luxembourg"}, "not an ISO 3166-1 alpha-2 code"),
    ],
)
def test_the_rules_name_a_dishonest_area(
    ref: Referential, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        check_record("OfferPosted", posted(**changes), ref, NOW)


# Assessed against that market ---------------------------------------------------------------


def handler(ref: Referential) -> OffersHandler:
    store = MemoryModelStore()
    state = ManagedModel(MODEL_NAME, store, make_offer_intelligence, interval_s=0)
    supply = ManagedModel(SUPPLY_MODEL_NAME, store, make_jobseeker_supply, interval_s=0)
    h = OffersHandler(state, ref, supply=supply, config=OffersConfig(risk_threshold=0.0))
    return InlineHandler(h, {MODEL_NAME: state, SUPPLY_MODEL_NAME: supply})  # type: ignore[return-value]


def offer(offer_id: str, **area: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "offer_id": offer_id,
        "rome_code": "M1805",
        "rome_label": "Développeur / Développeuse informatique",
        "departement": "",
        "bassin": None,
        "posted_at": NOW,
        "salary_monthly_gross": 3000.0,
        "weekly_hours": 35.0,
        "full_time": True,
        "contract_type": "CDI",
        "experience_required": "D",
        "experience_months": None,
        "qualification_code": "9",
        "positions": 1,
    }
    record.update(area)
    return record


@pytest.mark.parametrize(
    ("area", "keys", "audience", "level", "prior"),
    [
        ({"region": "32"}, ["M1805|region:32", "M1805|national:FR"], "region-32", "region",
         "bmo_region"),
        ({}, ["M1805|national:FR"], "FR", "national", "bmo_national"),
        ({"country": "LU"}, ["M1805|national:FR"], "FR", "abroad", "bmo_national"),
        ({"region": "01", "bassin": "0104"},
         ["M1805|bassin:0104", "M1805|region:01", "M1805|national:FR"], "region-01", "bassin",
         "bmo_region"),
        # an offer written before v3: its région comes from its département
        ({"departement": "59"}, ["M1805|departement:59", "M1805|region:32", "M1805|national:FR"],
         "59", "departement", "bmo_departement"),
    ],
)  # fmt: skip
def test_an_offer_is_assessed_against_the_markets_it_names(
    ref: Referential,
    area: dict[str, Any],
    keys: list[str],
    audience: str,
    level: str,
    prior: str,
) -> None:
    h = handler(ref)
    out = Outputs()
    record = offer("x", **area)
    assessment = h.assess(record)
    assert list(assessment.keys) == keys
    assert assessment.prior.source == prior
    h.handle("OfferPosted", record, SourceRef("vigie.offers", 0, 0, 0), out)
    state = next(s.fields for s in out.states if s.kind == "offer")
    assert state["area_level"] == level and state["departement"] == area.get("departement", "")
    assert state["region"] == (area.get("region") or "")
    [alert] = [a for a in out.alerts if a["alert_type"] == "offer_hard_to_fill"]
    assert (alert["audience_kind"], alert["audience_id"]) == ("area", audience)
    assert alert["inputs"]["area_level"] == level


def test_a_region_offer_is_judged_and_explained_against_its_region(ref: Referential) -> None:
    h, out = handler(ref), Outputs()
    for i, pay in enumerate((3000, 3100, 3200, 3300, 3400, 3500)):
        h.handle("OfferPosted", offer(f"m{i}", region="32", salary_monthly_gross=float(pay)),
                 SourceRef("vigie.offers", 0, i, 0), out)  # fmt: skip
    low = offer("low", region="32", salary_monthly_gross=2000.0)
    assessment = h.assess(low)
    assert assessment.salary is not None and assessment.salary.level == "region"
    assert assessment.salary.below_market
    [gap] = [g for g in assessment.report.gaps if g.code == "salary_below_q1"]
    assert "dans la région Hauts-de-France" in gap.message
    share = region_difficulty_share(ref, "32")
    assert share is not None and 0 < share < 1
    prior = tension_prior(market_context(ref, "M1805", None, "", "32"))
    assert prior.share == pytest.approx(share) and "dans la région" in prior.describe()


# The evaluation module: one reader, every offer accounted for -------------------------------


def test_every_national_offer_is_assessed_or_rejected_with_its_reason(ref: Referential) -> None:
    report = evaluate_real_offers(DEV_NATIONAL, referential=ref, now=NOW)
    assert report.total == 434
    assert len(report.assessed) + len(report.rejected) == report.total
    assert report.assessed_share >= 0.99
    assert all(reason.startswith("offer ") for _, reason in report.rejected)
    assert report.levels() == {
        "bassin": 360,
        "departement": 22,
        "region": 3,
        "national": 46,
        "abroad": 3,
    }
    assert report.label_share >= 0.995 and report.unread_labels == []
    assert report.salaries["label_without_amount"] == 2  # "Annuel de": salaire non précisé
    assert {area_level(r) for r, _ in report.assessed} == set(report.levels())


def test_the_ardeche_sample_is_all_assessed_with_every_label_read(ref: Referential) -> None:
    report = evaluate_real_offers(SAMPLE, referential=ref, now=NOW)
    assert (report.total, len(report.assessed), report.rejected) == (150, 150, [])
    assert report.label_share == 1.0 and report.salaries["label"] == 111
    assert report.levels() == {"bassin": 148, "departement": 2}


SEPARATORS = "\u2028\u2029\u0085"


def test_evaluation_and_import_read_lines_alike(ref: Referential, tmp_path: Path) -> None:
    """Descriptions with U+2028, U+2029 or U+0085 stay in their record; CRLF files read too."""
    raws = [copy.deepcopy(r) for _, r in zip(range(3), iter_raw_offers(SAMPLE), strict=False)]
    lines = []
    for i, (_, raw) in enumerate(raws):
        raw["description"] = f"Première ligne{SEPARATORS[i]}seconde ligne"
        lines.append(orjson.dumps(raw).decode())
    assert all(SEPARATORS[i] in line for i, line in enumerate(lines))  # raw, not escaped
    path = tmp_path / "offers.jsonl"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    assert len(path.read_text(encoding="utf-8").splitlines()) > 3  # what the old reader did
    read = list(iter_raw_offers(path))
    assert [n for n, _ in read] == [1, 2, 3]
    assert all(isinstance(r, dict) and "seconde ligne" in r["description"] for _, r in read)
    report = evaluate_real_offers(path, referential=ref, now=NOW)
    assert report.total == 3 and len(report.assessed) == 3 and report.rejected == []


def test_unreadable_lines_are_rejected_with_their_line_and_reason(
    ref: Referential, tmp_path: Path
) -> None:
    raw = next(r for _, r in iter_raw_offers(SAMPLE))
    bad = {**raw, "lieuTravail": {"libelle": "Nulle part"}, "id": "X1"}
    path = tmp_path / "offers.jsonl"
    path.write_text(
        "\n".join([orjson.dumps(raw).decode(), "{oops", "", orjson.dumps(bad).decode()]) + "\n",
        encoding="utf-8",
    )
    report = evaluate_real_offers(path, referential=ref, now=NOW)
    assert report.total == 3 and len(report.assessed) == 1
    assert report.rejected[0][0] == 2 and report.rejected[0][1].startswith("unreadable record:")
    assert report.rejected[1] == (
        4,
        "offer X1: lieuTravail 'Nulle part' names no commune, postal code, département, "
        "région or country Vigie knows",
    )
