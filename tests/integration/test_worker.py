"""The walking skeleton end to end on the real broker and Redis: publish -> worker -> alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis
from confluent_kafka import Producer

from agents.offers.model import MODEL_NAME
from schemas.codec import Codec
from sinks.kafka_sink import DLQ_HEADER_PREFIX
from streams.publisher import Publisher
from streams.settings import Settings
from tests.integration.conftest import read_topic, wait_for, wait_for_model, wait_for_offers


def offer(
    offer_id: str, salary: float, *, rome: str = "G1603", dep: str = "07", **extra: object
) -> dict[str, object]:
    """A valid OfferPosted record paying ``salary`` a month full time."""
    record: dict[str, object] = {
        "event_id": f"evt-{offer_id}",
        "offer_id": offer_id,
        "posted_at": datetime.now(UTC) - timedelta(hours=1),
        "updated_at": None,
        "title": "Employé polyvalent de restauration (H/F)",
        "rome_code": rome,
        "rome_label": "Personnel polyvalent en restauration",
        "appellation_label": None,
        "commune_code": "07102",
        "postal_code": "07500",
        "departement": dep,
        "bassin": None,
        "latitude": None,
        "longitude": None,
        "contract_type": "CDI",
        "contract_duration_months": None,
        "experience_required": "D",
        "experience_months": 0,
        "salary_text": f"Mensuel de {salary:.2f} Euros sur 12 mois",
        "salary_monthly_gross": salary,
        "salary_monthly_gross_min": salary,
        "salary_monthly_gross_max": salary,
        "weekly_hours": 35.0,
        "full_time": True,
        "qualification_code": "6",
        "qualification_label": None,
        "positions": 1,
        "naf_code": None,
        "employer_name": "Restaurant du Centre",
        "lacks_candidates": None,
        "source": "agency",
    }
    record.update(extra)
    return record


MARKET = (1850.0, 1900.0, 1950.0, 2000.0, 2050.0, 2100.0)


def publish_market(
    publisher: Publisher,
    redis_client: redis.Redis,
    settings: Settings,
    *,
    timeout_s: float | None = None,
) -> None:
    """Publish the local market and wait until the worker has learnt it (``timeout_s``: the
    wait for the first offers, e.g. a worker's first event on a secured broker).

    Offers are scored with the latest snapshot of the offer model: a low offer published
    before every worker holds a snapshot that learnt the market would be judged without it.
    """
    for i, pay in enumerate(MARKET):
        publisher.publish("OfferPosted", offer(f"mkt-{i}", pay))
    publisher.flush()
    market = [f"mkt-{i}" for i in range(len(MARKET))]
    if timeout_s is None:
        wait_for_offers(redis_client, settings, market)
    else:
        wait_for_offers(redis_client, settings, market, timeout_s=timeout_s)
    wait_for_model(
        redis_client, settings, MODEL_NAME, lambda m: m.get("open_offers", 0) >= len(MARKET)
    )


def test_low_salary_offer_raises_an_alert_in_redis_and_on_kafka(
    settings: Settings,
    publisher: Publisher,
    worker_factory,
    redis_client: redis.Redis,
    codec: Codec,
) -> None:
    worker_factory()
    publish_market(publisher, redis_client, settings)
    publisher.publish("OfferPosted", offer("low-1", 1200.0))
    publisher.publish("OfferPosted", offer("fair-1", 1990.0))
    publisher.flush()

    stream = settings.key("alerts", "area", "07")
    entries = wait_for(lambda: redis_client.xrange(stream), what="an alert on the area stream")
    assert len(entries) == 1
    fields = entries[0][1]
    assert fields["subject_id"] == "low-1"
    assert fields["alert_type"] == "offer_low_salary"
    assert fields["model_name"] == "offer-intelligence"
    assert "médiane" in fields["json"]

    state = wait_for(
        lambda: redis_client.hgetall(settings.key("offer", "low-1")), what="the offer's assessment"
    )
    assert state["salary_assessment"] == "below_market"
    assert state["alert_id"] == fields["alert_id"]
    fair = wait_for(lambda: redis_client.hgetall(settings.key("offer", "fair-1")))
    assert fair["salary_assessment"] == "in_market" and fair["alert_id"] == ""

    alerts = [codec.decode(m.value()).record for m in read_topic(settings, "alerts", expect=1)]
    assert [a["alert_id"] for a in alerts] == [fields["alert_id"]]
    assert alerts[0]["source_topic"] == settings.topic("offers")
    # fair-1 may be learnt before low-1 is judged: they sit on different partitions.
    assert int(alerts[0]["inputs"]["market_count"]) in (len(MARKET), len(MARKET) + 1)


def test_bad_input_is_dead_lettered_with_its_reason_and_the_worker_goes_on(
    settings: Settings,
    publisher: Publisher,
    worker_factory,
    redis_client: redis.Redis,
    codec: Codec,
) -> None:
    raw = Producer({"bootstrap.servers": settings.kafka_bootstrap_servers})
    topic = settings.topic("offers")
    future = datetime.now(UTC) + timedelta(days=30)
    bad = {
        b"garbage": b"not avro at all",
        b"unknown-fp": b"\xc3\x01" + b"\x00" * 8 + b"\x02",
        b"unknown-rome": codec.encode("OfferPosted", offer("bad-rome", 2000.0, rome="Z9999")),
        b"negative": codec.encode(
            "OfferPosted",
            offer("bad-pay", -5.0, salary_monthly_gross_min=None, salary_monthly_gross_max=None),
        ),
        b"future": codec.encode("OfferPosted", offer("bad-date", 2000.0, posted_at=future)),
    }
    for key, value in bad.items():
        raw.produce(topic, key=key, value=value)
    raw.flush(10)
    publisher.publish("OfferPosted", offer("good-after", 2000.0))
    publisher.flush()
    worker_factory()

    wait_for(
        lambda: redis_client.hgetall(settings.key("offer", "good-after")),
        what="the valid offer published after the bad ones",
    )
    letters = read_topic(settings, "deadletter", expect=len(bad))
    by_key = {m.key(): m for m in letters}
    assert set(by_key) == set(bad)
    reasons = {}
    for key, msg in by_key.items():
        headers = {k.removeprefix(DLQ_HEADER_PREFIX): v.decode() for k, v in msg.headers()}
        assert msg.value() == bad[key], "the original bytes are kept"
        assert headers["topic"] == topic
        assert int(headers["offset"]) >= 0 and headers["partition"] in {"0", "1"}
        reasons[key] = (headers["error_type"], headers["error_message"])
    assert reasons[b"garbage"][0] == "DecodeError"
    assert reasons[b"unknown-fp"][0] == "UnknownSchemaError"
    assert reasons[b"unknown-rome"][0] == "ValidationError"
    assert "Z9999" in reasons[b"unknown-rome"][1]
    assert "salary_monthly_gross" in reasons[b"negative"][1]
    assert "future" in reasons[b"future"][1]
    metrics = wait_for(lambda: redis_client.hgetall(settings.key("metrics", "worker")))
    assert int(metrics["dead_letters"]) == len(bad)
    assert int(metrics["processed"]) >= 1


def test_a_v1_event_is_read_by_the_v2_worker(
    settings: Settings,
    worker_factory,
    redis_client: redis.Redis,
    codec: Codec,
) -> None:
    versions = [v.version for v in codec.registry.versions("OfferPosted")]
    assert len(versions) >= 2, "the tree keeps at least two OfferPosted versions"
    raw = Producer({"bootstrap.servers": settings.kafka_bootstrap_servers})
    v1_bytes = codec.encode("OfferPosted", offer("old-writer", 2000.0), version=versions[0])
    assert v1_bytes[2:10] == codec.registry.versions("OfferPosted")[0].fingerprint
    raw.produce(settings.topic("offers"), key=b"old-writer", value=v1_bytes)
    raw.flush(10)
    worker_factory()
    state = wait_for(
        lambda: redis_client.hgetall(settings.key("offer", "old-writer")),
        what="the v1 offer's assessment",
    )
    assert state["status"] == "open"
    decoded = codec.decode(v1_bytes)
    assert (decoded.version, decoded.reader_version) == (versions[0], versions[-1])
    assert decoded.record["offer_id"] == "old-writer"
    assert "remote_work" in decoded.record, "read as the latest version, defaults filled"
