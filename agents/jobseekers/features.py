"""What the diagnostics keep about a job seeker, and the features the models read.

Two things live here, both pure functions of a ``JobSeekerProfileUpdated`` record:

* :func:`stored_profile`: the profile state kept per job seeker (the profiles table). Only what
  the diagnostics need: occupation, areas, qualification, experience, mobility, declared
  constraints, training, adviser, agency, dates. Never the commune of residence, the labels
  the producer typed, or anything free text.
* :func:`seeker_features`: the model features. Sex, age, nationality, health and disability
  never enter the system; the features also leave out what would stand in for them: the
  ``language`` barrier (nationality), the ``digital`` barrier (age), categories D and E
  (category D also files people on sick leave) and anything dated from birth. The README lists
  every feature and why it is there.

>>> from datetime import date
>>> elapsed_days(date(2026, 1, 1), datetime(2026, 1, 31, 12, tzinfo=UTC))
30.5
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from streams.referential import Referential, Tension

DAY_S = 86_400.0
# Declared barriers an adviser can act on. "language" would proxy nationality and "digital"
# age: never features (they stay in the profile for the adviser, not for the models).
CONSTRAINT_FEATURES = ("childcare", "transport", "housing", "financial", "administrative")
QUALIFICATIONS = tuple("123456789")
# Beyond these the value is a data-quality problem (see quality.py), not information: the
# features are clipped so one mistyped field cannot drag a prediction anywhere.
EXPERIENCE_CAP_MONTHS = 540  # 45 years of working life
MOBILITY_CAP_KM = 200
MOBILITY_REFERENCE_KM = 20.0
# Categories B and C are job seekers with some paid work (activité réduite): information
# about attachment to work. A (none), D (not available: training, sick leave...) and E
# (employed) are not features.
ACTIVITY_CATEGORIES = ("B", "C")

FEATURE_NAMES: tuple[str, ...] = (
    "market_log_ratio",
    "market_unknown",
    "tension_class",
    *(f"qualification_{q}" for q in QUALIFICATIONS),
    "qualification_unknown",
    "experience_log_years",
    "experience_unknown",
    "mobility_log",
    "mobility_unknown",
    *(f"constraint_{c}" for c in CONSTRAINT_FEATURES),
    "training",
    *(f"category_{c}" for c in ACTIVITY_CATEGORIES),
)

PROFILE_FIELDS = (
    "category",
    "rome_code",
    "departement",
    "bassin",
    "qualification_code",
    "experience_months",
    "mobility_radius_km",
    "training_in_progress",
    "adviser_id",
    "agency_id",
)


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def stored_profile(record: Mapping[str, Any]) -> dict[str, Any]:
    """The profile state kept for one job seeker: JSON-friendly, no personal data beyond need."""
    profile = {name: record.get(name) for name in PROFILE_FIELDS}
    profile["constraints"] = sorted(set(record.get("constraints") or ()))
    profile["registered_at"] = _iso(record["registered_at"])
    profile["updated_at"] = _iso(record["updated_at"])
    profile["last_contact_at"] = _iso(record.get("last_contact_at"))
    profile["status"] = "active"
    return profile


def registration_seconds(registered_at: date) -> float:
    """Epoch seconds of a registration date (midnight UTC)."""
    return datetime(
        registered_at.year, registered_at.month, registered_at.day, tzinfo=UTC
    ).timestamp()


def elapsed_days(registered_at: date, when: datetime) -> float:
    """Days registered at ``when`` (never negative: a later registration date is a flag)."""
    return max(0.0, (when.timestamp() - registration_seconds(registered_at)) / DAY_S)


def market_tension(ref: Referential, rome: str, bassin: str | None) -> Tension | None:
    """The 2021 tension of the occupation in the seeker's bassin, when known."""
    return ref.tension(rome, bassin) if bassin else None


def seeker_features(record: Mapping[str, Any], ref: Referential) -> dict[str, float]:
    """The model features of a profile (a record or a stored profile: same field names).

    Sparse: a feature at 0 is left out, River reads a missing key as 0.
    """
    x: dict[str, float] = {}
    tension = market_tension(ref, record["rome_code"], record.get("bassin"))
    if tension is None:
        x["market_unknown"] = 1.0
    else:
        # Offers registered per job seeker in the occupation and bassin (2021), in logs.
        x["market_log_ratio"] = math.log((tension.offers + 1.0) / (tension.jobseekers + 1.0))
        x["tension_class"] = tension.tension_class - 3.0
    qualification = record.get("qualification_code")
    if qualification in QUALIFICATIONS:
        x[f"qualification_{qualification}"] = 1.0
    else:
        x["qualification_unknown"] = 1.0
    experience = record.get("experience_months")
    if experience is None or experience < 0:
        x["experience_unknown"] = 1.0
    else:
        x["experience_log_years"] = math.log1p(min(experience, EXPERIENCE_CAP_MONTHS) / 12.0)
    radius = record.get("mobility_radius_km")
    if radius is None or radius < 0:
        x["mobility_unknown"] = 1.0
    else:
        km = min(max(radius, 1), MOBILITY_CAP_KM)
        x["mobility_log"] = math.log(km / MOBILITY_REFERENCE_KM)
    for constraint in record.get("constraints") or ():
        if constraint in CONSTRAINT_FEATURES:
            x[f"constraint_{constraint}"] = 1.0
    if record.get("training_in_progress"):
        x["training"] = 1.0
    category = record.get("category")
    if category in ACTIVITY_CATEGORIES:
        x[f"category_{category}"] = 1.0
    return {k: v for k, v in x.items() if v != 0.0}


_ZEROS = dict.fromkeys(FEATURE_NAMES, 0.0)


def dense(x: Mapping[str, float]) -> dict[str, float]:
    """Every feature of :data:`FEATURE_NAMES` present (0 when absent), plus ``x``'s others.

    River's StandardScaler updates a feature's mean and variance only when the key is there:
    fed sparse one-hot dicts it would see only the 1s, and standardise every one of them to 0.
    """
    return {**_ZEROS, **x}


def pack(x: Mapping[str, float]) -> array:
    """Features as a compact float32 array in :data:`FEATURE_NAMES` order (for the learner)."""
    return array("f", (x.get(name, 0.0) for name in FEATURE_NAMES))


def unpack(packed: array) -> dict[str, float]:
    """The sparse feature dict of a packed array."""
    return {name: float(v) for name, v in zip(FEATURE_NAMES, packed, strict=True) if v != 0.0}
