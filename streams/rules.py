"""Domain rules every input event must satisfy, beyond what its Avro schema says.

A record that breaks one raises :class:`~streams.errors.ValidationError`; the publisher rejects
it, the worker dead-letters it. "Now" is the Kafka timestamp of the event (when the agency
system sent it), not the clock of whoever checks it, so an audit replay months later judges
an event exactly as the live worker did.

Where an offer is (OfferPosted v3): its ``departement`` is a known département, or empty when
the offer names none. An offer without a département is located by its ``region`` alone, or
only as France (no région: national), or abroad (``country`` other than "FR", then with no
French area at all); Saint-Barthélemy and Saint-Martin, which are not départements, carry their
bassin and its région. The offer agents assess each against the finest market it names.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from streams.errors import ValidationError
from streams.referential import Referential

# Agency clocks drift; an event dated a few minutes after it was sent is not "in the future".
CLOCK_SKEW = timedelta(minutes=10)
MAX_MONTHLY_SALARY = 50_000.0
MAX_WEEKLY_HOURS = 60.0
# Sizes no agency system writes: a hostile or broken producer's, refused before they reach the
# use cases, Redis keys and alert texts. An email body is cut before parsing, so it may be big.
MAX_ID_CHARS = 256
MAX_TEXT_CHARS = 65_536
LONG_TEXT_FIELDS = frozenset({"body"})

Record = dict[str, Any]
Rule = Callable[[Record, Referential, datetime], None]


def _as_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def _not_future(record: Record, now: datetime, *fields: str) -> None:
    for name in fields:
        when = _as_datetime(record.get(name))
        if when is not None and when > now + CLOCK_SKEW:
            raise ValidationError(
                f"{name} {when.isoformat()} is in the future (event sent {now.isoformat()})"
            )


def _known_rome(ref: Referential, code: str | None, field_name: str = "rome_code") -> None:
    if code is not None and not ref.is_known_rome(code):
        raise ValidationError(f"unknown ROME code {code!r} in {field_name}")


def _known_departement(ref: Referential, dep: str) -> None:
    if not ref.is_known_departement(dep):
        raise ValidationError(f"unknown département {dep!r}")


def _offer_area(r: Record, ref: Referential) -> None:
    dep, region, bassin = r.get("departement") or "", r.get("region"), r.get("bassin")
    country = r.get("country") or "FR"
    if country != "FR":
        if not (len(country) == 2 and country.isascii() and country.isalpha()):
            raise ValidationError(f"country {country!r} is not an ISO 3166-1 alpha-2 code")
        if dep or region or bassin:
            raise ValidationError(
                f"an offer abroad ({country}) has no département, région or bassin"
            )
        return
    if dep:
        _known_departement(ref, dep)
        if region is not None and region != ref.region_of_departement(dep):
            raise ValidationError(f"région {region!r} is not the région of département {dep!r}")
        return
    if region is not None and not ref.is_known_region(region):
        raise ValidationError(f"unknown région {region!r}")
    if bassin is not None:
        home = ref.bassin_departement(bassin)
        if home is None:
            raise ValidationError(f"unknown bassin {bassin!r}")
        if region != ref.region_of_departement(home):
            raise ValidationError(
                f"an offer in bassin {bassin!r} without a département needs its région"
            )


def _offer_posted(r: Record, ref: Referential, now: datetime) -> None:
    _known_rome(ref, r["rome_code"])
    _offer_area(r, ref)
    for name in ("salary_monthly_gross", "salary_monthly_gross_min", "salary_monthly_gross_max"):
        value = r.get(name)
        if value is not None and not 0 < value <= MAX_MONTHLY_SALARY:
            raise ValidationError(f"{name} {value} is outside (0, {MAX_MONTHLY_SALARY:.0f}]")
    low, high = r.get("salary_monthly_gross_min"), r.get("salary_monthly_gross_max")
    if low is not None and high is not None and low > high:
        raise ValidationError(f"salary range is inverted: {low} > {high}")
    hours = r.get("weekly_hours")
    if hours is not None and not 0 < hours <= MAX_WEEKLY_HOURS:
        raise ValidationError(f"weekly_hours {hours} is outside (0, {MAX_WEEKLY_HOURS:.0f}]")
    if r.get("positions", 1) < 1:
        raise ValidationError(f"positions {r['positions']} is below 1")
    _not_future(r, now, "posted_at", "updated_at")


def _offer_closed(r: Record, ref: Referential, now: datetime) -> None:
    if r["outcome"] not in {"filled", "expired", "cancelled"}:
        raise ValidationError(f"unknown outcome {r['outcome']!r}")
    _not_future(r, now, "closed_at", "filled_at")
    posted = _as_datetime(r.get("posted_at"))
    closed = _as_datetime(r["closed_at"])
    if posted is not None and closed is not None and closed < posted:
        raise ValidationError("closed_at is before posted_at")


def _offer_aged(r: Record, ref: Referential, now: datetime) -> None:
    if r["checkpoint_days"] <= 0:
        raise ValidationError(f"checkpoint_days {r['checkpoint_days']} is not a positive age")
    for name in ("risk", "risk_at_posting", "risk_now_unconditioned", "still_open_share"):
        if not 0.0 <= r[name] <= 1.0:
            raise ValidationError(f"{name} {r[name]} is outside [0, 1]")
    _not_future(r, now, "aged_at")


def _profile(r: Record, ref: Referential, now: datetime) -> None:
    _known_rome(ref, r["rome_code"])
    _known_departement(ref, r["departement"])
    radius = r.get("mobility_radius_km")
    if radius is not None and not 0 <= radius <= 1000:
        raise ValidationError(f"mobility_radius_km {radius} is outside [0, 1000]")
    _not_future(r, now, "updated_at", "registered_at", "last_contact_at")


def _exited(r: Record, ref: Referential, now: datetime) -> None:
    _known_rome(ref, r.get("job_rome_code"), "job_rome_code")
    _not_future(r, now, "exited_at")


def _proposed(r: Record, ref: Referential, now: datetime) -> None:
    for name in ("proposal_id", "offer_id", "proposed_by"):
        if not str(r[name]).strip():
            raise ValidationError(f"{name} is empty")
    _not_future(r, now, "proposed_at")


def _erased(r: Record, ref: Referential, now: datetime) -> None:
    for name in ("jobseeker_id", "erasure_id", "requested_by"):
        if not str(r[name]).strip():
            raise ValidationError(f"{name} is empty")
    _not_future(r, now, "requested_at")


def _email(r: Record, ref: Referential, now: datetime) -> None:
    _not_future(r, now, "received_at")


def _feedback(r: Record, ref: Referential, now: datetime) -> None:
    _not_future(r, now, "given_at")


RULES: dict[str, Rule] = {
    "OfferPosted": _offer_posted,
    "OfferClosed": _offer_closed,
    "OfferAged": _offer_aged,
    "JobSeekerProfileUpdated": _profile,
    "JobSeekerExited": _exited,
    "OfferProposed": _proposed,
    "JobSeekerErased": _erased,
    "EmailReceived": _email,
    "AdviserFeedback": _feedback,
}


def _sizes(record: Record) -> None:
    # Every event passes here: a string within the smaller limit (nearly all of them) is
    # settled by one length test, before the field's own limit is looked up.
    for name, value in record.items():
        values = value if value.__class__ is list else (value,)
        for item in values:
            if item.__class__ is not str or len(item) <= MAX_ID_CHARS:
                continue
            if name in LONG_TEXT_FIELDS:
                continue
            limit = MAX_ID_CHARS if name.endswith(("_id", "_code")) else MAX_TEXT_CHARS
            if len(item) > limit:
                raise ValidationError(f"{name} is {len(item)} characters long (at most {limit})")


def check_record(name: str, record: Record, ref: Referential, sent_at: datetime) -> None:
    """Raise ValidationError when ``record`` (of type ``name``) breaks a domain rule."""
    rule = RULES.get(name)
    if rule is None:
        raise ValidationError(f"{name} is not an input event type")
    _sizes(record)
    rule(record, ref, sent_at)
