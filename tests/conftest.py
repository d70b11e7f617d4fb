"""Suite-wide fixtures.

``kafka_bootstrap`` and ``redis_url`` (session scope) provide a Kafka broker and a Redis server:
from KAFKA_BOOTSTRAP_SERVERS / REDIS_URL when set, else testcontainers when a Docker engine
answers, else the project's own local services (services/local.py). See
tests/service_resolution.py. Only tests that request them start anything; when no service can be
had they are skipped, or fail under CI=true.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:  # service_resolution must import whatever pytest's importmode
    sys.path.insert(0, _TESTS_DIR)
import service_resolution  # noqa: E402


def _provide(service: str) -> Iterator[str]:
    try:
        resolved = service_resolution.resolve(service)
    except service_resolution.Unavailable as exc:
        missing = exc
    else:
        missing = None
    if missing is not None:  # outside the except block: no chained traceback in the report
        if service_resolution.running_on_ci():
            pytest.fail(f"CI=true, so not skipping: {missing.details()}", pytrace=False)
        pytest.skip(f"{missing} (run `make services-up`, or set the variable)")
        return
    try:
        yield resolved.value
    finally:
        if resolved.release is not None:
            resolved.release()


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap servers of a Kafka broker that answers."""
    yield from _provide("kafka")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of a Redis server that answers PING."""
    yield from _provide("redis")
