"""Vigie's settings, read from the environment in this one module only.

Every variable is listed in ``VARIABLES`` with its default and meaning; the README's
configuration table and each CLI ``--help`` are generated from the same entries, so they cannot
drift apart. Kafka and Redis use the conventional unprefixed names (``KAFKA_BOOTSTRAP_SERVERS``,
``REDIS_URL``); everything else is prefixed ``VIGIE_``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from streams.errors import ConfigurationError

# The input topics' short names (streams.topics.INPUT_TOPICS, which imports this module).
INPUT_TOPIC_NAMES: tuple[str, ...] = ("offers", "jobseekers", "emails", "feedback")

_N = TypeVar("_N", int, float)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, default (as text) and what it controls."""

    name: str
    default: str
    help: str


VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        Variable("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092", "Kafka bootstrap servers."),
        Variable(
            "REDIS_URL",
            "redis://127.0.0.1:16379/0",
            "Redis URL. Unset, `make` starts a project-local redis-server on port 16379.",
        ),
        Variable(
            "VIGIE_KAFKA_SECURITY_PROTOCOL",
            "PLAINTEXT",
            "Kafka security protocol: PLAINTEXT, or SASL_SSL (SASL over TLS) for every client "
            "(producers, consumers, admin, Faust's).",
        ),
        Variable(
            "VIGIE_KAFKA_SASL_MECHANISM",
            "SCRAM-SHA-512",
            "SASL mechanism under SASL_SSL: SCRAM-SHA-512 or PLAIN.",
        ),
        Variable("VIGIE_KAFKA_SASL_USERNAME", "", "Kafka SASL username (required by SASL_SSL)."),
        Variable(
            "VIGIE_KAFKA_SASL_PASSWORD",
            "",
            "Kafka SASL password (a secret: never printed or logged).",
        ),
        Variable(
            "VIGIE_KAFKA_SSL_CA_FILE",
            "",
            "PEM file of the CA that signed the brokers' certificates (empty: the system's CAs).",
        ),
        Variable(
            "VIGIE_REDIS_TLS",
            "false",
            "true: connect to Redis over TLS (also implied by a rediss:// REDIS_URL).",
        ),
        Variable(
            "VIGIE_REDIS_CA_FILE",
            "",
            "PEM file of the CA that signed the Redis server's certificate (empty: system CAs).",
        ),
        Variable("VIGIE_REDIS_USERNAME", "", "Redis ACL username (empty: the default user)."),
        Variable(
            "VIGIE_REDIS_PASSWORD",
            "",
            "Redis password of that user (a secret: never printed or logged).",
        ),
        Variable("VIGIE_TOPIC_PREFIX", "vigie.", "Prefix of every Kafka topic name."),
        Variable("VIGIE_PARTITIONS", "4", "Partitions of the topics Vigie creates."),
        Variable("VIGIE_REPLICATION", "1", "Replication factor of the topics Vigie creates."),
        Variable("VIGIE_APP_ID", "vigie", "Faust application id (the consumer group)."),
        Variable("VIGIE_REDIS_PREFIX", "vigie", "Prefix of every Redis key."),
        Variable("VIGIE_BATCH_SIZE", "500", "Events per processing batch (at most)."),
        Variable(
            "VIGIE_BATCH_WITHIN_S",
            "0.05",
            "Longest wait, in seconds, to fill a processing batch: a batch closes on its size or "
            "on this deadline, whichever comes first.",
        ),
        Variable(
            "VIGIE_CONSUMER",
            "batch",
            "How a worker reads its topics: batch (a confluent-kafka consumer run by the Faust "
            "app, whole batches, no per-message path) or faust (Faust agents, take_events).",
        ),
        Variable(
            "VIGIE_PROCESSING_GUARANTEE",
            "exactly_once",
            "exactly_once (the batch consumer's outputs to Kafka and its input offsets commit in "
            "one Kafka transaction, as Kafka Streams' exactly_once_v2; a watchdog replaces a "
            "producer stuck past its timeout, librdkafka #5456) or at_least_once (outputs "
            "acknowledged, then offsets committed; a killed worker may repeat a batch's alerts "
            "on the Kafka alerts topic, never in Redis).",
        ),
        Variable(
            "VIGIE_COMMIT_INTERVAL_S",
            "0.1",
            "With exactly_once, how often, in seconds, the open transaction is committed: it "
            "spans the batches delivered meanwhile (Kafka Streams' commit.interval.ms).",
        ),
        Variable("VIGIE_ALERT_STREAM_MAXLEN", "100000", "Approximate length cap of alert streams."),
        Variable(
            "VIGIE_ALERT_STREAM_RETENTION_S",
            "2592000",
            "Alerts older than this, in seconds, are trimmed from the streams (30 days).",
        ),
        Variable(
            "VIGIE_STATE_TTL_S", "2592000", "TTL, in seconds, of latest-state hashes (30 days)."
        ),
        Variable(
            "VIGIE_DEDUP_TTL_S",
            "7776000",
            "How long, in seconds, an alert id is remembered to refuse duplicates (90 days).",
        ),
        Variable(
            "VIGIE_SALARY_ALERT_RATIO",
            "0.8",
            "An offer paying less than this share of the local median raises an alert.",
        ),
        Variable(
            "VIGIE_BASELINE_MIN_COUNT",
            "5",
            "Offers a local baseline needs before its median is trusted for alerts.",
        ),
        Variable(
            "VIGIE_SNAPSHOT_INTERVAL_S",
            "30",
            "Seconds between model snapshots while a model keeps learning.",
        ),
        Variable(
            "VIGIE_EMAIL_SNAPSHOT_INTERVAL_S",
            "300",
            "Seconds between snapshots of the email-triage model (MB-sized, kept forever).",
        ),
        Variable(
            "VIGIE_WORKER_ROLE",
            "all",
            "What a worker does: all (score and learn), scoring, or learning (one learner per "
            "model, in consumer group <VIGIE_APP_ID>-learning). Use all everywhere, or "
            "scoring and learning workers: never all beside learning.",
        ),
        Variable(
            "VIGIE_SCORE_TOPICS",
            ",".join(INPUT_TOPIC_NAMES),
            "Input topics a scoring worker reads (comma-separated short names). A worker "
            "without emails never loads the French pipeline (about 550 MiB): run bulk "
            "workers with offers,jobseekers,feedback beside email workers with emails.",
        ),
        Variable(
            "VIGIE_KAFKA_SESSION_TIMEOUT_S",
            "60",
            "Seconds without a heartbeat before Kafka gives a silent worker's partitions to "
            "the others (Faust's broker_session_timeout; at least 6, the broker's minimum).",
        ),
        Variable(
            "VIGIE_MODEL_REFRESH_S",
            "2",
            "Seconds between two checks for new model snapshots by the scoring workers.",
        ),
        Variable("VIGIE_DATA_DIR", "", "Folder of vendored reference data (default: ./data)."),
        Variable(
            "VIGIE_CACHE_DIR",
            "",
            "Folder of derived caches, e.g. the email model warm start (default: ./.run/cache).",
        ),
        Variable("VIGIE_WEB_PORT", "6066", "Port of the Faust web server (0 disables it)."),
        Variable("VIGIE_LOG_LEVEL", "INFO", "Log level of the worker and the CLI."),
        Variable(
            "VIGIE_METRICS_PORT",
            "9108",
            "Port of the worker's Prometheus /metrics endpoint (0 disables it; a port already "
            "taken by another worker is logged and skipped).",
        ),
        Variable("VIGIE_CONSOLE_HOST", "127.0.0.1", "Address the adviser console listens on."),
        Variable("VIGIE_CONSOLE_PORT", "8088", "Port of the adviser console (vigie console)."),
        Variable(
            "VIGIE_OIDC_JWKS_URL",
            "",
            "JWKS URL of the OpenID Connect provider whose bearer tokens the console accepts "
            "(required unless vigie console --dev-login).",
        ),
        Variable("VIGIE_OIDC_ISSUER", "", "Expected `iss` of the console's bearer tokens."),
        Variable("VIGIE_OIDC_AUDIENCE", "vigie-console", "Expected `aud` of the bearer tokens."),
        Variable(
            "VIGIE_CONSOLE_DEV_TOKEN_TTL_S",
            "28800",
            "Lifetime, in seconds, of the tokens vigie console --dev-login signs (8 hours).",
        ),
        Variable(
            "VIGIE_HARD_TO_FILL_THRESHOLD",
            "0.7",
            "An offer whose risk of not being filled within 30 days reaches this raises an alert.",
        ),
        Variable(
            "VIGIE_HARD_TO_FILL_MIN_OUTCOMES",
            "200",
            "Closed offers the hard-to-fill model must learn before its risk replaces the prior.",
        ),
        Variable(
            "VIGIE_LONG_TERM_RISK_THRESHOLD",
            "0.75",
            "A job seeker whose risk of 12 months or more of search crosses this alerts the "
            "adviser (again only after it fell below VIGIE_LONG_TERM_RISK_REARM).",
        ),
        Variable(
            "VIGIE_LONG_TERM_RISK_REARM",
            "0.6",
            "Risk a job seeker must fall below before a new long-term-risk alert.",
        ),
        Variable(
            "VIGIE_RECONVERSION_MIN_DAYS",
            "180",
            "Days registered before a new reconversion option alerts (sooner if the risk is high).",
        ),
        Variable(
            "VIGIE_BASELINE_HALF_LIFE_DAYS",
            "180",
            "Half-life, in days of event time, of an offer's weight in the market baselines.",
        ),
        Variable(
            "VIGIE_OPEN_OFFER_MAX_DAYS",
            "180",
            "An open offer never closed is forgotten this many days (event time) after posting.",
        ),
        Variable(
            "VIGIE_DRAFT_LLM_URL",
            "",
            "Base URL of an OpenAI-compatible chat endpoint for reply drafts (e.g. Albert); "
            "empty: template drafts only (default).",
        ),
        Variable(
            "VIGIE_DRAFT_LLM_MODEL",
            "",
            "Model asked for generated reply drafts; empty: template drafts only (default).",
        ),
        Variable(
            "VIGIE_DRAFT_LLM_KEY",
            "",
            "Bearer key of the reply-draft endpoint (a secret: never printed or logged).",
        ),
        Variable(
            "VIGIE_DRAFT_LLM_TIMEOUT_S",
            "4",
            "Seconds a generated reply draft may take before the template draft is used.",
        ),
    )
}


WORKER_ROLES = ("all", "scoring", "learning")
CONSUMERS = ("batch", "faust")
GUARANTEES = ("exactly_once", "at_least_once")
KAFKA_SECURITY_PROTOCOLS = ("PLAINTEXT", "SASL_SSL")
KAFKA_SASL_MECHANISMS = ("SCRAM-SHA-512", "PLAIN")
_SECRETS = ("draft_llm_key", "kafka_sasl_password", "redis_password")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def _mask_url(url: str) -> str:
    """Hide the password of a URL so settings can be printed and logged."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


class _Secret(str):
    """A string whose repr hides it, so a secret setting never shows in printed settings."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'" if self else "''"


_ATTRIBUTE = {"KAFKA_BOOTSTRAP_SERVERS": "kafka_bootstrap_servers", "REDIS_URL": "redis_url"}


@dataclass(frozen=True)
class Settings:
    """Immutable settings of one Vigie process. Build with :func:`load_settings`."""

    kafka_bootstrap_servers: str
    redis_url: str = field(repr=False)
    kafka_security_protocol: str
    kafka_sasl_mechanism: str
    kafka_sasl_username: str
    kafka_sasl_password: str
    kafka_ssl_ca_file: str
    redis_tls: bool
    redis_ca_file: str
    redis_username: str
    redis_password: str
    topic_prefix: str
    partitions: int
    replication: int
    app_id: str
    redis_prefix: str
    batch_size: int
    batch_within_s: float
    consumer: str
    processing_guarantee: str
    commit_interval_s: float
    kafka_session_timeout_s: float
    alert_stream_maxlen: int
    alert_stream_retention_s: int
    state_ttl_s: int
    dedup_ttl_s: int
    salary_alert_ratio: float
    baseline_min_count: int
    snapshot_interval_s: float
    email_snapshot_interval_s: float
    model_refresh_s: float
    worker_role: str
    score_topics: str
    data_dir: Path
    cache_dir: Path
    web_port: int
    log_level: str
    metrics_port: int
    console_host: str
    console_port: int
    oidc_jwks_url: str
    oidc_issuer: str
    oidc_audience: str
    console_dev_token_ttl_s: int
    hard_to_fill_threshold: float
    hard_to_fill_min_outcomes: int
    baseline_half_life_days: float
    open_offer_max_days: float
    long_term_risk_threshold: float
    long_term_risk_rearm: float
    reconversion_min_days: float
    draft_llm_url: str
    draft_llm_model: str
    draft_llm_key: str
    draft_llm_timeout_s: float

    def __post_init__(self) -> None:
        for name in _SECRETS:
            object.__setattr__(self, name, _Secret(getattr(self, name)))

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.name != "redis_url"
        )
        return f"Settings({shown}, redis_url={_mask_url(self.redis_url)!r})"

    def to_env(self) -> dict[str, str]:
        """Environment variables that give a child process (a worker...) these settings."""
        env = {}
        for name, var in VARIABLES.items():
            attr = _ATTRIBUTE.get(name, name.removeprefix("VIGIE_").lower())
            value = getattr(self, attr)
            env[var.name] = str(value)
        return env

    @property
    def redis_client_url(self) -> str:
        """``redis_url`` with the ``rediss://`` scheme when ``VIGIE_REDIS_TLS`` asks for TLS."""
        if self.redis_tls and self.redis_url.startswith("redis://"):
            return "rediss://" + self.redis_url.removeprefix("redis://")
        return self.redis_url

    @property
    def scores(self) -> bool:
        """This worker scores input events (role all or scoring)."""
        return self.worker_role in ("all", "scoring")

    @property
    def scored_topics(self) -> tuple[str, ...]:
        """The input topics (short names) this worker reads when it scores."""
        return tuple(t for t in self.score_topics.split(",") if t)

    @property
    def learns(self) -> bool:
        """This worker runs learners (role all or learning)."""
        return self.worker_role in ("all", "learning")

    @property
    def exactly_once(self) -> bool:
        """Outputs and input offsets commit in one Kafka transaction (the batch consumer's)."""
        return self.processing_guarantee == "exactly_once" and self.consumer == "batch"

    @property
    def group_id(self) -> str:
        """The worker's consumer group: learning-only workers have their own."""
        return f"{self.app_id}-learning" if self.worker_role == "learning" else self.app_id

    def topic(self, name: str) -> str:
        """Full Kafka topic name for a short name such as ``offers``."""
        return f"{self.topic_prefix}{name}"

    def key(self, *parts: str) -> str:
        """Full Redis key for ``parts``, e.g. ``key("alerts", "all")`` -> ``vigie:alerts:all``."""
        return ":".join((self.redis_prefix, *parts))


def _get(env: Mapping[str, str], name: str) -> str:
    value = env.get(name)
    return VARIABLES[name].default if value is None or value == "" else value


def _number(env: Mapping[str, str], name: str, kind: type[_N]) -> _N:
    raw = _get(env, name)
    try:
        return kind(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name}={raw!r} is not a valid {kind.__name__}") from exc


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = _get(env, name).strip().lower()
    if raw not in _TRUE + _FALSE:
        raise ConfigurationError(f"{name}={raw!r} is not a boolean (true or false)")
    return raw in _TRUE


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where derived caches go (``VIGIE_CACHE_DIR``, default ``.run/cache`` in the source tree)."""
    configured = (os.environ if env is None else env).get("VIGIE_CACHE_DIR", "").strip()
    return Path(configured) if configured else PROJECT_ROOT / ".run" / "cache"


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Read settings from ``env`` (default: ``os.environ``); ``overrides`` win over both."""
    env = os.environ if env is None else env
    data_dir = _get(env, "VIGIE_DATA_DIR")
    values: dict[str, object] = {
        "kafka_bootstrap_servers": _get(env, "KAFKA_BOOTSTRAP_SERVERS"),
        "redis_url": _get(env, "REDIS_URL"),
        "kafka_security_protocol": _get(env, "VIGIE_KAFKA_SECURITY_PROTOCOL").strip().upper(),
        "kafka_sasl_mechanism": _get(env, "VIGIE_KAFKA_SASL_MECHANISM").strip().upper(),
        "kafka_sasl_username": _get(env, "VIGIE_KAFKA_SASL_USERNAME").strip(),
        "kafka_sasl_password": _get(env, "VIGIE_KAFKA_SASL_PASSWORD"),
        "kafka_ssl_ca_file": _get(env, "VIGIE_KAFKA_SSL_CA_FILE").strip(),
        "redis_tls": _flag(env, "VIGIE_REDIS_TLS") or _get(env, "REDIS_URL").startswith("rediss:"),
        "redis_ca_file": _get(env, "VIGIE_REDIS_CA_FILE").strip(),
        "redis_username": _get(env, "VIGIE_REDIS_USERNAME").strip(),
        "redis_password": _get(env, "VIGIE_REDIS_PASSWORD"),
        "topic_prefix": _get(env, "VIGIE_TOPIC_PREFIX"),
        "partitions": _number(env, "VIGIE_PARTITIONS", int),
        "replication": _number(env, "VIGIE_REPLICATION", int),
        "app_id": _get(env, "VIGIE_APP_ID"),
        "redis_prefix": _get(env, "VIGIE_REDIS_PREFIX"),
        "batch_size": _number(env, "VIGIE_BATCH_SIZE", int),
        "batch_within_s": _number(env, "VIGIE_BATCH_WITHIN_S", float),
        "consumer": _get(env, "VIGIE_CONSUMER").lower(),
        "processing_guarantee": _get(env, "VIGIE_PROCESSING_GUARANTEE").lower(),
        "commit_interval_s": _number(env, "VIGIE_COMMIT_INTERVAL_S", float),
        "kafka_session_timeout_s": _number(env, "VIGIE_KAFKA_SESSION_TIMEOUT_S", float),
        "alert_stream_maxlen": _number(env, "VIGIE_ALERT_STREAM_MAXLEN", int),
        "alert_stream_retention_s": _number(env, "VIGIE_ALERT_STREAM_RETENTION_S", int),
        "state_ttl_s": _number(env, "VIGIE_STATE_TTL_S", int),
        "dedup_ttl_s": _number(env, "VIGIE_DEDUP_TTL_S", int),
        "salary_alert_ratio": _number(env, "VIGIE_SALARY_ALERT_RATIO", float),
        "baseline_min_count": _number(env, "VIGIE_BASELINE_MIN_COUNT", int),
        "snapshot_interval_s": _number(env, "VIGIE_SNAPSHOT_INTERVAL_S", float),
        "email_snapshot_interval_s": _number(env, "VIGIE_EMAIL_SNAPSHOT_INTERVAL_S", float),
        "model_refresh_s": _number(env, "VIGIE_MODEL_REFRESH_S", float),
        "worker_role": _get(env, "VIGIE_WORKER_ROLE").lower(),
        "score_topics": ",".join(
            t.strip().lower() for t in _get(env, "VIGIE_SCORE_TOPICS").split(",") if t.strip()
        ),
        "data_dir": Path(data_dir) if data_dir else PROJECT_ROOT / "data",
        "cache_dir": cache_dir(env),
        "web_port": _number(env, "VIGIE_WEB_PORT", int),
        "log_level": _get(env, "VIGIE_LOG_LEVEL").upper(),
        "metrics_port": _number(env, "VIGIE_METRICS_PORT", int),
        "console_host": _get(env, "VIGIE_CONSOLE_HOST"),
        "console_port": _number(env, "VIGIE_CONSOLE_PORT", int),
        "oidc_jwks_url": _get(env, "VIGIE_OIDC_JWKS_URL").strip(),
        "oidc_issuer": _get(env, "VIGIE_OIDC_ISSUER").strip(),
        "oidc_audience": _get(env, "VIGIE_OIDC_AUDIENCE").strip(),
        "console_dev_token_ttl_s": _number(env, "VIGIE_CONSOLE_DEV_TOKEN_TTL_S", int),
        "hard_to_fill_threshold": _number(env, "VIGIE_HARD_TO_FILL_THRESHOLD", float),
        "hard_to_fill_min_outcomes": _number(env, "VIGIE_HARD_TO_FILL_MIN_OUTCOMES", int),
        "baseline_half_life_days": _number(env, "VIGIE_BASELINE_HALF_LIFE_DAYS", float),
        "open_offer_max_days": _number(env, "VIGIE_OPEN_OFFER_MAX_DAYS", float),
        "long_term_risk_threshold": _number(env, "VIGIE_LONG_TERM_RISK_THRESHOLD", float),
        "long_term_risk_rearm": _number(env, "VIGIE_LONG_TERM_RISK_REARM", float),
        "reconversion_min_days": _number(env, "VIGIE_RECONVERSION_MIN_DAYS", float),
        "draft_llm_url": _get(env, "VIGIE_DRAFT_LLM_URL").strip(),
        "draft_llm_model": _get(env, "VIGIE_DRAFT_LLM_MODEL").strip(),
        "draft_llm_key": _get(env, "VIGIE_DRAFT_LLM_KEY").strip(),
        "draft_llm_timeout_s": _number(env, "VIGIE_DRAFT_LLM_TIMEOUT_S", float),
    }
    values.update(overrides)
    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.partitions < 1 or settings.batch_size < 1:
        raise ConfigurationError("VIGIE_PARTITIONS and VIGIE_BATCH_SIZE must be at least 1")
    if not 0 < settings.salary_alert_ratio < 1:
        raise ConfigurationError("VIGIE_SALARY_ALERT_RATIO must be between 0 and 1")
    if settings.kafka_session_timeout_s < 6:
        raise ConfigurationError("VIGIE_KAFKA_SESSION_TIMEOUT_S must be at least 6 seconds")
    if not 0 < settings.hard_to_fill_threshold <= 1:
        raise ConfigurationError("VIGIE_HARD_TO_FILL_THRESHOLD must be in (0, 1]")
    if not 0 <= settings.long_term_risk_rearm <= settings.long_term_risk_threshold <= 1:
        raise ConfigurationError(
            "VIGIE_LONG_TERM_RISK_REARM <= VIGIE_LONG_TERM_RISK_THRESHOLD must hold, both in [0, 1]"
        )
    if settings.consumer not in CONSUMERS:
        raise ConfigurationError(
            f"VIGIE_CONSUMER={settings.consumer!r}: expected one of {', '.join(CONSUMERS)}"
        )
    if settings.processing_guarantee not in GUARANTEES:
        raise ConfigurationError(
            f"VIGIE_PROCESSING_GUARANTEE={settings.processing_guarantee!r}: expected one of "
            f"{', '.join(GUARANTEES)}"
        )
    if settings.commit_interval_s < 0:
        raise ConfigurationError("VIGIE_COMMIT_INTERVAL_S must not be negative")
    if settings.worker_role not in WORKER_ROLES:
        raise ConfigurationError(
            f"VIGIE_WORKER_ROLE={settings.worker_role!r}: expected one of {', '.join(WORKER_ROLES)}"
        )
    unknown = set(settings.scored_topics) - set(INPUT_TOPIC_NAMES)
    if unknown or not settings.scored_topics:
        raise ConfigurationError(
            f"VIGIE_SCORE_TOPICS={settings.score_topics!r}: expected one or more of "
            f"{', '.join(INPUT_TOPIC_NAMES)}"
        )
    if settings.model_refresh_s <= 0:
        raise ConfigurationError("VIGIE_MODEL_REFRESH_S must be positive")
    if settings.hard_to_fill_min_outcomes < 0:
        raise ConfigurationError("VIGIE_HARD_TO_FILL_MIN_OUTCOMES must be at least 0")
    if settings.baseline_half_life_days <= 0 or settings.open_offer_max_days <= 0:
        raise ConfigurationError(
            "VIGIE_BASELINE_HALF_LIFE_DAYS and VIGIE_OPEN_OFFER_MAX_DAYS must be positive"
        )
    if not settings.draft_llm_timeout_s > 0:
        raise ConfigurationError("VIGIE_DRAFT_LLM_TIMEOUT_S must be positive")
    _check_security(settings)
    return settings


def _check_security(s: Settings) -> None:
    """Refuse security settings that would fail later, or silently not apply."""
    if s.kafka_security_protocol not in KAFKA_SECURITY_PROTOCOLS:
        raise ConfigurationError(
            f"VIGIE_KAFKA_SECURITY_PROTOCOL={s.kafka_security_protocol!r}: expected one of "
            f"{', '.join(KAFKA_SECURITY_PROTOCOLS)}"
        )
    if s.kafka_sasl_mechanism not in KAFKA_SASL_MECHANISMS:
        raise ConfigurationError(
            f"VIGIE_KAFKA_SASL_MECHANISM={s.kafka_sasl_mechanism!r}: expected one of "
            f"{', '.join(KAFKA_SASL_MECHANISMS)}"
        )
    sasl = s.kafka_security_protocol == "SASL_SSL"
    if sasl and not (s.kafka_sasl_username and s.kafka_sasl_password):
        raise ConfigurationError(
            "VIGIE_KAFKA_SECURITY_PROTOCOL=SASL_SSL needs VIGIE_KAFKA_SASL_USERNAME and "
            "VIGIE_KAFKA_SASL_PASSWORD"
        )
    if not sasl and (s.kafka_sasl_username or s.kafka_sasl_password or s.kafka_ssl_ca_file):
        raise ConfigurationError(
            "Kafka credentials or a CA file are set but VIGIE_KAFKA_SECURITY_PROTOCOL=PLAINTEXT: "
            "set it to SASL_SSL (credentials are never sent in clear)"
        )
    if s.redis_username and not s.redis_password:
        raise ConfigurationError("VIGIE_REDIS_USERNAME needs VIGIE_REDIS_PASSWORD")
    if s.redis_ca_file and not s.redis_tls:
        raise ConfigurationError(
            "VIGIE_REDIS_CA_FILE is set but Redis TLS is off: set VIGIE_REDIS_TLS=true or use a "
            "rediss:// REDIS_URL"
        )
    for name, path in (
        ("VIGIE_KAFKA_SSL_CA_FILE", s.kafka_ssl_ca_file),
        ("VIGIE_REDIS_CA_FILE", s.redis_ca_file),
    ):
        if path and not Path(path).is_file():
            raise ConfigurationError(f"{name}={path}: no such file")
