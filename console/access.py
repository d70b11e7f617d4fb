"""Who may see what: an adviser their portfolio, an area team its area, operators everything.

Every check returns a bool; the routes turn a refusal into a 403 and count it
(``vigie_console_forbidden_total``). The checks read the ids the worker stored with each
entity (the adviser of a job seeker or an email, the département of an offer), never a list
the client sent.
"""

from __future__ import annotations

from collections.abc import Mapping

from console.auth import Identity

# An area team works with employers: offers and the area's alerts, not job seekers' emails.
EMAIL_ROLES = frozenset({"adviser", "operator"})
OFFER_ROLES = frozenset({"area", "operator"})


def default_audience(who: Identity) -> tuple[str, str] | None:
    """The alert stream a user follows by default; None is every alert (operators)."""
    if who.role == "adviser":
        return ("adviser", who.sub)
    if who.role == "area":
        return ("area", who.area)
    return None


def may_read_audience(who: Identity, audience: tuple[str, str] | None) -> bool:
    """True when ``who`` may read the alert stream of ``audience`` (None: every alert)."""
    if who.role == "operator":
        return True
    return audience == default_audience(who)


def may_see_jobseeker(who: Identity, state: Mapping[str, str]) -> bool:
    """An adviser sees the job seekers they follow, an area team those of its département."""
    if who.role == "operator":
        return True
    if who.role == "adviser":
        return bool(state.get("adviser_id")) and state.get("adviser_id") == who.sub
    return bool(state.get("departement")) and state.get("departement") == who.area


def may_see_email(who: Identity, state: Mapping[str, str]) -> bool:
    """An email's triage belongs to the job seeker's adviser (and operators)."""
    if who.role == "operator":
        return True
    if who.role != "adviser":
        return False
    return bool(state.get("adviser_id")) and state.get("adviser_id") == who.sub


def may_see_offer(who: Identity, state: Mapping[str, str]) -> bool:
    """An offer belongs to the employer-relations team of its département (and operators)."""
    if who.role == "operator":
        return True
    if who.role != "area":
        return False
    return bool(state.get("departement")) and state.get("departement") == who.area
