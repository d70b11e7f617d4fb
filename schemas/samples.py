"""Deterministic sample records generated from a schema, to prove resolution by actually reading.

fastavro's ``generate_many`` draws from the global ``random`` state, so a failure it finds may
not come back on the next run. Here sample ``k`` takes branch ``k mod n`` of every union of
``n`` branches, and enough samples are made for every branch of every union to be written at
least once; arrays get one or two items, maps one or two entries.

>>> schema = {"type": "record", "name": "R", "fields": [
...     {"name": "a", "type": ["null", "string"], "default": None}]}
>>> sample_records(schema)
[{'a': None}, {'a': 's1'}]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.resolution import parsed_record

_MAX_DEPTH = 8
_TIMESTAMP_MS = 1_743_177_600_000  # 2025-03-28T16:00:00Z
_DAY = 20_175  # 2025-03-28 in days since 1970-01-01


def _union_width(schema: Any, named: Mapping[str, Any], seen: set[str]) -> int:
    if isinstance(schema, list):
        return max([len(schema), *(_union_width(b, named, seen) for b in schema)])
    if isinstance(schema, str):
        if schema in named and schema not in seen:
            seen.add(schema)
            return _union_width(named[schema], named, seen)
        return 1
    kind = schema["type"]
    if kind == "record":
        seen.add(str(schema["name"]))
        return max([1, *(_union_width(f["type"], named, seen) for f in schema["fields"])])
    if kind == "array":
        return _union_width(schema["items"], named, seen)
    if kind == "map":
        return _union_width(schema["values"], named, seen)
    return 1


class _Sampler:
    """Builds sample number ``k`` of a schema."""

    def __init__(self, named: Mapping[str, Any], k: int) -> None:
        self._named = named
        self._k = k

    def value(self, schema: Any, depth: int = 0) -> Any:
        k = self._k
        if isinstance(schema, list):
            branches = schema
            if depth >= _MAX_DEPTH and "null" in branches:
                return None
            return self.value(branches[k % len(branches)], depth + 1)
        if isinstance(schema, str) and schema in self._named:
            return self.value(self._named[schema], depth + 1)
        kind = schema if isinstance(schema, str) else schema["type"]
        logical = None if isinstance(schema, str) else schema.get("logicalType")
        if logical == "timestamp-millis":
            return _TIMESTAMP_MS + k
        if logical == "date":
            return _DAY + k
        primitive = self._primitive(kind)
        if primitive is not None or kind == "null":
            return primitive
        return self._complex(schema, kind, depth)

    def _primitive(self, kind: str) -> Any:
        k = self._k
        values: dict[str, Any] = {
            "boolean": k % 2 == 0,
            "int": k + 1,
            "long": k + 1,
            "float": k + 0.5,
            "double": k + 0.5,
            "string": f"s{k}",
            "bytes": f"b{k}".encode(),
        }
        return values.get(kind)

    def _complex(self, schema: Mapping[str, Any], kind: str, depth: int) -> Any:
        k = self._k
        count = 0 if depth >= _MAX_DEPTH else 1 + k % 2
        if kind == "record":
            return {f["name"]: self.value(f["type"], depth + 1) for f in schema["fields"]}
        if kind == "array":
            return [self.value(schema["items"], depth + 1) for _ in range(count)]
        if kind == "map":
            return {f"k{i}": self.value(schema["values"], depth + 1) for i in range(count)}
        if kind == "enum":
            return schema["symbols"][k % len(schema["symbols"])]
        if kind == "fixed":
            return bytes(int(schema["size"]))
        raise ValueError(f"cannot generate a sample of Avro type {kind!r}")


def sample_records(schema: Any) -> list[Any]:
    """Samples of ``schema`` (raw JSON or fastavro-parsed) covering every union branch."""
    parsed = parsed_record(schema)
    named = parsed.get("__named_schemas", {})
    width = max(2, _union_width(parsed, named, set()))
    return [_Sampler(named, k).value(parsed) for k in range(width)]
