"""Client options built from the security settings (no server is contacted)."""

from __future__ import annotations

from pathlib import Path

import faust
import redis

from streams.security import faust_credentials, kafka_config, open_redis, redis_options
from streams.settings import load_settings


def _secured(tmp_path: Path) -> dict[str, str]:
    ca = tmp_path / "ca.crt"
    ca.write_text("not read here\n")
    return {
        "KAFKA_BOOTSTRAP_SERVERS": "k:9094",
        "VIGIE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "VIGIE_KAFKA_SASL_USERNAME": "vigie",
        "VIGIE_KAFKA_SASL_PASSWORD": "k-s3cret",
        "VIGIE_KAFKA_SSL_CA_FILE": str(ca),
        "REDIS_URL": "rediss://r:6380/0",
        "VIGIE_REDIS_CA_FILE": str(ca),
        "VIGIE_REDIS_USERNAME": "vigie",
        "VIGIE_REDIS_PASSWORD": "r-s3cret",
    }


def test_plaintext_clients_get_only_the_bootstrap_servers() -> None:
    s = load_settings({})
    assert kafka_config(s, **{"group.id": "g"}) == {
        "bootstrap.servers": s.kafka_bootstrap_servers,
        "group.id": "g",
    }
    assert redis_options(s) == {}
    assert faust_credentials(s) is None


def test_sasl_ssl_reaches_librdkafka_and_faust(tmp_path: Path) -> None:
    s = load_settings(_secured(tmp_path))
    config = kafka_config(s)
    assert config["security.protocol"] == "SASL_SSL"
    assert config["sasl.mechanisms"] == "SCRAM-SHA-512"
    assert (config["sasl.username"], config["sasl.password"]) == ("vigie", "k-s3cret")
    assert type(config["sasl.password"]) is str  # not the masked wrapper
    assert config["ssl.ca.location"] == s.kafka_ssl_ca_file
    # The CA file here is a placeholder: Faust's context is checked with the system's CAs.
    credentials = faust_credentials(
        load_settings({**_secured(tmp_path), "VIGIE_KAFKA_SSL_CA_FILE": ""})
    )
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol.value == "SASL_SSL"
    assert credentials.mechanism.value == "SCRAM-SHA-512"
    assert credentials.ssl_context is not None and credentials.password == "k-s3cret"


def test_redis_tls_and_acl_reach_redis_py(tmp_path: Path) -> None:
    s = load_settings(_secured(tmp_path))
    client = open_redis(s, decode_responses=True)
    kwargs = client.connection_pool.connection_kwargs
    assert client.connection_pool.connection_class is redis.SSLConnection
    assert (kwargs["username"], kwargs["password"]) == ("vigie", "r-s3cret")
    assert kwargs["ssl_ca_certs"] == s.redis_ca_file
    client.close()
