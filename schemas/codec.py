"""Avro single-object encoding of Vigie events (Avro 1.11 specification).

Every message on Vigie's topics is ``C3 01`` + the 8-byte little-endian CRC-64-AVRO fingerprint
of the writer schema's Parsing Canonical Form + the Avro binary body. The fingerprint lets a
consumer find the exact writer schema in :class:`SchemaRegistry` with no schema-registry
service, and read it *as the latest version* of the same record, so a consumer upgraded to v2
still reads v1 events (missing fields get their defaults).

Encoding validates the record strictly first (see :mod:`schemas.validator`). Timestamps
(``timestamp-millis``) are given as aware ``datetime`` objects or int epoch milliseconds and
decode as aware UTC datetimes (millisecond precision); dates as ``datetime.date`` or int days.

>>> codec = Codec(SchemaRegistry.default())
>>> data = codec.encode("OfferClosed", {"event_id": "e1", "offer_id": "190HCYJ",
...     "closed_at": 1743177600000, "outcome": "expired"})
>>> data[:2].hex(), codec.decode(data).record["outcome"]
('c301', 'expired')
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, cast

from fastavro import schemaless_reader, schemaless_writer

from schemas.fingerprint import canonical_form, crc64_avro, fingerprint
from schemas.registry import AVRO_DIR, NAMESPACE, SchemaRegistry, SchemaVersion
from schemas.validator import compile_validator
from streams.errors import DecodeError, UnknownSchemaError, ValidationError

__all__ = [
    "AVRO_DIR",
    "HEADER_SIZE",
    "MAGIC",
    "NAMESPACE",
    "Codec",
    "Decoded",
    "SchemaRegistry",
    "SchemaVersion",
    "canonical_form",
    "crc64_avro",
    "fingerprint",
]

MAGIC = b"\xc3\x01"
HEADER_SIZE = len(MAGIC) + 8


@dataclass(frozen=True)
class Decoded:
    """One decoded event.

    ``version`` is the schema version the producer wrote with; ``record`` always has the shape
    of ``reader_version``, the latest version of ``name`` this process knows.
    """

    name: str
    version: int
    record: dict[str, Any] = field(hash=False)
    reader_version: int


@dataclass(frozen=True)
class _Writer:
    version: SchemaVersion
    header: bytes
    validate: Callable[[Any], None]


@dataclass(frozen=True)
class _Reader:
    writer: SchemaVersion
    reader: SchemaVersion
    # None when fastavro need not resolve: the same version, or a reader that only adds fields
    # (with defaults) or drops some; then ``added``/``dropped`` finish the job, twice as fast.
    reader_schema: dict[str, Any] | None
    # Fields set to a fresh copy of their default after reading (see _fresh).
    added: tuple[tuple[str, Any], ...] = ()
    dropped: tuple[str, ...] = ()


def _additive_plan(
    writer: SchemaVersion, reader: SchemaVersion
) -> tuple[tuple[tuple[str, Any], ...], tuple[str, ...]] | None:
    """(added fields with defaults, dropped fields) if resolution is only that, else None.

    That holds when every shared field and every shared named type is identical and no alias
    renames a field; any other change (promotion, nested change, missing default) is left to
    fastavro, which applies the full rules and reports errors precisely.
    """
    w_named, r_named = writer.schema["__named_schemas"], reader.schema["__named_schemas"]
    shared_types = (set(w_named) & set(r_named)) - {writer.full_name, reader.full_name}
    if any(w_named[name] != r_named[name] for name in shared_types):
        return None
    written = {f["name"]: f["type"] for f in writer.schema["fields"]}
    added: list[tuple[str, Any]] = []
    for f in reader.schema["fields"]:
        if f.get("aliases"):
            return None
        if f["name"] in written:
            if written[f["name"]] != f["type"]:
                return None
        elif "default" in f:
            added.append((f["name"], f["default"]))
        else:
            return None
    kept = {f["name"] for f in reader.schema["fields"]}
    return tuple(added), tuple(name for name in written if name not in kept)


def _fresh(value: Any) -> Any:
    # fastavro hands out the schema's own default object: copy lists and dicts so that one
    # consumer mutating a decoded record cannot change the default every later record gets.
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    return value


class Codec:
    """Encodes and decodes single-object encoded Avro events; safe to share between tasks.

    Every writer/reader pair is prepared once at construction, so ``encode`` and ``decode`` do
    no schema work per message.
    """

    def __init__(self, registry: SchemaRegistry | None = None) -> None:
        self.registry = registry if registry is not None else SchemaRegistry.default()
        self._writers: dict[tuple[str, int], _Writer] = {}
        self._latest: dict[str, _Writer] = {}
        self._readers: dict[bytes, _Reader] = {}
        for version in self.registry:
            writer = _Writer(
                version, MAGIC + version.fingerprint, compile_validator(version.schema)
            )
            self._writers[(version.name, version.version)] = writer
            self._readers.setdefault(version.fingerprint, self._reader_for(version))
        for name in self.registry.names():
            latest = self.registry.latest(name)
            self._latest[name] = self._writers[(name, latest.version)]

    def _reader_for(self, writer: SchemaVersion) -> _Reader:
        reader = self.registry.latest(writer.name)
        if reader.fingerprint == writer.fingerprint:
            return _Reader(writer, reader, reader_schema=None)
        plan = _additive_plan(writer, reader)
        if plan is None:
            written = set(writer.field_names)
            shared_defaults = tuple(
                (f["name"], f["default"])
                for f in reader.schema["fields"]
                if isinstance(f.get("default"), list | dict)
                and written.isdisjoint([f["name"], *f.get("aliases", ())])
            )
            return _Reader(writer, reader, reader_schema=reader.schema, added=shared_defaults)
        added, dropped = plan
        return _Reader(writer, reader, reader_schema=None, added=added, dropped=dropped)

    def _writer(self, name: str, version: int | None) -> _Writer:
        writer = self._latest.get(name) if version is None else self._writers.get((name, version))
        if writer is None:
            shown = name if version is None else f"{name} v{version}"
            raise KeyError(f"no schema {shown} in {self.registry.folder}")
        return writer

    def encode(
        self,
        name: str,
        record: Mapping[str, Any],
        *,
        version: int | None = None,
        validate: bool = True,
    ) -> bytes:
        """Validate ``record`` and encode it with the latest version of ``name``.

        ``timestamp-millis`` fields take an aware ``datetime`` (any zone) or int epoch
        milliseconds, never a naive datetime; ``date`` fields a ``date`` or int days. Fields
        left out take their schema default; unknown keys are refused. ``version`` pins an older
        version (a producer not upgraded yet). Raises :class:`ValidationError` naming the failing
        field, ``KeyError`` for an unknown name or version. ``validate=False`` skips the field
        by field check, for records Vigie itself built from valid ones (the learning examples
        of a batch): the writer still refuses a value of the wrong type, without the field's
        name.
        """
        writer = self._writer(name, version)
        if validate:
            writer.validate(record)
        out = BytesIO()
        out.write(writer.header)
        try:
            schemaless_writer(out, writer.version.schema, record)
        except (ValueError, TypeError, OverflowError, struct.error) as exc:
            # Validation should have caught it; never let a fastavro error escape regardless.
            raise ValidationError(f"cannot encode {name}: {type(exc).__name__}") from exc
        return out.getvalue()

    def decode(self, data: bytes | bytearray | memoryview | None) -> Decoded:
        """Decode one message, resolved to the latest version of its record.

        Raises :class:`DecodeError` for anything that is not a well-formed message and
        :class:`UnknownSchemaError` (a DecodeError) when the fingerprint matches no version.
        """
        if data is None:  # a Kafka tombstone on an input topic: no event at all
            raise DecodeError("null value (a tombstone), not an event")
        if len(data) < HEADER_SIZE or data[:2] != MAGIC:
            raise DecodeError(
                f"not an Avro single-object message ({len(data)} bytes, "
                f"starts {bytes(data[:2]).hex() or 'empty'}, expected c301)"
            )
        fp = bytes(data[2:HEADER_SIZE])
        reader = self._readers.get(fp)
        if reader is None:
            raise UnknownSchemaError(
                f"unknown schema fingerprint {fp.hex()}: no version in {self.registry.folder.name}/"
            )
        body = BytesIO(data)
        body.seek(HEADER_SIZE)
        try:
            record = cast(
                dict[str, Any],
                schemaless_reader(body, reader.writer.schema, reader.reader_schema),
            )
        except Exception as exc:
            # Whatever fastavro raises here (EOFError, struct.error, UnicodeDecodeError,
            # IndexError on a bad union branch, ...) is about these bytes: an input error.
            raise DecodeError(
                f"corrupt {reader.writer.name} v{reader.writer.version} body "
                f"({len(data)} bytes): {type(exc).__name__}: {str(exc)[:200]}"
            ) from exc
        if body.tell() != len(data):
            raise DecodeError(
                f"{len(data) - body.tell()} trailing bytes after a "
                f"{reader.writer.name} v{reader.writer.version} record"
            )
        for name in reader.dropped:
            del record[name]
        for name, default in reader.added:
            record[name] = _fresh(default)
        return Decoded(
            name=reader.writer.name,
            version=reader.writer.version,
            record=record,
            reader_version=reader.reader.version,
        )

    def decode_many(
        self, messages: Iterable[bytes | bytearray | memoryview]
    ) -> list[Decoded | DecodeError]:
        """Decode a batch; a bad message yields its :class:`DecodeError` in place.

        One malformed message must not cost the batch: the caller dead-letters the errors at
        their positions (which map to offsets) and processes the rest.
        """
        results: list[Decoded | DecodeError] = []
        for message in messages:
            try:
                results.append(self.decode(message))
            except DecodeError as exc:
                results.append(exc)
        return results
