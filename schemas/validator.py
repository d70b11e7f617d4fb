"""Strict record validation, compiled once per schema version.

fastavro's own validator is lenient where a producer bug should be loud: it ignores unknown keys
(a misspelt optional field is silently dropped), reads a naive ``datetime`` in the machine's local
time zone, turns an ISO string into a date and, in strict mode, reports a missing field without
naming it. This validator refuses all of those and names the failing field with its path, e.g.
``Alert.reasons[2].message: missing required field``. It never puts the value itself in the
message: values can be personal data (an email body) and messages end up in dead-letter records.

What it accepts, per Avro type: ``boolean`` a bool; ``int``/``long`` an int in range (not a
bool); ``float``/``double`` an int or a float; ``string`` a str; ``bytes`` bytes or bytearray;
``timestamp-millis`` an aware ``datetime`` or int epoch milliseconds; ``date`` a ``date`` (not a
``datetime``) or int days since the epoch; arrays a list or tuple; maps a mapping with str keys;
records a mapping with no unknown key, where a missing field is allowed only if it has a default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from streams.errors import ValidationError

Check = Callable[[Any], None]

_INT_RANGE = (-(2**31), 2**31 - 1)
_LONG_RANGE = (-(2**63), 2**63 - 1)


class _Invalid(Exception):
    """Raised inside a compiled check; collects the path while it unwinds, outermost last."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why
        self.path: list[str] = []


def _kind(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def _integer(avro_type: str, bounds: tuple[int, int]) -> Check:
    low, high = bounds

    def check(value: Any) -> None:
        if type(value) is bool or not isinstance(value, int):
            raise _Invalid(f"expected {avro_type}, got {_kind(value)}")
        if not low <= value <= high:
            raise _Invalid(f"{avro_type} out of range")

    return check


def _instance(avro_type: str, types: type | tuple[type, ...]) -> Check:
    # bool is a subclass of int: True must not pass for a double.
    reject_bool = bool not in (types if isinstance(types, tuple) else (types,))

    def check(value: Any) -> None:
        if not isinstance(value, types) or (reject_bool and type(value) is bool):
            raise _Invalid(f"expected {avro_type}, got {_kind(value)}")

    return check


def _null(value: Any) -> None:
    if value is not None:
        raise _Invalid(f"expected null, got {_kind(value)}")


def _timestamp_millis(value: Any) -> None:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            # fastavro would read a naive datetime in the local time zone of the producing
            # machine: the same record would mean different instants on different hosts.
            raise _Invalid("naive datetime: give an aware datetime (UTC) or epoch milliseconds")
        return
    _LONG_CHECK(value)


def _date(value: Any) -> None:
    if isinstance(value, datetime):
        raise _Invalid("expected a date, got a datetime (the time of day would be dropped)")
    if isinstance(value, date):
        return
    _INT_CHECK(value)


_INT_CHECK = _integer("int", _INT_RANGE)
_LONG_CHECK = _integer("long", _LONG_RANGE)
_PRIMITIVES: dict[str, Check] = {
    "null": _null,
    "boolean": _instance("boolean", bool),
    "int": _INT_CHECK,
    "long": _LONG_CHECK,
    "float": _instance("float", (int, float)),
    "double": _instance("double", (int, float)),
    "string": _instance("string", str),
    "bytes": _instance("bytes", (bytes, bytearray)),
}
_LOGICAL: dict[tuple[str, str], Check] = {
    ("long", "timestamp-millis"): _timestamp_millis,
    ("int", "date"): _date,
}


class _Compiler:
    """Turns one parsed schema into nested check closures; named types are compiled once."""

    def __init__(self, named: Mapping[str, Any]) -> None:
        self._named = named
        self._compiled: dict[str, Check] = {}
        self._in_progress: set[str] = set()

    def compile(self, schema: Any) -> Check:
        if isinstance(schema, list):
            return self._union(schema)
        if isinstance(schema, str):
            if schema in _PRIMITIVES:
                return _PRIMITIVES[schema]
            return self._reference(schema)
        kind = schema["type"]
        logical = _LOGICAL.get((kind, schema.get("logicalType", "")))
        if logical is not None:
            return logical
        if kind in _PRIMITIVES:
            return _PRIMITIVES[kind]
        builder = {
            "record": self._record,
            "array": self._array,
            "map": self._map,
            "enum": self._enum,
            "fixed": self._fixed,
        }.get(kind)
        if builder is None:
            raise ValueError(f"cannot validate Avro type {kind!r}")
        return builder(schema)

    def _reference(self, name: str) -> Check:
        compiled = self._compiled.get(name)
        if compiled is None:
            compiled = self.compile(self._named[name])
            self._compiled[name] = compiled
        if name in self._in_progress:
            # A record referring to itself: bind late, its check does not exist yet.
            return lambda value: self._compiled[name](value)
        return compiled

    def _record(self, schema: Mapping[str, Any]) -> Check:
        name = str(schema["name"])
        self._in_progress.add(name)
        self._compiled[name] = _null  # replaced below; only reached through late binding
        fields = [(f["name"], self.compile(f["type"]), "default" in f) for f in schema["fields"]]
        self._in_progress.discard(name)
        known = frozenset(f[0] for f in fields)
        short = name.rsplit(".", 1)[-1]

        def check(value: Any) -> None:
            if not isinstance(value, Mapping):
                raise _Invalid(f"expected a mapping for record {short}, got {_kind(value)}")
            for field_name, field_check, has_default in fields:
                if field_name in value:
                    try:
                        field_check(value[field_name])
                    except _Invalid as exc:
                        exc.path.append(field_name)
                        raise
                elif not has_default:
                    missing = _Invalid("missing required field")
                    missing.path.append(field_name)
                    raise missing
            if not known.issuperset(value):
                unknown = sorted(str(k) for k in value if k not in known)
                raise _Invalid(f"unknown field(s) for {short}: {', '.join(unknown)}")

        self._compiled[name] = check
        return check

    def _array(self, schema: Mapping[str, Any]) -> Check:
        item_check = self.compile(schema["items"])

        def check(value: Any) -> None:
            if not isinstance(value, list | tuple):
                raise _Invalid(f"expected an array (list), got {_kind(value)}")
            for index, item in enumerate(value):
                try:
                    item_check(item)
                except _Invalid as exc:
                    exc.path.append(f"[{index}]")
                    raise

        return check

    def _map(self, schema: Mapping[str, Any]) -> Check:
        value_check = self.compile(schema["values"])

        def check(value: Any) -> None:
            if not isinstance(value, Mapping):
                raise _Invalid(f"expected a map (mapping), got {_kind(value)}")
            for key, item in value.items():
                if not isinstance(key, str):
                    raise _Invalid(f"map keys must be str, got {_kind(key)}")
                try:
                    value_check(item)
                except _Invalid as exc:
                    exc.path.append(f"[{key!r}]")
                    raise

        return check

    def _enum(self, schema: Mapping[str, Any]) -> Check:
        symbols = frozenset(schema["symbols"])

        def check(value: Any) -> None:
            if not isinstance(value, str) or value not in symbols:
                raise _Invalid(f"not a symbol of enum {schema['name']}")

        return check

    def _fixed(self, schema: Mapping[str, Any]) -> Check:
        size = int(schema["size"])

        def check(value: Any) -> None:
            if not isinstance(value, bytes | bytearray) or len(value) != size:
                raise _Invalid(f"expected {size} bytes (fixed {schema['name']})")

        return check

    def _union(self, branches: list[Any]) -> Check:
        non_null = [b for b in branches if b != "null"]
        nullable = len(non_null) < len(branches)
        if len(non_null) == 1:
            # The common ["null", T]: delegate so the error names what is wrong inside T.
            inner = self.compile(non_null[0])

            def optional(value: Any) -> None:
                if value is None and nullable:
                    return
                inner(value)

            return optional
        checks = [self.compile(b) for b in branches]
        expected = " or ".join(_describe(b) for b in branches)

        def check(value: Any) -> None:
            for branch_check in checks:
                try:
                    branch_check(value)
                except _Invalid:
                    continue
                return
            raise _Invalid(f"expected {expected}, got {_kind(value)}")

        return check


def _describe(schema: Any) -> str:
    if isinstance(schema, str):
        return schema.rsplit(".", 1)[-1]
    if isinstance(schema, list):
        return " or ".join(_describe(b) for b in schema)
    return str(schema.get("logicalType") or schema.get("name") or schema["type"])


def compile_validator(schema: Mapping[str, Any]) -> Callable[[Any], None]:
    """Compile a fastavro-parsed record schema into ``validate(record)``.

    ``validate`` returns None or raises :class:`ValidationError` whose message starts with the
    record name and the path of the failing field.
    """
    named = schema.get("__named_schemas", {})
    check = _Compiler(named).compile(schema)
    record_name = str(schema["name"]).rsplit(".", 1)[-1]

    def validate(record: Any) -> None:
        try:
            check(record)
        except _Invalid as exc:
            path = "".join(
                part if part.startswith("[") else f".{part}" for part in reversed(exc.path)
            )
            raise ValidationError(
                f"invalid {record_name}: {record_name}{path}: {exc.why}"
            ) from None

    return validate
