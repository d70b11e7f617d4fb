"""Pure feature functions for job offers: what the models see of an OfferPosted."""

from __future__ import annotations

from typing import Any

# Area levels from the finest to the coarsest: a market with too few offers falls back to the
# next level up, and the alert says which level it used.
AREA_LEVELS = ("bassin", "departement", "region", "national")


def market_keys(
    rome_code: str, *, bassin: str | None, departement: str, region: str | None
) -> list[tuple[str, str]]:
    """(level, key) of every market an offer belongs to, finest first, e.g. ``M1805|dep:07``."""
    areas = {"bassin": bassin, "departement": departement, "region": region, "national": "FR"}
    return [(level, f"{rome_code}|{level}:{areas[level]}") for level in AREA_LEVELS if areas[level]]


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
    return salary * 35.0 / float(hours)
