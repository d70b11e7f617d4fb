"""Pure feature functions for job offers: what the models see of an OfferPosted.

Nothing here identifies the employer: no name, no NAF code, no SIRET. What an offer asks
(pay, experience, contract, hours, qualification, positions), where and when, the area's real
tension indicators, and how the ask compares with the local market.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.offers.baseline import LocalNorms
    from agents.offers.prior import MarketContext, Prior

# Area levels from the finest to the coarsest: a market with too few offers falls back to the
# next level up, and the alert says which level it used.
AREA_LEVELS = ("bassin", "departement", "region", "national")
FULL_TIME_HOURS = 35.0
# Skill rank of France Travail qualification codes: workers (1-4), employees (5-6), then
# technicians, supervisors and executives (7-9); an unskilled employee ranks with a specialised
# worker, a skilled employee with a skilled worker.
QUALIFICATION_RANK: dict[str, int] = {
    "1": 1, "2": 2, "5": 2, "3": 3, "6": 3, "4": 4, "7": 5, "8": 6, "9": 7,
}  # fmt: skip
CONTRACTS = ("CDI", "CDD", "MIS", "SAI")


def market_keys(
    rome_code: str, *, bassin: str | None, departement: str, region: str | None
) -> list[tuple[str, str]]:
    """(level, key) of every market an offer belongs to, finest first, e.g. ``M1805|dep:07``."""
    areas = {"bassin": bassin, "departement": departement, "region": region, "national": "FR"}
    return [(level, f"{rome_code}|{level}:{areas[level]}") for level in AREA_LEVELS if areas[level]]


def market_areas(keys: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """The ROME code and the areas (level -> code) named by an offer's :func:`market_keys`.

    >>> market_areas(("M1805|bassin:8420", "M1805|departement:07", "M1805|national:FR"))
    ('M1805', {'bassin': '8420', 'departement': '07', 'national': 'FR'})
    """
    rome, areas = "", {}
    for key in keys:
        rome, area = key.split("|", 1)
        level, code = area.split(":", 1)
        areas[level] = code
    return rome, areas


def monthly_salary(record: dict[str, Any]) -> float | None:
    """The offer's monthly gross salary in euros, or None when the offer states none."""
    value = record.get("salary_monthly_gross")
    return float(value) if value is not None else None


def full_time_equivalent_salary(record: dict[str, Any]) -> float | None:
    """Monthly salary scaled to a 35-hour week, so part-time offers compare with full-time ones.

    Comparing a 20-hour offer's pay with a full-time median would flag every part-time job.
    """
    salary = monthly_salary(record)
    if salary is None:
        return None
    hours = record.get("weekly_hours")
    if not hours or record.get("full_time") is True:
        return salary
    return salary * FULL_TIME_HOURS / float(hours)


def qualification_rank(code: str | None) -> int | None:
    """Skill rank (1-7) of a qualification code, None when absent or unknown."""
    return QUALIFICATION_RANK.get(code) if code else None


@dataclass(frozen=True, slots=True)
class OfferFacts:
    """What an offer asks, normalised: the figures baselines keep and gap reports compare."""

    salary_fte: float | None  # monthly gross, full-time equivalent
    experience_months: float | None  # 0 for "débutant accepté"; None when not stated
    experience_required: str  # D, S or E
    contract: str  # CDI, CDD, MIS, SAI, or another France Travail code
    weekly_hours: float | None
    full_time: bool | None
    qualification: str | None  # "1".."9"
    positions: int


def offer_facts(record: dict[str, Any]) -> OfferFacts:
    """The facts of an OfferPosted record."""
    required = record.get("experience_required") or "S"
    months = record.get("experience_months")
    if months is None and required == "D":
        months = 0
    hours = record.get("weekly_hours")
    full_time = record.get("full_time")
    if full_time is None and hours:
        full_time = hours >= FULL_TIME_HOURS - 1.0
    qualification = record.get("qualification_code")
    return OfferFacts(
        salary_fte=full_time_equivalent_salary(record),
        experience_months=float(months) if months is not None else None,
        experience_required=required,
        contract=str(record.get("contract_type") or "").upper(),
        weekly_hours=float(hours) if hours else None,
        full_time=full_time,
        qualification=qualification if qualification in QUALIFICATION_RANK else None,
        positions=max(1, int(record.get("positions") or 1)),
    )


FEATURE_NAMES: tuple[str, ...] = (
    "prior_logit",
    "tension",
    "tension_known",
    "lack_of_workforce",
    "hard_conditions",
    "hiring_intensity",
    "geographic_mismatch",
    "non_durable_jobs",
    "bmo_departement",
    "bmo_national",
    "salary_known",
    "salary_gap",
    "salary_below_q1",
    "experience_years",
    "experience_gap_years",
    "experience_wished",
    "experience_required",
    "contract_CDI",
    "contract_CDD",
    "contract_MIS",
    "contract_SAI",
    "contract_other",
    "contract_local_share",
    "part_time",
    "part_time_where_rare",
    "hours_gap",
    "qualification_known",
    "qualification_gap",
    "log_positions",
    *(f"month_{m:02d}" for m in range(1, 13)),
    "local_hard_logit",
)
# Pseudo-count pulling a market's observed share of hard offers towards the prior.
LOCAL_HARD_SHRINKAGE = 10.0
NEUTRAL_BMO_SHARE = 0.58  # BMO 2024, share of all hiring projects judged difficult (national)


def logit(p: float) -> float:
    """log(p / (1 - p)), p clipped to [1e-4, 1 - 1e-4]."""
    p = min(max(p, 1e-4), 1.0 - 1e-4)
    return math.log(p / (1.0 - p))


def _indicator(value: int | None) -> float:
    """A 1-5 tension indicator centred on 3 and scaled to [-1, 1]; 0 when unknown."""
    return 0.0 if value is None else (value - 3) / 2.0


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def hard_to_fill_features(
    facts: OfferFacts,
    norms: LocalNorms,
    context: MarketContext,
    prior: Prior,
    posted_at: datetime,
) -> dict[str, float]:
    """The hard-to-fill model's input, as it is when the offer is posted."""
    x = dict.fromkeys(FEATURE_NAMES, 0.0)
    x["prior_logit"] = logit(prior.probability)
    t = context.tension
    if t is not None:
        x["tension"] = _indicator(t.tension_class)
        x["tension_known"] = 1.0
        x["lack_of_workforce"] = _indicator(t.lack_of_workforce)
        x["hard_conditions"] = _indicator(t.hard_conditions)
        x["hiring_intensity"] = _indicator(t.hiring_intensity)
        x["geographic_mismatch"] = _indicator(t.geographic_mismatch)
        x["non_durable_jobs"] = _indicator(t.non_durable_jobs)
    if context.bmo_departement is not None:
        x["bmo_departement"] = context.bmo_departement - NEUTRAL_BMO_SHARE
    if context.bmo_national is not None:
        x["bmo_national"] = context.bmo_national - NEUTRAL_BMO_SHARE
    _salary(x, facts, norms)
    _experience(x, facts, norms)
    _contract(x, facts, norms)
    _working_time(x, facts, norms)
    if facts.qualification is not None:
        x["qualification_known"] = 1.0
        rank = QUALIFICATION_RANK[facts.qualification]
        if norms.qualification is not None:
            mean_rank = norms.qualification[1].mean_qualification_rank
            if mean_rank is not None:
                x["qualification_gap"] = _clip(rank - mean_rank, -4.0, 4.0)
    x["log_positions"] = math.log(facts.positions)
    # One-hot rather than a sine and cosine: the model learns a month 37 days after it starts,
    # and a month it never saw must weigh nothing, not extrapolate a curve.
    x[f"month_{posted_at.month:02d}"] = 1.0
    if norms.outcomes is not None:
        fig = norms.outcomes[1]
        shrunk = (
            fig.labelled_count * (fig.hard_share or 0.0) + LOCAL_HARD_SHRINKAGE * prior.probability
        ) / (fig.labelled_count + LOCAL_HARD_SHRINKAGE)
        x["local_hard_logit"] = logit(shrunk) - x["prior_logit"]
    return x


def _salary(x: dict[str, float], facts: OfferFacts, norms: LocalNorms) -> None:
    if facts.salary_fte is None:
        return
    x["salary_known"] = 1.0
    if norms.salary_quartiles is None:
        return
    q1, median, _ = norms.salary_quartiles
    x["salary_gap"] = _clip((median - facts.salary_fte) / median, -1.0, 1.0)
    x["salary_below_q1"] = 1.0 if facts.salary_fte < q1 else 0.0


def _experience(x: dict[str, float], facts: OfferFacts, norms: LocalNorms) -> None:
    x["experience_wished"] = 1.0 if facts.experience_required == "S" else 0.0
    x["experience_required"] = 1.0 if facts.experience_required == "E" else 0.0
    if facts.experience_months is None:
        return
    x["experience_years"] = min(facts.experience_months / 12.0, 10.0)
    if norms.experience is not None:
        norm = norms.experience[1].experience_mean_months
        if norm is not None:
            x["experience_gap_years"] = _clip((facts.experience_months - norm) / 12.0, -5.0, 10.0)


def _contract(x: dict[str, float], facts: OfferFacts, norms: LocalNorms) -> None:
    name = f"contract_{facts.contract}" if facts.contract in CONTRACTS else "contract_other"
    x[name] = 1.0
    share = 0.5
    if norms.contract is not None:
        share = norms.contract[1].contract_shares.get(facts.contract, 0.0)
    x["contract_local_share"] = share


def _working_time(x: dict[str, float], facts: OfferFacts, norms: LocalNorms) -> None:
    if facts.full_time is False:
        x["part_time"] = 1.0
        share = None
        if norms.working_time is not None:
            share = norms.working_time[1].full_time_share
        x["part_time_where_rare"] = share if share is not None else 0.8
    if facts.weekly_hours is not None and norms.hours is not None:
        mean = norms.hours[1].mean_hours
        if mean is not None:
            x["hours_gap"] = _clip((facts.weekly_hours - mean) / FULL_TIME_HOURS, -1.0, 1.0)
