"""Domain rules: what a schema-valid record may still get wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streams.errors import ValidationError
from streams.referential import load_referential
from streams.rules import check_record
from streams.settings import load_settings

SENT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ref():
    return load_referential(load_settings().data_dir)


def posted(**changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "rome_code": "M1805",
        "departement": "69",
        "salary_monthly_gross": 2500.0,
        "salary_monthly_gross_min": 2400.0,
        "salary_monthly_gross_max": 2600.0,
        "weekly_hours": 35.0,
        "positions": 1,
        "posted_at": SENT - timedelta(days=1),
        "updated_at": None,
    }
    record.update(changes)
    return record


def test_a_sound_offer_passes(ref) -> None:
    check_record("OfferPosted", posted(), ref, SENT)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"rome_code": "Z9999"}, "unknown ROME code 'Z9999'"),
        ({"departement": "00"}, "unknown département '00'"),
        ({"salary_monthly_gross": -10.0}, "salary_monthly_gross -10.0 is outside"),
        ({"salary_monthly_gross_min": 3000.0}, "salary range is inverted"),
        ({"weekly_hours": 80.0}, "weekly_hours 80.0 is outside"),
        ({"positions": 0}, "positions 0 is below 1"),
        ({"posted_at": SENT + timedelta(hours=1)}, "posted_at"),
        ({"salary_monthly_gross": float("nan")}, "salary_monthly_gross nan is outside"),
        ({"weekly_hours": float("inf")}, "weekly_hours inf is outside"),
        ({"offer_id": "X" * 257}, "offer_id is 257 characters long"),
        ({"rome_code": "M" * 300}, "rome_code is 300 characters long"),
        ({"title": "t" * 70_000}, "title is 70000 characters long"),
        ({"languages": ["fr", "x" * 70_000]}, "languages is 70000 characters long"),
    ],
)
def test_each_broken_rule_is_named(ref, changes, message) -> None:
    with pytest.raises(ValidationError, match=message):
        check_record("OfferPosted", posted(**changes), ref, SENT)


def test_an_email_body_may_be_long_its_ids_may_not(ref) -> None:
    email = {"email_id": "m-1", "body": "b" * 500_000, "received_at": SENT}
    check_record("EmailReceived", email, ref, SENT)
    with pytest.raises(ValidationError, match="email_id is 300 characters long"):
        check_record("EmailReceived", {**email, "email_id": "m" * 300}, ref, SENT)


def test_clock_skew_of_a_few_minutes_is_tolerated(ref) -> None:
    check_record("OfferPosted", posted(posted_at=SENT + timedelta(minutes=5)), ref, SENT)


def test_an_offer_cannot_close_before_it_was_posted(ref) -> None:
    record = {
        "outcome": "filled",
        "closed_at": SENT - timedelta(days=3),
        "posted_at": SENT - timedelta(days=2),
        "filled_at": None,
    }
    with pytest.raises(ValidationError, match="closed_at is before posted_at"):
        check_record("OfferClosed", record, ref, SENT)


def test_unknown_event_types_are_refused(ref) -> None:
    with pytest.raises(ValidationError, match="not an input event type"):
        check_record("Alert", {}, ref, SENT)


def test_a_proposal_names_its_proposal_offer_and_proposer_and_is_not_in_the_future(ref) -> None:
    good = {
        "proposal_id": "P1",
        "offer_id": "190HCYJ",
        "proposed_by": "ADV-0701-02",
        "proposed_at": SENT - timedelta(hours=1),
    }
    check_record("OfferProposed", good, ref, SENT)
    with pytest.raises(ValidationError, match="proposal_id is empty"):
        check_record("OfferProposed", {**good, "proposal_id": " "}, ref, SENT)
    with pytest.raises(ValidationError, match="proposed_at"):
        check_record("OfferProposed", {**good, "proposed_at": SENT + timedelta(days=2)}, ref, SENT)


def test_an_ageing_event_carries_probabilities_and_a_positive_age(ref) -> None:
    good = {
        "checkpoint_days": 14,
        "risk": 0.8,
        "risk_at_posting": 0.6,
        "risk_now_unconditioned": 0.6,
        "still_open_share": 0.5,
        "aged_at": SENT - timedelta(days=1),
    }
    check_record("OfferAged", good, ref, SENT)
    with pytest.raises(ValidationError, match="risk 1.5 is outside"):
        check_record("OfferAged", {**good, "risk": 1.5}, ref, SENT)
    with pytest.raises(ValidationError, match="not a positive age"):
        check_record("OfferAged", {**good, "checkpoint_days": 0}, ref, SENT)
