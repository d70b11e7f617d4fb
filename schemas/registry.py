"""The schema versions kept in ``schemas/avro/``, indexed by fingerprint and by record name.

Each ``<RecordName>.v<N>.avsc`` file is one self-contained version of one record (named types it
uses, such as ``Attachment``, are defined inline). Every version ever published stays in the
folder: a consumer meets events written with old versions and finds their writer schema here by
fingerprint. The registry is strict about what makes it unusable (unreadable JSON, invalid Avro,
a badly named file, two files claiming the same name and version) and tolerant of what
``vigie schemas check`` reports instead (version gaps, duplicate fingerprints, a record name
that differs from its file name), so that the check can list every problem at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, cast

from fastavro import parse_schema
from fastavro.schema import SchemaParseException, UnknownType

from schemas.fingerprint import fingerprint
from streams.errors import ConfigurationError, UnknownSchemaError

NAMESPACE = "fr.francetravail.vigie"
AVRO_DIR = Path(__file__).resolve().parent / "avro"

_FILE_NAME = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)\.v(?P<version>[1-9][0-9]*)\.avsc$")


@dataclass(frozen=True)
class SchemaVersion:
    """One version of one record schema, loaded from one ``.avsc`` file.

    ``schema`` is fastavro's parsed form (names fully qualified, named types registered), ready
    for ``schemaless_reader``/``schemaless_writer``; ``raw`` is the JSON as written in the file.
    """

    name: str
    full_name: str
    version: int
    fingerprint: bytes
    schema: dict[str, Any] = field(compare=False, repr=False)
    path: Path
    raw: dict[str, Any] = field(compare=False, repr=False)

    @property
    def fingerprint_hex(self) -> str:
        """The fingerprint as hex, bytes in wire order (little-endian)."""
        return self.fingerprint.hex()

    @property
    def file_name(self) -> str:
        """The record name the file name claims: ``OfferPosted`` for ``OfferPosted.v2.avsc``."""
        return self.path.name.split(".", 1)[0]

    @property
    def field_names(self) -> tuple[str, ...]:
        """Top-level field names, in schema order."""
        return tuple(f["name"] for f in self.schema["fields"])


def load_version(path: Path) -> SchemaVersion:
    """Load and check one ``.avsc`` file; raise :class:`ConfigurationError` if it is unusable."""
    match = _FILE_NAME.match(path.name)
    if match is None:
        raise ConfigurationError(f"schema file name must be <RecordName>.v<N>.avsc: {path}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigurationError(f"cannot read schema file {path}: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("type") != "record":
        raise ConfigurationError(f"schema file {path} must hold one Avro record schema")
    try:
        parsed = cast(dict[str, Any], parse_schema(raw, named_schemas={}))
        fp = fingerprint(raw)
    except (SchemaParseException, UnknownType, ValueError, TypeError, KeyError) as exc:
        raise ConfigurationError(f"invalid Avro schema in {path}: {exc}") from exc
    full_name = str(parsed["name"])
    return SchemaVersion(
        name=full_name.rsplit(".", 1)[-1],
        full_name=full_name,
        version=int(match["version"]),
        fingerprint=fp,
        schema=parsed,
        path=path,
        raw=raw,
    )


class SchemaRegistry:
    """Every schema version of one folder, by record name and by fingerprint.

    >>> registry = SchemaRegistry.default()
    >>> registry.latest("OfferPosted").version >= 1
    True
    """

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise ConfigurationError(f"schema folder not found: {self.folder}")
        loaded = [load_version(path) for path in sorted(self.folder.glob("*.avsc"))]
        if not loaded:
            raise ConfigurationError(f"no .avsc schema file in {self.folder}")
        self._all = tuple(sorted(loaded, key=lambda v: (v.name, v.version)))
        self._by_name = self._index_by_name(self._all)
        self._by_fingerprint: dict[bytes, SchemaVersion] = {}
        for version in self._all:
            # Identical canonical forms are reported by the compatibility check; decoding with
            # either is the same, so the lowest version wins here.
            self._by_fingerprint.setdefault(version.fingerprint, version)

    @staticmethod
    def _index_by_name(versions: tuple[SchemaVersion, ...]) -> dict[str, tuple[SchemaVersion, ...]]:
        by_name: dict[str, list[SchemaVersion]] = {}
        for version in versions:
            same = by_name.setdefault(version.name, [])
            if same and same[-1].version == version.version:
                raise ConfigurationError(
                    f"{version.name} v{version.version} is defined twice: "
                    f"{same[-1].path.name} and {version.path.name}"
                )
            same.append(version)
        return {name: tuple(versions) for name, versions in by_name.items()}

    @classmethod
    def default(cls) -> SchemaRegistry:
        """The registry of the package's own ``schemas/avro`` folder, loaded once per process."""
        return _default_registry()

    def __iter__(self) -> Iterator[SchemaVersion]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def __repr__(self) -> str:
        return f"SchemaRegistry({str(self.folder)!r}, versions={len(self._all)})"

    def names(self) -> list[str]:
        """Record names (short), sorted."""
        return sorted(self._by_name)

    def versions(self, name: str) -> tuple[SchemaVersion, ...]:
        """All versions of record ``name``, oldest first; ``KeyError`` if the name is unknown."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no schema named {name!r} in {self.folder}") from None

    def latest(self, name: str) -> SchemaVersion:
        """The highest version of record ``name``; ``KeyError`` if the name is unknown."""
        return self.versions(name)[-1]

    def by_fingerprint(self, fp: bytes) -> SchemaVersion:
        """The version whose fingerprint is ``fp``; :class:`UnknownSchemaError` if none."""
        try:
            return self._by_fingerprint[bytes(fp)]
        except KeyError:
            raise UnknownSchemaError(
                f"unknown schema fingerprint {bytes(fp).hex()} (not in {self.folder.name}/)"
            ) from None


@cache
def _default_registry() -> SchemaRegistry:
    return SchemaRegistry(AVRO_DIR)
