"""Kafka and Redis clients built from the settings, security included.

The one place that turns :class:`~streams.settings.Settings` into client options: librdkafka's
(confluent-kafka producers, consumers and admin clients), aiokafka's through Faust's broker
credentials, and redis-py's (sync and asyncio). So SASL_SSL on Kafka (SCRAM-SHA-512 or PLAIN)
and TLS with an ACL user on Redis reach every client alike, and a refused password is reported
at start-up by :func:`check_connections` instead of being retried forever.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from typing import TYPE_CHECKING, Any

import redis
import redis.asyncio as aioredis

from streams.errors import CredentialsError
from streams.settings import Settings

if TYPE_CHECKING:
    import faust

logger = logging.getLogger(__name__)


def kafka_config(settings: Settings, **extra: Any) -> dict[str, Any]:
    """librdkafka configuration: bootstrap servers, security, then ``extra`` (dotted names
    passed as a mapping, e.g. ``**{"group.id": "g"}``)."""
    config: dict[str, Any] = {"bootstrap.servers": settings.kafka_bootstrap_servers}
    if settings.kafka_security_protocol == "SASL_SSL":
        config.update(
            {
                "security.protocol": "SASL_SSL",
                "sasl.mechanisms": settings.kafka_sasl_mechanism,
                "sasl.username": settings.kafka_sasl_username,
                "sasl.password": str(settings.kafka_sasl_password),
            }
        )
        if settings.kafka_ssl_ca_file:
            config["ssl.ca.location"] = settings.kafka_ssl_ca_file
    config.update(extra)
    return config


def ssl_context(ca_file: str) -> ssl.SSLContext:
    """A client TLS context that checks the server's certificate and name (``ca_file``: the CA
    that signed it; empty: the system's CAs)."""
    return ssl.create_default_context(cafile=ca_file or None)


def faust_credentials(settings: Settings) -> faust.SASLCredentials | None:
    """Faust's ``broker_credentials`` (aiokafka's SASL over TLS), None for PLAINTEXT."""
    if settings.kafka_security_protocol != "SASL_SSL":
        return None
    import faust

    return faust.SASLCredentials(
        username=settings.kafka_sasl_username,
        password=str(settings.kafka_sasl_password),
        mechanism=settings.kafka_sasl_mechanism,
        ssl_context=ssl_context(settings.kafka_ssl_ca_file),
    )


def redis_options(settings: Settings) -> dict[str, Any]:
    """redis-py connection options: the ACL user, its password and the CA of a TLS server."""
    options: dict[str, Any] = {}
    if settings.redis_username:
        options["username"] = settings.redis_username
    if settings.redis_password:
        options["password"] = str(settings.redis_password)
    if settings.redis_tls and settings.redis_ca_file:
        options["ssl_ca_certs"] = settings.redis_ca_file
    return options


def open_redis(settings: Settings, **kwargs: Any) -> redis.Redis:
    """A redis-py client of the configured server (``kwargs``: e.g. ``decode_responses``)."""
    return redis.Redis.from_url(settings.redis_client_url, **redis_options(settings), **kwargs)


def open_redis_async(settings: Settings, **kwargs: Any) -> aioredis.Redis:
    """An asyncio redis-py client of the configured server."""
    return aioredis.Redis.from_url(settings.redis_client_url, **redis_options(settings), **kwargs)


def check_connections(
    settings: Settings, *, kafka: bool = True, redis_: bool = True, timeout_s: float = 15.0
) -> None:
    """Raise :class:`CredentialsError` when Kafka or Redis refuses the credentials or the
    server's certificate, within ``timeout_s``. A server that does not answer at all is only
    logged: outages are waited out by the clients, a wrong password never is."""
    if kafka:
        _check_kafka(settings, timeout_s)
    if redis_:
        _check_redis(settings, timeout_s)


def _check_kafka(settings: Settings, timeout_s: float) -> None:
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient

    refused: list[str] = []
    lock = threading.Lock()

    # librdkafka's own (client-side) error codes are the ones with a leading underscore.
    fatal = (KafkaError._AUTHENTICATION, KafkaError._SSL)  # noqa: SLF001

    def on_error(error: KafkaError) -> None:
        if error.code() in fatal:
            with lock:
                refused.append(error.str())

    admin = AdminClient(kafka_config(settings, error_cb=on_error, log_level=0))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            admin.list_topics(timeout=1.0)
            return
        except KafkaException:
            admin.poll(0)
        with lock:
            if refused:
                raise CredentialsError(
                    f"Kafka at {settings.kafka_bootstrap_servers} refused the connection "
                    f"({settings.kafka_security_protocol}, {settings.kafka_sasl_mechanism}, user "
                    f"{settings.kafka_sasl_username!r}): {refused[0]}; check "
                    "VIGIE_KAFKA_SASL_USERNAME, VIGIE_KAFKA_SASL_PASSWORD, "
                    "VIGIE_KAFKA_SASL_MECHANISM and VIGIE_KAFKA_SSL_CA_FILE"
                )
    logger.warning(
        "kafka not answering yet bootstrap=%s waited_s=%.0f: carrying on, the clients retry",
        settings.kafka_bootstrap_servers,
        timeout_s,
    )


def _check_redis(settings: Settings, timeout_s: float) -> None:
    client = open_redis(settings, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
    try:
        client.ping()
    except redis.AuthenticationError as exc:
        raise CredentialsError(
            f"Redis refused user {settings.redis_username or 'default'!r}: {exc}; check "
            "VIGIE_REDIS_USERNAME and VIGIE_REDIS_PASSWORD (or the password in REDIS_URL)"
        ) from exc
    except redis.ConnectionError as exc:
        if isinstance(exc.__context__, ssl.SSLError) or "SSL" in str(exc):
            raise CredentialsError(
                f"Redis TLS handshake failed: {exc}; check VIGIE_REDIS_CA_FILE"
            ) from exc
        logger.warning("redis not answering yet error=%s: carrying on, the clients retry", exc)
    except redis.ResponseError as exc:
        if "NOAUTH" in str(exc) or "WRONGPASS" in str(exc):
            raise CredentialsError(f"Redis refused the connection: {exc}") from exc
        raise
    finally:
        client.close()
