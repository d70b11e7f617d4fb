"""Map raw France Travail job offers ("Offres d'emploi v2" API records) to OfferPosted records.

The API's salary, working time and experience come as French labels ("Mensuel de 1801.80 Euros
sur 12 mois", "35H Travail en journée", "2 An(s)"); the parsers here turn them into numbers.
:func:`map_offer` keeps only what the offer agents use: never the free-text description, never
a contact. A record that cannot be mapped raises :class:`~streams.errors.MappingError` with a
short English reason, which the importer reports with the record's line number.

Where the offer is (:func:`resolve_place`), finest first, from what ``lieuTravail`` really gives:

1. a commune: its INSEE code (``commune``), else a postal code serving one commune only;
2. a département: the label's "NN - Name" prefix ("07 - Ardèche", "2A - ..."), else the postal
   code's département, else a label that is a département's name;
3. a région named alone ("Hauts-de-France", "Ile-de-France", or a pre-2016 région, "Alsace",
   read as the région it is part of now); an overseas région that is one département
   ("Guadeloupe") is that département;
4. France alone ("France"): national, with an empty ``departement`` and no ``region``;
5. an overseas collectivity that is not a département: Saint-Barthélemy (977) and
   Saint-Martin (978) are France Travail's « Îles du Nord » (bassin 0104 of the BMO survey,
   région 01 Guadeloupe); Saint-Pierre-et-Miquelon, Wallis-et-Futuna, Polynesia and New
   Caledonia (975, 986-988) have no région in the geography: national;
6. abroad ("Luxembourg (Frontalier)", "Principauté de Monaco", "Québec Canada"): ``country``
   is the ISO code, and the offer is assessed against the French national market;
7. coordinates alone: the vendored geography has no commune coordinates, so no nearest commune
   can be found; coordinates on an overseas département (Guadeloupe, Martinique, Guyane, La
   Réunion, Mayotte: each island or territory is apart from every other) give it, on Corsica
   its région, on the Îles du Nord their bassin; anywhere else in metropolitan France (a box
   that also holds bits of its neighbours) national, and only when the offer names no place.

A finer area from the coordinates wins over a coarser one from the label ("France" with
coordinates on La Réunion is département 974). An offer that names nothing Vigie recognises
is refused with the label it gave.

Salary conventions (all amounts gross, in euros; :func:`parse_salary`, :func:`read_salary`):

* an hourly rate becomes monthly with the offer's weekly hours (35 h when unknown) x 52 / 12
  (151.67 h a month at 35 h);
* a yearly amount is divided by 12 whatever its number of payments: "Annuel de 37000 Euros sur
  13 mois" is 37,000 EUR a year paid in 13 instalments, 3,083 EUR a month on a 12-month basis.
  "sur N mois" does not change a yearly amount;
* a monthly or hourly amount paid "sur 13 mois" (or 13.5, 14...) is spread over the year:
  monthly equivalent = amount x 13 / 12, so offers compare on the same yearly pay. "sur N mois"
  with N < 12 does not lower it (the amount is what is paid each month worked); "sur 0 mois"
  (the API's "sur 0.0 mois") means the number was not given: 12. A 13th month named in the free
  text ("13ème mois", "prime correspondant à un 13ème mois") counts as "sur 13 mois";
* "Autre de N Euros à M Euros" and "De N Euros à M Euros" state no period: it is read from the
  amount, as an hourly rate below 100 EUR, a monthly pay below 15,000 EUR, a yearly one above;
* units employers pick wrong in the form: a "Mensuel" amount above 15,000 EUR is yearly
  ("Mensuel de 45000.0 Euros à 60000.0 Euros"), one below 100 EUR an hourly rate ("Mensuel de
  14,96 Euros": no real monthly pay is that low, the smallest in the samples is 210 EUR for 4 h
  a week); an "Annuel" amount below 1,000 EUR is in thousands ("Annuel de 40,00 Euros à 45,00
  Euros" for a system administrator: 40 to 45 kEUR);
* free text (``salaire.commentaire``, read when the label gives no figure): an amount with its
  currency ("2 101,74€ Brut", "36 - 38 k€ brut annuel", "à partir de 24600€/an"), a bare amount
  ("817.46", "A partir de 28000") or the SMIC ("SMIC", "SMIC + primes", "110 % du SMIC": the
  hourly SMIC in force on the posting date, :data:`SMIC_HOURLY`, for the offer's hours). The
  period is the one word the text names ("/ heure", "mensuel", "annuel"), else read from the
  amount as above. A net amount ("1500 euros net") is turned into gross with the usual private
  sector ratio, gross = net / 0.78. Amounts in another currency ("27,46 $ de l'heure"), a
  period Vigie does not turn into a month ("cachet", "par jour", "hebdomadaire"), two periods,
  more than two amounts or a share of the SMIC without its figure are not guessed;
* a monthly equivalent outside 20 - 20,000 EUR is absurd: :func:`parse_salary` returns None,
  as for any text it cannot read, and never raises. The offer is still mapped, salary unknown,
  and said « salaire non précisé » (:data:`NOT_STATED`).
"""

from __future__ import annotations

import gzip
import logging
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import orjson

from streams.errors import MappingError
from streams.referential import Referential, area_level

logger = logging.getLogger(__name__)

__all__ = [
    "NOT_STATED",
    "OFFER_FIELDS",
    "SMIC_HOURLY",
    "SOURCE",
    "Place",
    "Salary",
    "SalaryInfo",
    "iter_raw_offers",
    "map_offer",
    "parse_experience_months",
    "parse_salary",
    "parse_weekly_hours",
    "read_salary",
    "resolve_place",
    "smic_hourly",
]

SOURCE = "france-travail-api"
LEGAL_WEEKLY_HOURS = 35.0
WEEKS_PER_MONTH = 52 / 12
MIN_MONTHLY_GROSS = 20.0
MAX_MONTHLY_GROSS = 20_000.0
MONTHLY_READ_AS_YEARLY = 15_000.0
MONTHLY_READ_AS_HOURLY = 100.0  # a "Mensuel" amount below: an hourly rate
YEARLY_READ_AS_THOUSANDS = 1_000.0  # an "Annuel" amount below: kEUR
# An amount read as an hourly rate (no period stated, or "Mensuel" below 100 EUR) must be at
# least this: below, it is neither a plausible hourly rate nor a monthly pay.
MIN_INFERRED_HOURLY = 9.0
NET_TO_GROSS = 0.78  # private-sector employee: net ~ 78 % of gross
MAX_WEEKLY_HOURS = 60.0  # as streams.rules: beyond, the hours are not believed
# dateCreation may run ahead of the importer's clock by this much (time zones, skew).
FUTURE_TOLERANCE = timedelta(days=1)
NOT_STATED = "salaire non précisé"
# Gross hourly SMIC (metropolitan France and the overseas départements except Mayotte, whose
# lower SMIC is not modelled), from the date it took effect. Add each revaluation here.
SMIC_HOURLY: tuple[tuple[date, float], ...] = (
    (date(2023, 1, 1), 11.27),
    (date(2023, 5, 1), 11.52),
    (date(2024, 1, 1), 11.65),
    (date(2024, 11, 1), 11.88),
    (date(2026, 1, 1), 12.02),
)

OFFER_FIELDS = (
    "event_id",
    "offer_id",
    "posted_at",
    "updated_at",
    "title",
    "rome_code",
    "rome_label",
    "appellation_label",
    "commune_code",
    "postal_code",
    "departement",
    "region",
    "bassin",
    "latitude",
    "longitude",
    "contract_type",
    "contract_duration_months",
    "experience_required",
    "experience_months",
    "salary_text",
    "salary_monthly_gross",
    "salary_monthly_gross_min",
    "salary_monthly_gross_max",
    "weekly_hours",
    "full_time",
    "qualification_code",
    "qualification_label",
    "positions",
    "naf_code",
    "employer_name",
    "lacks_candidates",
    "source",
    "country",
)

Period = Literal["monthly", "hourly", "yearly"]


@dataclass(frozen=True, slots=True)
class Salary:
    """A salary as gross monthly euros (12 payments a year), with the period it was stated in.

    ``reading`` says, in English, how an ambiguous text was read ("" when it said it plainly).
    """

    monthly_min: float
    monthly_max: float
    monthly: float
    period: Period
    months_per_year: float
    reading: str = ""


# Amounts: "1801.80", "11,88", "25 000,00" (thin or non-breaking spaces as thousands separator).
_AMOUNT = r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_CURRENCY = r"(?:euros?\b|eur\b|€)"
_STRUCTURED = re.compile(
    rf"""^\s*(?:(?P<period>mensuel|horaire|annuel|autre)\b\s*)?(?:de\b|:)?\s*
    (?P<low>{_AMOUNT})\s*{_CURRENCY}?\s*
    (?:(?:à|a|-)\s*(?P<high>{_AMOUNT})\s*{_CURRENCY}?\s*)?
    (?:sur\s+(?P<months>\d+(?:[.,]\d+)?)\s*mois\s*)?\.?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_PERIODS: dict[str, Period | None] = {
    "mensuel": "monthly",
    "horaire": "hourly",
    "annuel": "yearly",
    "autre": None,
}
# Free text ("12.62€ brut / heure", "36 - 38 k€ brut annuel"): amounts with their currency, a
# range whose currency follows its second amount, or one bare amount after "à partir de".
_FREE_AMOUNT = re.compile(rf"(?<![\d.,])({_AMOUNT})\s*(k)?\s*{_CURRENCY}", re.IGNORECASE)
_FREE_RANGE = re.compile(
    rf"(?<![\d.,])({_AMOUNT})\s*(k)?\s*(?:-|à|a|et)\s*({_AMOUNT})\s*(k)?\s*{_CURRENCY}",
    re.IGNORECASE,
)
_FROM_BARE = re.compile(rf"\bpartir\s+de\s+({_AMOUNT})\s*(k)?\s*$", re.IGNORECASE)
_FREE_PERIODS: tuple[tuple[Period, re.Pattern[str]], ...] = (
    ("hourly", re.compile(r"/\s*h(?:eure)?\b|\bde l'heure\b|\bhoraire\b|\bpar heure\b", re.I)),
    ("monthly", re.compile(r"/\s*mois\b|\bmensuel|\bpar mois\b", re.I)),
    ("yearly", re.compile(r"/\s*an\b|\bannuel|\bpar an\b|\bbrut an\b", re.I)),
)
# Periods Vigie does not turn into a month ("Cachet de 120 Euros", "90 € par jour").
_OTHER_PERIODS = re.compile(
    r"\bcachets?\b|\bhebdo|\bsemaines?\b|/\s*(?:sem|j)\b|\bjours?\b|\bjourn(?:ée|ee|alier)"
    r"|\bvacations?\b|\bforfaits?\b|\bmissions?\b|\bpiges?\b",
    re.I,
)
_FOREIGN_CURRENCY = re.compile(r"\$|£|\bdollars?\b|\bchf\b|\bcad\b|\busd\b|francs? suisses?", re.I)
_NET = re.compile(r"\bnet\b", re.I)
_GROSS = re.compile(r"\bbrut\b", re.I)
_SMIC = re.compile(r"\bsmic\b", re.I)
_SMIC_SHARE = re.compile(r"(\d{1,3}(?:[.,]\d+)?)\s*%\s*(?:du\s+)?smic\b", re.I)
# A minus sign before an amount that does not follow another amount ("de -1800"): negative.
_NEGATIVE = re.compile(r"(?:^|[^\d\s])\s*-\s*\d")
_MONTHS = re.compile(r"\bsur\s+(\d+(?:[.,]\d+)?)\s*mois\b", re.I)
_THIRTEENTH = re.compile(r"\b13\s*(?:e|è|é|ème|eme|éme|ieme|ième)?\s*mois\b", re.I)

# "35H", "35H30", "temps partiel - 7H25", "24H/semaine", "35 heures": minutes only when glued.
_HOURS = re.compile(r"(?<![\d.,])(\d{1,2}(?:[.,]\d+)?)\s*h(?:eures?)?(\d{2})?(?!\d)", re.I)
_EXPERIENCE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(an|année|mois)", re.I)
_DURATION = re.compile(r"-\s*(\d+(?:[.,]\d+)?)\s*(mois|an)", re.I)
_DEP_PREFIX = re.compile(r"^\s*(2[AB]|9[78]\d|\d{2})\s*-", re.I)


def _number(text: str) -> float:
    return float(re.sub(r"[ \u00a0\u202f]", "", text).replace(",", "."))


@dataclass(frozen=True, slots=True)
class _Stated:
    """What a salary text says, before any conversion."""

    period: Period | None  # None: not stated ("Autre de", "De", a bare amount)
    low: float
    high: float
    months: float  # payments a year; 0 when not stated
    net: bool = False
    reading: str = ""


def _parse_structured(text: str) -> _Stated | None:
    match = _STRUCTURED.match(text)
    if match is None:
        return None
    low = _number(match["low"])
    high = _number(match["high"]) if match["high"] else low
    months = _number(match["months"]) if match["months"] else 0.0
    period = _PERIODS[match["period"].lower()] if match["period"] else None
    return _Stated(period, low, high, months)


def smic_hourly(on: date | None = None) -> float:
    """The gross hourly SMIC in force on ``on`` (default: the latest known)."""
    rate = SMIC_HOURLY[0][1]
    for since, value in SMIC_HOURLY:
        if on is not None and on < since:
            break
        rate = value
    return rate


def _parse_smic(text: str, on: date | None) -> _Stated | None:
    if _FREE_AMOUNT.search(text):
        return None  # the SMIC beside an amount: which one is the pay?
    share = 1.0
    if "%" in text:
        match = _SMIC_SHARE.search(text)
        if match is None:
            return None  # "% smic selon âge": a share of the SMIC, but which?
        share = _number(match[1]) / 100
    rate = round(smic_hourly(on) * share, 4)
    when = on.isoformat() if on else "latest"
    return _Stated("hourly", rate, rate, 0.0, reading=f"SMIC x {share:g} ({when})")


def _parse_free_text(text: str) -> _Stated | None:
    if _NEGATIVE.search(text) or _FOREIGN_CURRENCY.search(text) or _OTHER_PERIODS.search(text):
        return None
    amounts: list[float] = []
    rest = text
    for m in _FREE_RANGE.finditer(text):
        unit = 1000 if (m[2] or m[4]) else 1
        amounts += [_number(m[1]) * unit, _number(m[3]) * unit]
        rest = rest.replace(m[0], " ")
    amounts += [_number(m[1]) * (1000 if m[2] else 1) for m in _FREE_AMOUNT.finditer(rest)]
    reading = ""
    if not amounts:
        bare = _FROM_BARE.search(text)
        if bare is None:
            return None
        amounts = [_number(bare[1]) * (1000 if bare[2] else 1)]
        reading = "amount without currency"
    periods = [period for period, pattern in _FREE_PERIODS if pattern.search(text)]
    if not 1 <= len(amounts) <= 2 or len(periods) > 1:
        return None
    months = _MONTHS.search(text)
    net = bool(_NET.search(text)) and not _GROSS.search(text)
    return _Stated(
        periods[0] if periods else None,
        min(amounts),
        max(amounts),
        _number(months[1]) if months else 13.0 if _THIRTEENTH.search(text) else 0.0,
        net,
        reading,
    )


def _magnitude(amount: float) -> Period:
    if amount < MONTHLY_READ_AS_HOURLY:
        return "hourly"
    return "monthly" if amount < MONTHLY_READ_AS_YEARLY else "yearly"


def _read_units(stated: _Stated) -> _Stated | None:
    """The period of a text that states none, and the units employers pick wrong."""
    low, high, period = stated.low, stated.high, stated.period
    if period is None:
        if _magnitude(low) != _magnitude(high):
            return None
        period = _magnitude(low)
        if period == "hourly" and low < MIN_INFERRED_HOURLY:
            return None
        return replace(stated, period=period, reading=stated.reading or f"{period} by amount")
    if period == "monthly" and low > MONTHLY_READ_AS_YEARLY:
        return replace(stated, period="yearly", reading="yearly amount typed as monthly")
    if period == "monthly" and high < MONTHLY_READ_AS_HOURLY:
        if low < MIN_INFERRED_HOURLY:
            return None
        return replace(stated, period="hourly", reading="hourly rate typed as monthly")
    if period == "yearly" and high < YEARLY_READ_AS_THOUSANDS:
        if low < 10:
            return None
        return replace(
            stated, low=low * 1000, high=high * 1000, reading="yearly amount in thousands"
        )
    return stated


def _salary(stated: _Stated, weekly_hours: float | None, thirteenth: bool) -> Salary | None:
    months = stated.months or 12.0  # "sur 0 mois": not stated
    if stated.low <= 0 or stated.high <= 0 or not 1 <= months <= 16:
        return None
    read = _read_units(
        replace(stated, low=min(stated.low, stated.high), high=max(stated.low, stated.high))
    )
    if read is None or read.period is None:
        return None
    period = read.period
    if thirteenth and period != "yearly" and months < 13:
        months = 13.0
    spread = max(months, 12.0) / 12
    if period == "yearly":
        factor = 1 / 12
    elif period == "hourly":
        hours = weekly_hours if weekly_hours and 0 < weekly_hours <= MAX_WEEKLY_HOURS else None
        factor = (hours or LEGAL_WEEKLY_HOURS) * WEEKS_PER_MONTH * spread
    else:
        factor = spread
    reading = read.reading
    if read.net:
        factor /= NET_TO_GROSS
        reading = ", ".join(filter(None, (reading, f"net / {NET_TO_GROSS}")))
    monthly_min, monthly_max = read.low * factor, read.high * factor
    if monthly_min < MIN_MONTHLY_GROSS or monthly_max > MAX_MONTHLY_GROSS:
        return None
    return Salary(
        monthly_min=round(monthly_min, 2),
        monthly_max=round(monthly_max, 2),
        monthly=round((monthly_min + monthly_max) / 2, 2),
        period=period,
        months_per_year=months,
        reading=reading,
    )


def parse_salary(
    text: str | None,
    weekly_hours: float | None = None,
    *,
    on: date | None = None,
    thirteenth_month: bool = False,
) -> Salary | None:
    """Gross monthly salary of an offer's salary label, None when unreadable or absurd.

    ``on`` is the posting date (for the SMIC in force); ``thirteenth_month`` says another field
    names a 13th month, which a monthly or hourly amount then gets.

    >>> parse_salary("Horaire de 11.88 Euros", weekly_hours=24).monthly
    1235.52
    >>> parse_salary("Mensuel de 2160.64 Euros sur 13.0 mois").monthly
    2340.69
    >>> parse_salary("Horaire de 15.7 Euros à 20.5 Euros sur 0.0 mois").monthly
    2745.17
    >>> parse_salary("SMIC", 35, on=date(2024, 12, 1)).monthly
    1801.8
    >>> parse_salary("selon profil") is None
    True
    """
    if not text or not text.strip():
        return None
    stated = _parse_structured(text)
    if stated is None:  # free text: the SMIC, else amounts (never both: which is the pay?)
        stated = _parse_smic(text, on) if _SMIC.search(text) else _parse_free_text(text)
    if stated is None:
        return None
    return _salary(stated, weekly_hours, thirteenth_month)


@dataclass(frozen=True, slots=True)
class SalaryInfo:
    """What an offer's ``salaire`` object says: the text kept, the figure read from it."""

    text: str | None  # salary_text: the label, else the employer's comment
    salary: Salary | None
    source: Literal["libelle", "commentaire"] | None  # which field gave the figure

    @property
    def words(self) -> str:
        """« 1 802 € brut mensuel », or « salaire non précisé »."""
        if self.salary is None:
            return NOT_STATED
        amount = f"{self.salary.monthly:,.0f}".replace(",", "\u202f")
        return f"{amount} € brut mensuel"


def read_salary(
    salaire: Mapping[str, Any] | None, weekly_hours: float | None, on: date | None = None
) -> SalaryInfo:
    """The salary of an API ``salaire`` object: its label, else its free-text comment.

    The comment and the two complements may name a 13th month ("13ème mois + panier repas"),
    which a monthly or hourly label then gets.
    """
    salaire = salaire if isinstance(salaire, Mapping) else {}
    label = _text(salaire.get("libelle"))
    comment = _text(salaire.get("commentaire"))
    extras = [comment, _text(salaire.get("complement1")), _text(salaire.get("complement2"))]
    thirteenth = any(_THIRTEENTH.search(x) for x in extras if x)
    salary = parse_salary(label, weekly_hours, on=on, thirteenth_month=thirteenth)
    if salary is not None:
        return SalaryInfo(label, salary, "libelle")
    salary = parse_salary(comment, weekly_hours, on=on)
    if salary is not None:
        return SalaryInfo(comment, salary, "commentaire")
    return SalaryInfo(label or comment, None, None)


def parse_weekly_hours(raw: Mapping[str, Any]) -> float | None:
    """Weekly hours of an offer from ``dureeTravailLibelle`` ("35H30 Autre" -> 35.5).

    Falls back on the first ``contexteTravail.horaires`` entry; None when no hours are stated.
    """
    text = raw.get("dureeTravailLibelle")
    if not isinstance(text, str) or not text.strip():
        horaires = (raw.get("contexteTravail") or {}).get("horaires") or []
        text = horaires[0] if horaires and isinstance(horaires[0], str) else None
    if text is None:
        return None
    match = _HOURS.search(text)
    if match is None:
        return None
    hours = _number(match[1]) + (int(match[2]) / 60 if match[2] else 0.0)
    if not 0 < hours <= MAX_WEEKLY_HOURS:
        return None
    return round(hours, 2)


def parse_experience_months(libelle: str | None) -> int | None:
    """Months of experience an offer asks for: "2 An(s)" -> 24, "Débutant accepté" -> 0."""
    if not libelle or not libelle.strip():
        return None
    text = libelle.strip()
    if text.lower().startswith(("débutant", "debutant")):
        return 0
    match = _EXPERIENCE.match(text)
    if match is None:
        return None
    amount = _number(match[1])
    return round(amount * 12 if match[2].lower() != "mois" else amount)


def _contract_duration_months(libelle: str | None) -> int | None:
    # "CDD - 6 Mois", "Contrat à durée déterminée - 1 An(s)"; day counts ("MIS - 18 Jour(s)")
    # have no whole number of months and stay None.
    if not libelle:
        return None
    match = _DURATION.search(libelle)
    if match is None:
        return None
    amount = _number(match[1])
    return round(amount * 12 if match[2].lower() == "an" else amount)


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _datetime(value: object, name: str) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise MappingError(f"missing {name}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise MappingError(f"malformed {name} {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # the API writes UTC; a bare time is taken as such
    return parsed.astimezone(UTC)


def _coordinate(value: object, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if -limit <= number <= limit else None


def _positions(value: object) -> int:
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise MappingError(f"invalid nombrePostes {value!r}")
    try:
        positions = int(value)
    except ValueError as exc:
        raise MappingError(f"invalid nombrePostes {value!r}") from exc
    if positions < 1:
        raise MappingError(f"invalid nombrePostes {value!r}")
    return positions


# Place --------------------------------------------------------------------------------------

# Overseas collectivities that are not départements: (région, bassin) France Travail gives them.
# Saint-Barthélemy and Saint-Martin are the « Îles du Nord » of France Travail Guadeloupe (the
# BMO 2024 survey's bassin 104, région 01); the others have no région in the geography.
_COLLECTIVITIES: dict[str, tuple[str | None, str | None]] = {
    "975": (None, None),  # Saint-Pierre-et-Miquelon
    "977": ("01", "0104"),  # Saint-Barthélemy
    "978": ("01", "0104"),  # Saint-Martin
    "986": (None, None),  # Wallis-et-Futuna
    "987": (None, None),  # Polynésie française
    "988": (None, None),  # Nouvelle-Calédonie
}
_COLLECTIVITY_NAMES = {
    "saint pierre et miquelon": "975",
    "saint barthelemy": "977",
    "saint martin": "978",
    "wallis et futuna": "986",
    "polynesie francaise": "987",
    "nouvelle caledonie": "988",
}
_COLLECTIVITY_POSTAL = {"97133": "977", "97150": "978"}  # the rest: 975xx, 986xx-988xx
_NATIONAL_NAMES = frozenset({"france", "france entiere", "france metropolitaine", "national"})
# Régions before the 2016 merger, as employers still write them: the région they are part of.
_OLD_REGIONS = {
    "alsace": "44", "aquitaine": "75", "auvergne": "84", "basse normandie": "28",
    "bourgogne": "27", "centre": "24", "champagne ardenne": "44", "franche comte": "27",
    "haute normandie": "28", "languedoc roussillon": "76", "limousin": "75", "lorraine": "44",
    "midi pyrenees": "76", "nord pas de calais": "32", "picardie": "32",
    "poitou charentes": "75", "rhone alpes": "84", "paca": "93", "region parisienne": "11",
}  # fmt: skip
# Countries France Travail offers name (French names, ISO 3166-1 alpha-2), matched as words.
_COUNTRIES = {
    "allemagne": "DE", "andorre": "AD", "autriche": "AT", "belgique": "BE", "bulgarie": "BG",
    "canada": "CA", "quebec": "CA", "chypre": "CY", "croatie": "HR", "danemark": "DK",
    "espagne": "ES", "estonie": "EE", "etats unis": "US", "finlande": "FI", "grece": "GR",
    "hongrie": "HU", "irlande": "IE", "islande": "IS", "italie": "IT", "lettonie": "LV",
    "liechtenstein": "LI", "lituanie": "LT", "luxembourg": "LU", "malte": "MT", "monaco": "MC",
    "norvege": "NO", "pays bas": "NL", "pologne": "PL", "portugal": "PT", "roumanie": "RO",
    "royaume uni": "GB", "angleterre": "GB", "slovaquie": "SK", "slovenie": "SI",
    "suede": "SE", "suisse": "CH", "republique tcheque": "CZ", "maroc": "MA",
    "tunisie": "TN", "algerie": "DZ", "senegal": "SN", "emirats arabes unis": "AE",
    "etranger": "ZZ",  # abroad, country not named
}  # fmt: skip
# Coordinate boxes of the overseas départements, the Îles du Nord and Corsica: each lies apart
# from every other French area, so a point in its box is in it (or in its sea).
_BOXES: tuple[tuple[str, str, float, float, float, float], ...] = (
    ("departement", "971", 15.80, 16.55, -61.85, -60.95),
    ("departement", "972", 14.35, 14.90, -61.25, -60.78),
    ("departement", "973", 2.10, 5.80, -54.65, -51.60),
    ("departement", "974", -21.40, -20.85, 55.20, 55.85),
    ("departement", "976", -13.05, -12.60, 44.95, 45.35),
    ("collectivity", "978", 17.85, 18.15, -63.20, -62.75),
    ("region", "94", 41.30, 43.05, 8.50, 9.60),
    ("national", "FR", 41.30, 51.10, -5.20, 9.60),  # metropolitan France (and its neighbours)
)


@dataclass(frozen=True, slots=True)
class Place:
    """Where an offer's workplace is: its finest area, and every coarser one it implies.

    ``departement`` is "" when the offer names none (a région only, France, an overseas
    collectivity, abroad); ``region`` is None for France alone and abroad.
    """

    commune_code: str | None
    postal_code: str | None
    departement: str
    region: str | None
    bassin: str | None
    country: str = "FR"

    @property
    def level(self) -> str:
        """The finest market level: bassin, departement, region, national or abroad."""
        return area_level(self.country, self.bassin, self.departement, self.region)


_RANK = {"abroad": 0, "national": 0, "region": 1, "departement": 2, "bassin": 3}


def _normalise(text: str) -> str:
    """Lower case, no accent, words only: "Île-de-France (Région)" -> "ile de france région"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain.lower()).split())


def _names(referential: Referential) -> dict[str, tuple[str, str]]:
    """Normalised area names -> (level, code): départements, régions, old régions."""
    names: dict[str, tuple[str, str]] = {}
    for name, region in _OLD_REGIONS.items():
        names[name] = ("region", region)
    for region in referential.regions():
        names[_normalise(referential.region_name(region) or "")] = ("region", region)
    for dep in referential.departements():
        names[_normalise(referential.departement_name(dep) or "")] = ("departement", dep)
    names["reunion"] = ("departement", "974")
    names["guyane francaise"] = ("departement", "973")
    return names


# Per referential (kept alive here, so its id is never reused); load_referential caches them.
_NAME_CACHE: dict[int, tuple[Referential, dict[str, tuple[str, str]]]] = {}


def _area_names(referential: Referential) -> dict[str, tuple[str, str]]:
    found = _NAME_CACHE.get(id(referential))
    if found is None:
        found = _NAME_CACHE[id(referential)] = (referential, _names(referential))
    return found[1]


def _collectivity(code: str, commune: str | None, postal: str | None) -> Place:
    region, bassin = _COLLECTIVITIES[code]
    return Place(commune, postal, "", region, bassin)


def _collectivity_code(commune: str | None, postal: str | None) -> str | None:
    """The collectivity an INSEE code (97701...) or a postal code (97133, 98800...) is in."""
    if commune and commune[:3] in _COLLECTIVITIES:
        return commune[:3]
    if postal in _COLLECTIVITY_POSTAL:
        return _COLLECTIVITY_POSTAL[postal]
    if postal and postal[:3] in _COLLECTIVITIES:
        return postal[:3]
    return None


def _from_label(
    label: str, commune: str | None, postal: str | None, referential: Referential
) -> Place | None:
    """The area a label names alone: a région, a département, France, a collectivity, abroad."""
    text = _normalise(re.sub(r"\([^)]*\)", " ", label)) or _normalise(label)
    if text in _NATIONAL_NAMES:
        return Place(commune, postal, "", None, None)
    found = _area_names(referential).get(text)
    if found is not None:
        level, code = found
        if level == "departement":
            return Place(commune, postal, code, referential.region_of_departement(code), None)
        return Place(commune, postal, "", code, None)
    if text in _COLLECTIVITY_NAMES:
        return _collectivity(_COLLECTIVITY_NAMES[text], commune, postal)
    words = f" {_normalise(label)} "
    for name, iso in _COUNTRIES.items():
        if f" {name} " in words:
            return Place(commune, postal, "", None, None, iso)
    return None


def _from_coordinates(
    latitude: float | None, longitude: float | None, commune: str | None, postal: str | None
) -> Place | None:
    if latitude is None or longitude is None:
        return None
    for level, code, south, north, west, east in _BOXES:
        if south <= latitude <= north and west <= longitude <= east:
            if level == "departement":
                region = {"971": "01", "972": "02", "973": "03", "974": "04", "976": "06"}[code]
                return Place(commune, postal, code, region, None)
            if level == "collectivity":
                return _collectivity(code, commune, postal)
            if level == "region":
                return Place(commune, postal, "", code, None)
            return Place(commune, postal, "", None, None)
    return None


def resolve_place(lieu: Mapping[str, Any], referential: Referential) -> Place:
    """The finest area an offer's ``lieuTravail`` really gives (see the module docstring).

    Raises :class:`MappingError` saying what the offer gave when it names nothing known.
    """
    commune_code = _text(lieu.get("commune"))
    commune_code = commune_code.upper() if commune_code else None
    postal_code = _text(lieu.get("codePostal"))
    label = _text(lieu.get("libelle")) or ""
    commune = referential.commune(commune_code) if commune_code else None
    if commune is None and commune_code is None and postal_code:
        # A postal code serving one commune only names it.
        candidates = referential.communes_of_postal_code(postal_code)
        if len(candidates) == 1:
            commune = referential.commune(candidates[0])
            commune_code = candidates[0]
    if commune is not None:
        return Place(commune_code, postal_code, commune.departement, commune.region, commune.bassin)
    place: Place | None = None
    match = _DEP_PREFIX.match(label)
    prefix = match[1].upper() if match else None
    if prefix and referential.is_known_departement(prefix):
        place = Place(
            commune_code, postal_code, prefix, referential.region_of_departement(prefix), None
        )
    elif prefix in _COLLECTIVITIES:
        place = _collectivity(prefix, commune_code, postal_code)
    collectivity = _collectivity_code(commune_code, postal_code)
    if place is None and collectivity is not None:
        place = _collectivity(collectivity, commune_code, postal_code)
    if place is None and postal_code:
        dep = referential.departement_of_postal_code(postal_code)
        if dep is not None:
            region = referential.region_of_departement(dep)
            place = Place(commune_code, postal_code, dep, region, None)
    if place is None and label:
        place = _from_label(label, commune_code, postal_code, referential)
    if place is not None and place.level in {"abroad", "departement", "bassin"}:
        return place
    latitude = _coordinate(lieu.get("latitude"), 90.0)
    longitude = _coordinate(lieu.get("longitude"), 180.0)
    located = _from_coordinates(latitude, longitude, commune_code, postal_code)
    if located is not None and place is None and label and located.level == "national":
        located = None  # a name Vigie does not know, in or near France: not guessed
    if located is not None and (place is None or _finer(located, place)):
        return located
    if place is not None:
        return place
    if label:
        raise MappingError(
            f"lieuTravail {label!r} names no commune, postal code, département, région "
            "or country Vigie knows"
        )
    if latitude is not None and longitude is not None:
        raise MappingError(
            f"lieuTravail gives only coordinates ({latitude}, {longitude}), outside France"
        )
    raise MappingError("lieuTravail gives no commune, postal code, place name or coordinates")


def _finer(candidate: Place, than: Place) -> bool:
    """``candidate`` is a finer area than ``than`` and inside it."""
    if _RANK[candidate.level] <= _RANK[than.level]:
        return False
    return than.region is None or candidate.region == than.region


def map_offer(
    raw: Mapping[str, Any], referential: Referential, *, now: datetime | None = None
) -> dict[str, Any]:
    """One raw API offer as an OfferPosted record (keys in :data:`OFFER_FIELDS` order).

    ``now`` (default: the current time) bounds ``dateCreation``: an offer created more than a
    day in the future is refused.
    """
    if not isinstance(raw, Mapping):
        raise MappingError("record is not a JSON object")
    offer_id = _text(raw.get("id"))
    if offer_id is None:
        raise MappingError("missing id")
    title = _text(raw.get("intitule"))
    if title is None:
        raise MappingError("missing intitule")
    rome_code = _text(raw.get("romeCode"))
    if rome_code is None:
        raise MappingError("missing romeCode")
    rome_code = rome_code.upper()
    if not referential.is_known_rome(rome_code):
        raise MappingError(f"unknown ROME code {rome_code}")
    posted_at = _datetime(raw.get("dateCreation"), "dateCreation")
    if posted_at > (now or datetime.now(UTC)) + FUTURE_TOLERANCE:
        raise MappingError(f"dateCreation {raw['dateCreation']} is in the future")
    updated_raw = raw.get("dateActualisation")
    updated_at = _datetime(updated_raw, "dateActualisation") if updated_raw else None
    contract_type = _text(raw.get("typeContrat"))
    if contract_type is None:
        raise MappingError("missing typeContrat")
    experience = _text(raw.get("experienceExige"))
    if experience not in {"D", "S", "E"}:
        raise MappingError(f"unknown experienceExige {raw.get('experienceExige')!r}")
    lieu = raw.get("lieuTravail")
    if not isinstance(lieu, Mapping):
        raise MappingError("missing lieuTravail")
    place = resolve_place(lieu, referential)

    weekly_hours = parse_weekly_hours(raw)
    salaire = raw.get("salaire") if isinstance(raw.get("salaire"), Mapping) else {}
    pay = read_salary(salaire, weekly_hours, posted_at.date())
    salary = pay.salary
    label = _text(salaire.get("libelle"))
    if label and salary is None and re.search(r"\d", label):
        logger.warning("salary label not understood offer_id=%s label=%r", offer_id, label)
    duration_kind = _text(raw.get("dureeTravailLibelleConverti"))
    full_time = {"temps plein": True, "temps partiel": False}.get((duration_kind or "").lower())
    lacks = raw.get("offresManqueCandidats")
    entreprise = raw.get("entreprise") if isinstance(raw.get("entreprise"), Mapping) else {}

    return {
        "event_id": f"ft-offer-{offer_id}-{_text(updated_raw) or raw['dateCreation'].strip()}",
        "offer_id": offer_id,
        "posted_at": posted_at,
        "updated_at": updated_at,
        "title": title,
        "rome_code": rome_code,
        "rome_label": referential.rome_label(rome_code),
        "appellation_label": _text(raw.get("appellationlibelle")),
        "commune_code": place.commune_code,
        "postal_code": place.postal_code,
        "departement": place.departement,
        "region": place.region,
        "bassin": place.bassin,
        "latitude": _coordinate(lieu.get("latitude"), 90.0),
        "longitude": _coordinate(lieu.get("longitude"), 180.0),
        "contract_type": contract_type,
        "contract_duration_months": _contract_duration_months(_text(raw.get("typeContratLibelle"))),
        "experience_required": experience,
        "experience_months": parse_experience_months(_text(raw.get("experienceLibelle"))),
        "salary_text": pay.text,
        "salary_monthly_gross": salary.monthly if salary else None,
        "salary_monthly_gross_min": salary.monthly_min if salary else None,
        "salary_monthly_gross_max": salary.monthly_max if salary else None,
        "weekly_hours": weekly_hours,
        "full_time": full_time,
        "qualification_code": _text(raw.get("qualificationCode")),
        "qualification_label": _text(raw.get("qualificationLibelle")),
        "positions": _positions(raw.get("nombrePostes")),
        "naf_code": _text(raw.get("codeNAF")),
        "employer_name": _text(entreprise.get("nom")),
        "lacks_candidates": lacks if isinstance(lacks, bool) else None,
        "source": SOURCE,
        "country": place.country,
    }


def _open_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.removeprefix(b"\xef\xbb\xbf")


def iter_raw_offers(path: str | Path) -> Iterator[tuple[int, dict[str, Any] | Exception]]:
    """(line number, record or error) for each offer of a ``.jsonl`` or ``.json`` file.

    ``.jsonl`` (also ``.ndjson``, optionally ``.gz``): one object a line, blank lines skipped; a
    line that is not a JSON object yields a :class:`MappingError` carrying the parse error.
    Lines end at "\\n" only (a "\\r" before it is whitespace to JSON): descriptions may hold
    U+2028, U+2029 or U+0085, which ``str.splitlines`` would take for line ends, and JSON
    allows them raw inside a string. The importer and the evaluation
    (``agents.offers.evaluate``) both read files through this function. A
    ``.json`` file holds an array of offers or an API response with a ``resultats`` array; its
    records are numbered from 1 by position, and a file that does not parse yields one error
    with the line the parser stopped at.
    """
    path = Path(path)
    data = _open_bytes(path)
    if path.name.removesuffix(".gz").endswith(".json"):
        yield from _iter_json_array(data)
        return
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            error = MappingError(f"invalid JSON: {exc}")
            error.__cause__ = exc
            yield number, error
            continue
        if isinstance(record, dict):
            yield number, record
        else:
            yield number, MappingError("record is not a JSON object")


def _iter_json_array(data: bytes) -> Iterator[tuple[int, dict[str, Any] | Exception]]:
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        error = MappingError(f"invalid JSON: {exc}")
        error.__cause__ = exc
        yield exc.lineno, error
        return
    if isinstance(document, dict) and isinstance(document.get("resultats"), list):
        document = document["resultats"]
    if not isinstance(document, list):
        yield 1, MappingError("a .json file must hold an array of offers or a 'resultats' array")
        return
    for number, record in enumerate(document, start=1):
        if isinstance(record, dict):
            yield number, record
        else:
            yield number, MappingError("record is not a JSON object")
