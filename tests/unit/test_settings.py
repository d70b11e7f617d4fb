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
    [
        {"VIGIE_PARTITIONS": "four"},
        {"VIGIE_PARTITIONS": "0"},
        {"VIGIE_SALARY_ALERT_RATIO": "1.5"},
        {"VIGIE_SCORE_TOPICS": "offers,mails"},
        {"VIGIE_SCORE_TOPICS": " , "},
    ],
)
def test_bad_values_are_refused_with_the_variable_named(env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="VIGIE_"):
        load_settings(env)


SECURED = {
    "KAFKA_BOOTSTRAP_SERVERS": "kafka-1.internal:9094",
    "VIGIE_KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
    "VIGIE_KAFKA_SASL_MECHANISM": "PLAIN",
    "VIGIE_KAFKA_SASL_USERNAME": "vigie",
    "VIGIE_KAFKA_SASL_PASSWORD": "k-s3cret",
    "REDIS_URL": "redis://redis.internal:6380/0",
    "VIGIE_REDIS_TLS": "true",
    "VIGIE_REDIS_USERNAME": "vigie",
    "VIGIE_REDIS_PASSWORD": "r-s3cret",
}


def test_security_settings_parse_round_trip_and_never_print_their_secrets() -> None:
    s = load_settings(SECURED)
    assert s.kafka_security_protocol == "SASL_SSL" and s.kafka_sasl_mechanism == "PLAIN"
    assert s.redis_tls and s.redis_client_url == "rediss://redis.internal:6380/0"
    assert load_settings(s.to_env()) == s
    assert "k-s3cret" not in repr(s) and "r-s3cret" not in repr(s)
    assert s.to_env()["VIGIE_KAFKA_SASL_PASSWORD"] == "k-s3cret"  # child processes need it


def test_plaintext_by_default_and_rediss_implies_tls() -> None:
    s = load_settings({})
    assert s.kafka_security_protocol == "PLAINTEXT" and not s.redis_tls
    assert s.redis_client_url == s.redis_url
    assert load_settings({"REDIS_URL": "rediss://r:6380/0"}).redis_tls


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"VIGIE_KAFKA_SECURITY_PROTOCOL": "SSL"}, "VIGIE_KAFKA_SECURITY_PROTOCOL"),
        ({**SECURED, "VIGIE_KAFKA_SASL_MECHANISM": "GSSAPI"}, "VIGIE_KAFKA_SASL_MECHANISM"),
        ({**SECURED, "VIGIE_KAFKA_SASL_PASSWORD": ""}, "VIGIE_KAFKA_SASL_PASSWORD"),
        ({"VIGIE_KAFKA_SASL_USERNAME": "vigie"}, "PLAINTEXT"),
        ({**SECURED, "VIGIE_KAFKA_SSL_CA_FILE": "/no/such/ca.pem"}, "VIGIE_KAFKA_SSL_CA_FILE"),
        ({"VIGIE_REDIS_CA_FILE": "/etc/hostname"}, "VIGIE_REDIS_TLS"),
        ({"VIGIE_REDIS_USERNAME": "vigie"}, "VIGIE_REDIS_PASSWORD"),
        ({"VIGIE_REDIS_TLS": "maybe"}, "VIGIE_REDIS_TLS"),
    ],
)
def test_inconsistent_security_settings_are_refused(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        load_settings(env)


def test_score_topics_default_to_every_input_topic_and_parse_loosely() -> None:
    assert load_settings({}).scored_topics == ("offers", "jobseekers", "emails", "feedback")
    s = load_settings({"VIGIE_SCORE_TOPICS": " Offers, jobseekers,,feedback "})
    assert s.scored_topics == ("offers", "jobseekers", "feedback")
    assert load_settings(s.to_env()).scored_topics == s.scored_topics
