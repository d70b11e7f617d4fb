"""How the test suite finds a Kafka broker and a Redis server (used by ``tests/conftest.py``).

Resolution order, for each service:

1. ``KAFKA_BOOTSTRAP_SERVERS`` / ``REDIS_URL`` set in the environment: used as they are, after
   checking that they answer (nothing is started, nothing else is tried);
2. a Docker engine answering within 2 s: testcontainers (``confluentinc/cp-kafka`` in KRaft
   mode, ``redis:7``), stopped at the end of the session;
3. otherwise the project's own local services, through ``services/local.py`` (started when not
   running, left running afterwards, like ``make services-up``).

When none works, :class:`Unavailable` says what was tried and why each failed; the fixtures turn
it into a skip, or into a failure under ``CI=true``.

Nothing here runs at import time: only tests that request the fixtures start anything.

(Not named ``services.py``: a regular module of that name on ``sys.path`` would shadow the
repository's ``services/`` folder.)
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
LOCAL_SERVICES = ROOT / "services" / "local.py"
LOCAL_MODULE_NAME = "vigie_services_local"

# Confluent Platform 7.9 ships Apache Kafka 3.9, the version the project pins.
KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.0"
REDIS_IMAGE = "redis:7"
DOCKER_PING_TIMEOUT_S = 2.0
DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock"
CONTAINER_START_TIMEOUT_S = 180


class Unavailable(Exception):
    """No source could provide the service; ``str()`` is a one-line summary."""

    def __init__(self, service: str, attempts: list[tuple[str, str]]) -> None:
        self.service = service
        self.attempts = attempts
        tried = "; ".join(f"{source}: {_first_line(reason)}" for source, reason in attempts)
        super().__init__(f"no {service} available ({tried})")

    def details(self) -> str:
        """Every attempt with its full reason (log tails included)."""
        lines = [f"no {self.service} available:"]
        lines += [f"- {source}: {reason}" for source, reason in self.attempts]
        return "\n".join(lines)


@dataclass
class Resolved:
    """A service address, where it came from, and how to release it (containers only)."""

    value: str
    source: str
    release: Callable[[], None] | None = None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unknown error"


def running_on_ci() -> bool:
    """True under ``CI=true`` (or 1/yes/on): missing services must fail, not skip."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def load_local_services() -> ModuleType:
    """``services/local.py`` imported by path (it is a script, not an installed package)."""
    module = sys.modules.get(LOCAL_MODULE_NAME)
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location(LOCAL_MODULE_NAME, LOCAL_SERVICES)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {LOCAL_SERVICES}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[LOCAL_MODULE_NAME] = module  # dataclasses look their module up while executing
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[LOCAL_MODULE_NAME]
        raise
    return module


def _ping_unix_socket(path: str, timeout: float) -> bool:
    """GET /_ping on a Docker engine's unix socket (without the SDK, which leaks sockets)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(path)
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            reply = sock.recv(4096)
        except OSError:
            return False
    return reply.startswith(b"HTTP/") and b" 200 " in reply.split(b"\r\n", 1)[0]


def docker_available(timeout: float = DOCKER_PING_TIMEOUT_S) -> bool:
    """True when a Docker engine answers a ping within ``timeout`` seconds.

    Looks where testcontainers (docker.from_env) looks: DOCKER_HOST, else the default socket.
    """
    host = os.environ.get("DOCKER_HOST", "").strip()
    if not host or host.startswith("unix://"):
        path = host.removeprefix("unix://") or DEFAULT_DOCKER_SOCKET
        return os.path.exists(path) and _ping_unix_socket(path, timeout)
    try:
        import docker
    except ImportError:
        return False
    try:
        client = docker.from_env(timeout=timeout)
    except Exception:  # bad DOCKER_HOST, TLS settings, ...
        return False
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            client.close()


def _stop_container(container: object) -> Callable[[], None]:
    def release() -> None:
        with contextlib.suppress(Exception):
            container.stop()  # type: ignore[attr-defined]

    return release


def _kafka_container(local: ModuleType) -> Resolved:
    try:
        from testcontainers.community.kafka import KafkaContainer
    except ImportError:  # testcontainers < 4.15
        from testcontainers.kafka import KafkaContainer
    container = KafkaContainer(KAFKA_IMAGE).with_kraft()
    try:
        container.start(timeout=CONTAINER_START_TIMEOUT_S)
        bootstrap = container.get_bootstrap_server()
        reason = local.kafka_probe(bootstrap, timeout=30.0)
        if reason:
            raise RuntimeError(f"container started but {bootstrap} does not answer: {reason}")
    except BaseException:
        _stop_container(container)()
        raise
    return Resolved(bootstrap, f"testcontainers {KAFKA_IMAGE}", _stop_container(container))


def _redis_container(local: ModuleType) -> Resolved:
    try:
        from testcontainers.community.redis import RedisContainer
    except ImportError:  # testcontainers < 4.15
        from testcontainers.redis import RedisContainer
    container = RedisContainer(REDIS_IMAGE)
    try:
        container.start()
        host = container.get_container_host_ip()
        url = f"redis://{host}:{container.get_exposed_port(6379)}/0"
        reason = local.redis_probe(url, timeout=5.0)
        if reason:
            raise RuntimeError(f"container started but {url} does not answer: {reason}")
    except BaseException:
        _stop_container(container)()
        raise
    return Resolved(url, f"testcontainers {REDIS_IMAGE}", _stop_container(container))


def resolve(service: str) -> Resolved:
    """Find ``service`` ('kafka' or 'redis') in the documented order; raise Unavailable."""
    if service not in ("kafka", "redis"):
        raise ValueError(f"unknown service {service!r}")
    env_name = "KAFKA_BOOTSTRAP_SERVERS" if service == "kafka" else "REDIS_URL"
    attempts: list[tuple[str, str]] = []
    try:
        local = load_local_services()
    except Exception as exc:
        raise Unavailable(service, [("services/local.py", f"cannot import it: {exc}")]) from exc
    ensure = local.ensure_kafka if service == "kafka" else local.ensure_redis

    # (a) Configured by the user: only check it, never fall back to something else.
    if os.environ.get(env_name, "").strip():
        try:
            return Resolved(ensure(), env_name)
        except local.ServiceError as exc:
            raise Unavailable(service, [(env_name, str(exc))]) from exc

    # (b) A Docker engine: throwaway containers for this session.
    if docker_available():
        try:
            return _kafka_container(local) if service == "kafka" else _redis_container(local)
        except Exception as exc:
            attempts.append(("testcontainers", f"{type(exc).__name__}: {exc}"))
    else:
        attempts.append(("testcontainers", "no Docker engine answers"))

    # (c) The project's own local services.
    try:
        return Resolved(ensure(), "services/local.py")
    except local.ServiceError as exc:
        attempts.append(("services/local.py", str(exc)))
    raise Unavailable(service, attempts)
