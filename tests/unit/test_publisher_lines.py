"""`vigie publish` input handling: JSON Lines in, each refused line reported by number.

No broker is needed: every line here is refused before anything is sent.
"""

from __future__ import annotations

import json

import pytest

from schemas.codec import SchemaRegistry
from schemas.jsonrecords import from_json
from streams.errors import ValidationError
from streams.publisher import Publisher
from streams.settings import load_settings


@pytest.fixture
def publisher() -> Publisher:
    # Nothing listens on port 9; the producer is never asked to send.
    return Publisher(load_settings({"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"}))


def test_refused_lines_are_reported_with_number_and_reason(publisher: Publisher) -> None:
    lines = [
        '{"event_id": "e1", "offer_id": "o1", "closed_at": "2026-01-02T10:00:00Z", '
        '"outcome": "filled", "posted_at": "2026-01-05T00:00:00Z"}',
        "",
        "{not json",
        '{"event_id": "e3", "offer_id": "o3", "closed_at": "yesterday", "outcome": "filled"}',
        '{"event_id": "e4", "closed_at": "2026-01-02T10:00:00Z", "outcome": "filled"}',
        '["an", "array"]',
    ]
    report = publisher.publish_lines("OfferClosed", lines)
    assert report.sent == 0 and not report.ok
    numbers = [n for n, _ in report.rejected]
    assert numbers == [1, 3, 4, 5, 6]
    reasons = dict(report.rejected)
    assert "closed_at is before posted_at" in reasons[1]
    assert "invalid JSON" in reasons[3]
    assert "not an ISO-8601 timestamp" in reasons[4]
    assert "offer_id" in reasons[5]
    assert "expected a JSON object" in reasons[6]


def test_unknown_event_type_is_refused(publisher: Publisher) -> None:
    with pytest.raises(ValidationError, match="not an event type one can publish"):
        publisher.publish("Alert", {})


def test_iso_dates_become_datetimes_only_where_the_schema_says_so() -> None:
    schema = SchemaRegistry.default().latest("JobSeekerProfileUpdated").schema
    obj = json.loads(
        '{"updated_at": "2026-02-01T08:00:00+01:00", "registered_at": '
        '"2025-11-03", "adviser_id": "2026-01-01"}'
    )
    record = from_json(schema, obj)
    assert record["updated_at"].isoformat() == "2026-02-01T08:00:00+01:00"
    assert record["registered_at"].isoformat() == "2025-11-03"
    assert record["adviser_id"] == "2026-01-01", "a plain string field is left alone"
