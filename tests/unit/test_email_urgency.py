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
        (
            "Mon allocation a été suspendue sans prévenir, je n'ai aucun autre revenu.",
            "perte_droits",
        ),
        ("J'ai reçu un courrier m'annonçant ma radiation pour absence.", "perte_droits"),
        ("Ma radiation sera effective demain.", "perte_droits"),
        ("Merci pour tout, vous n'aurez plus à vous occuper de mon dossier.", "adieu"),
        ("Je ne serai sans doute plus là le mois prochain pour la refaire.", "adieu"),
        ("Je sais où se trouve l'agence et à quelle heure elle sort le soir.", "menace"),
        ("Dites-lui de bien regarder derrière lui en sortant du parking.", "menace"),
        ("Il me reste 12 euros pour nourrir ma fille jusqu'à la fin du mois.", "ressources"),
        ("My husband hit me again last night.", "violence"),
        # read from hold-out 6's misses, after its one measure
        ("Je connais désormais l'heure à laquelle il quitte l'agence.", "menace"),
        ("Je connais sa voiture grise, qu'il fasse attention.", "menace"),
        ("I've been sorting out my affairs, giving things away.", "adieu"),
        # and from hold-out 7's
        ("J'ai pris mes dispositions, j'ai laissé une lettre à ma sœur.", "adieu"),
        ("JE VIENS AVEC UN BIDON D ESSENCE ET VOUS ALLEZ TOUS LE REGRETTER", "menace"),
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
        # a deregistration that is only feared, or a stop the writer can live with
        "Je vais être radié si je ne justifie pas mon absence ?",
        "Mon ARE est suspendue ce mois-ci, ce n'est pas urgent, j'ai un salaire.",
        "Ma conseillère va me tuer, j'ai encore oublié mon actualisation.",
        "Je sais où se trouve l'agence, j'y passais tous les jours.",
        "Je connais bien l'heure du rendez-vous et je serai là.",
        "J'ai pris mes dispositions pour être présent au rendez-vous de jeudi.",
        "J'ai envoyé une lettre à mon employeur et une autre à ma banque.",
        "J'ai quitté mon ex-mari violent il y a deux ans, je suis en sécurité.",
        "Je confirme ma présence demain à 14h pour l'atelier CV.",
        "Merci pour tout, vous n'aurez plus à vous occuper de mon dossier : je déménage à Lyon.",
        "Je n'ai pas pu venir au rendez-vous de ce matin.",  # past
        "Pouvez-vous m'envoyer une attestation d'inscription ?",
        "Je travaille à l'aide de mon conseiller sur mon projet.",
        "Le rendez-vous du jeudi 22 janvier à 14h peut-il se faire par téléphone ?",  # 10 days
    ],
)
def test_ordinary_emails_raise_nothing(text: str) -> None:
    assert rules(text) == []


def test_appointment_tomorrow_is_within_48_hours_with_the_resolved_date() -> None:
    [hit] = hits("Mon rendez-vous est demain à 14h30 et je n'ai toujours rien reçu.")
    assert hit.rule == "rdv_48h"
    assert hit.hours == pytest.approx(28.5)  # Monday 10:00 -> Tuesday 14:30
    assert "mardi 13 janvier à 14h30" in hit.message
    assert "toujours rien" not in hit.message  # the reason never quotes the email


@pytest.mark.parametrize(
    ("text", "received", "urgent"),
    [
        # An appointment is urgent when it is soon AND must be moved (or something is missing).
        # « jeudi » seen on Monday is three days away; seen on Wednesday, it is tomorrow.
        ("Entretien jeudi à 14h, je ne pourrai pas venir", MONDAY_10H, False),
        (
            "Entretien jeudi à 14h, je ne pourrai pas venir",
            datetime(2026, 1, 14, 9, 0, tzinfo=UTC),
            True,
        ),
        ("Convocation le 13/01 à 9h, je dois la déplacer", MONDAY_10H, True),
        ("Convocation le 20/01, je dois la déplacer", MONDAY_10H, False),
        ("rdv lundi prochain, je dois l'annuler", datetime(2026, 1, 17, 15, 0, tzinfo=UTC), False),
        (
            "L'employeur m'attend après-demain, je ne sais pas comment faire sans ce document.",
            MONDAY_10H,
            True,
        ),
        ("Je ne pourrai pas venir demain au rendez-vous de 11h.", MONDAY_10H, True),
        ("Rendez-vous demain à 11h : je serai présent, comptez sur moi.", MONDAY_10H, False),
        # A precise time within 48 h counts even without the word « rendez-vous ».
        ("C'est pour demain 9h et je n'ai toujours rien reçu.", MONDAY_10H, True),
        ("I have an appointment tomorrow but I can't make it, can we move it?", MONDAY_10H, True),
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
    [hit] = hits("J'ai un entretien demain à 9h et je n'ai pas reçu la convocation", night)
    assert hit.hours == pytest.approx(7.5)


def test_several_rules_give_several_reasons_in_french() -> None:
    found = hits(
        "On va nous mettre dehors et je suis à bout. Entretien demain à 9h, je dois l'annuler."
    )
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
