"""Pure feature functions for job offers: what the models see of an OfferPosted."""

from __future__ import annotations

from typing import Any


def area_key(rome_code: str, departement: str) -> str:
    """Key of a local market: one occupation in one département, e.g. ``M1805|07``."""
    return f"{rome_code}|{departement}"


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
