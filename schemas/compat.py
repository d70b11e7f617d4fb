"""``vigie schemas check``: can every consumer still read every event?

For each record with several versions, every later version must read data written by every
earlier one (*backward*: consumers upgrade first, old events stay on the topics and in
replays). That is checked twice: by the Avro resolution rules (:mod:`schemas.resolution`), and by
writing deterministic samples with the older schema and reading them with the newer one through
fastavro. Old readers reading new data (*forward*) is reported as a warning only: it matters
during a rolling upgrade where producers go first.

The folder itself is checked too: a version number gap (events written with the missing version
could no longer be decoded), two files with the same fingerprint (the header could not tell
which version wrote an event), a file whose record name differs from its file name, and fields
that GDPR data minimisation excludes by design (sex, age, birth date, nationality, health,
disability).

Severities: ``breaking`` fails the check (exit status 1); ``warning`` is printed only, unless
``--strict``.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from io import BytesIO
from itertools import combinations
from pathlib import Path
from typing import Any, Literal, cast

from fastavro import schemaless_reader, schemaless_writer

from schemas.registry import AVRO_DIR, NAMESPACE, SchemaRegistry, SchemaVersion
from schemas.resolution import parsed_record, resolution_problems
from schemas.samples import sample_records
from streams.errors import ConfigurationError, SchemaCompatibilityError

Severity = Literal["breaking", "warning"]

# Words of a field name that GDPR-sensitive attributes are spelled with, in English and in
# French (agency data comes with French names). Matched on whole words of snake_case/camelCase
# names, so "agency_id" or "message" do not match "age".
_FORBIDDEN_WORDS = frozenset(
    {
        "sex", "gender", "age", "birth", "birthdate", "birthday", "dob", "born",
        "nationality", "citizenship", "health", "medical", "disability", "disabled",
        "handicap", "rqth", "ethnicity", "ethnic", "religion", "pregnancy", "pregnant",
        "sexe", "naissance", "nationalite", "sante", "ethnie", "grossesse",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """One finding of the check, about one record name (or one file)."""

    severity: Severity
    record: str
    message: str

    @property
    def breaking(self) -> bool:
        """True if this problem fails the check."""
        return self.severity == "breaking"

    def __str__(self) -> str:
        return f"{self.severity.upper()} {self.record}: {self.message}"


def _words(name: str) -> set[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return {w for w in spaced.lower().split("_") if w}


def _record_schemas(version: SchemaVersion) -> Iterator[dict[str, Any]]:
    for named in version.schema["__named_schemas"].values():
        if isinstance(named, dict) and named.get("type") == "record":
            yield named


def _file_problems(version: SchemaVersion) -> list[Problem]:
    """Problems of one file on its own: naming, documentation, forbidden fields, round trip."""
    name, file = version.name, version.path.name
    problems: list[Problem] = []
    if version.file_name != name:
        problems.append(Problem("breaking", name, f"{file} holds record {name}: rename one"))
    namespace = version.full_name.rpartition(".")[0]
    if namespace != NAMESPACE:
        problems.append(
            Problem("warning", name, f"{file}: namespace {namespace!r}, not {NAMESPACE!r}")
        )
    if not version.raw.get("doc"):
        problems.append(Problem("warning", name, f"{file}: the record has no doc"))
    for record in _record_schemas(version):
        short = str(record["name"]).rsplit(".", 1)[-1]
        for field in record["fields"]:
            where = f"{file}: {short}.{field['name']}"
            if not field.get("doc"):
                problems.append(Problem("warning", name, f"{where} has no doc"))
            if _words(field["name"]) & _FORBIDDEN_WORDS:
                problems.append(
                    Problem("breaking", name, f"{where}: GDPR-excluded attribute, by design")
                )
    failure = prove_readable(version.schema, version.schema)
    if failure:
        problems.append(Problem("breaking", name, f"{file}: cannot read its own data: {failure}"))
    return problems


def _version_problems(registry: SchemaRegistry, name: str) -> list[Problem]:
    numbers = [v.version for v in registry.versions(name)]
    missing = sorted(set(range(1, numbers[-1] + 1)) - set(numbers))
    if not missing:
        return []
    shown = ", ".join(f"v{n}" for n in missing)
    return [
        Problem(
            "breaking",
            name,
            f"version gap: {shown} missing; events written with it could not be decoded",
        )
    ]


def _fingerprint_problems(registry: SchemaRegistry) -> list[Problem]:
    by_fp: dict[bytes, list[SchemaVersion]] = {}
    for version in registry:
        by_fp.setdefault(version.fingerprint, []).append(version)
    return [
        Problem(
            "breaking",
            same[0].name,
            f"{', '.join(v.path.name for v in same)} have the same fingerprint "
            f"{same[0].fingerprint_hex} (canonical form ignores docs and defaults): a reader "
            "cannot tell which version wrote an event",
        )
        for same in by_fp.values()
        if len(same) > 1
    ]


def prove_readable(writer: Any, reader: Any) -> str | None:
    """Write samples with ``writer``, read them with ``reader``; the failure as text, or None.

    Both are record schemas, raw JSON or fastavro-parsed (a :class:`SchemaVersion`'s
    ``schema``).
    """
    writer, reader = parsed_record(writer), parsed_record(reader)
    expected = {f["name"] for f in reader["fields"]}
    for sample in sample_records(writer):
        buffer = BytesIO()
        try:
            schemaless_writer(buffer, writer, sample)
            size = buffer.tell()
            buffer.seek(0)
            record = cast(dict[str, Any], schemaless_reader(buffer, writer, reader))
        except Exception as exc:  # any failure is the finding itself, reported as text
            return f"{type(exc).__name__}: {exc}"
        if buffer.tell() != size:
            return f"{size - buffer.tell()} bytes left unread"
        missing = expected - set(record)
        if missing:
            return f"fields missing after reading: {', '.join(sorted(missing))}"
    return None


def _pair_problems(old: SchemaVersion, new: SchemaVersion) -> list[Problem]:
    """Backward (new reads old: breaking) and forward (old reads new: warning) problems."""
    directions: tuple[tuple[SchemaVersion, SchemaVersion, Severity, str], ...] = (
        (old, new, "breaking", f"v{new.version} cannot read v{old.version} data"),
        (new, old, "warning", f"v{old.version} readers cannot read v{new.version} data"),
    )
    problems: list[Problem] = []
    for writer, reader, severity, who in directions:
        reasons = resolution_problems(writer.schema, reader.schema)
        if not reasons:
            failure = prove_readable(writer.schema, reader.schema)
            # The rules said yes; only a real read failing (a bug in the rules) lands here.
            reasons = [f"sample read failed: {failure}"] if failure else []
        problems.extend(Problem(severity, new.name, f"{who}: {r}") for r in reasons)
    return problems


def check_compatibility(registry: SchemaRegistry) -> list[Problem]:
    """Every problem of ``registry``: breaking ones first, then warnings, each by record name."""
    problems = _fingerprint_problems(registry)
    for version in registry:
        problems.extend(_file_problems(version))
    for name in registry.names():
        versions = registry.versions(name)
        problems.extend(_version_problems(registry, name))
        for old, new in combinations(versions, 2):
            problems.extend(_pair_problems(old, new))
    return sorted(problems, key=lambda p: (not p.breaking, p.record))


def assert_compatible(registry: SchemaRegistry) -> None:
    """Raise :class:`SchemaCompatibilityError` listing the breaking problems, if any."""
    breaking = [str(p) for p in check_compatibility(registry) if p.breaking]
    if breaking:
        raise SchemaCompatibilityError("; ".join(breaking))


def schema_table(registry: SchemaRegistry | None = None) -> list[dict[str, object]]:
    """One row per schema version, for ``vigie schemas list``.

    Keys: ``name``, ``version``, ``fingerprint`` (hex, bytes in wire order) and ``fields``
    (number of top-level fields).
    """
    registry = registry if registry is not None else SchemaRegistry.default()
    return [
        {
            "name": v.name,
            "version": v.version,
            "fingerprint": v.fingerprint_hex,
            "fields": len(v.field_names),
        }
        for v in registry
    ]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vigie schemas check",
        description="Check that every schema version can read the data of the earlier ones.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--dir", type=Path, default=AVRO_DIR, help="folder of .avsc files")
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Print one line per problem and a summary; 1 if anything breaks, else 0."""
    args = _parser().parse_args(argv)
    try:
        registry = SchemaRegistry(args.dir)
    except ConfigurationError as exc:
        print(f"BREAKING {exc}")
        print("schemas check: the folder cannot be loaded")
        return 1
    problems = check_compatibility(registry)
    for problem in problems:
        print(problem)
    breaking = sum(p.breaking for p in problems)
    warnings = len(problems) - breaking
    print(
        f"schemas check: {len(registry)} files, {len(registry.names())} records, "
        f"{breaking} breaking, {warnings} warnings"
    )
    return 1 if breaking or (args.strict and warnings) else 0


if __name__ == "__main__":
    raise SystemExit(main())
