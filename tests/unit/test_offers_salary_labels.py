"""Every salary label shape of the two real samples, read into a monthly gross figure or not.

The two samples are France Travail API records vendored as test fixtures
(``tests/fixtures/ft_offers_sample.jsonl``, 150 Ardèche offers, and
``tests/fixtures/ft_offers_dev_national.jsonl``, 434 offers from all of France; sources in
``data/SOURCES.md``). A "shape" is a text with its numbers replaced by ``N``: the tables below
hold one real example of every shape of ``salaire.libelle`` and of ``salaire.commentaire`` found
in either sample, and :func:`test_the_tables_hold_every_shape_of_both_samples` fails when a new
shape appears in a fixture without a row here. Conventions: ``streams/offers_import.py``.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams.offers_import import (
    NOT_STATED,
    SMIC_HOURLY,
    parse_salary,
    read_salary,
    smic_hourly,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SAMPLES = (FIXTURES / "ft_offers_sample.jsonl", FIXTURES / "ft_offers_dev_national.jsonl")
H35 = 35 * 52 / 12  # 151.67 hours a month at the legal 35 h week
DAY = date(2024, 12, 2)  # SMIC 11.88 EUR an hour


def hours_a_month(weekly: float) -> float:
    return weekly * 52 / 12


# (salaire.libelle, weekly hours, monthly_min, monthly_max, period, how it was read); one row
# per shape of the samples' labels, then the issue's own examples. None: « salaire non précisé ».
LABELS: list[tuple[str, float | None, float | None, float | None, str | None, str]] = [
    ("Horaire de 12.04 Euros", 35, 12.04 * H35, 12.04 * H35, "hourly", ""),
    ("Horaire de 11.88 Euros sur 12.0 mois", 35, 1801.80, 1801.80, "hourly", ""),
    ("Horaire de 12,50 Euros à 12,50 Euros", None, 12.5 * H35, 12.5 * H35, "hourly", ""),
    (
        "Horaire de 11.88 Euros à 11.88 Euros sur 12.0 mois",
        24,
        11.88 * hours_a_month(24),
        11.88 * hours_a_month(24),
        "hourly",
        "",
    ),
    ("Mensuel de 3500,00 Euros", None, 3500, 3500, "monthly", ""),
    ("Mensuel de 1830.00 Euros sur 13 mois", 35, 1830 * 13 / 12, 1830 * 13 / 12, "monthly", ""),
    ("Mensuel de 1617,00 Euros à 1764,00 Euros", None, 1617, 1764, "monthly", ""),
    ("Mensuel de 1802.00 Euros à 1880.50 Euros sur 12.0 mois", 35, 1802, 1880.5, "monthly", ""),
    ("Annuel de 31300,00 Euros", None, 31300 / 12, 31300 / 12, "yearly", ""),
    ("Annuel de 40000.0 Euros sur 12.0 mois", 39, 40000 / 12, 40000 / 12, "yearly", ""),
    ("Annuel de 35000,00 Euros à 35000,00 Euros", None, 35000 / 12, 35000 / 12, "yearly", ""),
    ("Annuel de 55000,00 Euros à 60000,00 Euros", None, 55000 / 12, 5000, "yearly", ""),
    # a yearly amount is the year's pay whatever the number of instalments: / 12
    (
        "Annuel de 37000.0 Euros à 43000.0 Euros sur 13.0 mois",
        35,
        37000 / 12,
        43000 / 12,
        "yearly",
        "",
    ),  # fmt: skip
    ("Annuel de 38000.0 Euros à 45000.0 Euros sur 12.0 mois", 39, 38000 / 12, 3750, "yearly", ""),
    # no period stated: read from the amount
    (
        "Autre de 1839,76 Euros à 1935,31 Euros",
        35,
        1839.76,
        1935.31,
        "monthly",
        "monthly by amount",
    ),  # fmt: skip
    (
        "De 40000,00 Euros à 40000,00 Euros",
        None,
        40000 / 12,
        40000 / 12,
        "yearly",
        "yearly by amount",
    ),  # fmt: skip
    # units picked wrong in the form (real offers 4433549, 5970562, 190DSKH)
    (
        "Annuel de 40,00 Euros à 45,00 Euros",
        None,
        40000 / 12,
        45000 / 12,
        "yearly",
        "yearly amount in thousands",
    ),  # fmt: skip
    (
        "Mensuel de 14,96 Euros à 14,96 Euros",
        35,
        14.96 * H35,
        14.96 * H35,
        "hourly",
        "hourly rate typed as monthly",
    ),  # fmt: skip
    (
        "Mensuel de 45000.0 Euros à 60000.0 Euros sur 12.0 mois",
        38,
        3750,
        5000,
        "yearly",
        "yearly amount typed as monthly",
    ),  # fmt: skip
    # a label naming no amount
    ("Annuel de", None, None, None, None, ""),
    # the examples: "sur 0.0 mois" means the number of payments was not given
    (
        "Horaire de 15.7 Euros à 20.5 Euros sur 0.0 mois",
        None,
        15.7 * H35,
        20.5 * H35,
        "hourly",
        "",
    ),  # fmt: skip
    ("Mensuel de 1800 Euros sur 0 mois", None, 1800, 1800, "monthly", ""),
]

# (salaire.commentaire, weekly hours, monthly_min, monthly_max, period) for the free text that
# gives a figure, one row per shape of the samples; every other comment shape is listed in
# NOT_STATED_COMMENTS.
COMMENTS: list[tuple[str, float | None, float, float, str]] = [
    ("2 101,74€ Brut", 35, 2101.74, 2101.74, "monthly"),
    ("3002.90€ brut mensuel", 37.5, 3002.90, 3002.90, "monthly"),
    ("2140€ brut mensuel sur 13 mois", 36, 2140 * 13 / 12, 2140 * 13 / 12, "monthly"),
    ("1500 euros net+prime+repas ", 35, 1500 / 0.78, 1500 / 0.78, "monthly"),  # net -> gross
    ("817.46", 15.5, 817.46, 817.46, "monthly"),  # 12.17 EUR an hour at 15 h 30 a week
    ("12.62€ brut / heure", 23, 12.62 * hours_a_month(23), 12.62 * hours_a_month(23), "hourly"),
    ("36 - 38 k€ brut annuel", None, 3000, 38000 / 12, "yearly"),
    ("à partir de 26000 euros brut/an", 35, 26000 / 12, 26000 / 12, "yearly"),
    ("à partir de 24600€/an", 35, 2050, 2050, "yearly"),
    ("à partir de 28000€ brut/an", 35, 28000 / 12, 28000 / 12, "yearly"),
    ("A partir de 28000", 37, 28000 / 12, 28000 / 12, "yearly"),
    # the SMIC in force on the posting date, for the offer's hours
    ("SMIC", 36.75, 11.88 * hours_a_month(36.75), 11.88 * hours_a_month(36.75), "hourly"),
    ("SMIC avec possibilité d'évolution", 35, 1801.80, 1801.80, "hourly"),
    ("SMIC + PRIMES DE REALISATION", 35, 1801.80, 1801.80, "hourly"),
]

NOT_STATED_COMMENTS = [
    "Selon profil", "selon profil", "Selon indice", "selon profil/exp",
    "Catégorie C adjoint technique", "à négocier selon profil",
    "à négocier et évolutif rapidement", "négociable + chèque repas",
    "SELON GRILLE ET EXPERIENCE", "selon la convention collective",
    "Fonction Publique Territoriale", ",", "selon profil et expérience", "VOIR SUR L'ANNONCE",
    "suivant profil et expérience", "Rémunération selon profil", "A négocier",
    "Conditions statutaires + RIFSEEP", "13ème mois + panier repas", "à définir selon profil",
    "AGENT DE CATEGORIE C - FPT", "non communiqué", "selon expérience",
    "Grilles indiciaires de la FPT", "Conventionnel", "Des avantages attractifs : Mutuel...",
    "Rémunération selon CCN51", "CCNT du 15 mars 1966", "selon CCN du 15 mars 1966",
    "selon convention collective SAP", "% smic selon âge et contrat", "En fonction du profil.",
    "a définir selon experience", "A définir selon expérience", "suivant la grille indiciaire",
    "selon grille conventielle", "Salaire selon experience", "selon profil et compétences",
    "selon compétences", "selon CCN 65 + SE", "grille indiciaire FPT", "A négocier selon profil",
    "Négociable", "En fonction du profil du candidat", "CCN du 15 mars 1966", "Selon expérience",
    "A NEGOCIER SELON EXPERIENCE", "Selon profil et expérience",
    "Prime corespondant à un 13 éme mois", "Evolutif", "à definir selon expérience",
    "A négocier + mutuelle", "A définir",
    # dollars (an offer in Québec): not turned into euros
    "Entre 27,46 $ et 50,39 $ de l'heure",
]  # fmt: skip


def shape(text: str) -> str:
    return re.sub(r"\d+(?:[ \u00a0\u202f]\d{3})*(?:[.,]\d+)?", "N", text.strip())


def _salaries() -> list[dict[str, Any]]:
    out = []
    for path in SAMPLES:
        for line in path.read_bytes().split(b"\n"):
            if line.strip():
                salaire = orjson.loads(line).get("salaire")
                if salaire:
                    out.append(salaire)
    return out


@pytest.mark.parametrize(
    ("label", "hours", "low", "high", "period", "reading"), LABELS, ids=[r[0] for r in LABELS]
)
def test_every_label_shape(
    label: str,
    hours: float | None,
    low: float | None,
    high: float | None,
    period: str | None,
    reading: str,
) -> None:
    info = read_salary({"libelle": label}, hours, DAY)
    if low is None:
        assert info.salary is None and info.words == NOT_STATED == "salaire non précisé"
        assert info.text == label
        return
    salary = info.salary
    assert salary is not None and info.source == "libelle" and info.text == label
    assert salary.monthly_min == pytest.approx(low, abs=0.01)
    assert salary.monthly_max == pytest.approx(high, abs=0.01)
    assert salary.monthly == pytest.approx((low + high) / 2, abs=0.01)
    assert (salary.period, salary.reading) == (period, reading)


@pytest.mark.parametrize(
    ("comment", "hours", "low", "high", "period"), COMMENTS, ids=[r[0] for r in COMMENTS]
)
def test_every_comment_shape_with_a_figure(
    comment: str, hours: float | None, low: float, high: float, period: str
) -> None:
    info = read_salary({"commentaire": comment, "complement1": "Autre"}, hours, DAY)
    salary = info.salary
    assert salary is not None and info.source == "commentaire" and info.text == comment.strip()
    assert salary.monthly_min == pytest.approx(low, abs=0.01)
    assert salary.monthly_max == pytest.approx(high, abs=0.01)
    assert salary.period == period


@pytest.mark.parametrize("comment", NOT_STATED_COMMENTS)
def test_every_comment_shape_without_a_figure_says_so(comment: str) -> None:
    info = read_salary({"commentaire": comment, "complement1": "Autre"}, 35.0, DAY)
    assert info.salary is None and info.source is None
    assert info.text == comment and info.words == "salaire non précisé"


def test_the_tables_hold_every_shape_of_both_samples() -> None:
    salaries = _salaries()
    labels = {shape(s["libelle"]) for s in salaries if s.get("libelle")}
    comments = {shape(s["commentaire"]) for s in salaries if s.get("commentaire")}
    assert len(labels) == 15 and len(comments) == 68
    assert labels - {shape(r[0]) for r in LABELS} == set()
    tabled = {shape(r[0]) for r in COMMENTS} | {shape(c) for c in NOT_STATED_COMMENTS}
    assert comments - tabled == set()


def test_every_label_stating_an_amount_in_both_samples_gives_a_monthly_figure() -> None:
    read = unread = without_amount = 0
    for salaire in _salaries():
        label = salaire.get("libelle")
        if not label:
            continue
        if not re.search(r"\d", label):
            without_amount += 1
            continue
        monthly = read_salary(salaire, None, DAY).salary
        assert monthly is not None, label
        assert 100 <= monthly.monthly <= 20_000, label
        read += 1
    assert (read, unread, without_amount) == (223, 0, 2)  # 111 Ardèche + 112 national labels


def test_a_thirteenth_month_named_beside_the_label_spreads_it() -> None:
    label = "Mensuel de 2110.91 Euros sur 12 mois"
    plain = read_salary({"libelle": label}, 39.0).salary
    with_comment = read_salary({"libelle": label, "commentaire": "13ème mois + panier repas"}, 39)
    in_complement = read_salary({"libelle": label, "complement1": "13e mois"}, 39.0)
    assert plain is not None and plain.monthly == 2110.91 and plain.months_per_year == 12
    for info in (with_comment, in_complement):
        assert info.salary is not None and info.source == "libelle"
        assert info.salary.monthly == pytest.approx(2110.91 * 13 / 12, abs=0.01)
        assert info.salary.months_per_year == 13
    # a yearly amount already holds every payment; "sur 13 mois" is not counted twice
    yearly = read_salary({"libelle": "Annuel de 36000 Euros", "commentaire": "13ème mois"}, 35)
    assert yearly.salary is not None and yearly.salary.monthly == 3000.0
    twice = read_salary(
        {"libelle": "Mensuel de 2000 Euros sur 13 mois", "complement1": "13e mois"}, 35
    )
    assert twice.salary is not None and twice.salary.monthly == pytest.approx(
        2000 * 13 / 12, abs=0.01
    )


def test_a_label_without_figure_falls_back_on_the_comment() -> None:
    info = read_salary({"libelle": "Annuel de", "commentaire": "à partir de 28000€ brut/an"}, 35)
    assert info.source == "commentaire" and info.text == "à partir de 28000€ brut/an"
    assert info.salary is not None and info.salary.monthly == pytest.approx(2333.33, abs=0.01)
    assert info.words == "2\u202f333 € brut mensuel"
    nothing = read_salary({"libelle": "Annuel de", "commentaire": "Selon profil"}, 35)
    assert nothing.salary is None and nothing.text == "Annuel de"
    assert read_salary({}, None).text is None and read_salary(None, None).words == NOT_STATED


def test_the_smic_is_the_one_in_force_on_the_posting_date() -> None:
    assert smic_hourly(date(2024, 10, 31)) == 11.65
    assert smic_hourly(date(2024, 11, 1)) == 11.88
    assert smic_hourly(date(2020, 1, 1)) == SMIC_HOURLY[0][1]
    assert smic_hourly() == SMIC_HOURLY[-1][1]
    before = parse_salary("SMIC", 35, on=date(2024, 6, 1))
    assert before is not None and before.monthly == pytest.approx(11.65 * H35, abs=0.01)
    share = parse_salary("120 % du SMIC", 35, on=DAY)
    assert share is not None and share.monthly == pytest.approx(1.2 * 1801.80, abs=0.01)


@pytest.mark.parametrize(
    "text",
    [
        "Annuel de",
        "Annuel de 5 Euros",  # neither 5 EUR a year nor 5 kEUR
        "Mensuel de 5 Euros",  # below any hourly rate too
        "Autre de 12 Euros à 1800 Euros",  # an hourly low end, a monthly high end
        "SMIC + 200 € de prime",  # which one is the pay?
        "90 € par jour",
        "Entre 27,46 $ et 50,39 $ de l'heure",
    ],
)
def test_what_cannot_be_read_is_not_guessed(text: str) -> None:
    assert parse_salary(text, 35.0, on=DAY) is None
