"""Unit tests of the Avro single-object codec, the fingerprint and the schema registry."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path
from typing import Any

import fastavro.schema
import pytest

from schemas.codec import (
    HEADER_SIZE,
    MAGIC,
    Codec,
    Decoded,
    SchemaRegistry,
    canonical_form,
    crc64_avro,
    fingerprint,
)
from streams.errors import (
    ConfigurationError,
    DecodeError,
    UnknownSchemaError,
    ValidationError,
)

POSTED = datetime(2025, 3, 28, 14, 24, 54, 516000, tzinfo=UTC)


def offer_v1() -> dict[str, Any]:
    """A real France Travail offer (190HCYJ, Ardèche sample) mapped to OfferPosted v1."""
    return {
        "event_id": "0f6c2a4e-1b7d-4c1e-9a55-3d2f8e7b6a10",
        "offer_id": "190HCYJ",
        "posted_at": POSTED,
        "updated_at": POSTED,
        "title": "Employé polyvalent / Employée polyvalente de restauration (H/F)",
        "rome_code": "G1603",
        "rome_label": "Équipier polyvalent / Équipière polyvalente de restauration rapide",
        "appellation_label": "Employé polyvalent / Employée polyvalente de restauration",
        "commune_code": "07102",
        "postal_code": "07500",
        "departement": "07",
        "bassin": "0705",
        "latitude": 44.929344,
        "longitude": 4.869182,
        "contract_type": "CDI",
        "contract_duration_months": None,
        "experience_required": "D",
        "experience_months": None,
        "salary_text": "Horaire de 11.88 Euros sur 12 mois",
        "salary_monthly_gross": 1801.8,
        "salary_monthly_gross_min": 1801.8,
        "salary_monthly_gross_max": 1801.8,
        "weekly_hours": 30.0,
        "full_time": False,
        "qualification_code": "5",
        "qualification_label": "Employé non qualifié",
        "positions": 1,
        "naf_code": "56.10B",
        "employer_name": "FLUNCH",
        "lacks_candidates": False,
        "source": "france-travail-api",
    }


RECORDS: dict[str, dict[str, Any]] = {
    "OfferPosted": {**offer_v1(), "remote_work": "none", "languages": ["en"]},
    "OfferClosed": {
        "event_id": "8a1d0c52-77e4-4f0b-8f6e-2b9c1e0d4a33",
        "offer_id": "190HCYJ",
        "closed_at": POSTED + timedelta(days=12),
        "outcome": "filled",
        "posted_at": POSTED,
        "filled_at": POSTED + timedelta(days=11),
        "positions_filled": 1,
    },
    "OfferAged": {
        "event_id": "aged:190HCYJ:14",
        "offer_id": "190HCYJ",
        "posted_at": POSTED,
        "aged_at": POSTED + timedelta(days=14),
        "checkpoint_days": 14,
        "rome_code": "M1805",
        "departement": "07",
        "region": "84",
        "bassin": "8420",
        "risk": 0.74,
        "risk_at_posting": 0.62,
        "risk_now_unconditioned": 0.6,
        "still_open_share": 0.53,
        "risk_source": "prior",
        "outcomes_learnt": 0,
        "alerted_before": False,
        "model_version": "v3",
    },
    "OfferProposed": {
        "event_id": "5b0c7e1a-93d2-4c11-8a6f-0d2e4b7c9f10",
        "proposal_id": "MER-2026-000123",
        "offer_id": "190HCYJ",
        "jobseeker_id": "js-7f3a91c2",
        "proposed_by": "ADV-0701-02",
        "proposer_kind": "adviser",
        "channel": "email",
        "proposed_at": POSTED + timedelta(days=3),
    },
    "JobSeekerProfileUpdated": {
        "event_id": "c3b1f4de-0a9e-4b6d-8f21-6e5a7c9d1b02",
        "jobseeker_id": "js-7f3a91c2",
        "updated_at": POSTED,
        "registered_at": date(2024, 11, 4),
        "category": "A",
        "rome_code": "G1603",
        "rome_label": "Personnel polyvalent en restauration",
        "departement": "07",
        "bassin": "0705",
        "commune_code": "07102",
        "qualification_code": "5",
        "experience_months": 18,
        "mobility_radius_km": 25,
        "constraints": ["transport", "childcare"],
        "training_in_progress": False,
        "adviser_id": "adv-0712",
        "agency_id": "ag-07-guilherand",
        "last_contact_at": POSTED - timedelta(days=20),
        "source": "agency",
    },
    "JobSeekerExited": {
        "event_id": "5e2d9b17-3c48-4a0e-b6f1-9d8c7a6b5e44",
        "jobseeker_id": "js-7f3a91c2",
        "exited_at": POSTED + timedelta(days=30),
        "reason": "back_to_work",
        "job_rome_code": "G1603",
        "contract_type": "CDI",
        "registered_at": date(2024, 11, 4),
    },
    "JobSeekerErased": {
        "event_id": "0d6f1c2e-7b3a-4e59-9c8d-2a1b3c4d5e6f",
        "jobseeker_id": "js-7f3a91c2",
        "erasure_id": "RGPD-2026-000042",
        "requested_by": "agency-system-07",
        "requested_at": POSTED + timedelta(days=40),
    },
    "EmailReceived": {
        "event_id": "e7f0a3c6-9d2b-4e81-a5c4-1f6b8d0e2a55",
        "email_id": "mail-20250328-0042",
        "jobseeker_id": "js-7f3a91c2",
        "adviser_id": "adv-0712",
        "agency_id": "ag-07-guilherand",
        "received_at": POSTED,
        "subject": "Attestation employeur manquante",
        "body": "Bonjour, je n'ai pas reçu mon attestation. Pouvez-vous m'aider ? Merci.",
        "body_format": "text",
        "attachments": [
            {"filename": "bulletin.pdf", "content_type": "application/pdf", "size_bytes": 48213}
        ],
        "in_reply_to": None,
    },
    "AdviserFeedback": {
        "event_id": "a9c8e7d6-5b4a-4392-8170-6f5e4d3c2b66",
        "feedback_id": "fb-000981",
        "adviser_id": "adv-0712",
        "given_at": POSTED + timedelta(hours=2),
        "target_kind": "email",
        "target_id": "mail-20250328-0042",
        "verdict": "corrected",
        "corrected_intent": "attestation_request",
        "corrected_urgency": "high",
        "model_name": "email-triage",
        "model_version": "2025.03.1",
    },
    "EmailTriaged": {
        "email_id": "mail-20250328-0042",
        "jobseeker_id": "js-7f3a91c2",
        "features": [12, 4087, 65535],
        "intents": ["attestation_request"],
        "urgent": False,
        "urgent_by_rule": False,
        "urgent_by_model_only": False,
        "candidate": True,
        "answerable": True,
        "confidence": 0.93,
    },
    "LearningExample": {
        "model": "email-triage",
        "source_topic": "vigie.feedback",
        "source_partition": 2,
        "source_offset": 981,
        "source_timestamp": POSTED + timedelta(hours=2),
        "record": b"\xc3\x01 any single-object record",
        "scored_with": {"email-triage": 4, "offer-intelligence": 17},
    },
    "Alert": {
        "alert_id": "offer_low_salary:190HCYJ:0f6c2a4e",
        "alert_type": "offer_low_salary",
        "created_at": POSTED + timedelta(seconds=1),
        "event_time": POSTED,
        "severity": "warning",
        "audience_kind": "agency",
        "audience_id": "ag-07-guilherand",
        "subject_kind": "offer",
        "subject_id": "190HCYJ",
        "title": "Salaire inférieur au marché local",
        "score": None,
        "reasons": [
            {
                "code": "salary_below_median",
                "message": "Le salaire proposé est 18 % sous la médiane locale du métier.",
                "value": 1801.8,
                "reference": 2197.0,
                "level": "medium",
            }
        ],
        "suggestions": ["Proposer à l'employeur de revoir la rémunération."],
        "inputs": {"salary_monthly_gross": "1801.8", "bassin": "0705", "rome_code": "G1603"},
        "model_name": "offer-rules",
        "model_version": "1",
        "rule": "salary_ratio<0.8",
        "source_topic": "vigie.offers",
        "source_partition": 2,
        "source_offset": 18734,
        "source_timestamp": datetime(2025, 3, 28, 14, 24, 54, 700000, tzinfo=UTC),
    },
}

# Avro 1.11 specification test vectors (share/test/data/schema-tests.txt): schema, canonical
# form, fingerprint as the signed 64-bit integer Java prints.
SPEC_VECTORS = [
    ("null", '"null"', 7195948357588979594),
    ("int", '"int"', 8247732601305521295),
    ({"type": "long"}, '"long"', -3434872931120570953),
    ("string", '"string"', -8142146995180207161),
    (["int", {"type": "boolean"}], '["int","boolean"]', 5392556393470105090),
    (
        {"fields": [], "type": "record", "name": "foo", "namespace": "x.y"},
        '{"name":"x.y.foo","type":"record","fields":[]}',
        5916914534497305771,
    ),
    (
        {
            "fields": [
                {"type": "boolean", "aliases": [], "name": "f1", "default": True},
                {"order": "descending", "name": "f2", "doc": "Hello", "type": "int"},
            ],
            "type": "record",
            "name": "foo",
        },
        '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},'
        '{"name":"f2","type":"int"}]}',
        -4860222112080293046,
    ),
    (
        {
            "namespace": "x.y.z",
            "type": "enum",
            "name": "foo",
            "doc": "foo bar",
            "symbols": ["A1", "A2"],
        },
        '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}',
        -4448647247586288245,
    ),
    (
        {"name": "foo", "type": "fixed", "size": 15},
        '{"name":"foo","type":"fixed","size":15}',
        1756455273707447556,
    ),
    (
        {"items": {"type": "null"}, "type": "array"},
        '{"type":"array","items":"null"}',
        -589620603366471059,
    ),
    ({"values": "string", "type": "map"}, '{"type":"map","values":"string"}', -8732877298790414990),
    (
        {
            "name": "PigValue",
            "type": "record",
            "fields": [{"name": "value", "type": ["null", "int", "long", "PigValue"]}],
        },
        '{"name":"PigValue","type":"record","fields":'
        '[{"name":"value","type":["null","int","long","PigValue"]}]}',
        -1759257747318642341,
    ),
]


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry.default()


@pytest.fixture(scope="module")
def codec(registry: SchemaRegistry) -> Codec:
    return Codec(registry)


def with_defaults(registry: SchemaRegistry, name: str, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` completed with the defaults of the latest version, as a decoder returns it."""
    fields = registry.latest(name).schema["fields"]
    return {f["name"]: record[f["name"]] if f["name"] in record else f["default"] for f in fields}


# --- fingerprint -------------------------------------------------------------------------


@pytest.mark.parametrize(("schema", "canonical", "signed"), SPEC_VECTORS)
def test_fingerprint_matches_the_avro_spec_vectors(
    schema: Any, canonical: str, signed: int
) -> None:
    unsigned = signed % 2**64
    assert canonical_form(schema) == canonical
    assert crc64_avro(canonical.encode()) == unsigned
    assert fingerprint(schema) == unsigned.to_bytes(8, "little")


def test_single_object_header_of_int_is_the_spec_example() -> None:
    # The Avro implementations' own test: the header for schema "int".
    assert MAGIC + fingerprint("int") == bytes.fromhex("c3018f5c393f1ad57572")


@pytest.mark.parametrize("path", sorted(SchemaRegistry.default().folder.glob("*.avsc")), ids=str)
def test_fingerprint_agrees_with_fastavro(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    expected = fastavro.schema.fingerprint(
        fastavro.schema.to_parsing_canonical_form(raw), "CRC-64-AVRO"
    )
    assert fingerprint(raw).hex() == expected


# --- round trips --------------------------------------------------------------------------


def test_every_record_type_has_a_round_trip_sample(registry: SchemaRegistry) -> None:
    assert sorted(RECORDS) == registry.names()


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_round_trip(codec: Codec, registry: SchemaRegistry, name: str) -> None:
    data = codec.encode(name, RECORDS[name])
    decoded = codec.decode(data)
    latest = registry.latest(name).version
    assert decoded == Decoded(name, latest, with_defaults(registry, name, RECORDS[name]), latest)


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_header_is_marker_then_little_endian_crc64_of_the_canonical_form(
    codec: Codec, registry: SchemaRegistry, name: str
) -> None:
    latest = registry.latest(name)
    data = codec.encode(name, RECORDS[name])
    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == latest.fingerprint
    crc = crc64_avro(canonical_form(latest.raw).encode("utf-8"))
    assert int.from_bytes(data[2:10], "little") == crc


def test_body_is_plain_avro_binary(codec: Codec, registry: SchemaRegistry) -> None:
    latest = registry.latest("OfferClosed")
    data = codec.encode("OfferClosed", RECORDS["OfferClosed"])
    body = BytesIO(data[HEADER_SIZE:])
    assert fastavro.schemaless_reader(body, latest.raw) == RECORDS["OfferClosed"]


def test_timestamps_accept_int_millis_and_any_zone_and_decode_as_utc(codec: Codec) -> None:
    paris = timezone(timedelta(hours=1))
    record = {**RECORDS["OfferClosed"], "closed_at": POSTED.astimezone(paris)}
    record["posted_at"] = int(POSTED.timestamp() * 1000)
    decoded = codec.decode(codec.encode("OfferClosed", record)).record
    assert decoded["closed_at"] == POSTED and decoded["closed_at"].utcoffset() == timedelta(0)
    assert decoded["posted_at"] == POSTED


def test_missing_fields_with_defaults_take_them(codec: Codec) -> None:
    record = {k: v for k, v in offer_v1().items() if k not in {"positions", "bassin", "full_time"}}
    decoded = codec.decode(codec.encode("OfferPosted", record)).record
    assert (decoded["positions"], decoded["bassin"], decoded["full_time"]) == (1, None, None)


# --- evolution ---------------------------------------------------------------------------


def test_v1_event_decodes_with_the_latest_reader_filling_defaults(
    codec: Codec, registry: SchemaRegistry
) -> None:
    v1, latest = registry.versions("OfferPosted")[0], registry.latest("OfferPosted")
    data = codec.encode("OfferPosted", offer_v1(), version=1)
    assert data[2:10] == v1.fingerprint != latest.fingerprint
    decoded = codec.decode(data)
    assert (decoded.name, decoded.version, decoded.reader_version) == ("OfferPosted", 1, 3)
    added = {"remote_work": None, "languages": [], "region": None, "country": "FR"}
    assert decoded.record == {**offer_v1(), **added}
    # Same answer as fastavro's full Avro schema resolution (the codec takes a shortcut).
    resolved = fastavro.schemaless_reader(BytesIO(data[HEADER_SIZE:]), v1.schema, latest.schema)
    assert decoded.record == resolved


def test_a_v3_offer_without_departement_is_read_by_a_v2_reader(registry: SchemaRegistry) -> None:
    v2, v3 = registry.versions("OfferPosted")[1:3]
    national = {**offer_v1(), "departement": "", "bassin": None, "region": "32"}
    data = Codec(registry).encode("OfferPosted", national, version=3)
    read = fastavro.schemaless_reader(BytesIO(data[HEADER_SIZE:]), v3.schema, v2.schema)
    assert read["departement"] == "" and "region" not in read and "country" not in read


def test_an_old_producer_with_only_v1_is_read_by_a_v2_consumer(tmp_path: Path) -> None:
    shutil.copy(SchemaRegistry.default().folder / "OfferPosted.v1.avsc", tmp_path)
    old_producer = Codec(SchemaRegistry(tmp_path))
    decoded = Codec().decode(old_producer.encode("OfferPosted", offer_v1()))
    assert decoded.version == 1 and decoded.record["languages"] == []


def test_defaults_filled_in_are_not_shared_between_records(codec: Codec) -> None:
    data = codec.encode("OfferPosted", offer_v1(), version=1)
    first, second = codec.decode(data), codec.decode(data)
    first.record["languages"].append("de")
    assert second.record["languages"] == []
    assert codec.decode(data).record["languages"] == []


def _thing(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": "Thing", "namespace": "t", "fields": list(fields)}


ID = {"name": "id", "type": "string"}
COUNT = {"name": "count", "type": "int"}
TAGS = {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []}
EVOLUTIONS = {
    "drop a field, add one": _thing(ID, TAGS),
    "promote int to long, add one": _thing(ID, {"name": "count", "type": "long"}, TAGS),
    "rename with an alias": _thing(ID, {"name": "n", "type": "int", "aliases": ["count"]}, TAGS),
}


@pytest.mark.parametrize("v2", EVOLUTIONS.values(), ids=EVOLUTIONS.keys())
def test_evolved_reads_equal_fastavro_schema_resolution(tmp_path: Path, v2: dict[str, Any]) -> None:
    (tmp_path / "Thing.v1.avsc").write_text(json.dumps(_thing(ID, COUNT)))
    (tmp_path / "Thing.v2.avsc").write_text(json.dumps(v2))
    registry = SchemaRegistry(tmp_path)
    codec = Codec(registry)
    data = codec.encode("Thing", {"id": "a", "count": 7}, version=1)
    first, second = codec.decode(data), codec.decode(data)
    v1_schema, v2_schema = (v.schema for v in registry.versions("Thing"))
    resolved = fastavro.schemaless_reader(BytesIO(data[HEADER_SIZE:]), v1_schema, v2_schema)
    assert first.record == resolved and first.record["tags"] == []
    first.record["tags"].append("mutated")
    assert second.record["tags"] == [] and codec.decode(data).record["tags"] == []


def test_a_field_renamed_by_alias_keeps_the_written_value(tmp_path: Path) -> None:
    labels = {"name": "labels", "type": {"type": "array", "items": "string"}}
    (tmp_path / "Thing.v1.avsc").write_text(json.dumps(_thing(ID, labels)))
    (tmp_path / "Thing.v2.avsc").write_text(json.dumps(_thing(ID, {**TAGS, "aliases": ["labels"]})))
    codec = Codec(SchemaRegistry(tmp_path))
    data = codec.encode("Thing", {"id": "a", "labels": ["x"]}, version=1)
    assert codec.decode(data).record == {"id": "a", "tags": ["x"]}


# --- decode errors ------------------------------------------------------------------------


def test_unknown_fingerprint_raises_unknown_schema_error_showing_it(codec: Codec) -> None:
    stranger = {"type": "record", "name": "Stranger", "fields": [{"name": "x", "type": "int"}]}
    data = MAGIC + fingerprint(stranger) + b"\x02"
    with pytest.raises(UnknownSchemaError, match=fingerprint(stranger).hex()) as info:
        codec.decode(data)
    assert isinstance(info.value, DecodeError)


TRUNCATIONS = {
    "last byte": lambda n: n - 1,
    "last 5 bytes": lambda n: n - 5,
    "half": lambda n: n // 2,
    "header only": lambda n: HEADER_SIZE,
}


@pytest.mark.parametrize("keep", TRUNCATIONS.values(), ids=TRUNCATIONS.keys())
def test_truncated_body_raises_decode_error_wrapping_the_cause(
    codec: Codec, keep: Callable[[int], int]
) -> None:
    data = codec.encode("OfferPosted", RECORDS["OfferPosted"])
    with pytest.raises(DecodeError, match="corrupt OfferPosted v3") as info:
        codec.decode(data[: keep(len(data))])
    assert info.value.__cause__ is not None
    assert not isinstance(info.value, UnknownSchemaError)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xc3",
        b"\xc3\x01\x00\x01",
        b"hello, world! not avro",
        b'{"event_id": "x", "offer_id": "190HCYJ"}',
        b"\xc3\x02" + bytes(16),
        b"\x00\x00\x00\x00\x01" + bytes(20),  # Confluent wire format is not ours
        None,  # a tombstone on an input topic
    ],
    ids=repr,
)
def test_garbage_raises_decode_error(codec: Codec, data: bytes) -> None:
    with pytest.raises(DecodeError):
        codec.decode(data)


def test_trailing_bytes_raise_decode_error(codec: Codec) -> None:
    data = codec.encode("OfferClosed", RECORDS["OfferClosed"])
    with pytest.raises(DecodeError, match="trailing"):
        codec.decode(data + b"\x00")


def test_corrupt_bodies_only_ever_raise_decode_error(codec: Codec) -> None:
    rng = random.Random(20250328)
    messages = [codec.encode(name, record) for name, record in RECORDS.items()]
    outcomes = {"decoded": 0, "rejected": 0}
    for _ in range(3000):
        data = bytearray(rng.choice(messages))
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(HEADER_SIZE, len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            del data[rng.randrange(HEADER_SIZE, len(data)) :]
        try:
            codec.decode(bytes(data))
            outcomes["decoded"] += 1
        except DecodeError:
            outcomes["rejected"] += 1
    # Any other exception type fails the test by escaping; both outcomes must actually occur.
    assert outcomes["decoded"] > 0 and outcomes["rejected"] > 0


def test_decode_many_keeps_going_past_bad_messages(codec: Codec) -> None:
    good = codec.encode("OfferClosed", RECORDS["OfferClosed"])
    unknown = MAGIC + bytes(8) + b"\x00"
    results = codec.decode_many([good, b"junk", unknown, memoryview(good)])
    assert [type(r).__name__ for r in results] == [
        "Decoded",
        "DecodeError",
        "UnknownSchemaError",
        "Decoded",
    ]


# --- validation ---------------------------------------------------------------------------


def _without(record: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != key}


INVALID = [
    ("OfferPosted", _without(offer_v1(), "title"), r"OfferPosted\.title: missing required field"),
    (
        "OfferPosted",
        {**offer_v1(), "salary_monthly_gross": "1801.8"},
        r"OfferPosted\.salary_monthly_gross: expected double, got str",
    ),
    (
        "OfferPosted",
        {**offer_v1(), "positions": True},
        r"OfferPosted\.positions: expected int, got bool",
    ),
    (
        "OfferPosted",
        {**offer_v1(), "positions": 1.0},
        r"OfferPosted\.positions: expected int, got float",
    ),
    (
        "OfferPosted",
        {**offer_v1(), "positions": 2**31},
        r"OfferPosted\.positions: int out of range",
    ),
    (
        "OfferPosted",
        {**offer_v1(), "posted_at": datetime(2025, 3, 28, 14, 24)},
        r"OfferPosted\.posted_at: naive datetime",
    ),
    (
        "OfferPosted",
        {**offer_v1(), "posted_at": "2025-03-28T14:24:54Z"},
        r"OfferPosted\.posted_at: expected long, got str",
    ),
    ("OfferPosted", {**offer_v1(), "sexe": "F"}, r"unknown field\(s\) for OfferPosted: sexe"),
    (
        "OfferPosted",
        {**offer_v1(), "languages": "en"},
        r"OfferPosted\.languages: expected an array",
    ),
    (
        "JobSeekerProfileUpdated",
        {**RECORDS["JobSeekerProfileUpdated"], "registered_at": POSTED},
        r"JobSeekerProfileUpdated\.registered_at: expected a date, got a datetime",
    ),
    (
        "JobSeekerProfileUpdated",
        {**RECORDS["JobSeekerProfileUpdated"], "registered_at": "2024-11-04"},
        r"JobSeekerProfileUpdated\.registered_at: expected int, got str",
    ),
    (
        "EmailReceived",
        {
            **RECORDS["EmailReceived"],
            "attachments": [{"filename": "cv.pdf", "content_type": "application/pdf"}],
        },
        r"EmailReceived\.attachments\[0\]\.size_bytes: missing required field",
    ),
    (
        "Alert",
        {**RECORDS["Alert"], "inputs": {"score": 0.7}},
        r"Alert\.inputs\['score'\]: expected string, got float",
    ),
    (
        "Alert",
        {**RECORDS["Alert"], "reasons": [{"code": "x", "message": "m", "level": 3}]},
        r"Alert\.reasons\[0\]\.level: expected string, got int",
    ),
]


@pytest.mark.parametrize(("name", "record", "message"), INVALID, ids=[m for _, _, m in INVALID])
def test_invalid_records_raise_validation_error_naming_the_field(
    codec: Codec, name: str, record: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        codec.encode(name, record)


def test_validation_errors_never_show_the_value(codec: Codec) -> None:
    record = {**RECORDS["EmailReceived"], "body": b"Mon numero de securite sociale est 1 85 07"}
    with pytest.raises(ValidationError) as info:
        codec.encode("EmailReceived", record)
    assert "securite" not in str(info.value) and "EmailReceived.body" in str(info.value)


def test_encoding_an_unknown_record_name_is_a_key_error(codec: Codec) -> None:
    with pytest.raises(KeyError, match="OfferPsted"):
        codec.encode("OfferPsted", offer_v1())
    with pytest.raises(KeyError, match="OfferPosted v9"):
        codec.encode("OfferPosted", offer_v1(), version=9)


# --- registry -----------------------------------------------------------------------------


def test_registry_indexes_by_name_and_fingerprint(registry: SchemaRegistry) -> None:
    versions = registry.versions("OfferPosted")
    assert [v.version for v in versions] == [1, 2, 3]
    assert registry.latest("OfferPosted") is versions[-1]
    assert registry.by_fingerprint(versions[0].fingerprint) is versions[0]
    assert versions[0].full_name == "fr.francetravail.vigie.OfferPosted"
    assert SchemaRegistry.default() is SchemaRegistry.default()
    with pytest.raises(UnknownSchemaError, match="0000000000000000"):
        registry.by_fingerprint(bytes(8))


def test_nested_named_types_resolve_within_each_file(registry: SchemaRegistry) -> None:
    email = registry.latest("EmailReceived").schema["__named_schemas"]
    alert = registry.latest("Alert").schema["__named_schemas"]
    assert "fr.francetravail.vigie.Attachment" in email
    assert "fr.francetravail.vigie.AlertReason" in alert


@pytest.mark.parametrize(
    ("file_name", "content", "message"),
    [
        ("Thing.v1.avsc", "{not json", "cannot read"),
        (
            "Thing.v1.avsc",
            '{"type": "record", "name": "Thing", "fields": [{"name": "x"}]}',
            "invalid Avro",
        ),
        ("Thing.v1.avsc", '"string"', "one Avro record"),
        (
            "Thing.avsc",
            '{"type": "record", "name": "Thing", "fields": []}',
            "<RecordName>.v<N>.avsc",
        ),
        (
            "Thing.v0.avsc",
            '{"type": "record", "name": "Thing", "fields": []}',
            "<RecordName>.v<N>.avsc",
        ),
    ],
)
def test_unusable_schema_files_raise_configuration_error(
    tmp_path: Path, file_name: str, content: str, message: str
) -> None:
    (tmp_path / file_name).write_text(content)
    with pytest.raises(ConfigurationError, match=message):
        SchemaRegistry(tmp_path)


def test_same_name_and_version_twice_is_refused(tmp_path: Path) -> None:
    schema = '{"type": "record", "name": "Thing", "fields": []}'
    (tmp_path / "Thing.v1.avsc").write_text(schema)
    (tmp_path / "Other.v1.avsc").write_text(schema)
    with pytest.raises(ConfigurationError, match="defined twice"):
        SchemaRegistry(tmp_path)


def test_empty_or_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no .avsc"):
        SchemaRegistry(tmp_path)
    with pytest.raises(ConfigurationError, match="not found"):
        SchemaRegistry(tmp_path / "absent")
