"""The service fixtures: a missing broker or Redis skips locally and fails under CI=true."""

from __future__ import annotations

import pytest
import service_resolution

from tests import conftest


def _missing(service: str) -> service_resolution.Resolved:
    raise service_resolution.Unavailable(service, [("env", "KAFKA_BOOTSTRAP_SERVERS unset")])


@pytest.mark.parametrize("service", ["kafka", "redis"])
def test_a_missing_service_fails_under_ci(monkeypatch: pytest.MonkeyPatch, service: str) -> None:
    monkeypatch.setattr(service_resolution, "resolve", _missing)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true, so not skipping"):
        next(conftest._provide(service))


@pytest.mark.parametrize("service", ["kafka", "redis"])
def test_a_missing_service_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, service: str) -> None:
    monkeypatch.setattr(service_resolution, "resolve", _missing)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="make services-up"):
        next(conftest._provide(service))
