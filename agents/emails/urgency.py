"""Urgency rules: what must never be missed in an adviser's inbox, with the reason in French.

The rules read the cleaned, masked, normalised text (subject and body) and the dates it
mentions, resolved against the time the email was received (:mod:`agents.emails.facts`).
Each rule that fires gives an :class:`UrgencyHit` naming the rule and a French reason built
from the trigger *category* and derived facts (a date, a number of hours), never from the
sender's words. The learnt urgency model (``agents.emails.model``) comes on top of them.

============== ===============================================================================
rule           fires when the email...
============== ===============================================================================
idees_noires   evokes suicidal thoughts (« en finir », « idées noires », « plus envie de vivre »)
violence       evokes violence or danger (« violent », « frappé », « menaces de mort »)
detresse       expresses distress (« à bout », « je ne sais plus quoi faire », « désemparé »)
logement       evokes an eviction or losing one's home (« expulsé », « mettre dehors »)
ressources     says there is no income or food (« plus aucune ressource », « frigo vide »,
               « coupé l'électricité », « restos du cœur »)
perte_droits   announces an imminent loss of rights: payment suspended or stopped, or a
               deregistration to come (« sera radié », « radiation effective demain »)
rdv_48h        names an appointment, an interview or a precise time within 48 hours
echeance       names a deadline today or tomorrow (« avant demain midi », « trop tard »)
============== ===============================================================================

>>> from datetime import datetime, UTC
>>> from agents.emails.features import normalise
>>> received = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
>>> text = normalise("On va nous mettre dehors, RDV demain à 14h")
>>> [h.rule for h in urgency_rules(text, received)]
['logement', 'rdv_48h']
>>> urgency_rules(normalise("Ce n'est pas urgent, merci"), received)
[]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from agents.emails.facts import DateMention, find_dates, local, sentence_spans, writers_day

APPOINTMENT_HOURS = 48.0
PAST_TOLERANCE_H = 1.0  # a time a moment ago still counts (clocks, slow mail)
OFFICE_OPENS, OFFICE_CLOSES = 8, 19  # hours of a day named without a time
RELATIVE_DAYS = frozenset(
    {"aujourd'hui", "aujourdhui", "auj", "demain", "apres-demain", "apres demain"}
)


@dataclass(frozen=True, slots=True)
class UrgencyHit:
    """One urgency rule that fired, explained in French without quoting the email."""

    rule: str
    title: str  # short French label of the category
    message: str  # French reason, from the category and derived facts only
    suggestion: str
    hours: float | None = None  # for date rules: hours from receipt to the date


@dataclass(frozen=True, slots=True)
class _KeywordRule:
    rule: str
    pattern: re.Pattern[str]
    title: str
    message: str
    suggestion: str


def _words(*alternatives: str) -> re.Pattern[str]:
    # One word boundary in front of the group, none inside: alternatives that start with a
    # plain letter let the regex engine skip ahead by first character (8x faster on long text).
    bare = (a.removeprefix(r"\b") for a in alternatives)
    return re.compile(r"\b(?:" + "|".join(bare) + r")")


KEYWORD_RULES: tuple[_KeywordRule, ...] = (
    _KeywordRule(
        "idees_noires",
        _words(
            r"suicid",
            r"\ben finir\b",
            r"mettre fin a (?:mes jours|ma vie)",
            r"\bme tuer\b",
            r"(?:plus|pas) envie de vivre",
            r"idees? noires?",
            r"envie de mourir",
            r"veux mourir",
            r"me foutre en l'air",
            r"\bplus d'issue\b",
            r"plus simple de tout arreter",
            r"disparaitre (?:pour de bon|a jamais|definitivement)",
        ),
        "Idées suicidaires évoquées",
        "Le message évoque des idées suicidaires ou une absence d'issue.",
        "Appeler la personne aujourd'hui. Danger immédiat : 112. Prévention du suicide : 3114 "
        "(24 h/24, gratuit).",
    ),
    _KeywordRule(
        "violence",
        _words(
            r"\bviolen(?:t|te|ts|tes|ce|ces)\b",
            r"\bfrapp(?:e|ee|er|ait|ent)\b",
            r"\bme bat\b",
            r"\bbattue?\b",
            r"\bagress(?:e|ee|ion|eur)",
            r"menaces? de mort",
            r"\bme menace",
            r"\bharcel",
            r"peur pour (?:ma vie|ma securite|mes enfants)",
            r"(?<!pas )(?<!plus )\ben danger\b",
        ),
        "Violence ou danger évoqué",
        "Le message évoque des violences ou une menace pour la sécurité de la personne.",
        "Appeler la personne aujourd'hui. Danger immédiat : 17 ou 112. Violences conjugales : "
        "3919.",
    ),
    _KeywordRule(
        "detresse",
        _words(
            r"\ba bout\b",
            r"au bout du rouleau",
            r"\bsais plus (?:quoi|comment|ou)",
            r"\bdesesper",
            r"\bdesempar",
            r"\bje craque\b",
            r"\bn'?en peux plus\b",
            r"comment m'?en sortir",
            r"\bplus la force\b",
            r"\bne dors plus\b",
            r"\bdetresse\b",
            r"\bau secours\b",
            r"(?:completement|totalement|tellement) perdue?\b",
            r"\bm'effondre\b",
            r"tout s'ecroule",
            r"\bne tiens plus\b",
            r"\bplus le moral\b",
            r"\bbesoin d'aide (?:rapidement|d'urgence|urgente?)\b",
            r"parler a quelqu'un (?:au plus vite|rapidement|d'urgence)",
        ),
        "Détresse exprimée",
        "Le message exprime une détresse (épuisement, désespoir, perte de repères).",
        "Prendre contact aujourd'hui et proposer un entretien rapproché ; orienter si besoin "
        "vers un accompagnement social.",
    ),
    _KeywordRule(
        "logement",
        _words(
            r"\bexpuls",
            r"mettre (?:a la porte|dehors)",
            r"\bmise? dehors\b",
            r"\bmis(?:e|es)? a la porte\b",
            r"\ba la rue\b",
            r"sans (?:logement|domicile|abri)",
            r"\bsdf\b",
            r"dormir (?:dans (?:ma|la|une|notre) voiture|dehors)",
            r"plus de (?:toit|logement)",
            r"\bhuissiers?\b",
            r"quitter le logement",
            r"proprietaire (?:me|nous) (?:met|jette|vire)",
        ),
        "Perte de logement évoquée",
        "Le message évoque une expulsion, un départ forcé ou une perte de logement.",
        "Prendre contact et orienter vers le 115 ou un travailleur social (CCAS, FSL).",
    ),
    _KeywordRule(
        "ressources",
        _words(
            r"plus (?:aucune?|de|d') ?(?:ressources?|revenus?|argent)\b",
            r"sans (?:aucune? )?(?:ressources?|revenus?)\b",
            r"plus rien pour (?:manger|nourrir|vivre)",
            r"\brien a manger\b",
            r"(?:ne|n') ?(?:peux|peut|pouvons|arrive) plus (?:payer|manger|nourrir|me nourrir)",
            r"\bfrigo (?:est )?(?:vide|encore vide)",
            r"\bfrigo vide\b",
            r"(?:coupe|coupure)[^.]{0,20}(?:electricite|gaz|\beau\b|courant|chauffage)",
            r"\ba decouvert\b",
            r"banque (?:refuse|bloque)",
            r"banques? alimentaires?",
            r"restos? du coeur",
            r"secours populaire",
            r"emprunter[^.]{0,40}(?:courses|manger|nourrir)",
            r"\bplus (?:un sou|un centime|un euro)\b",
            r"\bj'ai faim\b",
            r"\bpas mange\b",
        ),
        "Absence de ressources",
        "Le message indique une absence de revenus ou de quoi se nourrir ou se chauffer.",
        "Vérifier l'indemnisation aujourd'hui et orienter vers une aide d'urgence (CCAS, aide "
        "financière exceptionnelle).",
    ),
)

_PAYMENT_STOPPED = _words(
    r"(?:paiements?|versements?|allocations?|indemnisation|\bare\b|droits)\s(?:a ete |ont ete |"
    r"est |sont |vont etre |va etre )?(?:suspendu|stoppe|arrete|bloque|coupe|supprime)",
    r"suspension de (?:mon|mes|ma) (?:allocation|paiement|indemnisation|droits)",
    r"\bplus (?:de|aucun) versements?\b",
    r"fin de (?:mes|mon) (?:droits|indemnisation)",
    r"perdre (?:mes|tous mes) droits",
    r"supprim[a-z]* (?:mes|mon) (?:droits|allocations?)",
)
_DEREGISTRATION = _words(r"\bradiation\b", r"\bradiee?s?\b", r"\bdesinscri", r"\bradier\b")
_IMMINENT = _words(
    r"\bva etre\b",
    r"\bvais etre\b",
    r"\bsera\b",
    r"\bseront\b",
    r"\brisque\b",
    r"\bmenace",
    r"a compter d",
    r"a partir d",
    r"\beffective\b",
    r"\bavant le\b",
    r"\bdes (?:demain|lundi|"
    r"mardi|mercredi|jeudi|vendredi|samedi)",
)
_APPOINTMENT = _words(
    r"rendez[- ]vous",
    r"\brdv\b",
    r"convocation",
    r"convoque",
    r"\bentretien",
    r"\brencontre",
    r"\batelier",
    r"\breunion",
    r"\bvisite\b",
    r"m'attend",
    r"m'attendent",
    r"\bembauche",
    r"prise de poste",
    r"\bexamen",
    r"\bjury\b",
    r"\baudience\b",
    r"\bsignature\b",
)
_DEADLINE = _words(
    r"\bavant\b",
    r"au plus tard",
    r"date limite",
    r"\blimite\b",
    r"\bdelai",
    r"dernier jour",
    r"trop tard",
    r"\bclotur",
    r"\bferme(?:nt|ture)?\b",
    r"\bexpire",
    r"\brendre\b",
    r"\bdeposer\b",
    r"\benvoyer\b",
    r"\brenvoyer\b",
    r"\binscriptions?\b",
    r"\bsinon\b",
    r"faute de",
    r"\bperdre\b",
    r"\bperds\b",
    r"\babsolument\b",
    r"\bimperativement\b",
    r"il me faut",
    r"\burgent",
    r"\bfini\b",
    r"\bsi je ne\b",
    r"\bfourni",
)


def urgency_rules(
    norm: str, received_at: datetime, dates: list[DateMention] | None = None
) -> list[UrgencyHit]:
    """Every rule that fires on normalised text ``norm`` of an email received at ``received_at``.

    ``dates`` are the text's date mentions when the caller has them already (``find_dates``).
    """
    hits = [
        UrgencyHit(r.rule, r.title, r.message, r.suggestion)
        for r in KEYWORD_RULES
        if r.pattern.search(norm)
    ]
    if dates is None:
        dates = find_dates(norm, received_at)
    loss = _loss_of_rights(norm, dates, received_at)
    if loss is not None:
        hits.append(loss)
    if dates:
        hits.extend(_date_rules(norm, dates, received_at))
    return hits


def _sentences_with(norm: str, dates: list[DateMention]) -> list[tuple[str, list[DateMention]]]:
    """Each sentence of ``norm`` with the date mentions that start in it (dates are sorted)."""
    out, i = [], 0
    for start, end in sentence_spans(norm):
        while i < len(dates) and dates[i].span[0] < start:
            i += 1
        inside = []
        while i < len(dates) and dates[i].span[0] < end:
            inside.append(dates[i])
            i += 1
        out.append((norm[start:end], inside))
    return out


def _loss_of_rights(
    norm: str, dates: list[DateMention], received_at: datetime
) -> UrgencyHit | None:
    stopped = _PAYMENT_STOPPED.search(norm) is not None
    if not stopped and _DEREGISTRATION.search(norm) is None:
        return None
    today = writers_day(local(received_at))
    for sentence, inside in _sentences_with(norm, dates):
        soon = any(0 <= (d.day - today).days <= 7 for d in inside)
        if _PAYMENT_STOPPED.search(sentence) or (
            _DEREGISTRATION.search(sentence) and (soon or _IMMINENT.search(sentence))
        ):
            return UrgencyHit(
                "perte_droits",
                "Perte de droits imminente",
                "Le message signale un paiement suspendu ou une radiation sur le point "
                "d'intervenir.",
                "Vérifier le dossier aujourd'hui (suspension, radiation) et informer la personne "
                "de ses recours.",
            )
    return None


def _date_rules(norm: str, dates: list[DateMention], received_at: datetime) -> list[UrgencyHit]:
    now = local(received_at)
    appointment: tuple[float, DateMention] | None = None
    deadline: tuple[int, DateMention] | None = None
    today = writers_day(now)
    for sentence, inside in _sentences_with(norm, dates):
        for d in inside:
            if d.word == "ce matin" and not d.has_time:
                continue  # « le rendez-vous de ce matin » is past, whenever it is written
            first, last = _office_hours(d).hours_after(now)
            upcoming = last >= -PAST_TOLERANCE_H if d.has_time else last > 0
            if (
                upcoming
                and first <= APPOINTMENT_HOURS
                and (d.has_time or _APPOINTMENT.search(sentence))
                and (appointment is None or first < appointment[0])
            ):
                appointment = (max(first, 0.0), d)
            days = (d.day - today).days
            if (
                days in (0, 1)
                and _DEADLINE.search(sentence)
                and (deadline is None or days < deadline[0])
            ):
                deadline = (days, d)
    hits = []
    if appointment is not None:
        hours, d = appointment
        hits.append(
            UrgencyHit(
                "rdv_48h",
                "Rendez-vous dans moins de 48 h",
                f"Un rendez-vous ou un entretien est mentionné pour le {d.describe()}, "
                f"{_delay(hours)} après la réception du message.",
                "Répondre avant le rendez-vous : confirmer, déplacer ou fournir le document "
                "attendu.",
                round(hours, 1),
            )
        )
    if deadline is not None:
        days, d = deadline
        when = "aujourd'hui" if days == 0 else "demain"
        hits.append(
            UrgencyHit(
                "echeance",
                "Échéance aujourd'hui ou demain",
                f"Une échéance est mentionnée pour {when} ({d.describe()}).",
                "Traiter la demande avant l'échéance.",
                round(max(d.hours_after(now)[0], 0.0), 1),
            )
        )
    return hits


def _office_hours(d: DateMention) -> DateMention:
    # A date named without a time (« jeudi », « le 12/03 ») means its office hours: an
    # appointment on « jeudi » seen on Monday at 23:00 is not « within 48 hours ». Days named
    # relative to today (« demain », « après-demain ») are within 48 hours by definition.
    if d.has_time or d.end - d.start < timedelta(hours=24) or d.word in RELATIVE_DAYS:
        return d
    day = d.start.replace(hour=0, minute=0, second=0, microsecond=0)
    return replace(
        d, start=day + timedelta(hours=OFFICE_OPENS), end=day + timedelta(hours=OFFICE_CLOSES)
    )


def _delay(hours: float) -> str:
    if hours < 1:
        return "moins d'une heure"
    return f"{round(hours)} h"
