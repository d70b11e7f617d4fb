"""Facts an email states: the dates and times it mentions, the documents it is about, offer refs.

Dates are resolved against the time the email was received, in French local time
(Europe/Paris), so « demain à 14h » in a mail received on Monday evening is Tuesday 14:00 and an
audit replay resolves it the same way. Until 05:00 a writer's « aujourd'hui » is still the
previous day (« demain » written at 01:00 on Tuesday means Tuesday). Understood:
« aujourd'hui », « ce matin / cet après-midi / ce soir », « demain », « après-demain »,
weekdays (« jeudi », « lundi prochain », « ce vendredi »), « le 12 mars [2026] »,
« 12/03[/2026] », « lundi 12 janvier », and times « 14h »,
« 14h30 », « 14 h 30 », « 9 heures », « 10:00 », « midi ». Text must be normalised first
(:func:`agents.emails.features.normalise`: lower case, no accents).

>>> from datetime import datetime, UTC
>>> received = datetime(2026, 1, 12, 17, 0, tzinfo=UTC)   # Monday 18:00 in Paris
>>> [m.describe() for m in find_dates("rendez-vous demain a 14h30 ou jeudi", received)]
['mardi 13 janvier à 14h30', 'jeudi 15 janvier']
>>> documents("je vous envoie mon attestation employeur et ma fiche de paie")
['attestation employeur', 'bulletin de salaire']
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    PARIS: tzinfo = ZoneInfo("Europe/Paris")
except ZoneInfoNotFoundError:  # pragma: no cover - a system without tzdata: winter time
    from datetime import timezone

    PARIS = timezone(timedelta(hours=1), "CET")

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier", "fevrier", "mars", "avril", "mai", "juin",
    "juillet", "aout", "septembre", "octobre", "novembre", "decembre",
)  # fmt: skip
MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
_MONTH = "|".join(MONTHS)
_DAY = "|".join(DAYS)

# Part of a day a relative word names: (offset in days, first hour, last hour).
_RELATIVE = {
    "aujourd'hui": (0, 0, 24), "aujourdhui": (0, 0, 24), "auj": (0, 0, 24),
    "ce matin": (0, 6, 12), "cet apres-midi": (0, 12, 18), "cet apres midi": (0, 12, 18),
    "ce soir": (0, 18, 24), "cette nuit": (0, 20, 24), "demain": (1, 0, 24),
    "apres-demain": (2, 0, 24), "apres demain": (2, 0, 24),
    # SMS and English forms of the same words
    "ajd": (0, 0, 24), "tout a l'heure": (0, 0, 24), "cet aprem": (0, 12, 18),
    "cette aprem": (0, 12, 18), "ce aprem": (0, 12, 18), "dem1": (1, 0, 24),
    "today": (0, 0, 24), "this morning": (0, 6, 12), "this afternoon": (0, 12, 18),
    "this evening": (0, 18, 24), "tonight": (0, 18, 24), "tomorrow": (1, 0, 24),
    "day after tomorrow": (2, 0, 24),
}  # fmt: skip
_DATE = re.compile(
    r"\b(?:"
    r"(?P<rel>apres[- ]demain|aujourd'?hui|auj|ajd|ce matin|cet apres[- ]midi|cet? aprem|cette apr"
    r"em"
    r"|ce soir|cette nuit|demain|dem1|day after tomorrow|today|tomorrow|tonight|tout a l'heure"
    r"|this (?:morning|afternoon|evening))"
    rf"|(?P<this>ce |cette )?(?P<wd>{_DAY})(?: (?P<next>prochain))?"
    rf"(?: (?:le )?(?P<wdday>\d{{1,2}})(?:er)?(?: (?P<wdmonth>{_MONTH}))?)?"
    rf"|(?P<day>\d{{1,2}})(?:er)? (?P<month>{_MONTH})(?: (?P<year>\d{{4}}))?"
    r"|(?P<nday>\d{1,2})[/.](?P<nmonth>\d{1,2})(?:[/.](?P<nyear>\d{4}|\d{2}))?(?![\d/.]\d)"
    r")\b"
)
_TIME = re.compile(
    r"\b(?:(?P<h>\d{1,2}) ?(?:h|heures?)(?: ?(?P<m>[0-5]\d))?|(?P<hh>\d{1,2}):(?P<mm>[0-5]\d)"
    r"|(?P<noon>midi))(?![\w])"
)
_PART_OF_DAY = re.compile(r" (?P<part>matin|apres-midi|apres midi|soir|midi)\b")  # use .match
_MAY_HAVE_DATE = re.compile(
    rf"\d|demain|auj|ajd|ce matin|cet apres|aprem|ce soir|cette nuit|today|tomorrow|tonight|this "
    rf"|tout a l'heure"
    rf"|{_DAY}"
)
_SENTENCE_END = re.compile(r"[.!?;\n]+(?:\s|$)|\n")
DAY_STARTS_AT = 5  # « demain » written at 01:00 means later the same calendar day
TIME_ATTACH_CHARS = 40  # a time belongs to a date mentioned this close before or after it
MAX_MENTIONS = 50  # dates read per email: a real one names a few; a hostile one, thousands


@dataclass(frozen=True, slots=True)
class DateMention:
    """A day (or moment) an email mentions, as an interval of local time."""

    start: datetime  # local (Europe/Paris) time, inclusive
    end: datetime  # local time, exclusive; start == end when a precise time is given
    has_time: bool
    span: tuple[int, int]  # position in the normalised text
    word: str = ""  # the words that named the day, e.g. « demain », « jeudi », « 12/03 »

    @property
    def day(self) -> date:
        """The calendar day mentioned."""
        return self.start.date()

    def describe(self) -> str:
        """French words for the mention, e.g. « jeudi 15 janvier à 14h00 »."""
        d = self.start
        words = f"{DAYS[d.weekday()]} {d.day} {MONTHS_FR[d.month - 1]}"
        return f"{words} à {d.hour}h{d.minute:02d}" if self.has_time else words

    def hours_after(self, moment: datetime) -> tuple[float, float]:
        """(earliest, latest) hours between ``moment`` and the mentioned interval."""
        return (
            (self.start - moment).total_seconds() / 3600,
            (self.end - moment).total_seconds() / 3600,
        )


def local(moment: datetime) -> datetime:
    """``moment`` in French local time (a naive moment is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(PARIS)


def _nearest_year(day: int, month: int, now: datetime) -> date | None:
    best: date | None = None
    for year in (now.year - 1, now.year, now.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if best is None or abs((candidate - now.date()).days) < abs((best - now.date()).days):
            best = candidate
    return best


def _on(day: date, first_hour: int = 0, last_hour: int = 24) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), PARIS) + timedelta(hours=first_hour)
    return start, datetime.combine(day, time(0), PARIS) + timedelta(hours=last_hour)


def writers_day(now: datetime) -> date:
    """The day a writer calls « aujourd'hui »: until 05:00 it is still the previous one."""
    return (now - timedelta(hours=DAY_STARTS_AT)).date()


def _resolve(m: re.Match[str], now: datetime) -> tuple[datetime, datetime] | None:
    today = writers_day(now)
    if m["rel"]:
        offset, first, last = _RELATIVE[m["rel"]]
        return _on(today + timedelta(days=offset), first, last)
    if m["wd"]:
        if m["wdday"]:
            day = int(m["wdday"])
            month = MONTHS.index(m["wdmonth"]) + 1 if m["wdmonth"] else None
            found = _nearest_year(day, month, now) if month else _next_day_numbered(day, now)
            return _on(found) if found else None
        ahead = (DAYS.index(m["wd"]) - today.weekday()) % 7
        if ahead == 0 and not m["this"]:
            ahead = 7  # « lundi » written on a Monday means next Monday
        return _on(today + timedelta(days=ahead))
    if m["day"]:
        year = int(m["year"]) if m["year"] else None
        return _on_explicit(int(m["day"]), MONTHS.index(m["month"]) + 1, year, now)
    year = int(m["nyear"]) if m["nyear"] else None
    if year is not None and year < 100:
        year += 2000
    return _on_explicit(int(m["nday"]), int(m["nmonth"]), year, now)


def _on_explicit(
    day: int, month: int, year: int | None, now: datetime
) -> tuple[datetime, datetime] | None:
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    if year is None:
        found = _nearest_year(day, month, now)
        return _on(found) if found else None
    try:
        return _on(date(year, month, day))
    except ValueError:
        return None


def _next_day_numbered(day: int, now: datetime) -> date | None:
    # « lundi 12 » without a month: the next 12th of a month from now (this month or the next).
    for months_ahead in (0, 1):
        month = (now.month - 1 + months_ahead) % 12 + 1
        year = now.year + (now.month - 1 + months_ahead) // 12
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= now.date() - timedelta(days=1):
            return candidate
    return None


def find_dates(norm: str, received_at: datetime) -> list[DateMention]:
    """Dates and times mentioned in normalised text ``norm``, resolved against ``received_at``."""
    if not _MAY_HAVE_DATE.search(norm):
        return []  # many emails mention no date: skip the scans
    now = local(received_at)
    found: list[tuple[datetime, datetime, tuple[int, int], str]] = []
    for m in _DATE.finditer(norm):
        if len(found) >= MAX_MENTIONS:
            break
        resolved = _resolve(m, now)
        if resolved is None:
            continue
        start, end = resolved
        span = m.span()
        part = _PART_OF_DAY.match(norm, m.end())
        if part:
            first, last = {"matin": (6, 12), "midi": (12, 14), "soir": (18, 24)}.get(
                part["part"], (12, 18)
            )
            start, end = _on(start.date(), first, last)
            span = (span[0], part.end())
        found.append((start, end, span, m.group(0)))
    clocks = _attach_times(norm, [span for _, _, span, _ in found])
    mentions = []
    for i, (start, end, span, word) in enumerate(found):
        clock = clocks.get(i)
        if clock is not None:
            start = end = datetime.combine(start.date(), clock, PARIS)
        mentions.append(DateMention(start, end, clock is not None, span, word))
    return mentions


def _hour_minute(m: re.Match[str]) -> time | None:
    if m["noon"]:
        return time(12, 0)
    hour = int(m["h"] or m["hh"])
    minute = int(m["m"] or m["mm"] or 0)
    if hour > 23:
        return None
    return time(hour, minute)


def _attach_times(norm: str, spans: list[tuple[int, int]]) -> dict[int, time]:
    """Index of a date mention -> the time given with it (each time goes to its nearest date)."""
    if not spans:
        return {}
    starts = [start for start, _ in spans]  # finditer order: sorted
    attached: dict[int, tuple[int, time]] = {}
    for t in _TIME.finditer(norm):
        clock = _hour_minute(t)
        if clock is None:
            continue
        after = bisect_right(starts, t.start())  # dates before the time: [0, after)
        candidates = []
        if after > 0 and t.start() >= spans[after - 1][1]:
            # A time after its date (« demain à 14h ») is preferred to one before (« 14h jeudi »).
            candidates.append((t.start() - spans[after - 1][1], after - 1))
        if after < len(spans):
            candidates.append(((spans[after][0] - t.end()) * 2, after))
        gap, i = min(candidates, default=(TIME_ATTACH_CHARS + 1, -1))
        if 0 <= gap <= TIME_ATTACH_CHARS and (i not in attached or gap < attached[i][0]):
            attached[i] = (gap, clock)
    return {i: clock for i, (_, clock) in attached.items()}


def sentence_spans(norm: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``norm`` (split on . ! ? ; and line breaks)."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(norm):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(norm):
        spans.append((start, len(norm)))
    return spans


_DOCUMENTS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("attestation employeur", r"attestation (?:d'|de l'|de l )?employeur|attestation pole"),
        ("attestation d'inscription", r"attestation d'inscription|attestation inscription"),
        ("bulletin de salaire", r"bulletins? (?:de )?(?:salaire|paie)|fiches? de paie"),
        ("justificatif de domicile", r"justificatifs? de domicile|quittance de loyer"),
        ("pièce d'identité", r"pieces? d'identite|carte d'identite|passeport|titre de sejour"),
        ("relevé d'identité bancaire", r"\brib\b|releve d'identite bancaire"),
        ("contrat de travail", r"contrat de travail|promesse d'embauche|contrat (?:signe|cdd|cdi)"),
        ("attestation d'entrée en formation", r"attestation d'entree en (?:formation|stage)"),
        ("accord de financement", r"accord de financement|devis de formation"),
        ("CV", r"\bcv\b|curriculum"),
        ("lettre de motivation", r"lettre de motivation"),
        ("avis d'imposition", r"avis d'imposition"),
        ("certificat de travail", r"certificat de travail"),
    )
)
_GENERIC_DOCUMENTS = re.compile(r"justificatifs?|pieces? (?:justificatives?|demandees)")
_OFFER_REF = re.compile(r"\b(?:offre|ref(?:erence)?|annonce)(?: n ?o?)?\.?:? ?(\d{3}[a-z]{4})\b")


def documents(norm: str) -> list[str]:
    """Kinds of documents normalised text ``norm`` mentions, in a fixed order, no duplicates."""
    found = [name for name, pattern in _DOCUMENTS if pattern.search(norm)]
    if not found and _GENERIC_DOCUMENTS.search(norm):
        found.append("justificatifs")
    return found


def offer_refs(norm: str) -> list[str]:
    """Offer references (France Travail ids such as 190HCYJ) cited after « offre » or « réf »."""
    return sorted({m.upper() for m in _OFFER_REF.findall(norm)})
