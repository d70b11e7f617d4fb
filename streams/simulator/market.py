"""The observable labour market of the simulator: qualifications, pay levels, contracts, libellés.

Salary medians are a simple, documented table rather than an estimate from real data:

    national median (full time, gross monthly) of a ROME =
        SMIC_MONTHLY x QUALIFICATION_PAY[typical qualification of the ROME]
                     x DOMAIN_PAY[ROME domain letter] x per-ROME jitter (lognormal, sd 6 %)
    local median of (ROME, département) = national median x département cost factor

with the SMIC at its 1 January 2026 level (12.02 € an hour, 1 823.03 € a month for 35 hours).
The per-ROME typical qualification and jitter are drawn from ``random.Random`` seeded with the run
seed and the code, so a run's world is a function of its seed. Salary libellés follow the real
France Travail formats ("Mensuel de 2100.00 Euros sur 12 mois", "Horaire de 11.88 Euros",
"Annuel de 30000.0 Euros à 35000.0 Euros sur 12.0 mois"), and ``salary_monthly_gross`` is what
the libellé says: ``hourly x weekly_hours x 52 / 12`` for an hourly rate, the midpoint of a range.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import NamedTuple

SMIC_HOURLY = 12.02
FULL_TIME_HOURS = 35.0
HOURS_PER_MONTH_FULL_TIME = FULL_TIME_HOURS * 52.0 / 12.0  # 151.67
SMIC_MONTHLY = round(SMIC_HOURLY * HOURS_PER_MONTH_FULL_TIME, 2)  # 1 823.03

QUALIFICATION_LABELS: dict[str, str] = {
    "1": "Manœuvre",
    "2": "Ouvrier spécialisé",
    "3": "Ouvrier qualifié (P1,P2)",
    "4": "Ouvrier qualifié (P3,P4,OHQ)",
    "5": "Employé non qualifié",
    "6": "Employé qualifié",
    "7": "Technicien",
    "8": "Agent de maîtrise",
    "9": "Cadre",
}
# Skill rank of each qualification code: the codes list workers (1-4), then employees (5-6),
# then technicians and managers (7-9); an unskilled employee ranks with a specialised worker.
QUALIFICATION_RANK: dict[str, int] = {
    "1": 1, "2": 2, "5": 2, "3": 3, "6": 3, "4": 4, "7": 5, "8": 6, "9": 7,
}  # fmt: skip
QUALIFICATION_PAY: dict[str, float] = {
    "1": 1.02, "2": 1.05, "3": 1.12, "4": 1.20, "5": 1.03,
    "6": 1.12, "7": 1.38, "8": 1.50, "9": 2.05,
}  # fmt: skip
DOMAIN_PAY: dict[str, float] = {
    "A": 0.98, "B": 1.02, "C": 1.12, "D": 0.98, "E": 1.10, "F": 1.05, "G": 0.97,
    "H": 1.04, "I": 1.06, "J": 1.05, "K": 0.99, "L": 1.03, "M": 1.08, "N": 1.02,
}  # fmt: skip
ROME_PAY_JITTER_SD = 0.06
# Which qualifications each ROME domain recruits, as (code, weight).
DOMAIN_QUALIFICATIONS: dict[str, tuple[tuple[str, float], ...]] = {
    "A": (
        ("1", 0.25),
        ("2", 0.25),
        ("3", 0.30),
        ("4", 0.10),
        ("7", 0.05),
        ("8", 0.03),
        ("9", 0.02),
    ),
    "B": (("3", 0.40), ("4", 0.30), ("6", 0.20), ("7", 0.10)),
    "C": (("6", 0.45), ("7", 0.25), ("8", 0.10), ("9", 0.20)),
    "D": (("5", 0.45), ("6", 0.40), ("7", 0.05), ("8", 0.07), ("9", 0.03)),
    "E": (("6", 0.30), ("7", 0.35), ("9", 0.35)),
    "F": (
        ("1", 0.15),
        ("2", 0.15),
        ("3", 0.35),
        ("4", 0.20),
        ("7", 0.08),
        ("8", 0.05),
        ("9", 0.02),
    ),
    "G": (("5", 0.45), ("6", 0.40), ("8", 0.10), ("9", 0.05)),
    "H": (("1", 0.15), ("2", 0.30), ("3", 0.25), ("4", 0.15), ("7", 0.10), ("9", 0.05)),
    "I": (("3", 0.35), ("4", 0.30), ("7", 0.30), ("8", 0.05)),
    "J": (("6", 0.50), ("7", 0.25), ("9", 0.25)),
    "K": (("5", 0.45), ("6", 0.40), ("7", 0.08), ("9", 0.07)),
    "L": (("6", 0.40), ("7", 0.40), ("9", 0.20)),
    "M": (("6", 0.50), ("7", 0.20), ("8", 0.10), ("9", 0.20)),
    "N": (
        ("2", 0.20),
        ("3", 0.35),
        ("4", 0.10),
        ("5", 0.15),
        ("6", 0.10),
        ("8", 0.05),
        ("9", 0.05),
    ),
}
TYPICAL_QUALIFICATION_P = 0.75  # else a neighbouring level the ROME's domain recruits

# Contract mix and part-time share per domain (hotels, farms: seasonal; care, retail: part time).
CONTRACT_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("CDI", 0.52),
    ("CDD", 0.30),
    ("MIS", 0.13),
    ("SAI", 0.05),
)
SEASONAL_DOMAINS: dict[str, float] = {"A": 0.22, "G": 0.18}
PART_TIME_SHARE: dict[str, float] = {"K": 0.45, "G": 0.30, "D": 0.30, "J": 0.20, "M": 0.12}
PART_TIME_DEFAULT = 0.08
PART_TIME_COMMON_SHARE = 0.20  # at or above this share, part time is the domain's usual offer
PART_TIME_HOURS = (20, 24, 24, 25, 28, 30)

# Illustrative NAF codes of the employers of each domain.
DOMAIN_NAF: dict[str, tuple[str, ...]] = {
    "A": ("01.11Z", "01.21Z", "01.30Z", "02.20Z", "81.30Z"),
    "B": ("90.03A", "32.12Z", "23.41Z"),
    "C": ("64.19Z", "65.12Z", "66.22Z", "68.31Z"),
    "D": ("47.11D", "47.11F", "47.24Z", "47.71Z", "46.90Z"),
    "E": ("73.11Z", "58.13Z", "59.11A", "62.01Z"),
    "F": ("41.20A", "43.21A", "43.22A", "43.31Z", "43.91B"),
    "G": ("56.10A", "56.10C", "55.10Z", "55.30Z", "93.29Z"),
    "H": ("10.71C", "25.62B", "22.29A", "28.99B", "10.13A"),
    "I": ("33.12Z", "45.20A", "43.22B", "33.20C"),
    "J": ("86.10Z", "87.10A", "86.21Z", "47.73Z"),
    "K": ("88.10A", "81.21Z", "87.30A", "85.20Z", "80.10Z"),
    "L": ("90.01Z", "90.02Z", "59.14Z"),
    "M": ("70.22Z", "69.20Z", "78.20Z", "82.11Z", "62.02A"),
    "N": ("49.41A", "49.41B", "52.10B", "53.20Z", "49.39A"),
}


class Salary(NamedTuple):
    """A salary as published: libellé and the monthly gross amounts it implies."""

    text: str
    monthly: float
    monthly_min: float
    monthly_max: float


def weighted(rng: random.Random, weights: Sequence[tuple[str, float]]) -> str:
    """One name of ``weights`` drawn in proportion to its weight."""
    draw = rng.random() * sum(w for _, w in weights)
    for name, weight in weights:
        if draw < weight:
            return name
        draw -= weight
    return weights[-1][0]


def rome_pay_profile(seed: int, rome: str) -> tuple[str, float]:
    """``(typical qualification, national full-time median)`` of a ROME in run ``seed``'s world."""
    rng = random.Random(f"{seed}:rome:{rome}")
    domain = rome[0]
    qualification = weighted(rng, DOMAIN_QUALIFICATIONS.get(domain, DOMAIN_QUALIFICATIONS["M"]))
    jitter = rng.lognormvariate(0.0, ROME_PAY_JITTER_SD)
    median = SMIC_MONTHLY * QUALIFICATION_PAY[qualification] * DOMAIN_PAY.get(domain, 1.0) * jitter
    return qualification, round(max(SMIC_MONTHLY, median), 2)


def departement_cost_factor(
    seed: int, departement: str, region: str | None, population: int | None
) -> float:
    """Local pay level of a département relative to the national median."""
    if departement in {"75", "92"}:
        base = 1.18
    elif region == "11":
        base = 1.10
    elif population is not None and population >= 1_500_000:
        base = 1.05
    elif population is not None and population < 200_000:
        base = 0.97
    else:
        base = 1.0
    return base * random.Random(f"{seed}:dep:{departement}").uniform(0.98, 1.02)


def sample_qualification(rng: random.Random, domain: str, typical: str) -> str:
    """The qualification of one offer or seeker in a ROME whose typical one is ``typical``."""
    if rng.random() < TYPICAL_QUALIFICATION_P:
        return typical
    # Otherwise a neighbouring level among those the domain recruits (no plasterer "cadre").
    levels = [code for code, _ in DOMAIN_QUALIFICATIONS.get(domain, DOMAIN_QUALIFICATIONS["M"])]
    if typical not in levels:
        return typical
    i = levels.index(typical) + (1 if rng.random() < 0.5 else -1)
    return levels[min(max(i, 0), len(levels) - 1)]


def qualification_above(domain: str, typical: str) -> str:
    """The lowest qualification the domain recruits that ranks above ``typical`` (or itself)."""
    rank = QUALIFICATION_RANK[typical]
    levels = [code for code, _ in DOMAIN_QUALIFICATIONS.get(domain, DOMAIN_QUALIFICATIONS["M"])]
    above = [code for code in levels if QUALIFICATION_RANK[code] > rank]
    return min(above, key=lambda code: QUALIFICATION_RANK[code]) if above else typical


def part_time_is_common(domain: str) -> bool:
    """True where part time is common enough not to put candidates off (care, retail...)."""
    return PART_TIME_SHARE.get(domain, PART_TIME_DEFAULT) >= PART_TIME_COMMON_SHARE


def sample_contract(rng: random.Random, domain: str) -> tuple[str, int | None]:
    """Contract type and, for fixed-term ones, duration in months."""
    seasonal = SEASONAL_DOMAINS.get(domain)
    if seasonal is not None and rng.random() < seasonal:
        return "SAI", rng.choice((2, 3, 4, 5, 6))
    contract = weighted(rng, CONTRACT_WEIGHTS)
    if contract == "CDI":
        return contract, None
    if contract == "MIS":
        return contract, rng.choice((1, 1, 2, 3, 6))
    if contract == "SAI":
        return contract, rng.choice((2, 3, 4, 6))
    return contract, rng.choice((1, 2, 3, 6, 6, 6, 9, 12, 12, 18))


def sample_weekly_hours(rng: random.Random, domain: str) -> float:
    """35 hours for a full-time offer, 20-30 hours for a part-time one."""
    if rng.random() < PART_TIME_SHARE.get(domain, PART_TIME_DEFAULT):
        return float(rng.choice(PART_TIME_HOURS))
    return FULL_TIME_HOURS


def _amount(value: float, style: int) -> str:
    return f"{value:.2f}" if style == 0 else f"{value:.1f}"


def _months(style: int) -> str:
    return "sur 12 mois" if style == 0 else "sur 12.0 mois"


def _salary_style(rng: random.Random, part_time: bool, qualification_code: str) -> str:
    """How an employer states pay: part-time jobs by the hour, executives by the year."""
    draw = rng.random()
    if part_time:
        return "hourly" if draw < 0.60 else "monthly" if draw < 0.90 else "range"
    if draw < 0.15:
        return "hourly"
    if draw < 0.35 and qualification_code >= "7":
        return "yearly"
    return "monthly" if draw < 0.65 else "range"


def format_salary(
    rng: random.Random, fte_monthly: float, weekly_hours: float, qualification_code: str
) -> Salary:
    """Publish a full-time-equivalent monthly pay as a France Travail salary libellé."""
    monthly = fte_monthly * weekly_hours / FULL_TIME_HOURS
    style = 0 if rng.random() < 0.5 else 1
    kind = _salary_style(rng, weekly_hours < FULL_TIME_HOURS, qualification_code)
    if kind == "hourly":
        hourly = round(fte_monthly / HOURS_PER_MONTH_FULL_TIME, 2)
        amount = round(hourly * weekly_hours * 52.0 / 12.0, 2)
        suffix = "" if rng.random() < 0.6 else " sur 12.0 mois"
        return Salary(f"Horaire de {hourly:.2f} Euros{suffix}", amount, amount, amount)
    if kind == "yearly":
        low = max(500.0, round(monthly * 12.0 * rng.uniform(0.92, 0.98) / 500.0) * 500.0)
        high = max(low + 1000.0, round(monthly * 12.0 * rng.uniform(1.03, 1.10) / 500.0) * 500.0)
        text = f"Annuel de {low:.1f} Euros à {high:.1f} Euros sur 12.0 mois"
        mid = round((low + high) / 24.0, 2)
        return Salary(text, mid, round(low / 12.0, 2), round(high / 12.0, 2))
    if kind == "monthly":
        # Half the employers give cents, half a round figure; "2100.0" style shows one decimal.
        exact = rng.random() < 0.5
        amount = round(monthly, 2 - style) if exact else float(round(monthly / 10.0) * 10)
        text = f"Mensuel de {_amount(amount, style)} Euros {_months(style)}"
        return Salary(text, amount, amount, amount)
    low = float(round(monthly * rng.uniform(0.93, 0.98) / 10.0) * 10)
    high = max(low + 10.0, float(round(monthly * rng.uniform(1.03, 1.10) / 10.0) * 10))
    text = f"Mensuel de {_amount(low, style)} Euros à {_amount(high, style)} Euros {_months(style)}"
    return Salary(text, round((low + high) / 2.0, 2), low, high)
