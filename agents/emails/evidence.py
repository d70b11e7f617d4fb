"""What the urgency rules saw, fired or not, as features of the learnt urgency model.

The rules (:mod:`agents.emails.urgency`) decide alone when they fire. But what they read on the
way is worth more than their yes or no: a keyword that a guard then silenced (« l'an dernier
j'ai failli être expulsé »), a writer who confirms tomorrow's appointment, a deregistration
that is only a question, another income named. Without these, the learnt model saw « demain »
and « rendez-vous » and learnt that they are urgent; with them, it learns that « je serai là
demain » is not. Each tag becomes one hashed bucket (``#ev=<tag>``) of the urgency model's
input, beside the rules that fired (``#ev=rule:<name>``); :mod:`agents.emails.features` hashes
them, as it does the sense features of :mod:`agents.emails.semantics`.

On the development set's training half (4-fold cross-validation), adding these tags took the
urgency model's ROC AUC from 0.977 to 0.987 and, with the threshold moved from 0.40 to 0.25,
urgent recall with the rules from 0.979 to 0.987 and precision from 0.871 to 0.856 -> see the
README's email figures for the measure on the frozen sets.

Everything here is a fixed, finite vocabulary of tags (:func:`all_evidence_features`): no word
of the email leaves this module, and the intent models leave these buckets out (they describe
urgency, not requests).

>>> from datetime import datetime, UTC
>>> from agents.emails.features import normalise
>>> received = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
>>> text = normalise("Je serai bien présente demain à 10h pour le rendez-vous")
>>> tags = urgency_evidence(text, received)
>>> "confirmed" in tags, "appt:d1" in tags
(True, True)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import cache

from agents.emails.facts import DateMention, find_dates, local, writers_day
from agents.emails.urgency import (
    _APPOINTMENT,
    _CALM,
    _CANNOT_COME,
    _CONFIRMED,
    _DEADLINE,
    _DEREGISTRATION,
    _FAR,
    _HYPOTHETICAL,
    _MUST_MOVE,
    _NO_INCOME,
    _NOT_MINE,
    _NOTIFIED,
    _OTHER_INCOME,
    _PAST_CRISIS,
    _PAYMENT_STOPPED,
    _RESOLVED,
    _STRONG_NO_INCOME,
    _THREAT_HINTS,
    KEYWORD_RULES,
    UrgencyHit,
    _guarded,
    _sentences_with,
    urgency_rules,
)

# Context the rules read, by the name of its tag.
_CONTEXT = {
    "calm": _CALM,
    "not_mine": _NOT_MINE,
    "hypothetical": _HYPOTHETICAL,
    "other_income": _OTHER_INCOME,
    "no_income": _NO_INCOME,
    "strong_no_income": _STRONG_NO_INCOME,
    "stopped": _PAYMENT_STOPPED,
    "dereg": _DEREGISTRATION,
    "notified": _NOTIFIED,
    "confirmed": _CONFIRMED,
    "cannot_come": _CANNOT_COME,
    "must_move": _MUST_MOVE,
    "far": _FAR,
    "past_crisis": _PAST_CRISIS,
    "resolved": _RESOLVED,
}
_RULES = (*(r.rule for r in KEYWORD_RULES), "perte_droits", "rdv_48h", "echeance")
_WHEN = ("d0", "d1", "d2", "later")


def _when(days: int) -> str:
    return _WHEN[min(days, 3)]


def urgency_evidence(
    norm: str, received_at: datetime, dates: list[DateMention] | None = None
) -> list[str]:
    """The tags of the module docstring for normalised text ``norm`` received at ``received_at``."""
    tags: set[str] = set()
    for rule in KEYWORD_RULES:
        if rule.pattern.search(norm):
            tags.add(f"kw:{rule.rule}")
            if _guarded(rule.rule, norm):
                tags.add(f"guarded:{rule.rule}")
    hints = sum(p.search(norm) is not None for p in _THREAT_HINTS)
    if hints:
        tags.add(f"threat_hints:{min(hints, 2)}")
    tags.update(name for name, pattern in _CONTEXT.items() if pattern.search(norm))
    if dates is None:
        dates = find_dates(norm, received_at)
    today = writers_day(local(received_at))
    for sentence, inside in _sentences_with(norm, dates):
        for d in inside:
            days = (d.day - today).days
            if days < 0:
                continue
            when = _when(days)
            tags.add(f"date:{when}")
            if _APPOINTMENT.search(sentence):
                tags.add(f"appt:{when}")
            if _DEADLINE.search(sentence):
                tags.add(f"deadline:{when}")
    return sorted(tags)


def rules_and_evidence(
    norm: str, received_at: datetime, dates: list[DateMention] | None = None
) -> tuple[list[UrgencyHit], list[str]]:
    """The rules that fire on ``norm``, and the evidence features of the urgency model.

    Triage and the warm start both call it, so the model learns what it will be shown.
    """
    if dates is None:
        dates = find_dates(norm, received_at)
    hits = urgency_rules(norm, received_at, dates)
    return hits, evidence_features(urgency_evidence(norm, received_at, dates), hits)


def evidence_features(tags: Iterable[str], hits: Iterable[UrgencyHit] = ()) -> list[str]:
    """The features of ``tags`` and of the rules that fired (``hits``), as strings to hash."""
    return [f"#ev={t}" for t in (*tags, *(f"rule:{h.rule}" for h in hits))]


@cache
def all_evidence_features() -> tuple[str, ...]:
    """Every feature :func:`evidence_features` can give (the intent models leave them out)."""
    tags = [f"{kind}:{r}" for kind in ("kw", "guarded", "rule") for r in _RULES]
    tags += ["threat_hints:1", "threat_hints:2", *_CONTEXT]
    tags += [f"{kind}:{w}" for kind in ("date", "appt", "deadline") for w in _WHEN]
    return tuple(evidence_features(tags))
