"""Unit tests of ``vigie schemas check`` (schemas.compat) and of the schema conventions."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from schemas.compat import (
    Problem,
    assert_compatible,
    check_compatibility,
    main,
    prove_readable,
    schema_table,
)
from schemas.registry import NAMESPACE, SchemaRegistry
from schemas.resolution import resolution_problems
from schemas.samples import sample_records
from streams.errors import SchemaCompatibilityError
from streams.topics import topic_for_record

TS = {"type": "long", "logicalType": "timestamp-millis"}


def thing(*extra: dict[str, Any], name: str = "Thing") -> dict[str, Any]:
    """A small documented record; ``extra`` fields are appended."""
    return {
        "type": "record",
        "name": name,
        "namespace": NAMESPACE,
        "doc": "A thing, for tests.",
        "fields": [
            {"name": "event_id", "type": "string", "doc": "Event id."},
            {"name": "count", "type": "int", "doc": "How many."},
            {"name": "seen_at", "type": TS, "doc": "When."},
            *extra,
        ],
    }


def changed(schema: dict[str, Any], field: str, new_type: Any) -> dict[str, Any]:
    """A copy of ``schema`` whose field ``field`` has type ``new_type``."""
    result = copy.deepcopy(schema)
    for f in result["fields"]:
        if f["name"] == field:
            f["type"] = new_type
    return result


def folder(tmp_path: Path, **files: dict[str, Any]) -> SchemaRegistry:
    """Write ``files`` (``Thing_v1=...`` -> ``Thing.v1.avsc``) and load them."""
    for stem, schema in files.items():
        (tmp_path / f"{stem.replace('_v', '.v')}.avsc").write_text(json.dumps(schema))
    return SchemaRegistry(tmp_path)


def breaking(problems: list[Problem]) -> list[str]:
    return [p.message for p in problems if p.breaking]


def warnings(problems: list[Problem]) -> list[str]:
    return [p.message for p in problems if not p.breaking]


# --- evolution rules, in tmp folders ------------------------------------------------------


def test_added_field_without_default_is_breaking(tmp_path: Path, capsys: Any) -> None:
    v2 = thing({"name": "note", "type": "string", "doc": "New."})
    problems = check_compatibility(folder(tmp_path, Thing_v1=thing(), Thing_v2=v2))
    assert breaking(problems) == [
        "v2 cannot read v1 data: Thing.note: field added without a default, "
        "so data written without it cannot be read"
    ]
    assert main(["--dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "BREAKING Thing: v2 cannot read v1 data: Thing.note" in out
    assert out.rstrip().endswith("1 breaking, 0 warnings")


def test_added_field_with_default_passes(tmp_path: Path) -> None:
    v2 = thing({"name": "note", "type": ["null", "string"], "default": None, "doc": "New."})
    registry = folder(tmp_path, Thing_v1=thing(), Thing_v2=v2)
    assert check_compatibility(registry) == []
    assert main(["--dir", str(tmp_path)]) == 0
    assert_compatible(registry)


def test_string_to_int_is_breaking(tmp_path: Path) -> None:
    v2 = changed(thing(), "event_id", "int")
    problems = check_compatibility(folder(tmp_path, Thing_v1=thing(), Thing_v2=v2))
    assert breaking(problems) == [
        "v2 cannot read v1 data: Thing.event_id: string cannot be read as int"
    ]
    with pytest.raises(SchemaCompatibilityError, match="Thing.event_id"):
        assert_compatible(SchemaRegistry(tmp_path))


def test_int_to_long_passes_but_old_readers_are_warned(tmp_path: Path) -> None:
    v2 = changed(thing(), "count", "long")
    problems = check_compatibility(folder(tmp_path, Thing_v1=thing(), Thing_v2=v2))
    assert breaking(problems) == []
    assert warnings(problems) == [
        "v1 readers cannot read v2 data: Thing.count: long cannot be read as int"
    ]
    assert main(["--dir", str(tmp_path)]) == 0
    assert main(["--dir", str(tmp_path), "--strict"]) == 1


def test_removing_a_field_without_default_only_warns_old_readers(tmp_path: Path) -> None:
    v2 = thing()
    v2["fields"] = [f for f in v2["fields"] if f["name"] != "count"]
    problems = check_compatibility(folder(tmp_path, Thing_v1=thing(), Thing_v2=v2))
    assert breaking(problems) == []
    assert warnings(problems) == [
        "v1 readers cannot read v2 data: Thing.count: field added without a default, "
        "so data written without it cannot be read"
    ]


def test_every_earlier_version_is_checked_not_just_the_previous_one(tmp_path: Path) -> None:
    v2 = thing({"name": "note", "type": "string", "doc": "New.", "default": ""})
    v3 = thing(
        {"name": "note", "type": "string", "doc": "New."},  # default dropped again
        {"name": "extra", "type": ["null", "int"], "default": None, "doc": "Extra."},
    )
    problems = check_compatibility(folder(tmp_path, Thing_v1=thing(), Thing_v2=v2, Thing_v3=v3))
    assert breaking(problems) == [
        "v3 cannot read v1 data: Thing.note: field added without a default, "
        "so data written without it cannot be read"
    ]


def test_nested_record_changes_are_found_with_their_path(tmp_path: Path) -> None:
    item = {"type": "record", "name": "Item", "doc": "An item.",
            "fields": [{"name": "code", "type": "string", "doc": "Code."}]}  # fmt: skip
    items = {"name": "items", "type": {"type": "array", "items": item}, "default": [], "doc": "I."}
    item_v2 = copy.deepcopy(item)
    item_v2["fields"].append({"name": "weight", "type": "double", "doc": "Weight."})
    items_v2 = {**items, "type": {"type": "array", "items": item_v2}}
    problems = check_compatibility(
        folder(tmp_path, Thing_v1=thing(items), Thing_v2=thing(items_v2))
    )
    assert breaking(problems) == [
        "v2 cannot read v1 data: Thing.items[].weight: field added without a default, "
        "so data written without it cannot be read"
    ]


def test_logical_type_change_is_breaking_though_the_bytes_resolve(tmp_path: Path) -> None:
    v2 = changed(thing(), "seen_at", {"type": "long", "logicalType": "timestamp-micros"})
    problems = check_compatibility(folder(tmp_path, Thing_v1=thing(), Thing_v2=v2))
    assert any("Thing.seen_at: logical type changes" in m for m in breaking(problems))


def test_version_gap_is_breaking(tmp_path: Path) -> None:
    v3 = thing({"name": "note", "type": ["null", "string"], "default": None, "doc": "New."})
    problems = check_compatibility(folder(tmp_path, Thing_v1=thing(), Thing_v3=v3))
    assert breaking(problems) == [
        "version gap: v2 missing; events written with it could not be decoded"
    ]


def test_two_files_with_the_same_fingerprint_are_breaking(tmp_path: Path) -> None:
    v2 = {**thing(), "doc": "Only the doc changed: the canonical form is the same."}
    problems = check_compatibility(folder(tmp_path, Thing_v1=thing(), Thing_v2=v2))
    assert len(breaking(problems)) == 1
    assert "Thing.v1.avsc, Thing.v2.avsc have the same fingerprint" in breaking(problems)[0]


def test_record_name_differing_from_the_file_name_is_breaking(tmp_path: Path) -> None:
    problems = check_compatibility(folder(tmp_path, Thing_v1=thing(name="Other")))
    assert breaking(problems) == ["Thing.v1.avsc holds record Other: rename one"]


@pytest.mark.parametrize(
    "field", ["birth_date", "sex", "nationality", "healthStatus", "disabled", "date_naissance"]
)
def test_gdpr_excluded_fields_are_breaking(tmp_path: Path, field: str) -> None:
    v1 = thing({"name": field, "type": ["null", "string"], "default": None, "doc": "No."})
    problems = check_compatibility(folder(tmp_path, Thing_v1=v1))
    assert breaking(problems) == [
        f"Thing.v1.avsc: Thing.{field}: GDPR-excluded attribute, by design"
    ]


def test_missing_docs_are_warnings(tmp_path: Path) -> None:
    v1 = thing({"name": "note", "type": "string"})
    del v1["doc"]
    problems = check_compatibility(folder(tmp_path, Thing_v1=v1))
    assert breaking(problems) == []
    assert warnings(problems) == [
        "Thing.v1.avsc: the record has no doc",
        "Thing.v1.avsc: Thing.note has no doc",
    ]


def test_an_unloadable_folder_fails_the_check(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "Thing.v1.avsc").write_text("{oops")
    assert main(["--dir", str(tmp_path)]) == 1
    assert "BREAKING cannot read schema file" in capsys.readouterr().out


# --- the rules agree with fastavro's actual reading ---------------------------------------

TYPE_CHANGES = [
    ("int", "long", True),
    ("int", "double", True),
    ("long", "float", True),
    ("float", "double", True),
    ("string", "bytes", True),
    ("bytes", "string", True),
    ("long", "int", False),
    ("double", "float", False),
    ("string", "int", False),
    ("boolean", "int", False),
    ("string", ["null", "string"], True),
    ("int", ["null", "long"], True),
    (["null", "string"], "string", False),
    (["null", "int"], ["null", "string"], False),
    (["null", "int"], ["null", "string", "int"], True),
    ({"type": "array", "items": "int"}, {"type": "array", "items": "long"}, True),
    ({"type": "array", "items": "long"}, {"type": "array", "items": "int"}, False),
    ({"type": "map", "values": "string"}, {"type": "map", "values": "bytes"}, True),
    ({"type": "map", "values": "string"}, {"type": "array", "items": "string"}, False),
    ({"type": "enum", "name": "E", "symbols": ["A", "B"]},
     {"type": "enum", "name": "E", "symbols": ["A", "B", "C"]}, True),
    ({"type": "enum", "name": "E", "symbols": ["A", "B"]},
     {"type": "enum", "name": "E", "symbols": ["A"]}, False),
    ({"type": "fixed", "name": "F", "size": 4}, {"type": "fixed", "name": "F", "size": 8}, False),
]  # fmt: skip


@pytest.mark.parametrize(("writer", "reader", "compatible"), TYPE_CHANGES, ids=str)
def test_rules_agree_with_reading_samples(writer: Any, reader: Any, compatible: bool) -> None:
    def record(field_type: Any) -> dict[str, Any]:
        return {"type": "record", "name": "R", "fields": [{"name": "v", "type": field_type}]}

    problems = resolution_problems(record(writer), record(reader))
    failure = prove_readable(record(writer), record(reader))
    assert (problems == []) is compatible, problems
    assert (failure is None) is compatible, failure


def test_samples_cover_every_union_branch() -> None:
    schema = {"type": "record", "name": "R", "fields": [
        {"name": "a", "type": ["null", "int", "string"]},
        {"name": "b", "type": {"type": "array", "items": ["null", "double"]}},
    ]}  # fmt: skip
    samples = sample_records(schema)
    assert {type(s["a"]).__name__ for s in samples} == {"NoneType", "int", "str"}
    assert {type(x).__name__ for s in samples for x in s["b"]} == {"NoneType", "float"}


# --- the real tree ------------------------------------------------------------------------


def test_the_real_schemas_pass_the_check(capsys: Any) -> None:
    assert check_compatibility(SchemaRegistry.default()) == []
    assert main([]) == 0
    assert "0 breaking, 0 warnings" in capsys.readouterr().out


def test_offer_posted_v2_reads_v1_and_only_adds_fields() -> None:
    v1, v2 = SchemaRegistry.default().versions("OfferPosted")[:2]
    assert resolution_problems(v1.schema, v2.schema) == []
    assert set(v2.field_names) - set(v1.field_names) == {"remote_work", "languages"}
    assert set(v1.field_names) < set(v2.field_names)


def test_email_triaged_v2_adds_the_sender_both_ways_readable() -> None:
    v1, v2 = SchemaRegistry.default().versions("EmailTriaged")
    assert set(v2.field_names) - set(v1.field_names) == {"jobseeker_id"}
    assert resolution_problems(v1.schema, v2.schema) == []  # a v2 learner reads v1 examples
    assert resolution_problems(v2.schema, v1.schema) == []  # a v1 learner reads v2 examples
    assert prove_readable(v1.schema, v2.schema) is None
    assert prove_readable(v2.schema, v1.schema) is None


def test_jobseeker_erased_names_the_person_only_by_the_entity_key() -> None:
    (v1,) = SchemaRegistry.default().versions("JobSeekerErased")
    assert v1.field_names == (
        "event_id",
        "jobseeker_id",
        "erasure_id",
        "requested_by",
        "requested_at",
    )
    # On the job-seekers topic: keyed like every other event of the person, so it follows them.
    assert topic_for_record("JobSeekerErased").name == "jobseekers"


def test_offer_posted_v3_adds_the_area_fields_and_v2_readers_read_it() -> None:
    v1, v2, v3 = SchemaRegistry.default().versions("OfferPosted")
    assert set(v3.field_names) - set(v2.field_names) == {"region", "country"}
    assert set(v2.field_names) < set(v3.field_names)
    for old in (v1, v2):
        assert resolution_problems(old.schema, v3.schema) == []  # v3 reads v1 and v2 data
        assert resolution_problems(v3.schema, old.schema) == []  # v1 and v2 readers read v3
    # The département stays a plain string, so an old reader never meets a null: an offer
    # without one (a région, France, abroad) carries "" and says where it is in the new fields.
    departement = next(f for f in v3.raw["fields"] if f["name"] == "departement")
    assert departement["type"] == "string"


def test_schema_table_lists_every_file() -> None:
    rows = schema_table()
    registry = SchemaRegistry.default()
    assert len(rows) == len(registry)
    offer = [r for r in rows if r["name"] == "OfferPosted"]
    assert [(r["version"], r["fields"]) for r in offer] == [(1, 31), (2, 33), (3, 35)]
    assert offer[0]["fingerprint"] == registry.versions("OfferPosted")[0].fingerprint.hex()
    assert set(rows[0]) == {"name", "version", "fingerprint", "fields"}


# --- conventions of the real .avsc files --------------------------------------------------

REAL = list(SchemaRegistry.default())


def _fields(version: Any) -> list[tuple[str, dict[str, Any]]]:
    """(record short name, field) for every field of every record in the file, nested too."""
    return [
        (str(record["name"]).rsplit(".", 1)[-1], field)
        for record in version.schema["__named_schemas"].values()
        if record.get("type") == "record"
        for field in record["fields"]
    ]


# Input events start with their event_id; Vigie's own records with what identifies them.
FIRST_FIELD = {"Alert": "alert_id", "LearningExample": "model", "EmailTriaged": "email_id"}


@pytest.mark.parametrize("version", REAL, ids=lambda v: v.path.name)
def test_conventions(version: Any) -> None:
    raw = version.raw
    assert version.path.name == f"{raw['name']}.v{version.version}.avsc"
    assert raw["namespace"] == NAMESPACE and raw["doc"]
    first = version.field_names[0]
    assert first == FIRST_FIELD.get(version.name, "event_id")
    for record, field in _fields(version):
        where = f"{record}.{field['name']}"
        assert field.get("doc"), where
        kind = field["type"]
        if isinstance(kind, list):
            assert kind[0] == "null" and len(kind) == 2 and field.get("default", 0) is None, where
        if field["name"].endswith("_at"):
            base = kind[-1] if isinstance(kind, list) else kind
            assert base.get("logicalType") in {"timestamp-millis", "date"}, where
        assert not (isinstance(kind, dict) and kind.get("type") == "enum"), where
