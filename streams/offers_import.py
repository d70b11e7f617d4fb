"""Map raw France Travail job offers ("Offres d'emploi v2" API records) to OfferPosted records.

The API's salary, working time and experience come as French labels ("Mensuel de 1801.80 Euros
sur 12 mois", "35H Travail en journée", "2 An(s)"); the parsers here turn them into numbers.
:func:`map_offer` keeps only what the offer agents use: never the free-text description, never
a contact. A record that cannot be mapped raises :class:`~streams.errors.MappingError` with a
short English reason, which the importer reports with the record's line number.

Salary conventions (all amounts gross, in euros):

* an hourly rate becomes monthly with the offer's weekly hours (35 h when unknown) x 52 / 12;
* a yearly amount is divided by 12 whatever its number of payments;
* a monthly or hourly amount paid "sur 13 mois" (or 13.5, 14...) is spread over the year:
  monthly equivalent = amount x 13 / 12, so offers compare on the same yearly pay. "sur N mois"
  with N < 12 does not lower it (the amount is what is paid each month worked);
* a "Mensuel" amount above 15,000 EUR is read as yearly: employers pick the wrong unit in the
  form ("Mensuel de 45000.0 Euros à 60000.0 Euros" in the real sample), true monthly salaries
  that high are rare;
* a monthly equivalent outside 20 - 20,000 EUR is absurd: :func:`parse_salary` returns None,
  as for any text it cannot read, and never raises. The offer is still mapped, salary unknown.
"""

from __future__ import annotations

import gzip
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import orjson

from streams.errors import MappingError
from streams.referential import Referential

logger = logging.getLogger(__name__)

__all__ = [
    "OFFER_FIELDS",
    "SOURCE",
    "Salary",
    "iter_raw_offers",
    "map_offer",
    "parse_experience_months",
    "parse_salary",
    "parse_weekly_hours",
]

SOURCE = "france-travail-api"
LEGAL_WEEKLY_HOURS = 35.0
WEEKS_PER_MONTH = 52 / 12
MIN_MONTHLY_GROSS = 20.0
MAX_MONTHLY_GROSS = 20_000.0
MONTHLY_READ_AS_YEARLY = 15_000.0
MAX_WEEKLY_HOURS = 60.0  # as streams.rules: beyond, the hours are not believed
# dateCreation may run ahead of the importer's clock by this much (time zones, skew).
FUTURE_TOLERANCE = timedelta(days=1)

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
)

Period = Literal["monthly", "hourly", "yearly"]


@dataclass(frozen=True, slots=True)
class Salary:
    """A salary as gross monthly euros (12 payments a year), with the period it was stated in."""

    monthly_min: float
    monthly_max: float
    monthly: float
    period: Period
    months_per_year: float


# Amounts: "1801.80", "11,88", "25 000,00" (thin or non-breaking spaces as thousands separator).
_AMOUNT = r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_CURRENCY = r"(?:euros?|eur|€)"
_STRUCTURED = re.compile(
    rf"""^\s*(?P<period>mensuel|horaire|annuel)\s*(?:de|:)?\s*
    (?P<low>{_AMOUNT})\s*{_CURRENCY}?\s*
    (?:(?:à|a|-)\s*(?P<high>{_AMOUNT})\s*{_CURRENCY}?\s*)?
    (?:sur\s+(?P<months>\d+(?:[.,]\d+)?)\s*mois\s*)?\.?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_PERIODS: dict[str, Period] = {"mensuel": "monthly", "horaire": "hourly", "annuel": "yearly"}
# Free text ("12.62€ brut / heure", "à partir de 24600€/an"): an amount with its currency and
# exactly one unambiguous period word, else nothing is guessed.
_FREE_AMOUNT = re.compile(rf"(?<![\d.,])({_AMOUNT})\s*(k)?\s*{_CURRENCY}", re.IGNORECASE)
_FREE_PERIODS: tuple[tuple[Period, re.Pattern[str]], ...] = (
    ("hourly", re.compile(r"/\s*h(?:eure)?\b|\bde l'heure\b|\bhoraire\b|\bpar heure\b", re.I)),
    ("monthly", re.compile(r"/\s*mois\b|\bmensuel|\bpar mois\b", re.I)),
    ("yearly", re.compile(r"/\s*an\b|\bannuel|\bpar an\b|\bbrut an\b", re.I)),
)
# A minus sign before an amount that does not follow another amount ("de -1800"): negative.
_NEGATIVE = re.compile(r"(?:^|[^\d\s])\s*-\s*\d")
_MONTHS = re.compile(r"\bsur\s+(\d+(?:[.,]\d+)?)\s*mois\b", re.I)

# "35H", "35H30", "temps partiel - 7H25", "24H/semaine", "35 heures": minutes only when glued.
_HOURS = re.compile(r"(?<![\d.,])(\d{1,2}(?:[.,]\d+)?)\s*h(?:eures?)?(\d{2})?(?!\d)", re.I)
_EXPERIENCE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(an|année|mois)", re.I)
_DURATION = re.compile(r"-\s*(\d+(?:[.,]\d+)?)\s*(mois|an)", re.I)
_DEP_PREFIX = re.compile(r"^\s*(2[AB]|97\d|\d{2})\s*-")


def _number(text: str) -> float:
    return float(re.sub(r"[ \u00a0\u202f]", "", text).replace(",", "."))


def _parse_structured(text: str) -> tuple[Period, float, float, float] | None:
    match = _STRUCTURED.match(text)
    if match is None:
        return None
    low = _number(match["low"])
    high = _number(match["high"]) if match["high"] else low
    months = _number(match["months"]) if match["months"] else 12.0
    return _PERIODS[match["period"].lower()], low, high, months


def _parse_free_text(text: str) -> tuple[Period, float, float, float] | None:
    if _NEGATIVE.search(text):
        return None
    amounts = [_number(m[1]) * (1000 if m[2] else 1) for m in _FREE_AMOUNT.finditer(text)]
    periods = [period for period, pattern in _FREE_PERIODS if pattern.search(text)]
    if not 1 <= len(amounts) <= 2 or len(periods) != 1:
        return None
    months = _MONTHS.search(text)
    return periods[0], min(amounts), max(amounts), _number(months[1]) if months else 12.0


def parse_salary(text: str | None, weekly_hours: float | None = None) -> Salary | None:
    """Gross monthly salary of an offer's salary label, None when unreadable or absurd.

    >>> parse_salary("Horaire de 11.88 Euros", weekly_hours=24).monthly
    1235.52
    >>> parse_salary("Mensuel de 2160.64 Euros sur 13.0 mois").monthly
    2340.69
    >>> parse_salary("selon profil") is None
    True
    """
    if not text or not text.strip():
        return None
    parsed = _parse_structured(text) or _parse_free_text(text)
    if parsed is None:
        return None
    period, low, high, months = parsed
    if low <= 0 or high <= 0 or not 1 <= months <= 16:
        return None
    low, high = min(low, high), max(low, high)
    if period == "monthly" and low > MONTHLY_READ_AS_YEARLY:
        period = "yearly"
    spread = max(months, 12.0) / 12
    if period == "yearly":
        factor = 1 / 12
    elif period == "hourly":
        hours = weekly_hours if weekly_hours and 0 < weekly_hours <= MAX_WEEKLY_HOURS else None
        factor = (hours or LEGAL_WEEKLY_HOURS) * WEEKS_PER_MONTH * spread
    else:
        factor = spread
    monthly_min, monthly_max = low * factor, high * factor
    if monthly_min < MIN_MONTHLY_GROSS or monthly_max > MAX_MONTHLY_GROSS:
        return None
    return Salary(
        monthly_min=round(monthly_min, 2),
        monthly_max=round(monthly_max, 2),
        monthly=round((monthly_min + monthly_max) / 2, 2),
        period=period,
        months_per_year=months,
    )


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


def _place(
    lieu: Mapping[str, Any], referential: Referential
) -> tuple[str | None, str | None, str, str | None]:
    """(commune code, postal code, département, bassin) of an offer's ``lieuTravail``."""
    commune_code = _text(lieu.get("commune"))
    commune_code = commune_code.upper() if commune_code else None
    postal_code = _text(lieu.get("codePostal"))
    commune = referential.commune(commune_code) if commune_code else None
    if commune is None and commune_code is None and postal_code:
        # A postal code serving one commune only names it.
        candidates = referential.communes_of_postal_code(postal_code)
        if len(candidates) == 1:
            commune = referential.commune(candidates[0])
            commune_code = candidates[0]
    if commune is not None:
        return commune_code, postal_code, commune.departement, commune.bassin
    match = _DEP_PREFIX.match(str(lieu.get("libelle") or ""))
    dep = match[1] if match and referential.is_known_departement(match[1]) else None
    if dep is None and postal_code:
        dep = referential.departement_of_postal_code(postal_code)
    if dep is None:
        raise MappingError("no département could be derived from lieuTravail")
    return commune_code, postal_code, dep, None


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
    commune_code, postal_code, departement, bassin = _place(lieu, referential)

    weekly_hours = parse_weekly_hours(raw)
    salaire = raw.get("salaire") if isinstance(raw.get("salaire"), Mapping) else {}
    label = _text(salaire.get("libelle"))
    salary_text = label or _text(salaire.get("commentaire"))
    salary = parse_salary(salary_text, weekly_hours)
    if label and salary is None:
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
        "commune_code": commune_code,
        "postal_code": postal_code,
        "departement": departement,
        "bassin": bassin,
        "latitude": _coordinate(lieu.get("latitude"), 90.0),
        "longitude": _coordinate(lieu.get("longitude"), 180.0),
        "contract_type": contract_type,
        "contract_duration_months": _contract_duration_months(_text(raw.get("typeContratLibelle"))),
        "experience_required": experience,
        "experience_months": parse_experience_months(_text(raw.get("experienceLibelle"))),
        "salary_text": salary_text,
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
    }


def _open_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.removeprefix(b"\xef\xbb\xbf")


def iter_raw_offers(path: str | Path) -> Iterator[tuple[int, dict[str, Any] | Exception]]:
    """(line number, record or error) for each offer of a ``.jsonl`` or ``.json`` file.

    ``.jsonl`` (also ``.ndjson``, optionally ``.gz``): one object a line, blank lines skipped; a
    line that is not a JSON object yields a :class:`MappingError` carrying the parse error. A
    ``.json`` file holds an array of offers or an API response with a ``resultats`` array; its
    records are numbered from 1 by position, and a file that does not parse yields one error
    with the line the parser stopped at.
    """
    path = Path(path)
    data = _open_bytes(path)
    if path.name.removesuffix(".gz").endswith(".json"):
        yield from _iter_json_array(data)
        return
    for number, line in enumerate(data.splitlines(), start=1):
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
