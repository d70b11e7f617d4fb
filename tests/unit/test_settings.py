"""Settings: one table of variables, parsed once, printable without secrets."""

from __future__ import annotations

import pytest

from streams.errors import ConfigurationError
from streams.settings import VARIABLES, load_settings


def test_defaults_and_overrides() -> None:
    s = load_settings({}, partitions=2)
    assert s.kafka_bootstrap_servers == VARIABLES["KAFKA_BOOTSTRAP_SERVERS"].default
    assert s.partitions == 2
    assert s.topic("offers") == "vigie.offers" and s.key("alerts", "all") == "vigie:alerts:all"


def test_to_env_round_trips_so_child_processes_get_the_same_settings() -> None:
    s = load_settings({"VIGIE_TOPIC_PREFIX": "it-x.", "VIGIE_BATCH_WITHIN_S": "0.05"})
    assert load_settings(s.to_env()) == s
    assert set(s.to_env()) == set(VARIABLES)


def test_the_redis_password_never_prints() -> None:
    s = load_settings({"REDIS_URL": "redis://:s3cret@redis.internal:6379/0"})
    assert "s3cret" not in repr(s) and "***" in repr(s)


@pytest.mark.parametrize(
    "env",
    [{"VIGIE_PARTITIONS": "four"}, {"VIGIE_PARTITIONS": "0"}, {"VIGIE_SALARY_ALERT_RATIO": "1.5"}],
)
def test_bad_values_are_refused_with_the_variable_named(env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="VIGIE_"):
        load_settings(env)
