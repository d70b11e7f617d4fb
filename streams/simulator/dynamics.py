"""Every hidden dynamic of the simulator, in one place.

The models Vigie trains never see this module: they see the events it shapes and must rediscover
what is written here. Each dynamic is a small function whose coefficients are named constants at
the top of its section, so a reader sees in one screen

* what makes an offer hard to fill (``hard_to_fill_score``), how long it stays open and
  how it ends (``sample_offer_fate``), how employers set pay (``PAY_POLICY_*``) and what they
  ask of candidates (``REQUIREMENT_PROFILE_*``);
* what lengthens a job search (``search_log_median``), how it ends (``sample_exit_reason``) and
  what agency systems get wrong in a profile (``sample_defect``);
* what an email is about and what makes it urgent (``email_intent_weights``,
  ``email_urgent_probability``, ``sample_urgency``).

Scoring functions are pure; sampling functions draw only from the ``random.Random`` passed in,
so a run is a function of its seed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import NamedTuple

from streams.simulator.market import weighted

# --------------------------------------------------------------------------------------------
# Employer pay policy. An offer's full-time pay is local median x policy ratio x offer noise.
# "low" employers are the ones the « salaire sous le marché » alert must find: their offers land
# at 60-72 % of the local median (below the 75 % "clearly below market" line), and they are not
# held to the SMIC floor (a real offer that low is mis-keyed or non-compliant, both worth an
# alert). Share of offers clearly below market: ~10 %, documented band 8-12 %.
# --------------------------------------------------------------------------------------------
PAY_POLICY_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("low", 0.10),
    ("market", 0.80),
    ("generous", 0.10),
)
PAY_POLICY_RATIO: dict[str, tuple[float, float]] = {
    "low": (0.60, 0.72),
    "market": (0.90, 1.10),
    "generous": (1.08, 1.25),
}
OFFER_PAY_NOISE_SD = 0.03  # lognormal noise of one offer around its employer's policy
BELOW_MARKET_RATIO = 0.75  # "clearly below market": under 75 % of the local median
BELOW_MARKET_BAND = (0.08, 0.12)  # documented share of offers clearly below market


def sample_pay_policy(rng: random.Random) -> tuple[str, float]:
    """An employer's pay policy and its ratio to the local median, drawn once per employer."""
    policy = weighted(rng, PAY_POLICY_WEIGHTS)
    low, high = PAY_POLICY_RATIO[policy]
    return policy, rng.uniform(low, high)


# --------------------------------------------------------------------------------------------
# Employer requirements, drawn once per employer like the pay policy. Most employers ask what
# their occupation usually asks; "demanding" ones ask for years of experience and a
# qualification above the one the occupation usually recruits (the offers the gap report's
# experience and qualification criteria must find, and harder to fill for it); "open" ones take
# beginners. The draw uses its own generator seeded by the run seed and the employer id, so
# adding this behaviour did not shift any other draw of a run.
# --------------------------------------------------------------------------------------------
REQUIREMENT_PROFILE_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("standard", 0.78),
    ("demanding", 0.14),
    ("open", 0.08),
)
DEMANDING_EXPERIENCE_MONTHS = (36, 48, 60, 60, 84, 120)


def sample_requirement_profile(seed: int, employer_id: str) -> str:
    """An employer's requirement profile: ``standard``, ``demanding`` or ``open``."""
    rng = random.Random(f"{seed}:requirements:{employer_id}")
    return weighted(rng, REQUIREMENT_PROFILE_WEIGHTS)


# --------------------------------------------------------------------------------------------
# Offers: P(not filled within 30 days) = logistic(score). Positive terms make it harder.
# --------------------------------------------------------------------------------------------
HARD_TO_FILL_HORIZON_DAYS = 30.0
HTF_INTERCEPT = -0.60
HTF_PER_TENSION_CLASS = 0.45  # per class of the (ROME, bassin) tension table above 3 (1-5)
HTF_SALARY_GAP = 4.0  # per unit of (1 - offered / local median), at the start of the run
HTF_SALARY_DRIFT_PER_MONTH = 0.04  # DRIFT: pay matters 4 % more every simulated month...
HTF_SALARY_DRIFT_CAP = 2.0  # ... up to twice its initial weight
HTF_EXPERIENCE: dict[str, float] = {"D": -0.30, "S": 0.0, "E": 0.35}
HTF_PER_YEAR_DEMANDED = 0.08  # each year of experience demanded beyond the first
HTF_CONTRACT: dict[str, float] = {"CDI": -0.20, "CDD": 0.10, "MIS": -0.10, "SAI": 0.35}
HTF_PART_TIME = 0.30  # part time in an occupation that mostly hires full time...
HTF_PART_TIME_WHERE_COMMON = 0.05  # ... barely matters where it is common (see market)
HTF_QUALIFICATION_ABOVE = 0.35  # per rank above the occupation's typical qualification
HTF_HARD_CONDITIONS = 0.12  # per point of the 1-5 "hard working conditions" indicator above 3
HTF_LACK_OF_WORKFORCE = 0.15  # per point of the 1-5 "lack of available workforce" above 3
HTF_NOISE_SD = 0.35  # offer-specific luck, drawn by the caller
HTF_P_BOUNDS = (0.02, 0.98)

OFFER_MAX_OPEN_DAYS = 90.0  # an unfilled offer expires after three months
OFFER_CANCEL_P = 0.06  # share of offers the employer withdraws...
OFFER_CANCEL_WINDOW_DAYS = (2.0, 60.0)  # ... at a uniform time in this window
OFFER_CLOSE_DELAY_DAYS = (0.05, 2.0)  # a filled offer is closed a little after the hire


def salary_sensitivity(months_elapsed: float) -> float:
    """Weight of the salary gap after ``months_elapsed`` simulated months (the slow drift)."""
    factor = 1.0 + HTF_SALARY_DRIFT_PER_MONTH * max(0.0, months_elapsed)
    return HTF_SALARY_GAP * min(factor, HTF_SALARY_DRIFT_CAP)


def hard_to_fill_score(
    *,
    salary_ratio: float,
    experience_required: str,
    experience_months: int | None,
    tension_class: int,
    contract_type: str,
    full_time: bool,
    hard_conditions: int,
    lack_of_workforce: int,
    months_elapsed: float,
    noise: float = 0.0,
    qualification_above: int = 0,
    part_time_common: bool = False,
) -> float:
    """Log-odds that an offer is still unfilled after 30 days.

    ``qualification_above`` is how many ranks (``market.QUALIFICATION_RANK``) the offer's
    qualification sits above the occupation's typical one; ``part_time_common`` says that part
    time is common in the occupation's domain.
    """
    years_beyond_first = max(0.0, (experience_months or 0) / 12.0 - 1.0)
    part_time = HTF_PART_TIME_WHERE_COMMON if part_time_common else HTF_PART_TIME
    return (
        HTF_INTERCEPT
        + HTF_PER_TENSION_CLASS * (tension_class - 3)
        + salary_sensitivity(months_elapsed) * (1.0 - salary_ratio)
        + HTF_EXPERIENCE[experience_required]
        + HTF_PER_YEAR_DEMANDED * min(years_beyond_first, 5.0)
        + HTF_CONTRACT[contract_type]
        + (0.0 if full_time else part_time)
        + HTF_QUALIFICATION_ABOVE * max(0, qualification_above)
        + HTF_HARD_CONDITIONS * (hard_conditions - 3)
        + HTF_LACK_OF_WORKFORCE * (lack_of_workforce - 3)
        + noise
    )


def hard_to_fill_probability(score: float) -> float:
    """P(offer not filled within 30 days) from its :func:`hard_to_fill_score`."""
    low, high = HTF_P_BOUNDS
    return min(high, max(low, 1.0 / (1.0 + math.exp(-score))))


class OfferFate(NamedTuple):
    """How an offer ends, decided when it is posted."""

    outcome: str  # filled | expired | cancelled
    open_days: float  # posting -> closure
    days_to_fill: float | None  # posting -> hire, when filled


def sample_days_to_fill(p_hard: float, rng: random.Random) -> float:
    """Days until a hire, exponential with P(> 30 days) equal to ``p_hard`` exactly."""
    rate = -math.log(p_hard) / HARD_TO_FILL_HORIZON_DAYS
    return rng.expovariate(rate)


def sample_offer_fate(p_hard: float, rng: random.Random) -> OfferFate:
    """Fill time, cancellation and expiry of one offer."""
    days_to_fill = sample_days_to_fill(p_hard, rng)
    if rng.random() < OFFER_CANCEL_P:
        cancel_at = rng.uniform(*OFFER_CANCEL_WINDOW_DAYS)
        if cancel_at < days_to_fill:
            return OfferFate("cancelled", cancel_at, None)
    if days_to_fill <= OFFER_MAX_OPEN_DAYS:
        return OfferFate(
            "filled", days_to_fill + rng.uniform(*OFFER_CLOSE_DELAY_DAYS), days_to_fill
        )
    return OfferFate("expired", OFFER_MAX_OPEN_DAYS, None)


# --------------------------------------------------------------------------------------------
# Offer proposals (mises en relation): a few days after posting, to a seeker of the occupation
# family and bassin; those that should not happen go to a seeker who left, for an offer already
# closed, or repeat an earlier proposal.
# --------------------------------------------------------------------------------------------
PROPOSAL_DELAY_DAYS = (0.5, 12.0)
PROPOSAL_SEARCH_DRAWS = 200
PROPOSAL_MATCHING_SHARE = 0.3
PROPOSAL_CHANNELS: tuple[tuple[str, float], ...] = (
    ("email", 0.45), ("portal", 0.25), ("phone", 0.15), ("meeting", 0.10), ("sms", 0.05),
)  # fmt: skip
BAD_PROPOSAL_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("seeker_exited", 0.6), ("offer_not_open", 0.25), ("already_proposed", 0.15),
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Job seekers: search duration (registration -> exit) is lognormal around exp(mu), where mu
# adds these terms to log(SEARCH_MEDIAN_DAYS). Positive terms lengthen the search.
# --------------------------------------------------------------------------------------------
SEARCH_MEDIAN_DAYS = 240.0
SEARCH_SIGMA = 0.8  # spread of individual luck around the median
SEARCH_MARKET = -0.25  # per unit of log(offers per job seeker) for the sought ROME in the bassin
SEARCH_QUALIFICATION: dict[str, float] = {
    "1": 0.15, "2": 0.10, "3": 0.0, "4": -0.05, "5": 0.15,
    "6": 0.0, "7": -0.10, "8": -0.10, "9": -0.20,
}  # fmt: skip
SEARCH_EXPERIENCE = -0.12  # per unit of log(1 + years of experience)
SEARCH_MOBILITY = -0.10  # per unit of log(mobility radius / 20 km)
SEARCH_CONSTRAINT: dict[str, float] = {"childcare": 0.20, "transport": 0.25, "housing": 0.30}
SEARCH_TRAINING = 0.30  # a training in progress keeps the seeker registered longer
SEARCH_CATEGORY: dict[str, float] = {"A": 0.0, "B": 0.15, "C": 0.20}
SEARCH_MIN_DAYS = 7.0

EXIT_REASON_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("back_to_work", 0.50),
    ("training", 0.10),
    ("deregistered", 0.17),
    ("moved", 0.05),
    ("other", 0.18),
)
EXIT_TRAINING_BOOST = 4.0  # a seeker in training is this many times likelier to exit to training
EXIT_RELATED_JOB_P = 0.2  # a return to work is in a related occupation rather than the sought one
EXIT_CONTRACT_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("CDI", 0.35),
    ("CDD", 0.45),
    ("MIS", 0.15),
    ("SAI", 0.05),
)


def search_log_median(
    *,
    offers: float,
    jobseekers: float,
    qualification_code: str,
    experience_months: int,
    mobility_radius_km: int,
    constraints: Sequence[str],
    training_in_progress: bool,
    category: str,
) -> float:
    """mu of a job seeker's lognormal search duration, in log-days."""
    market = math.log((offers + 1.0) / (jobseekers + 1.0))
    return (
        math.log(SEARCH_MEDIAN_DAYS)
        + SEARCH_MARKET * market
        + SEARCH_QUALIFICATION[qualification_code]
        + SEARCH_EXPERIENCE * math.log1p(experience_months / 12.0)
        + SEARCH_MOBILITY * math.log(max(mobility_radius_km, 1) / 20.0)
        + sum(SEARCH_CONSTRAINT[c] for c in constraints)
        + (SEARCH_TRAINING if training_in_progress else 0.0)
        + SEARCH_CATEGORY[category]
    )


def expected_search_days(mu: float) -> float:
    """Mean search duration, in days, of a seeker whose log-median is ``mu``."""
    return math.exp(mu + SEARCH_SIGMA * SEARCH_SIGMA / 2.0)


def sample_search_days(mu: float, rng: random.Random) -> float:
    """One seeker's total search duration, in days."""
    return max(SEARCH_MIN_DAYS, rng.lognormvariate(mu, SEARCH_SIGMA))


def sample_exit_reason(rng: random.Random, *, training_in_progress: bool) -> str:
    """Why a seeker leaves the register."""
    if not training_in_progress:
        return weighted(rng, EXIT_REASON_WEIGHTS)
    boosted = tuple(
        (name, w * EXIT_TRAINING_BOOST if name == "training" else w)
        for name, w in EXIT_REASON_WEIGHTS
    )
    return weighted(rng, boosted)


def sample_exit_contract(rng: random.Random) -> str:
    """Contract type of the job a seeker returns to."""
    return weighted(rng, EXIT_CONTRACT_WEIGHTS)


# --------------------------------------------------------------------------------------------
# Data-quality defects of job-seeker profiles (``SimConfig.jobseeker_defects``): what agency
# systems get wrong in ways the domain rules accept, so only the diagnostics can catch them.
# Each spoils one event (the next one is clean again), except the stray update: a profile
# event for a seeker who left for a job DEFECT_STRAY_UPDATE_DAYS earlier.
# --------------------------------------------------------------------------------------------
DEFECT_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("experience_implausible", 0.25),  # months typed where years were meant, placeholders
    ("mobility_absurd", 0.25),  # 500-1000 km: "999" style placeholders
    ("training_category", 0.25),  # in training, yet filed as immediately available (A/B/C)
    ("rome_label_v3", 0.25),  # still labelled with the ROME v3 name of its fiche
)
DEFECT_EXPERIENCE_MONTHS = (600, 720, 999, 1200)
DEFECT_MOBILITY_KM = (500, 999, 1000)
DEFECT_STRAY_UPDATE_DAYS = (5.0, 60.0)


def sample_defect(rng: random.Random) -> str:
    """Which defect an affected profile event carries."""
    return weighted(rng, DEFECT_WEIGHTS)


# --------------------------------------------------------------------------------------------
# Emails: intent mix, and P(urgent) = base rate of the intent x the seeker's situation,
# scaled so that about 3 % of emails are urgent (documented band 2-4.5 %). An urgent email has
# one reason; a share of them state it only indirectly ("le frigo est vide" rather than
# "je n'ai plus de revenus").
# --------------------------------------------------------------------------------------------
EMAIL_INTENT_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("rendez_vous", 0.16),
    ("actualisation", 0.14),
    ("paiement", 0.14),
    ("documents", 0.12),
    ("offre_candidature", 0.12),
    ("formation", 0.09),
    ("changement_situation", 0.09),
    ("reclamation", 0.05),
    ("radiation", 0.03),
    ("autre", 0.06),
)
EMAIL_TRAINING_FORMATION_FACTOR = 3.0  # seekers in training write about it more often
EMAIL_SECOND_INTENT_P = 0.15
EMAIL_URGENT_BASE: dict[str, float] = {
    "paiement": 0.06,
    "radiation": 0.08,
    "rendez_vous": 0.028,
    "reclamation": 0.036,
    "changement_situation": 0.024,
    "formation": 0.02,
    "documents": 0.01,
    "actualisation": 0.008,
    "offre_candidature": 0.003,
    "autre": 0.016,
}
EMAIL_URGENT_HOUSING_FACTOR = 2.0  # housing difficulties double the odds of distress
EMAIL_URGENT_LONG_TERM_FACTOR = 1.4  # registered for a year or more
EMAIL_URGENT_REASONS: dict[str, tuple[tuple[str, float], ...]] = {
    "paiement": (("sans_ressources", 0.75), ("detresse", 0.25)),
    "radiation": (("sans_ressources", 0.5), ("echeance_demain", 0.5)),
    "rendez_vous": (("rdv_48h", 0.9), ("detresse", 0.1)),
    "reclamation": (("sans_ressources", 0.5), ("detresse", 0.5)),
    "formation": (("echeance_demain", 0.85), ("detresse", 0.15)),
    "documents": (("echeance_demain", 1.0),),
    "actualisation": (("echeance_demain", 0.6), ("sans_ressources", 0.4)),
}
EMAIL_URGENT_DEFAULT_REASONS: tuple[tuple[str, float], ...] = (
    ("detresse", 0.6),
    ("sans_ressources", 0.4),
)
EMAIL_URGENT_INDIRECT_P = 0.4
URGENT_EMAIL_BAND = (0.02, 0.045)
URGENT_REASONS = ("detresse", "sans_ressources", "rdv_48h", "echeance_demain")


def email_intent_weights(*, training_in_progress: bool) -> tuple[tuple[str, float], ...]:
    """Relative frequency of each intent for one seeker."""
    if not training_in_progress:
        return EMAIL_INTENT_WEIGHTS
    return tuple(
        (name, w * EMAIL_TRAINING_FORMATION_FACTOR if name == "formation" else w)
        for name, w in EMAIL_INTENT_WEIGHTS
    )


def sample_email_intents(rng: random.Random, *, training_in_progress: bool) -> tuple[str, ...]:
    """Primary intent, sometimes followed by a second one."""
    weights = email_intent_weights(training_in_progress=training_in_progress)
    first = weighted(rng, weights)
    if rng.random() >= EMAIL_SECOND_INTENT_P:
        return (first,)
    second = weighted(rng, weights)
    return (first,) if second == first else (first, second)


def email_urgent_probability(intent: str, *, housing: bool, days_registered: float) -> float:
    """P(an email of primary ``intent`` from this seeker is urgent)."""
    p = EMAIL_URGENT_BASE[intent]
    if housing:
        p *= EMAIL_URGENT_HOUSING_FACTOR
    if days_registered >= 365:
        p *= EMAIL_URGENT_LONG_TERM_FACTOR
    return min(p, 1.0)


def sample_urgency(
    rng: random.Random, intent: str, *, housing: bool, days_registered: float
) -> tuple[str | None, bool]:
    """``(reason, indirect)`` of an urgent email, ``(None, False)`` for an ordinary one."""
    p = email_urgent_probability(intent, housing=housing, days_registered=days_registered)
    if rng.random() >= p:
        return None, False
    reasons = EMAIL_URGENT_REASONS.get(intent, EMAIL_URGENT_DEFAULT_REASONS)
    return weighted(rng, reasons), rng.random() < EMAIL_URGENT_INDIRECT_P
