"""Deterministic agency traffic: offers, job seekers and their emails on a simulated clock.

:func:`simulate` yields :class:`SimEvent` s in time order. Spontaneous events (an offer posted, a
profile created or updated, an email received) arrive as a Poisson process of
``SimConfig.spontaneous_per_day`` events a simulated day, their type drawn with the configured
weights. Each posted offer schedules its closure and each registered job seeker their exit, at
times decided by :mod:`streams.simulator.dynamics`; both wait in a heap and come out when the
clock reaches them. So an offer is closed only after it was posted, and a job seeker exits or
writes only after their first profile event (their registration in the stream). Scheduled
events come on top of the spontaneous ones: in steady state about as many offers close as are
posted, so with the default weights the realised mix is about 29 % offers posted, 27 % closed,
25 % profile events, 16 % emails and 3 % exits, some 430 events a simulated day.

Every draw comes from one ``random.Random(seed)`` (and per-ROME / per-département generators
seeded from it), iteration orders are sorted, the clock starts at a fixed date: the same seed
gives the same sequence, byte for byte. ``SimEvent.truth`` holds the hidden ground truth (true
P(hard to fill), fill time, urgency...) for evaluation and tests; it is never published.
"""

from __future__ import annotations

import heapq
import logging
import math
import random
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from streams.simulator import dynamics, market
from streams.simulator.emails import compose_email, person_name
from streams.simulator.world import Bassin, Place, World

if TYPE_CHECKING:
    from streams.referential import Referential

logger = logging.getLogger(__name__)

RECORD_NAMES = (
    "OfferPosted",
    "OfferClosed",
    "JobSeekerProfileUpdated",
    "JobSeekerExited",
    "EmailReceived",
    "AdviserFeedback",
)
DEFAULT_START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
SOURCE = "simulator"
DAY_S = 86_400.0
MONTH_S = 30.44 * DAY_S
UNKNOWN_ROME = "Z9999"
INVALID_REASONS = ("unknown_rome", "negative_salary", "future_date")

# Observable behaviour of the population (the hidden effects are in dynamics).
CATEGORY_WEIGHTS = (("A", 0.68), ("B", 0.14), ("C", 0.18))
TRAINING_CATEGORY = "D"
MOBILITY_KM = (5, 10, 15, 20, 30, 50, 100)
CONSTRAINT_P = (("childcare", 0.12), ("transport", 0.15), ("housing", 0.05))
TRAINING_AT_REGISTRATION_P = 0.06
NO_EXPERIENCE_P = 0.18
MEAN_EXPERIENCE_MONTHS = 60.0
PROFILE_CHANGES = (
    ("contact", 0.45),
    ("mobility", 0.12),
    ("constraints", 0.10),
    ("training", 0.08),
    ("category", 0.08),
    ("experience", 0.10),
    ("adviser", 0.07),
)
EXPERIENCE_DEMANDED = (("D", 0.55), ("S", 0.15), ("E", 0.30))
EXPERIENCE_DEMANDED_SKILLED = (("D", 0.30), ("S", 0.20), ("E", 0.50))
EXPERIENCE_MONTHS_DEMANDED = (6, 12, 12, 24, 24, 36, 60)
ANONYMOUS_EMPLOYER_P = 0.12
POSITIONS = (1,) * 17 + (2, 2, 3)


@dataclass(frozen=True)
class SimConfig:
    """Knobs of a simulation run.

    The three weights are relative frequencies of the *spontaneous* events; closures and exits
    are scheduled by the dynamics and come on top. ``jobseekers`` is the active population the
    register tends to (new registrations slow down as it fills up); ``invalid_share`` of all
    events break a domain rule on purpose (``truth["invalid"]`` says which) for dead-letter tests.
    ``jobseeker_defects`` is the share of profile events carrying a data-quality defect that the
    domain rules accept (``truth["defect"]`` says which, see ``dynamics.sample_defect``), and
    the chance that a return to work is followed by a stray profile update; off by default, so
    a run without it is the same as before it existed.
    """

    offers_posted: float = 0.35
    profile_updates: float = 0.30
    emails: float = 0.20
    adviser_feedback: float = 0.0  # hook: AdviserFeedback is not generated yet, must stay 0
    spontaneous_per_day: float = 300.0
    jobseekers: int = 5_000
    advisers: int = 1_500
    invalid_share: float = 0.0
    jobseeker_defects: float = 0.0
    # Offers proposed to job seekers (OfferProposed), per offer posted on average, a few days
    # after posting; ``bad_proposal_share`` of them should not happen (``truth["bad"]`` says
    # why). Off by default, drawn from their own generator: a run without them is unchanged.
    proposals_per_offer: float = 0.0
    bad_proposal_share: float = 0.1

    def __post_init__(self) -> None:
        weights = (self.offers_posted, self.profile_updates, self.emails)
        if min(weights) < 0 or sum(weights) <= 0:
            raise ValueError("event weights must be >= 0 and not all 0")
        if self.adviser_feedback != 0.0:
            raise ValueError("AdviserFeedback generation is not implemented yet")
        if self.spontaneous_per_day <= 0 or self.jobseekers < 1 or self.advisers < 1:
            raise ValueError("spontaneous_per_day, jobseekers and advisers must be positive")
        if not 0.0 <= self.invalid_share < 1.0:
            raise ValueError("invalid_share must be in [0, 1)")
        if not 0.0 <= self.jobseeker_defects < 1.0:
            raise ValueError("jobseeker_defects must be in [0, 1)")
        if self.proposals_per_offer < 0 or not 0.0 <= self.bad_proposal_share <= 1.0:
            raise ValueError("proposals_per_offer must be >= 0, bad_proposal_share in [0, 1]")


@dataclass(frozen=True, slots=True)
class SimEvent:
    """One simulated event: its record (as published), key, time and hidden ground truth."""

    record_name: str
    key: str
    record: dict[str, Any]
    timestamp: datetime
    truth: dict[str, Any]


@dataclass(slots=True)
class _Seeker:
    jobseeker_id: str
    number: int
    registered_at: datetime
    category: str
    rome: str
    rome_label: str
    bassin: Bassin
    place: Place
    qualification: str
    experience_months: int
    mobility_radius_km: int
    constraints: list[str]
    training: bool
    adviser_id: str
    last_contact_at: datetime | None
    market_offers: int
    market_jobseekers: int
    mu: float = 0.0
    exit_t: float = 0.0
    version: int = 0
    slot: int = -1


@dataclass(frozen=True, slots=True)
class _StrayUpdate:
    seeker: _Seeker  # back at work, yet an agency system still sends their profile


@dataclass(frozen=True, slots=True)
class _Exit:
    seeker: _Seeker
    version: int  # stale once the seeker's exit was rescheduled


@dataclass(frozen=True, slots=True)
class _Proposal:
    offer_id: str


@dataclass(frozen=True, slots=True)
class _Closure:
    offer_id: str
    posted_t: float
    posted_at: datetime
    fate: dynamics.OfferFate
    positions: int


def simulate(
    seed: int,
    events: int,
    *,
    start: datetime | None = None,
    referential: Referential | None = None,
    config: SimConfig | None = None,
) -> Iterator[SimEvent]:
    """``events`` simulated events of agency traffic, in time order, deterministic in ``seed``.

    ``start`` (timezone-aware, default 2026-01-05 08:00 UTC) is when the simulated clock starts;
    ``referential`` defaults to the one of ``VIGIE_DATA_DIR``.
    """
    if events < 0:
        raise ValueError("events must be >= 0")
    start = DEFAULT_START if start is None else start
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if referential is None:
        from streams.referential import load_referential
        from streams.settings import load_settings

        referential = load_referential(load_settings().data_dir)
    simulation = _Simulation(seed, start.astimezone(UTC), referential, config or SimConfig())
    return simulation.run(events)


def _event_id(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


class _Simulation:
    """State of one run: the clock, the heap of scheduled events, the active population."""

    def __init__(self, seed: int, start: datetime, ref: Referential, config: SimConfig) -> None:
        self.rng = random.Random(seed)
        self.config = config
        self.start = start
        self.world = World(ref, seed, config.advisers)
        self.t = 0.0
        self.now = start
        self.heap: list[tuple[float, int, object]] = []
        self.seq = 0
        self.active: list[_Seeker] = []
        self.offers = 0
        self.seekers = 0
        self.emails = 0
        self.emitted = 0
        self.invalid = 0
        self.requirement_profiles: dict[str, str] = {}
        self.employer_rngs: dict[str, random.Random] = {}
        # Defects draw from their own generator: turning them on moves no other draw.
        self.defect_rng = random.Random(f"{seed}:defects")
        # Proposals too; they follow offers (rome, bassin) and seekers the run already has.
        self.proposal_rng = random.Random(f"{seed}:proposals")
        self.open_offers: dict[str, tuple[str, str]] = {}  # offer id -> (rome, bassin)
        self.closed_offers: deque[tuple[str, str, str]] = deque(maxlen=500)
        self.exited: deque[_Seeker] = deque(maxlen=500)
        self.proposed: deque[tuple[_Seeker, str]] = deque(maxlen=500)
        self.proposals = 0
        total = config.offers_posted + config.profile_updates + config.emails
        self.p_offer = config.offers_posted / total
        self.p_profile = self.p_offer + config.profile_updates / total

    # Clock ------------------------------------------------------------------------------------

    def run(self, events: int) -> Iterator[SimEvent]:
        rng, heap = self.rng, self.heap
        rate = self.config.spontaneous_per_day / DAY_S
        next_t = rng.expovariate(rate)
        while self.emitted < events:
            if heap and heap[0][0] <= next_t:
                t, _, item = heapq.heappop(heap)
                event = self._scheduled(t, item)
                if event is None:
                    continue  # an exit rescheduled since
            else:
                self._tick(next_t)
                next_t += rng.expovariate(rate)
                event = self._spontaneous()
            self.emitted += 1
            yield event
        logger.debug(
            "simulation done events=%d offers=%d seekers=%d emails=%d invalid=%d active=%d",
            self.emitted, self.offers, self.seekers, self.emails, self.invalid, len(self.active),
        )  # fmt: skip

    def _at(self, t: float) -> datetime:
        # Millisecond precision, like Avro's timestamp-millis: records survive a round trip.
        return self.start + timedelta(milliseconds=round(t * 1000.0))

    def _tick(self, t: float) -> None:
        self.t = t
        self.now = self._at(t)

    def _schedule(self, t: float, item: object) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, item))

    def _scheduled(self, t: float, item: object) -> SimEvent | None:
        if isinstance(item, _Closure):
            self._tick(t)
            return self._closure(item)
        if isinstance(item, _StrayUpdate):
            self._tick(t)
            return self._stray_update(item.seeker)
        if isinstance(item, _Proposal):
            self._tick(t)
            return self._proposal(item.offer_id)
        assert isinstance(item, _Exit)
        if item.version != item.seeker.version:
            return None
        self._tick(t)
        return self._exit(item.seeker)

    def _spontaneous(self) -> SimEvent:
        rng = self.rng
        share = self.config.invalid_share
        # Error diffusion: the invalid count tracks share x emitted within one event.
        if share and rng.random() < share * (self.emitted + 1) - self.invalid:
            self.invalid += 1
            return self._invalid()
        draw = rng.random()
        if draw < self.p_offer:
            return self._offer()
        if draw < self.p_profile or not self.active:
            return self._profile()
        return self._email()

    # Offers -----------------------------------------------------------------------------------

    def _draft_offer(self) -> tuple[dict[str, Any], dict[str, Any], dynamics.OfferFate]:
        rng, world = self.rng, self.world
        pair = world.offer_pair(rng)
        rome, bassin = world.rome(pair.rome), world.bassin(pair.bassin)
        place = bassin.places[rng.randrange(len(bassin.places))]
        contract, duration = market.sample_contract(rng, rome.domain)
        employer = world.employer(rng, bassin, "interim" if contract == "MIS" else rome.domain)
        hours = market.sample_weekly_hours(rng, rome.domain)
        full_time = hours >= market.FULL_TIME_HOURS
        qualification = market.sample_qualification(rng, rome.domain, rome.typical_qualification)
        skilled = qualification >= "7"
        required = market.weighted(
            rng, EXPERIENCE_DEMANDED_SKILLED if skilled else EXPERIENCE_DEMANDED
        )
        months = None if required == "D" else rng.choice(EXPERIENCE_MONTHS_DEMANDED)
        requirements = self._requirement_profile(employer.employer_id)
        if requirements == "demanding":
            qualification = market.qualification_above(rome.domain, rome.typical_qualification)
            required = "E"
            months = self._employer_rng(employer.employer_id).choice(
                dynamics.DEMANDING_EXPERIENCE_MONTHS
            )
        elif requirements == "open":
            required, months = "D", None
        qualification_above = max(
            0,
            market.QUALIFICATION_RANK[qualification]
            - market.QUALIFICATION_RANK[rome.typical_qualification],
        )
        local_median = rome.national_median * place.cost_factor
        fte = (
            local_median * employer.pay_ratio * rng.lognormvariate(0.0, dynamics.OFFER_PAY_NOISE_SD)
        )
        if employer.policy != "low":
            fte = max(fte, market.SMIC_MONTHLY)
        salary = market.format_salary(rng, fte, hours, qualification)
        ratio = salary.monthly * market.FULL_TIME_HOURS / hours / local_median
        tension = pair.tension
        score = dynamics.hard_to_fill_score(
            salary_ratio=ratio,
            experience_required=required,
            experience_months=months,
            tension_class=tension.tension_class,
            contract_type=contract,
            full_time=full_time,
            hard_conditions=tension.hard_conditions or 3,
            lack_of_workforce=tension.lack_of_workforce or 3,
            months_elapsed=self.t / MONTH_S,
            noise=rng.gauss(0.0, dynamics.HTF_NOISE_SD),
            qualification_above=qualification_above,
            part_time_common=market.part_time_is_common(rome.domain),
        )
        p_hard = dynamics.hard_to_fill_probability(score)
        fate = dynamics.sample_offer_fate(p_hard, rng)
        self.offers += 1
        title = rome.label if rng.random() < 0.8 else rome.label.upper()
        record = {
            "event_id": _event_id(rng),
            "offer_id": f"SIM{self.offers:07d}",
            "posted_at": self.now,
            "updated_at": None,
            "title": f"{title} (H/F)" if rng.random() < 0.7 else f"{title} H/F",
            "rome_code": rome.code,
            "rome_label": rome.label,
            "appellation_label": None,
            "commune_code": place.code,
            "postal_code": place.postal_code,
            "departement": place.departement,
            "bassin": bassin.code,
            "latitude": None,
            "longitude": None,
            "contract_type": contract,
            "contract_duration_months": duration,
            "experience_required": required,
            "experience_months": months,
            "salary_text": salary.text,
            "salary_monthly_gross": salary.monthly,
            "salary_monthly_gross_min": salary.monthly_min,
            "salary_monthly_gross_max": salary.monthly_max,
            "weekly_hours": hours,
            "full_time": full_time,
            "qualification_code": qualification,
            "qualification_label": market.QUALIFICATION_LABELS[qualification],
            "positions": POSITIONS[rng.randrange(len(POSITIONS))],
            "naf_code": employer.naf_code,
            "employer_name": None if rng.random() < ANONYMOUS_EMPLOYER_P else employer.name,
            "lacks_candidates": None,
            "source": SOURCE,
        }
        truth = {
            "p_hard_to_fill": p_hard,
            "will_fill": fate.outcome == "filled",
            "days_to_fill": fate.days_to_fill,
            "outcome": fate.outcome,
            "closes_at": self._at(self.t + fate.open_days * DAY_S),
            "tension_class": tension.tension_class,
            "local_median_monthly": round(local_median, 2),
            "salary_ratio": ratio,
            "below_market": ratio < dynamics.BELOW_MARKET_RATIO,
            "employer_id": employer.employer_id,
            "employer_policy": employer.policy,
            "employer_requirements": requirements,
            "qualification_above_typical": qualification_above,
        }
        return record, truth, fate

    def _requirement_profile(self, employer_id: str) -> str:
        profile = self.requirement_profiles.get(employer_id)
        if profile is None:
            profile = dynamics.sample_requirement_profile(self.world.seed, employer_id)
            self.requirement_profiles[employer_id] = profile
        return profile

    def _employer_rng(self, employer_id: str) -> random.Random:
        # Draws of the requirement behaviour never touch the run's main generator: the rest of
        # the run is the same as before the behaviour existed.
        found = self.employer_rngs.get(employer_id)
        if found is None:
            found = random.Random(f"{self.world.seed}:employer:{employer_id}")
            self.employer_rngs[employer_id] = found
        return found

    def _offer(self) -> SimEvent:
        record, truth, fate = self._draft_offer()
        closure = _Closure(record["offer_id"], self.t, self.now, fate, record["positions"])
        self._schedule(self.t + fate.open_days * DAY_S, closure)
        if self.config.proposals_per_offer:
            self._schedule_proposals(record)
        return SimEvent("OfferPosted", record["offer_id"], record, self.now, truth)

    # Proposals --------------------------------------------------------------------------------

    def _schedule_proposals(self, record: dict[str, Any]) -> None:
        prng, mean = self.proposal_rng, self.config.proposals_per_offer
        self.open_offers[record["offer_id"]] = (record["rome_code"], record["bassin"])
        count = int(mean) + (prng.random() < mean - int(mean))
        for _ in range(count):
            delay = prng.uniform(*dynamics.PROPOSAL_DELAY_DAYS)
            self._schedule(self.t + delay * DAY_S, _Proposal(record["offer_id"]))

    def _peer(self, rome: str, bassin: str) -> _Seeker | None:
        """An active seeker of the offer's bassin and occupation family, if a few draws find one."""
        prng = self.proposal_rng
        for _ in range(dynamics.PROPOSAL_SEARCH_DRAWS):
            if not self.active:
                return None
            candidate = self.active[prng.randrange(len(self.active))]
            if candidate.rome[:3] == rome[:3] and candidate.bassin.code == bassin:
                return candidate
        return None

    def _proposal(self, offer_id: str) -> SimEvent | None:
        """An offer proposed to a seeker of its bassin; a share of them should not happen.

        The slot is kept only when the offer is still open and has a candidate in its bassin,
        so that the share of bad proposals is ``bad_proposal_share`` of those emitted.
        """
        prng = self.proposal_rng
        found = self.open_offers.get(offer_id)
        seeker = self._peer(*found) if found is not None else None
        if seeker is None:
            return None
        bad = None
        if prng.random() < self.config.bad_proposal_share:
            bad = dynamics.weighted(prng, dynamics.BAD_PROPOSAL_WEIGHTS)
            if bad == "seeker_exited" and self.exited:
                seeker = self.exited[prng.randrange(len(self.exited))]
            elif bad == "offer_not_open" and self.closed_offers:
                offer_id = self.closed_offers[prng.randrange(len(self.closed_offers))][0]
            elif bad == "already_proposed" and self.proposed:
                seeker, offer_id = self.proposed[prng.randrange(len(self.proposed))]
                if seeker.slot < 0 or offer_id not in self.open_offers:
                    return None
            else:
                return None
        self.proposals += 1
        self.proposed.append((seeker, offer_id))
        matching = prng.random() < dynamics.PROPOSAL_MATCHING_SHARE
        record = {
            "event_id": _event_id(prng),
            "proposal_id": f"PR{self.proposals:08d}",
            "offer_id": offer_id,
            "jobseeker_id": seeker.jobseeker_id,
            "proposed_by": "matching-service" if matching else seeker.adviser_id,
            "proposer_kind": "matching" if matching else "adviser",
            "channel": dynamics.weighted(prng, dynamics.PROPOSAL_CHANNELS),
            "proposed_at": self.now,
        }
        return SimEvent("OfferProposed", seeker.jobseeker_id, record, self.now, {"bad": bad})

    def _closure(self, closure: _Closure) -> SimEvent:
        fate = closure.fate
        filled = fate.outcome == "filled"
        filled_at = None
        positions_filled = None
        if filled:
            assert fate.days_to_fill is not None
            filled_at = self._at(closure.posted_t + fate.days_to_fill * DAY_S)
            positions_filled = closure.positions
            if closure.positions > 1 and self.rng.random() < 0.15:
                positions_filled = self.rng.randint(1, closure.positions)
        record = {
            "event_id": _event_id(self.rng),
            "offer_id": closure.offer_id,
            "closed_at": self.now,
            "outcome": fate.outcome,
            "posted_at": closure.posted_at,
            "filled_at": filled_at,
            "positions_filled": positions_filled,
        }
        truth = {"outcome": fate.outcome, "open_days": fate.open_days}
        found = self.open_offers.pop(closure.offer_id, None)
        if found is not None:
            self.closed_offers.append((closure.offer_id, *found))
        return SimEvent("OfferClosed", closure.offer_id, record, self.now, truth)

    # Job seekers ------------------------------------------------------------------------------

    def _draft_seeker(self) -> _Seeker:
        rng, world = self.rng, self.world
        pair = world.seeker_pair(rng)
        rome, bassin = world.rome(pair.rome), world.bassin(pair.bassin)
        self.seekers += 1
        experience = 0
        if rng.random() >= NO_EXPERIENCE_P:
            experience = 1 + int(min(480.0, rng.expovariate(1.0 / MEAN_EXPERIENCE_MONTHS)))
        seeker = _Seeker(
            jobseeker_id=f"DE{self.seekers:08d}",
            number=self.seekers,
            registered_at=self.now,
            category=market.weighted(rng, CATEGORY_WEIGHTS),
            rome=rome.code,
            rome_label=rome.label,
            bassin=bassin,
            place=bassin.places[rng.randrange(len(bassin.places))],
            qualification=market.sample_qualification(rng, rome.domain, rome.typical_qualification),
            experience_months=experience,
            mobility_radius_km=rng.choice(MOBILITY_KM),
            constraints=[name for name, p in CONSTRAINT_P if rng.random() < p],
            training=rng.random() < TRAINING_AT_REGISTRATION_P,
            adviser_id=f"ADV-{bassin.code}-{rng.randint(1, bassin.advisers):02d}",
            last_contact_at=None,
            market_offers=pair.tension.offers,
            market_jobseekers=pair.tension.jobseekers,
        )
        seeker.mu = self._mu(seeker)
        return seeker

    def _mu(self, s: _Seeker) -> float:
        return dynamics.search_log_median(
            offers=s.market_offers,
            jobseekers=s.market_jobseekers,
            qualification_code=s.qualification,
            experience_months=s.experience_months,
            mobility_radius_km=s.mobility_radius_km,
            constraints=s.constraints,
            training_in_progress=s.training,
            category=s.category,
        )

    def _register(self) -> tuple[_Seeker, dict[str, Any]]:
        rng = self.rng
        seeker = self._draft_seeker()
        total_days = dynamics.sample_search_days(seeker.mu, rng)
        # While the register fills up, newcomers to the stream are mostly people registered
        # before the run started (the agency's stock), part-way through their search.
        stock = rng.random() < 1.0 - len(self.active) / self.config.jobseekers
        elapsed = rng.random() * total_days if stock else 0.0
        seeker.registered_at = self.now - timedelta(days=elapsed)
        seeker.exit_t = self.t + max(3_600.0, (total_days - elapsed) * DAY_S)
        seeker.slot = len(self.active)
        self.active.append(seeker)
        self._schedule(seeker.exit_t, _Exit(seeker, seeker.version))
        return seeker, {"change": "registration", "new": True, "stock": stock,
                        "search_days": total_days}  # fmt: skip

    def _update(self, seeker: _Seeker) -> dict[str, Any]:
        rng = self.rng
        change = market.weighted(rng, PROFILE_CHANGES)
        if change == "contact":
            seeker.last_contact_at = self.now
        elif change == "mobility":
            seeker.mobility_radius_km = rng.choice(MOBILITY_KM)
        elif change == "constraints":
            name = rng.choice(CONSTRAINT_P)[0]
            kept = [c for c in seeker.constraints if c != name]
            seeker.constraints = (
                kept if len(kept) < len(seeker.constraints) else sorted([*kept, name])
            )
        elif change == "training":
            seeker.training = not seeker.training
        elif change == "category":
            seeker.category = market.weighted(rng, CATEGORY_WEIGHTS)
        elif change == "experience":
            seeker.experience_months += rng.randint(1, 6)
        else:
            seeker.adviser_id = (
                f"ADV-{seeker.bassin.code}-{rng.randint(1, seeker.bassin.advisers):02d}"
            )
        mu = self._mu(seeker)
        if mu != seeker.mu:
            # Proportional effect on the time still to search: a training started now pushes
            # the exit later by the same factor it would have lengthened the whole search.
            remaining = (seeker.exit_t - self.t) * math.exp(mu - seeker.mu)
            seeker.mu = mu
            seeker.exit_t = self.t + max(3_600.0, remaining)
            seeker.version += 1
            self._schedule(seeker.exit_t, _Exit(seeker, seeker.version))
        return {"change": change, "new": False}

    def _profile(self) -> SimEvent:
        rng = self.rng
        if not self.active or rng.random() < self._registration_p():
            seeker, truth = self._register()
        else:
            seeker = self.active[rng.randrange(len(self.active))]
            truth = self._update(seeker)
        truth["expected_search_days"] = dynamics.expected_search_days(seeker.mu)
        truth["exit_at"] = self._at(seeker.exit_t)
        record = self._profile_record(seeker)
        if (
            self.config.jobseeker_defects
            and self.defect_rng.random() < self.config.jobseeker_defects
        ):
            truth["defect"] = self._inject_defect(record)
        return SimEvent("JobSeekerProfileUpdated", seeker.jobseeker_id, record, self.now, truth)

    def _inject_defect(self, record: dict[str, Any]) -> str:
        """Spoil one field of ``record`` the way agency systems do; returns the defect's name."""
        rng = self.defect_rng
        kind = dynamics.sample_defect(rng)
        v3_label = self.world.ref.rome_v3_label(record["rome_code"])
        if kind == "rome_label_v3" and v3_label is None:
            kind = "experience_implausible"
        if kind == "experience_implausible":
            record["experience_months"] = rng.choice(dynamics.DEFECT_EXPERIENCE_MONTHS)
        elif kind == "mobility_absurd":
            record["mobility_radius_km"] = rng.choice(dynamics.DEFECT_MOBILITY_KM)
        elif kind == "training_category":
            record["training_in_progress"] = True
            record["category"] = rng.choice(("A", "B", "C"))
        else:
            record["rome_label"] = v3_label
        return kind

    def _stray_update(self, seeker: _Seeker) -> SimEvent:
        record = self._profile_record(seeker)
        truth = {"change": "stray", "new": False, "defect": "update_after_exit"}
        return SimEvent("JobSeekerProfileUpdated", seeker.jobseeker_id, record, self.now, truth)

    def _registration_p(self) -> float:
        fill = len(self.active) / self.config.jobseekers
        return min(1.0, 0.12 + 0.88 * max(0.0, 1.0 - fill))

    def _profile_record(self, s: _Seeker) -> dict[str, Any]:
        return {
            "event_id": _event_id(self.rng),
            "jobseeker_id": s.jobseeker_id,
            "updated_at": self.now,
            "registered_at": s.registered_at.date(),
            # France Travail files a seeker in training under category D (not immediately
            # available); the category they had comes back when the training ends.
            "category": TRAINING_CATEGORY if s.training else s.category,
            "rome_code": s.rome,
            "rome_label": s.rome_label,
            "departement": s.place.departement,
            "bassin": s.bassin.code,
            "commune_code": s.place.code,
            "qualification_code": s.qualification,
            "experience_months": s.experience_months,
            "mobility_radius_km": s.mobility_radius_km,
            "constraints": list(s.constraints),
            "training_in_progress": s.training,
            "adviser_id": s.adviser_id,
            "agency_id": s.bassin.agency_id,
            "last_contact_at": s.last_contact_at,
            "source": SOURCE,
        }

    def _exit(self, seeker: _Seeker) -> SimEvent:
        rng = self.rng
        last = self.active.pop()
        if last is not seeker:
            self.active[seeker.slot] = last
            last.slot = seeker.slot
        seeker.slot = -1
        reason = dynamics.sample_exit_reason(rng, training_in_progress=seeker.training)
        job_rome = contract = None
        if reason == "back_to_work":
            job_rome = seeker.rome
            if rng.random() < dynamics.EXIT_RELATED_JOB_P:
                job_rome = self.world.related_rome(rng, seeker.bassin.code, seeker.rome)
            contract = dynamics.sample_exit_contract(rng)
            defects = self.config.jobseeker_defects
            if defects and self.defect_rng.random() < defects:
                delay = self.defect_rng.uniform(*dynamics.DEFECT_STRAY_UPDATE_DAYS)
                self._schedule(self.t + delay * DAY_S, _StrayUpdate(seeker))
        record = {
            "event_id": _event_id(rng),
            "jobseeker_id": seeker.jobseeker_id,
            "exited_at": self.now,
            "reason": reason,
            "job_rome_code": job_rome,
            "contract_type": contract,
            "registered_at": seeker.registered_at.date(),
        }
        truth = {"search_days": (self.now - seeker.registered_at).total_seconds() / DAY_S}
        if self.config.proposals_per_offer:
            self.exited.append(seeker)
        return SimEvent("JobSeekerExited", seeker.jobseeker_id, record, self.now, truth)

    # Emails -----------------------------------------------------------------------------------

    def _email(self) -> SimEvent:
        rng = self.rng
        seeker = self.active[rng.randrange(len(self.active))]
        intents = dynamics.sample_email_intents(rng, training_in_progress=seeker.training)
        days_registered = (self.now - seeker.registered_at).total_seconds() / DAY_S
        reason, indirect = dynamics.sample_urgency(
            rng,
            intents[0],
            housing="housing" in seeker.constraints,
            days_registered=days_registered,
        )
        self.emails += 1
        email_id = f"MSG{self.emails:09d}"
        # The wording is drawn from the email's own generator: template changes never shift
        # the run's other draws.
        email = compose_email(
            random.Random(f"{self.world.seed}:email:{email_id}"),
            intents=intents,
            urgency_reason=reason,
            indirect=indirect,
            when=self.now,
            occupation=seeker.rome_label,
            town=seeker.place.name,
            sender=person_name(seeker.number * 7),
            adviser=person_name(zlib.crc32(seeker.adviser_id.encode())),
            postal_code=seeker.place.postal_code,
        )
        record = {
            "event_id": _event_id(rng),
            "email_id": email_id,
            "jobseeker_id": seeker.jobseeker_id,
            "adviser_id": seeker.adviser_id,
            "agency_id": seeker.bassin.agency_id,
            "received_at": self.now,
            "subject": email.subject,
            "body": email.body,
            "body_format": email.body_format,
            "attachments": email.attachments,
            "in_reply_to": email.in_reply_to,
        }
        truth = {
            "urgent": reason is not None,
            "urgency": "urgent" if reason is not None else "normal",
            "urgency_reason": reason,
            "urgency_indirect": indirect,
            "intents": list(intents),
            "answerable": email.answerable,
            "personal_data": list(email.personal_data),
            "style": email.style,
        }
        return SimEvent("EmailReceived", seeker.jobseeker_id, record, self.now, truth)

    # Invalid events ---------------------------------------------------------------------------

    def _invalid(self) -> SimEvent:
        rng = self.rng
        reason = INVALID_REASONS[rng.randrange(len(INVALID_REASONS))]
        if reason == "negative_salary" or rng.random() < 0.5:
            record, _, _ = self._draft_offer()
            if reason == "unknown_rome":
                record["rome_code"] = UNKNOWN_ROME
            elif reason == "negative_salary":
                low, high = record["salary_monthly_gross_min"], record["salary_monthly_gross_max"]
                record["salary_monthly_gross"] = -record["salary_monthly_gross"]
                record["salary_monthly_gross_min"], record["salary_monthly_gross_max"] = -high, -low
            else:
                record["posted_at"] = self.now + timedelta(days=rng.uniform(2.0, 60.0))
            name, key = "OfferPosted", record["offer_id"]
        else:
            # A profile the agency system got wrong; the seeker never joins the population.
            seeker = self._draft_seeker()
            record = self._profile_record(seeker)
            if reason == "unknown_rome":
                record["rome_code"] = UNKNOWN_ROME
            else:
                record["registered_at"] = (self.now + timedelta(days=rng.uniform(2.0, 60.0))).date()
            name, key = "JobSeekerProfileUpdated", seeker.jobseeker_id
        return SimEvent(name, key, record, self.now, {"invalid": reason})
