"""Avro schema resolution rules: can a reader schema read what a writer schema wrote?

Implements the "Schema Resolution" section of the Avro 1.11 specification on fastavro-parsed
schemas (fastavro applies these rules while reading but has no checker that says in advance):

* records match by unqualified name (or a reader alias); reader fields are matched to writer
  fields by name or alias; a reader field the writer lacks needs a default; writer fields the
  reader lacks are skipped;
* primitives must be equal or an Avro promotion: int -> long -> float -> double (int and long
  also straight to float/double), string <-> bytes;
* a writer union: every branch must resolve (the writer may have used any of them); a reader
  union: the first branch of the same type, else the first promotable one, must resolve;
* enums: every writer symbol must exist in the reader, unless the reader enum has a default;
  fixed: same name and size; arrays and maps: items and values resolve recursively.

One rule is stricter than the specification, on purpose: a change of ``logicalType`` (say
``timestamp-millis`` to ``timestamp-micros``, or ``date`` to ``int``) resolves at the byte level
but silently changes what the value means, so it is reported.

>>> resolution_problems({"type": "record", "name": "R", "fields": []},
...     {"type": "record", "name": "R", "fields": [{"name": "x", "type": "int"}]})
['R.x: field added without a default, so data written without it cannot be read']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from fastavro import parse_schema

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_PROMOTIONS = frozenset(
    {
        ("int", "long"),
        ("int", "float"),
        ("int", "double"),
        ("long", "float"),
        ("long", "double"),
        ("float", "double"),
        ("string", "bytes"),
        ("bytes", "string"),
    }
)
_NAMED = frozenset({"record", "enum", "fixed"})


def _kind(schema: Any) -> str:
    if isinstance(schema, list):
        return "union"
    if isinstance(schema, str):
        return schema
    return str(schema["type"])


def _logical(schema: Any) -> str | None:
    return schema.get("logicalType") if isinstance(schema, dict) else None


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def describe(schema: Any) -> str:
    """Short human description of a (parsed) schema, e.g. ``long(timestamp-millis)``."""
    if isinstance(schema, list):
        return "[" + ", ".join(describe(b) for b in schema) + "]"
    if isinstance(schema, str):
        return _short(schema)
    kind = str(schema["type"])
    if kind in _NAMED:
        return f"{kind} {_short(schema['name'])}"
    if kind == "array":
        return f"array<{describe(schema['items'])}>"
    if kind == "map":
        return f"map<{describe(schema['values'])}>"
    logical = _logical(schema)
    return f"{kind}({logical})" if logical else kind


class _Resolver:
    """Walks a writer and a reader schema side by side and lists what cannot be resolved."""

    def __init__(self, w_named: Mapping[str, Any], r_named: Mapping[str, Any]) -> None:
        self._w_named = w_named
        self._r_named = r_named
        self._seen: set[tuple[str, str]] = set()

    def _deref(self, schema: Any, named: Mapping[str, Any]) -> Any:
        if isinstance(schema, str) and schema not in _PRIMITIVES:
            return named[schema]
        return schema

    def check(self, writer: Any, reader: Any, path: str) -> list[str]:
        writer = self._deref(writer, self._w_named)
        reader = self._deref(reader, self._r_named)
        if isinstance(writer, list):
            # The writer may have used any branch: each one must be readable.
            return [p for branch in writer for p in self.check(branch, reader, path)]
        if isinstance(reader, list):
            branch = self._pick_branch(writer, reader)
            if branch is None:
                return [f"{path}: no branch of {describe(reader)} can read {describe(writer)}"]
            return self.check(writer, branch, path)
        w_kind, r_kind = _kind(writer), _kind(reader)
        if w_kind in _PRIMITIVES and (w_kind == r_kind or (w_kind, r_kind) in _PROMOTIONS):
            return self._logical_change(writer, reader, path)
        if w_kind != r_kind:
            return [f"{path}: {describe(writer)} cannot be read as {describe(reader)}"]
        if w_kind == "array":
            return self.check(writer["items"], reader["items"], f"{path}[]")
        if w_kind == "map":
            return self.check(writer["values"], reader["values"], f"{path}{{}}")
        problems = self._name_change(writer, reader, path)
        if w_kind == "record":
            return problems + self._record(writer, reader, path)
        if w_kind == "enum":
            return problems + self._enum(writer, reader, path)
        if writer["size"] != reader["size"]:
            problems.append(f"{path}: fixed size changes from {writer['size']} to {reader['size']}")
        return problems

    def _pick_branch(self, writer: Any, branches: list[Any]) -> Any | None:
        resolved = [self._deref(b, self._r_named) for b in branches]
        w_kind = _kind(writer)
        for branch in resolved:
            if _kind(branch) == w_kind and (
                w_kind not in _NAMED or not self._name_change(writer, branch, "")
            ):
                return branch
        for branch in resolved:
            if (w_kind, _kind(branch)) in _PROMOTIONS:
                return branch
        return None

    @staticmethod
    def _logical_change(writer: Any, reader: Any, path: str) -> list[str]:
        if _logical(writer) == _logical(reader):
            return []
        return [
            f"{path}: logical type changes from {describe(writer)} to {describe(reader)}: "
            "the same bytes would mean something else"
        ]

    @staticmethod
    def _name_change(writer: Mapping[str, Any], reader: Mapping[str, Any], path: str) -> list[str]:
        w_name, r_name = str(writer["name"]), str(reader["name"])
        aliases = {a for alias in reader.get("aliases", ()) for a in (alias, _short(alias))}
        if _short(w_name) == _short(r_name) or w_name in aliases or _short(w_name) in aliases:
            return []
        return [f"{path}: {writer['type']} {_short(w_name)} is renamed {_short(r_name)}"]

    def _record(self, writer: Mapping[str, Any], reader: Mapping[str, Any], path: str) -> list[str]:
        pair = (str(writer["name"]), str(reader["name"]))
        if pair in self._seen:  # recursive type, already being checked
            return []
        self._seen.add(pair)
        written = {f["name"]: f for f in writer["fields"]}
        problems: list[str] = []
        for field in reader["fields"]:
            names = [field["name"], *field.get("aliases", ())]
            source = next((written[n] for n in names if n in written), None)
            field_path = f"{path}.{field['name']}"
            if source is not None:
                problems.extend(self.check(source["type"], field["type"], field_path))
            elif "default" not in field:
                problems.append(
                    f"{field_path}: field added without a default, "
                    "so data written without it cannot be read"
                )
        return problems

    @staticmethod
    def _enum(writer: Mapping[str, Any], reader: Mapping[str, Any], path: str) -> list[str]:
        missing = [s for s in writer["symbols"] if s not in set(reader["symbols"])]
        if not missing or "default" in reader:
            return []
        return [f"{path}: enum symbols {missing} unknown to the reader, which has no default"]


def parsed_record(schema: Any) -> dict[str, Any]:
    """``schema`` as fastavro-parsed, parsing it only if it is raw JSON."""
    if isinstance(schema, dict) and schema.get("__fastavro_parsed"):
        return schema
    return cast(dict[str, Any], parse_schema(schema, named_schemas={}))


def resolution_problems(writer: Any, reader: Any) -> list[str]:
    """Why ``reader`` cannot read data written with ``writer``; empty when it can.

    Both are record schemas, raw JSON or fastavro-parsed. Each problem starts with the path of
    the field concerned, rooted at the reader's record name.
    """
    w, r = parsed_record(writer), parsed_record(reader)
    resolver = _Resolver(w.get("__named_schemas", {}), r.get("__named_schemas", {}))
    return resolver.check(w, r, _short(str(r["name"])))
