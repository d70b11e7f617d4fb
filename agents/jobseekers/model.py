"""The learnt state of the job-seeker diagnostics: one model of the shared model store.

``jobseeker-diagnostic`` (:class:`JobSeekerDiagnostic`) learns from every profile update and
every exit (the learning examples are the input records themselves). It holds

* the **spells** of the seekers it follows: registration time, the features as they were at the
  last profile event, the day it last learnt them still searching, and the long-term
  **landmarks** still waiting for their outcome;
* the **duration model** (``survival.py``) and, to measure it against, the same model with no
  feature (time registered alone);
* the **long-term classifier** (``risk.py``).

One object on purpose, as in the offers use case: an exit is learnt from the features the
spell kept, and a landmark from the features it stored; separate snapshots taken at different
moments could restore a classifier whose pending outcomes another snapshot already dropped.

Scoring workers read a snapshot (a view) through :meth:`JobSeekerDiagnostic.estimate` only;
the single learner calls :meth:`observe_profile` and :meth:`observe_exit`.

>>> state = make_jobseeker_diagnostic()
>>> state.observe_profile("DE1", registered=0.0, t=10 * DAY_S, x={"training": 1.0})
>>> len(state.spells), state.estimate({"training": 1.0}, 10.0).elapsed_days
(1, 10.0)
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agents.jobseekers.features import DAY_S, pack, unpack
from agents.jobseekers.risk import HORIZON_DAYS, LongTermModel
from agents.jobseekers.survival import DurationModel

MODEL_NAME = "jobseeker-diagnostic"
# A landmark (a long-term example) is kept when a seeker is first seen, then at the first
# profile event at least this many days after the previous one: a few examples per spell,
# spread over the year, instead of one per update.
LANDMARK_EVERY_DAYS = 120.0
MAX_LANDMARKS = 3
# Until the classifier has learnt this many outcomes, the served long-term risk is the duration
# model's P(T >= 365 | T > d); until the duration model has this many returns, neither serves.
MIN_OUTCOMES = 200
MIN_RETURNS = 200
QUARTILES = (0.25, 0.5, 0.75)


@dataclass(slots=True)
class Landmark:
    """A long-term example waiting for the 365th day of its spell."""

    elapsed: float
    features: array
    p_served: float
    p_survival: float


@dataclass(slots=True)
class Spell:
    """One registration of one seeker, as the learner follows it."""

    registered: float  # epoch seconds of the registration date
    features: array  # as they were at the last profile event
    checkpoint: float  # days registered when last learnt still searching
    seen_at: float  # days registered at the last profile event
    landmarks: list[Landmark] = field(default_factory=list)
    exited: bool = False


@dataclass(frozen=True, slots=True)
class Estimate:
    """What the diagnostic model says about one seeker now (read-only, from a view)."""

    elapsed_days: float
    median_days: float | None  # total length of the search, median given elapsed
    low_days: float | None  # first quartile
    high_days: float | None  # third quartile
    p_long_term: float | None  # served risk
    risk_source: str  # "model", "duration" (classifier not ready), "" (nothing ready)
    p_survival: float  # the duration model's P(T >= 365 | T > elapsed)
    already_long_term: bool

    @property
    def remaining_days(self) -> float | None:
        """Median days still to search."""
        return None if self.median_days is None else self.median_days - self.elapsed_days


class JobSeekerDiagnostic:
    """Spells, duration model, long-term classifier: one consistent learner."""

    def __init__(self) -> None:
        self.spells: dict[str, Spell] = {}
        self._due: list[tuple[float, str]] = []  # (365th day of a spell, seeker id)
        self.duration = DurationModel()
        self.duration_baseline = DurationModel()  # no feature: time registered alone
        self.long_term = LongTermModel()
        self.exits: dict[str, int] = {}
        self.first_seen_late = 0  # spells first seen after their first week (left-truncated)
        self.updates_after_exit = 0
        self.exits_unknown = 0
        self.spells_replaced = 0  # a new registration without the previous one's exit
        self.clock = 0.0

    # Serving ----------------------------------------------------------------------------------

    def estimate(self, x: Mapping[str, float], elapsed: float) -> Estimate:
        """The diagnostic for features ``x`` after ``elapsed`` days registered (no learning)."""
        duration = self.duration
        mu = duration.mu(x)  # standardised and scored once for the four figures below
        p_survival = duration.p_beyond(x, elapsed, HORIZON_DAYS, mu=mu)
        already = elapsed >= HORIZON_DAYS
        if duration.returns < MIN_RETURNS:
            return Estimate(elapsed, None, None, None, None, "", p_survival, already)
        low, median, high = (duration.quantile_days(x, elapsed, q, mu=mu) for q in QUARTILES)
        if already:
            p, source = 1.0, "model"
        elif self.long_term.n_outcomes >= MIN_OUTCOMES:
            p = self.long_term.probability(self.long_term.features(elapsed, p_survival))
            source = "model"
        else:
            p, source = p_survival, "duration"
        return Estimate(elapsed, median, low, high, p, source, p_survival, already)

    # Learning ---------------------------------------------------------------------------------

    def observe_profile(self, jobseeker_id: str, *, registered: float, t: float, x: dict) -> None:
        """Learn a profile event at ``t`` (epoch s) of a registration at ``registered`` (epoch s).

        Also the long-term outcomes that came due by ``t``.
        """
        self._advance(t)
        elapsed = max(0.0, (t - registered) / DAY_S)
        spell = self.spells.get(jobseeker_id)
        if spell is not None and spell.registered != registered:
            if spell.exited and registered < spell.registered:
                self.updates_after_exit += 1
                return
            if not spell.exited:
                self.spells_replaced += 1
            spell = None  # a new registration: a new spell (the old one's landmarks are dropped)
        if spell is not None and spell.exited:
            self.updates_after_exit += 1  # same registration, after its exit: a defect
            return
        if spell is None:
            spell = self._open(jobseeker_id, registered, elapsed, x)
        else:
            # The seeker searched from the last checkpoint until now with the previous features.
            previous = unpack(spell.features)
            self.duration.learn_survival(previous, spell.checkpoint, elapsed)
            self.duration_baseline.learn_survival({}, spell.checkpoint, elapsed)
            spell.checkpoint = max(spell.checkpoint, elapsed)
        spell.features = pack(x)
        spell.seen_at = elapsed
        self._maybe_landmark(spell, elapsed, x)

    def _open(self, jobseeker_id: str, registered: float, elapsed: float, x: dict) -> Spell:
        spell = Spell(registered, pack(x), elapsed, elapsed)
        self.spells[jobseeker_id] = spell
        if elapsed > 7.0:
            self.first_seen_late += 1
        due = registered + HORIZON_DAYS * DAY_S
        if due > self.clock:
            heapq.heappush(self._due, (due, jobseeker_id))
        return spell

    def _maybe_landmark(self, spell: Spell, elapsed: float, x: dict) -> None:
        if elapsed >= HORIZON_DAYS or len(spell.landmarks) >= MAX_LANDMARKS:
            return
        if spell.landmarks and elapsed - spell.landmarks[-1].elapsed < LANDMARK_EVERY_DAYS:
            return
        if (spell.registered + HORIZON_DAYS * DAY_S) <= self.clock:
            return
        served = self.estimate(x, elapsed)
        p_served = served.p_long_term if served.p_long_term is not None else served.p_survival
        spell.landmarks.append(Landmark(elapsed, pack(x), p_served, served.p_survival))

    def observe_exit(self, jobseeker_id: str, *, t: float, reason: str) -> None:
        """Learn from an exit at ``t``: a return to work, or a right-censored spell."""
        self._advance(t)
        self.exits[reason] = self.exits.get(reason, 0) + 1
        spell = self.spells.get(jobseeker_id)
        if spell is None or spell.exited:
            self.exits_unknown += 1
            return
        duration = max(1.0, (t - spell.registered) / DAY_S)
        x = unpack(spell.features)
        returned = reason == "back_to_work"
        if returned and self.duration.returns >= MIN_RETURNS:
            # Prequential: the estimate the adviser last saw, scored before learning the exit.
            self.duration.score_return(self.duration.median_days(x, spell.seen_at), duration)
            self.duration_baseline.score_return(
                self.duration_baseline.median_days({}, spell.seen_at), duration
            )
        start = min(spell.checkpoint, duration)
        self.duration.learn_exit(x, start=start, duration=duration, returned=returned)
        self.duration_baseline.learn_exit({}, start=start, duration=duration, returned=returned)
        spell.exited = True
        spell.features = array("f")
        if not spell.landmarks:
            del self.spells[jobseeker_id]

    def forget(self, jobseeker_id: str) -> bool:
        """Drop everything kept of one person (an erasure): their spell, landmarks, due date.

        What they already taught the shared regressions stays, as in any trained model: it
        holds no record of them. Returns True when something was held.
        """
        held = self.spells.pop(jobseeker_id, None) is not None
        due = [entry for entry in self._due if entry[1] != jobseeker_id]
        if len(due) != len(self._due):
            heapq.heapify(due)
            self._due, held = due, True
        return held

    def _advance(self, t: float) -> None:
        """Move the clock to ``t`` and learn the landmarks whose 365th day has come."""
        self.clock = max(self.clock, t)
        due = self._due
        while due and due[0][0] <= self.clock:
            due_at, jobseeker_id = heapq.heappop(due)
            spell = self.spells.get(jobseeker_id)
            if spell is None or spell.registered + HORIZON_DAYS * DAY_S != due_at:
                continue  # replaced by a newer registration since
            for mark in spell.landmarks:
                # Read by today's duration model, as a served risk is (see risk.py).
                p_now = self.duration.p_beyond(unpack(mark.features), mark.elapsed, HORIZON_DAYS)
                x = self.long_term.features(mark.elapsed, p_now)
                self.long_term.learn(
                    x, not spell.exited, p_served=mark.p_served, p_survival=mark.p_survival
                )
            spell.landmarks.clear()
            if spell.exited:
                del self.spells[jobseeker_id]

    def summary(self) -> dict[str, Any]:
        """Online metrics and sizes for snapshot metadata and the Redis model hash."""
        return {
            "duration": self.duration.summary(),
            "duration_time_only": self.duration_baseline.summary(),
            "long_term": self.long_term.summary(),
            "spells": len(self.spells),
            "pending_landmarks": sum(len(s.landmarks) for s in self.spells.values()),
            "exits": dict(sorted(self.exits.items())),
            "first_seen_late": self.first_seen_late,
            "updates_after_exit": self.updates_after_exit,
            "exits_unknown": self.exits_unknown,
            "spells_replaced": self.spells_replaced,
        }


def make_jobseeker_diagnostic() -> JobSeekerDiagnostic:
    """A fresh, empty diagnostic model."""
    return JobSeekerDiagnostic()
