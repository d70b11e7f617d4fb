"""The processing pipeline without Kafka: decode, rules, dispatch, dead letters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schemas.codec import Codec, SchemaRegistry
from sinks.outputs import Outputs, SourceRef
from streams.pipeline import InputEvent, Processor
from streams.referential import load_referential
from streams.settings import load_settings

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class Recorder:
    """A use case that records what reaches it; raises on demand to simulate a bug."""

    records = frozenset({"OfferClosed"})

    def __init__(self) -> None:
        self.seen: list[str] = []

    def handle(self, name: str, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        if record["offer_id"] == "boom":
            raise KeyError("a bug in a use case")
        self.seen.append(record["offer_id"])

    def after_batch(self) -> None:
        pass


@pytest.fixture(scope="module")
def codec() -> Codec:
    return Codec(SchemaRegistry.default())


@pytest.fixture
def processor(codec: Codec) -> tuple[Processor, Recorder]:
    recorder = Recorder()
    ref = load_referential(load_settings().data_dir)
    return Processor(codec, ref, [recorder], topic_prefix="vigie."), recorder


def closed(offer_id: str, closed_at: datetime = NOW - timedelta(hours=1)) -> dict[str, Any]:
    return {
        "event_id": f"e-{offer_id}",
        "offer_id": offer_id,
        "closed_at": closed_at,
        "outcome": "filled",
    }


def event(value: bytes, offset: int, topic: str = "vigie.offers") -> InputEvent:
    return InputEvent(SourceRef(topic, 0, offset, int(NOW.timestamp() * 1000)), b"k", value)


def test_valid_events_reach_their_use_case_in_order(processor, codec) -> None:
    proc, recorder = processor
    out = proc.process([event(codec.encode("OfferClosed", closed(f"o{i}")), i) for i in range(5)])
    assert recorder.seen == [f"o{i}" for i in range(5)]
    assert out.processed == 5 and out.dead_letters == []


def test_every_kind_of_bad_event_becomes_a_dead_letter_and_the_batch_goes_on(
    processor, codec
) -> None:
    proc, recorder = processor
    profile = codec.encode(
        "EmailReceived",
        {
            "event_id": "e",
            "email_id": "m",
            "jobseeker_id": "j",
            "adviser_id": "a",
            "agency_id": "g",
            "received_at": NOW,
            "subject": "s",
            "body": "b",
            "body_format": "text",
        },
    )
    batch = [
        event(b"\x00garbage", 0),
        event(b"\xc3\x01" + b"\xff" * 8 + b"\x00", 1),
        event(codec.encode("OfferClosed", closed("late", NOW + timedelta(days=2))), 2),
        event(profile, 3),  # an email on the offers topic
        event(codec.encode("OfferClosed", closed("boom")), 4),
        event(codec.encode("OfferClosed", closed("fine")), 5),
    ]
    out = proc.process(batch)
    kinds = [(d.source.offset, d.error_type) for d in out.dead_letters]
    assert kinds == [
        (0, "DecodeError"),
        (1, "UnknownSchemaError"),
        (2, "ValidationError"),
        (3, "InputError"),
        (4, "UnexpectedError"),
    ]
    assert "in the future" in out.dead_letters[2].error_message
    assert "does not belong on topic" in out.dead_letters[3].error_message
    assert "KeyError" in out.dead_letters[4].error_message
    assert out.dead_letters[0].value == b"\x00garbage", "the original bytes are kept"
    assert recorder.seen == ["fine"] and out.processed == 1


def test_a_record_type_with_no_use_case_is_dead_lettered(processor, codec) -> None:
    proc, _ = processor
    exited = codec.encode(
        "JobSeekerExited",
        {
            "event_id": "e",
            "jobseeker_id": "j",
            "exited_at": NOW,
            "reason": "back_to_work",
        },
    )
    out = proc.process([event(exited, 0, topic="vigie.jobseekers")])
    assert out.dead_letters[0].error_message == "no use case handles JobSeekerExited"


def test_a_record_type_reaches_every_use_case_that_owns_it(codec) -> None:
    first, second = Recorder(), Recorder()
    ref = load_referential(load_settings().data_dir)
    proc = Processor(codec, ref, [first, second], topic_prefix="vigie.")
    out = proc.process([event(codec.encode("OfferClosed", closed("both")), 0)])
    assert first.seen == ["both"] and second.seen == ["both"]
    assert out.processed == 1, "one event, however many use cases it concerns"


class Teacher:
    """A use case that teaches two models each input record, and a third a record it builds."""

    records = frozenset({"OfferClosed"})

    def handle(self, name: str, record: dict[str, Any], source: SourceRef, out: Outputs) -> None:
        out.learn("first", name, record, source)
        out.learn("second", name, record, source)
        out.learn("derived", name, {**record, "outcome": "expired"}, source)

    def after_batch(self) -> None:
        pass


class Produced:
    """A producer that keeps what it is given (no broker: a unit test)."""

    def __init__(self) -> None:
        self.values: list[bytes] = []

    def produce(self, topic: str, *, value: bytes, **_: Any) -> None:
        self.values.append(value)

    def poll(self, _timeout: float) -> int:
        return 0


def test_examples_of_an_input_record_carry_the_message_bytes_not_a_new_encoding(codec) -> None:
    from sinks.kafka_sink import KafkaSink

    ref = load_referential(load_settings().data_dir)
    proc = Processor(codec, ref, [Teacher()], topic_prefix="vigie.")
    values = [codec.encode("OfferClosed", closed(f"o{i}")) for i in range(3)]
    out = proc.process([event(v, i) for i, v in enumerate(values)])
    assert out.processed == 3 and len(out.examples) == 9
    assert sorted(out.input_bytes.values()) == sorted(values)

    class Counting:  # the codec, counting what it encodes
        def __init__(self) -> None:
            self.encoded: list[str] = []

        def encode(self, name: str, record: dict[str, Any], **kwargs: Any) -> bytes:
            self.encoded.append(name)
            return codec.encode(name, record, **kwargs)

    sink = KafkaSink(load_settings(), codec)
    sink.codec = counting = Counting()  # type: ignore[assignment]
    sink._producer = produced = Produced()  # type: ignore[assignment]
    assert sink.send_examples(out.examples, {"m": 1}, out.input_bytes) == 9
    assert counting.encoded.count("OfferClosed") == 3  # the derived records only
    inner = [(w["model"], w["record"]) for w in (codec.decode(v).record for v in produced.values)]
    for i, value in enumerate(values):
        assert inner[3 * i] == ("first", value) and inner[3 * i + 1] == ("second", value)
        derived = codec.decode(inner[3 * i + 2][1]).record
        assert derived["offer_id"] == f"o{i}" and derived["outcome"] == "expired"
