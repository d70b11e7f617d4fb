"""Data-quality flags on job-seeker events: what the domain rules accept but cannot be right.

The domain rules (``streams.rules``) dead-letter what is impossible (an unknown ROME code, a
negative radius, a date in the future). These flags catch what is possible but wrong, or
contradicts what Vigie knows of the seeker, and tell the adviser in French what to check:

==========================  ===================================================================
``update_after_exit``       a profile event for a registration that ended in a return to work
``email_after_exit``        an email more than 30 days after a return to work
``stale_profile``           an active seeker whose profile was not updated for 9 months
``registered_after_update`` registration date after the profile's update date
``contact_after_update``    last contact dated after the update that reports it
``experience_implausible``  more than 45 years of experience in the occupation, or negative
``mobility_absurd``         a mobility radius below 0 or above 200 km
``training_category``       in training yet filed in category A, B or C (training means D)
``rome_label_v3``           the occupation still carries its ROME v3 label: the code was
                            redefined by ROME 4, and split when ROME 4 has codes under it
==========================  ===================================================================

Category D without a training is never flagged: it also files people on sick leave, and a flag
would point at their health.

>>> [f.code for f in profile_flags({"experience_months": 900, "mobility_radius_km": 20}, None)]
['experience_implausible']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from agents.jobseekers.features import EXPERIENCE_CAP_MONTHS, MOBILITY_CAP_KM
from streams.referential import Referential

STALE_PROFILE_DAYS = 270
EMAIL_AFTER_EXIT_GRACE_DAYS = 30  # thanks and last papers after a new job are normal
CONTACT_SKEW = timedelta(minutes=10)  # as streams.rules.CLOCK_SKEW
AVAILABLE_CATEGORIES = ("A", "B", "C")
MAX_CHILDREN_LISTED = 4


@dataclass(frozen=True, slots=True)
class Flag:
    """One data-quality problem, with its French explanation and the figures behind it."""

    code: str
    message: str
    value: float | None = None
    reference: float | None = None


def _date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _days(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 86_400.0


def after_exit_flag(previous: Mapping[str, Any] | None, record: Mapping[str, Any]) -> Flag | None:
    """A profile event for a registration that already ended in a return to work."""
    if not previous or previous.get("status") != "exited":
        return None
    if previous.get("exit_reason") != "back_to_work":
        return None
    exited = _datetime(previous.get("exited_at"))
    registered = _date(record.get("registered_at"))
    if exited is None or (registered is not None and registered > exited.date()):
        return None  # a new registration after the job ended: legitimate
    days = _days(record["updated_at"], exited)
    return Flag(
        "update_after_exit",
        f"Profil mis à jour {days:.0f} jours après une sortie pour reprise d'emploi "
        f"(le {exited.date():%d/%m/%Y}) : la sortie ou la mise à jour est erronée.",
        round(days, 1),
    )


def stale_flag(previous: Mapping[str, Any] | None, now: datetime) -> Flag | None:
    """An active seeker whose profile had not been updated for months."""
    if not previous or previous.get("status") != "active":
        return None
    updated = _datetime(previous.get("updated_at"))
    if updated is None:
        return None
    days = _days(now, updated)
    if days <= STALE_PROFILE_DAYS:
        return None
    return Flag(
        "stale_profile",
        f"Profil sans mise à jour depuis {days / 30.44:.0f} mois (le {updated.date():%d/%m/%Y}) "
        "alors que la personne est toujours inscrite : le vérifier avec elle.",
        round(days, 1),
        float(STALE_PROFILE_DAYS),
    )


def _field_flags(record: Mapping[str, Any]) -> list[Flag]:
    flags: list[Flag] = []
    updated = _datetime(record.get("updated_at"))
    registered = _date(record.get("registered_at"))
    if updated is not None and registered is not None and registered > updated.date():
        flags.append(
            Flag(
                "registered_after_update",
                f"Date d'inscription ({registered:%d/%m/%Y}) postérieure à la mise à jour du "
                f"profil ({updated.date():%d/%m/%Y}).",
            )
        )
    contact = _datetime(record.get("last_contact_at"))
    if updated is not None and contact is not None and contact > updated + CONTACT_SKEW:
        flags.append(
            Flag(
                "contact_after_update",
                f"Dernier contact daté du {contact.date():%d/%m/%Y}, après la mise à jour qui "
                f"le rapporte ({updated.date():%d/%m/%Y}).",
            )
        )
    experience = record.get("experience_months")
    if experience is not None and not 0 <= experience <= EXPERIENCE_CAP_MONTHS:
        flags.append(
            Flag(
                "experience_implausible",
                f"Expérience déclarée dans le métier : {experience} mois, soit "
                f"{experience / 12:.0f} ans : saisie en années plutôt qu'en mois, ou valeur "
                f"par défaut ? (au plus {EXPERIENCE_CAP_MONTHS // 12} ans attendus)",
                float(experience),
                float(EXPERIENCE_CAP_MONTHS),
            )
        )
    radius = record.get("mobility_radius_km")
    if radius is not None and not 0 <= radius <= MOBILITY_CAP_KM:
        flags.append(
            Flag(
                "mobility_absurd",
                f"Rayon de mobilité de {radius} km : au-delà de {MOBILITY_CAP_KM} km, ce n'est "
                "plus un trajet quotidien ; valeur par défaut ou erreur de saisie ?",
                float(radius),
                float(MOBILITY_CAP_KM),
            )
        )
    category = record.get("category")
    if record.get("training_in_progress") and category in AVAILABLE_CATEGORIES:
        flags.append(
            Flag(
                "training_category",
                f"Formation en cours, mais inscription en catégorie {category} (disponible "
                "immédiatement) : une personne en formation relève de la catégorie D.",
            )
        )
    return flags


def _rome_flag(record: Mapping[str, Any], ref: Referential) -> Flag | None:
    code, label = record["rome_code"], record.get("rome_label")
    v3_label = ref.rome_v3_label(code)
    if not label or v3_label is None or label != v3_label or label == ref.rome_label(code):
        return None
    children = ref.rome_children(code)
    text = (
        f"Métier codé {code} avec son libellé du ROME v3 (« {v3_label} ») : le ROME 4 l'a "
        f"redéfini en « {ref.rome_label(code)} »"
    )
    if children:
        listed = ", ".join(f"{c} {ref.rome_label(c)}" for c in children[:MAX_CHILDREN_LISTED])
        more = (
            f" et {len(children) - MAX_CHILDREN_LISTED} autres"
            if len(children) > MAX_CHILDREN_LISTED
            else ""
        )
        text += f" et en a détaché {len(children)} métiers ({listed}{more}) : préciser le code."
    else:
        text += " : vérifier que le code correspond toujours au métier recherché."
    return Flag("rome_label_v3", text, float(len(children)))


def profile_flags(
    record: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
    ref: Referential | None = None,
) -> list[Flag]:
    """Every flag a profile event raises, given the seeker's stored profile before it."""
    flags = [f for f in (after_exit_flag(previous, record),) if f is not None]
    updated = _datetime(record.get("updated_at"))
    if updated is not None:
        stale = stale_flag(previous, updated)
        if stale is not None:
            flags.append(stale)
    flags.extend(_field_flags(record))
    if ref is not None:
        rome = _rome_flag(record, ref)
        if rome is not None:
            flags.append(rome)
    return flags


def email_flags(profile: Mapping[str, Any] | None, received_at: datetime) -> list[Flag]:
    """Flags an email raises: from a seeker back at work for a while, or with a stale profile."""
    if not profile:
        return []
    if profile.get("status") == "exited" and profile.get("exit_reason") == "back_to_work":
        exited = _datetime(profile.get("exited_at"))
        if exited is not None and _days(received_at, exited) > EMAIL_AFTER_EXIT_GRACE_DAYS:
            days = _days(received_at, exited)
            return [
                Flag(
                    "email_after_exit",
                    f"Courriel reçu {days:.0f} jours après une sortie pour reprise d'emploi "
                    f"(le {exited.date():%d/%m/%Y}) : la personne est-elle de nouveau en "
                    "recherche ? Sinon, la sortie est à vérifier.",
                    round(days, 1),
                    float(EMAIL_AFTER_EXIT_GRACE_DAYS),
                )
            ]
        return []
    stale = stale_flag(profile, received_at)
    return [stale] if stale is not None else []
