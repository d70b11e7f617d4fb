"""The gap report: each criterion, its figures, its French sentence and its adjustment."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agents.offers.baseline import LocalNorms, MarketBaseline, local_norms
from agents.offers.features import OfferFacts, market_keys
from agents.offers.gaps import AreaWords, duration, gap_report
from agents.wording import percent, place_name

T0 = datetime(2026, 3, 2, tzinfo=UTC).timestamp()
KEYS = market_keys("G1803", bassin="8432", departement="26", region="84")
WORDS = AreaWords("8432", "Drome Ardeche Centre", "26", "Drôme")
OCCUPATION = "Serveur / Serveuse en restauration"


def facts(**changes: object) -> OfferFacts:
    base = {
        "salary_fte": 2000.0,
        "experience_months": 6.0,
        "experience_required": "S",
        "contract": "CDI",
        "weekly_hours": 35.0,
        "full_time": True,
        "qualification": "6",
        "positions": 1,
    }
    base.update(changes)
    return OfferFacts(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def norms() -> LocalNorms:
    """A bassin of 20 ordinary offers: CDI full time, ~6 months, "employé qualifié"."""
    base = MarketBaseline()
    keys = [k for _, k in KEYS]
    for i in range(20):
        base.learn_offer(
            keys,
            facts(
                salary_fte=1900.0 + 10 * i,
                experience_months=float(i % 3 * 6),
                contract="CDD" if i % 10 == 0 else "CDI",
                qualification="5" if i % 5 == 0 else "6",
            ),
            T0,
        )
    return local_norms(base, KEYS, T0, min_count=5)


def test_an_ordinary_offer_has_no_gap(norms: LocalNorms) -> None:
    report = gap_report(facts(salary_fte=2000.0), norms, WORDS, OCCUPATION)
    assert report.gaps == ()
    assert set(report.checks.values()) == {"conforme"}
    assert len(report.checks) == 5


def test_salary_below_the_first_quartile(norms: LocalNorms) -> None:
    report = gap_report(facts(salary_fte=1700.0), norms, WORDS, OCCUPATION)
    (gap,) = report.gaps
    assert gap.code == "salary_below_q1" and gap.level == "bassin"
    assert gap.value == 1700.0 and gap.reference == pytest.approx(1995, abs=10)
    assert gap.message.startswith("Salaire proposé : 1 700 € brut mensuel")
    assert "premier quartile" in gap.message and "bassin d'emploi 8432" in gap.message
    assert gap.suggestion.startswith("Aligner le salaire sur la médiane locale : 1 9")


def test_part_time_salary_suggestion_gives_the_pro_rata(norms: LocalNorms) -> None:
    report = gap_report(
        facts(salary_fte=1700.0, full_time=False, weekly_hours=24.0), norms, WORDS, OCCUPATION
    )
    salary = next(g for g in report.gaps if g.code == "salary_below_q1")
    assert (
        "en équivalent temps plein, soit" in salary.suggestion and "pour 24 h" in salary.suggestion
    )
    part = next(g for g in report.gaps if g.code == "part_time_vs_norm")
    assert part.message.startswith("Temps partiel (24 h par semaine) alors que 100 %")
    assert part.suggestion.startswith("Proposer un temps plein")


def test_more_experience_than_the_norm(norms: LocalNorms) -> None:
    (gap,) = gap_report(facts(experience_months=36.0), norms, WORDS, OCCUPATION).gaps
    assert gap.code == "experience_above_norm" and gap.value == 36 and gap.reference < 12
    assert gap.message.startswith("Expérience demandée : 3 ans, contre environ 6 mois")
    assert "débutants" in gap.suggestion


def test_a_rare_contract_type(norms: LocalNorms) -> None:
    (gap,) = gap_report(facts(contract="MIS"), norms, WORDS, OCCUPATION).gaps
    assert gap.code == "rare_contract" and gap.value == 0.0 and gap.reference == pytest.approx(0.9)
    assert "une mission d'intérim" in gap.message and "90 % y proposent un CDI" in gap.message
    assert gap.suggestion == "Proposer un CDI, comme 90 % des offres comparables."


def test_a_qualification_above_the_norm(norms: LocalNorms) -> None:
    (gap,) = gap_report(facts(qualification="7"), norms, WORDS, OCCUPATION).gaps
    assert gap.code == "qualification_above_norm" and gap.level == "bassin"
    assert "Technicien" in gap.message and "« Employé qualifié »" in gap.message
    assert "aucune ne demande ce niveau ou plus" in gap.message
    assert "Employé qualifié" in gap.suggestion


def test_what_cannot_be_judged_says_why() -> None:
    empty = local_norms(MarketBaseline(), KEYS, T0, min_count=5)
    report = gap_report(
        facts(salary_fte=None, experience_months=None, full_time=None, qualification=None),
        empty,
        WORDS,
        OCCUPATION,
    )
    assert report.gaps == ()
    assert report.checks == {
        "salary_below_q1": "salaire non précisé",
        "experience_above_norm": "expérience non précisée",
        "rare_contract": "trop peu d'offres comparables",
        "part_time_vs_norm": "durée du travail non précisée",
        "qualification_above_norm": "qualification non précisée",
    }
    assert report.as_json()["gaps"] == []


def test_french_words() -> None:
    assert percent(0.642) == "64 %"
    assert duration(6) == "6 mois" and duration(12) == "1 an" and duration(36) == "3 ans"
    assert duration(18) == "18 mois" and duration(7.4, approximate=True) == "environ 7 mois"
    assert place_name("BASSIN GRANDE-TERRE") == "Grande-Terre"
    assert place_name("DROME ARDECHE CENTRE") == "Drome Ardeche Centre"
    assert place_name("SAINT-ETIENNE") == "Saint-Etienne"
    assert WORDS.where("bassin") == "dans le bassin d'emploi 8432 (Drome Ardeche Centre)"
    assert WORDS.where("national") == "en France"
