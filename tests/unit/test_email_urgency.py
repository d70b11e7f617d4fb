"""Urgency rules: what they catch, what they leave alone, and dates read against receipt time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from agents.emails.facts import documents, find_dates, offer_refs, writers_day
from agents.emails.features import normalise
from agents.emails.urgency import UrgencyHit, urgency_rules

# Monday 12 January 2026, 10:00 in Paris (09:00 UTC).
MONDAY_10H = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)


def rules(text: str, received: datetime = MONDAY_10H) -> list[str]:
    return [h.rule for h in urgency_rules(normalise(text), received)]


def hits(text: str, received: datetime = MONDAY_10H) -> list[UrgencyHit]:
    return urgency_rules(normalise(text), received)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Je pense à en finir, je n'ai plus envie de vivre.", "idees_noires"),
        ("J'ai des idées noires ces temps-ci.", "idees_noires"),
        ("Mon conjoint est violent, il m'a frappée hier.", "violence"),
        ("Je reçois des menaces de mort.", "violence"),
        ("Je suis à bout, je ne sais plus quoi faire.", "detresse"),
        ("Je suis complètement désemparé.", "detresse"),
        ("JE NE DORS PLUS et je ne vois pas comment m'en sortir", "detresse"),
        ("Nous allons être expulsés à la fin du mois.", "logement"),
        ("Si rien ne bouge on va nous mettre dehors.", "logement"),
        ("Je n'ai plus aucune ressource depuis deux mois.", "ressources"),
        ("Le frigo est vide et on m'a coupé l'électricité.", "ressources"),
        ("Je n'ai plus rien pour nourrir ma famille.", "ressources"),
        ("Le soir on se débrouille avec les restos du cœur.", "ressources"),
        ("Mon allocation a été suspendue sans prévenir.", "perte_droits"),
        ("Je vais être radié si je ne justifie pas mon absence.", "perte_droits"),
        ("Ma radiation sera effective demain.", "perte_droits"),
    ],
)
def test_keyword_rules_catch_direct_and_indirect_wording(text: str, rule: str) -> None:
    assert rule in rules(text)


def test_missing_accents_and_capitals_change_nothing() -> None:
    assert rules("JE SUIS A BOUT") == rules("Je suis à bout") == ["detresse"]


@pytest.mark.parametrize(
    "text",
    [
        "Ce n'est pas urgent, répondez-moi quand vous pourrez.",
        "Je ne suis pas en danger, rassurez-vous.",
        "J'ai reçu un courrier m'annonçant ma radiation pour absence.",  # done, not imminent
        "Je n'ai pas pu venir au rendez-vous de ce matin.",  # past
        "Pouvez-vous m'envoyer une attestation d'inscription ?",
        "Je travaille à l'aide de mon conseiller sur mon projet.",
        "Le rendez-vous du jeudi 22 janvier à 14h peut-il se faire par téléphone ?",  # 10 days
    ],
)
def test_ordinary_emails_raise_nothing(text: str) -> None:
    assert rules(text) == []


def test_appointment_tomorrow_is_within_48_hours_with_the_resolved_date() -> None:
    [hit] = hits("Mon rendez-vous est demain à 14h30 et je n'ai toujours rien.")
    assert hit.rule == "rdv_48h"
    assert hit.hours == pytest.approx(28.5)  # Monday 10:00 -> Tuesday 14:30
    assert "mardi 13 janvier à 14h30" in hit.message
    assert "toujours rien" not in hit.message  # the reason never quotes the email


@pytest.mark.parametrize(
    ("text", "received", "urgent"),
    [
        # « jeudi à 14h » seen on Monday 10:00 is 76 h away; seen on Tuesday 18:00, 20 h away.
        ("Entretien jeudi à 14h", MONDAY_10H, False),
        ("Entretien jeudi à 14h", datetime(2026, 1, 13, 17, 0, tzinfo=UTC), True),
        ("Convocation le 13/01 à 9h", MONDAY_10H, True),
        ("Convocation le 13 janvier", MONDAY_10H, True),
        ("Convocation le 20/01", MONDAY_10H, False),
        ("rdv lundi prochain", datetime(2026, 1, 17, 15, 0, tzinfo=UTC), True),  # Sat -> Mon
        ("rdv lundi prochain", MONDAY_10H, False),  # Monday -> next Monday
        ("L'employeur m'attend après-demain.", MONDAY_10H, True),
        # A precise time within 48 h counts even without the word « rendez-vous ».
        ("C'est pour demain 9h et je n'ai toujours rien reçu.", MONDAY_10H, True),
        ("Mon entretien d'hier s'est bien passé.", MONDAY_10H, False),
    ],
)
def test_appointments_are_judged_against_the_time_received(
    text: str, received: datetime, urgent: bool
) -> None:
    assert ("rdv_48h" in rules(text, received)) is urgent


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("Je dois rendre le dossier avant demain midi, sinon je perds ma place.", True),
        ("La date limite est aujourd'hui.", True),
        ("Ils ferment les inscriptions demain soir.", True),
        ("L'organisme m'a dit que passé demain ce serait trop tard.", True),
        ("La date limite est le 30 janvier.", False),
        ("Je pars en vacances demain, bonne journée.", False),
    ],
)
def test_deadlines_today_or_tomorrow(text: str, urgent: bool) -> None:
    assert ("echeance" in rules(text)) is urgent


def test_until_5am_today_is_still_the_previous_day() -> None:
    # Written at 01:30 on Tuesday: « demain » means Tuesday, a few hours away.
    night = datetime(2026, 1, 13, 0, 30, tzinfo=UTC)
    assert writers_day(night.astimezone(MONDAY_10H.tzinfo)) == date(2026, 1, 12)
    [hit] = hits("J'ai un entretien demain à 9h", night)
    assert hit.hours == pytest.approx(7.5)


def test_several_rules_give_several_reasons_in_french() -> None:
    found = hits("On va nous mettre dehors et je suis à bout. Entretien demain à 9h.")
    assert [h.rule for h in found] == ["detresse", "logement", "rdv_48h"]
    assert all(h.message and h.suggestion and h.title for h in found)
    assert "115" in found[1].suggestion


def test_dates_times_and_facts_are_extracted() -> None:
    norm = normalise("RDV demain à 10h, ou jeudi. Voici mon attestation employeur. Offre 190HCYJ")
    mentions = find_dates(norm, MONDAY_10H)
    assert [m.describe() for m in mentions] == ["mardi 13 janvier à 10h00", "jeudi 15 janvier"]
    assert documents(norm) == ["attestation employeur"]
    assert offer_refs(norm) == ["190HCYJ"]


def test_hostile_dates_are_bounded() -> None:
    norm = normalise("demain 14h " * 100_000)
    assert len(find_dates(norm, MONDAY_10H)) <= 50
    assert find_dates(normalise("le 31/02 et le 45/13 et 99h99"), MONDAY_10H) == []
