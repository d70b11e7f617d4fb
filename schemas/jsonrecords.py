"""Turn JSON objects (as agency systems write them) into records the Avro codec accepts.

JSON has no dates: timestamps arrive as ISO-8601 text (``2026-03-01T09:30:00Z``) or epoch
milliseconds, dates as ``YYYY-MM-DD``. This walks the Avro schema and converts exactly the
fields whose logical type asks for it, so everything else is left for the codec to validate.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from streams.errors import ValidationError

Schema = Any


def _timestamp(value: Any, path: str) -> Any:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValidationError(f"{path}: {value!r} is not an ISO-8601 timestamp") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value  # int millis or datetime: the codec accepts both


def _date(value: Any, path: str) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError as exc:
            raise ValidationError(f"{path}: {value!r} is not an ISO-8601 date") from exc
    return value


class _Walker:
    def __init__(self) -> None:
        self.named: dict[str, Schema] = {}

    def convert(self, schema: Schema, value: Any, path: str) -> Any:
        if value is None:
            return None
        if isinstance(schema, str):
            schema = self.named.get(schema, schema)
            if isinstance(schema, str):
                return value
        if isinstance(schema, list):
            return self._union(schema, value, path)
        kind = schema.get("type")
        if "name" in schema and kind in ("record", "enum", "fixed"):
            self._remember(schema)
        logical = schema.get("logicalType")
        if logical in ("timestamp-millis", "timestamp-micros"):
            return _timestamp(value, path)
        if logical == "date":
            return _date(value, path)
        if kind == "record" and isinstance(value, dict):
            return self._record(schema, value, path)
        if kind == "array" and isinstance(value, list):
            return [self.convert(schema["items"], v, f"{path}[{i}]") for i, v in enumerate(value)]
        if kind == "map" and isinstance(value, dict):
            return {k: self.convert(schema["values"], v, f"{path}.{k}") for k, v in value.items()}
        if isinstance(kind, (dict, list)):
            return self.convert(kind, value, path)
        return value

    def _remember(self, schema: dict[str, Any]) -> None:
        name = schema["name"]
        self.named[name] = schema
        namespace = schema.get("namespace")
        if namespace and "." not in name:
            self.named[f"{namespace}.{name}"] = schema
        self.named[name.rsplit(".", 1)[-1]] = schema

    def _record(self, schema: dict[str, Any], value: dict[str, Any], path: str) -> dict[str, Any]:
        out = dict(value)
        for f in schema["fields"]:
            if f["name"] in value:
                out[f["name"]] = self.convert(f["type"], value[f["name"]], f"{path}.{f['name']}")
        return out

    def _union(self, branches: list[Schema], value: Any, path: str) -> Any:
        for branch in branches:
            if branch == "null":
                continue
            return self.convert(branch, value, path)
        return value


def from_json(schema: Schema, obj: dict[str, Any]) -> dict[str, Any]:
    """Convert ISO-8601 texts of ``obj`` into the datetimes and dates ``schema`` expects."""
    if not isinstance(obj, dict):
        raise ValidationError(f"expected a JSON object, got {type(obj).__name__}")
    return _Walker().convert(schema, obj, "$")  # type: ignore[no-any-return]
