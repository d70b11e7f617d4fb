#!/usr/bin/env python3
"""Vigie's own local services: a single-node Kafka 3.9.1 broker (KRaft) and a Redis server.

    python services/local.py up     [kafka|redis|all|kafka-secure|redis-secure] [--timeout SECONDS]
    python services/local.py down   [kafka|redis|all|kafka-secure|redis-secure]
    python services/local.py status [kafka|redis|all|kafka-secure|redis-secure]

No Docker needed. Kafka runs from jars resolved from Maven Central (``services/kafka/pom.xml``,
cached in ``.cache/kafka-3.9.1/lib``) with Java 11+; Redis is Debian's ``redis-server``
(installed with apt-get when missing and running as root). Both listen on 127.0.0.1 only, on the
ports of Vigie's defaults (Kafka 19092 + controller 19093, Redis 16379), and keep their
configuration, data, logs and pid files under ``.run/`` (git-ignored).

``kafka-secure`` and ``redis-secure`` are two more servers, started only when named: a broker
whose one listener is SASL_SSL (SCRAM-SHA-512 and PLAIN, port 19094) and a Redis serving TLS
only with an ACL user (port 16380), with a CA and certificates made by ``openssl`` in
``.run/certs`` and random passwords in their ``secrets.json``; ``up`` writes the Vigie settings
that reach them to ``.run/<service>/vigie.env``.

Rules this script keeps:

* ``up`` is idempotent: a service already running and answering is left alone. When
  ``KAFKA_BOOTSTRAP_SERVERS`` / ``REDIS_URL`` is set, that external service is only checked, never
  started. When the port is already served by something this project did not start, no second
  server is started (a foreign server answering the right protocol is used, anything else is an
  error).
* ``down`` stops only what this project started, by the pid in its pid file, after checking that
  the pid is a ``kafka.Kafka`` / ``redis-server`` process running from this checkout.

The test fixtures import :func:`ensure_kafka`, :func:`ensure_redis` and :func:`stop_all`.
Standard library only, plus ``confluent_kafka`` and ``redis`` imported lazily for the readiness
checks (so ``down`` works even without the virtualenv).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
SERVICES_DIR = ROOT / "services"
RUN_DIR = ROOT / ".run"
LOCK_FILE = RUN_DIR / "services.lock"

# --- Kafka -----------------------------------------------------------------------------------
KAFKA_VERSION = "3.9.1"
KAFKA_HOST = "127.0.0.1"
KAFKA_PORT = 19092
KAFKA_CONTROLLER_PORT = 19093
KAFKA_BOOTSTRAP = f"{KAFKA_HOST}:{KAFKA_PORT}"
# Fixed cluster id (22 characters of base64url, 16 bytes: b"VigieLocalKafka1"), so formatting
# the storage is reproducible and `--ignore-formatted` keeps it idempotent.
KAFKA_CLUSTER_ID = "VmlnaWVMb2NhbEthZmthMQ"
KAFKA_POM = SERVICES_DIR / "kafka" / "pom.xml"
KAFKA_LOG4J = SERVICES_DIR / "kafka" / "log4j.properties"
KAFKA_TEMPLATE = SERVICES_DIR / "kafka" / "server.properties.in"
KAFKA_CACHE = ROOT / ".cache" / f"kafka-{KAFKA_VERSION}"
KAFKA_LIB = KAFKA_CACHE / "lib"
KAFKA_LIB_STAMP = KAFKA_CACHE / "lib.stamp"
KAFKA_RUN = RUN_DIR / "kafka"
KAFKA_DATA = KAFKA_RUN / "data"
KAFKA_LOGS = KAFKA_RUN / "logs"
KAFKA_PROPERTIES = KAFKA_RUN / "server.properties"
KAFKA_SERVER_LOG = KAFKA_LOGS / "server.log"
KAFKA_OUT = KAFKA_LOGS / "kafka.out"
KAFKA_PID = RUN_DIR / "kafka.pid"
# Jars whose absence means the lib folder is incomplete (checked besides the stamp's list).
KAFKA_REQUIRED_JARS = (
    f"kafka_2.13-{KAFKA_VERSION}.jar",
    f"kafka-clients-{KAFKA_VERSION}.jar",
    f"kafka-server-{KAFKA_VERSION}.jar",
    f"kafka-metadata-{KAFKA_VERSION}.jar",
    f"kafka-raft-{KAFKA_VERSION}.jar",
    "reload4j-1.2.25.jar",
    "slf4j-reload4j-1.7.36.jar",
)
# What bin/kafka-server-start.sh and kafka-run-class.sh use, with a heap for a 2-core machine.
KAFKA_JVM_FLAGS = (
    "-Xms256m",
    "-Xmx512m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-Djava.awt.headless=true",
)
MIN_JAVA = 11  # Kafka 3.9 brokers run on Java 11, 17, 21 and 23; 17 is what we test with.
KAFKA_TIMEOUT_S = 90.0

# --- Redis -----------------------------------------------------------------------------------
REDIS_HOST = "127.0.0.1"
REDIS_PORT = 16379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
REDIS_TEMPLATE = SERVICES_DIR / "redis" / "redis.conf.in"
REDIS_RUN = RUN_DIR / "redis"
REDIS_CONF = REDIS_RUN / "redis.conf"
REDIS_LOG = REDIS_RUN / "redis.log"
REDIS_OUT = REDIS_RUN / "redis.out"
REDIS_PID = RUN_DIR / "redis.pid"
REDIS_SERVER_PATHS = (
    "/usr/bin/redis-server",
    "/usr/sbin/redis-server",
    "/usr/local/bin/redis-server",
)
REDIS_TIMEOUT_S = 30.0

STOP_TIMEOUT_S = 30.0
OUT_HEADER = "--- services/local.py started "


class ServiceError(RuntimeError):
    """A local service could not be provided; the message says why and what to do."""


@dataclass(frozen=True)
class _Local:
    """A server this script may start: how to recognise and find it."""

    name: str
    marker: str  # must appear in /proc/<pid>/cmdline
    pid_file: Path
    run_dir: Path  # the process's working directory
    address: str
    log_file: Path


KAFKA = _Local("kafka", "kafka.Kafka", KAFKA_PID, KAFKA_RUN, KAFKA_BOOTSTRAP, KAFKA_SERVER_LOG)
REDIS = _Local(
    "redis", "redis-server", REDIS_PID, REDIS_RUN, f"{REDIS_HOST}:{REDIS_PORT}", REDIS_LOG
)


# --- Small helpers ---------------------------------------------------------------------------


def log(service: str, message: str) -> None:
    """One line on stderr (stdout is kept for `status`)."""
    print(f"[services] {service}: {message}", file=sys.stderr, flush=True)


def rel(path: Path) -> str:
    """``path`` relative to the repository root when inside it, for shorter messages."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def tail(path: Path, lines: int = 40) -> str:
    """Last ``lines`` lines of a text file ('' when missing)."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            data = f.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


def last_run_tail(path: Path, lines: int = 15) -> str:
    """Tail of an output file, limited to what the latest start wrote (after its header)."""
    text = tail(path, 400)
    marker = text.rfind(OUT_HEADER)
    if marker >= 0:
        text = text[marker:].partition("\n")[2]
    return "\n".join(text.strip().splitlines()[-lines:])


def _output_tail(text: str | None, lines: int = 30) -> str:
    return "\n".join((text or "").strip().splitlines()[-lines:])


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def properties_escape(value: str) -> str:
    """Escape a value for a java.util.Properties file (read as ISO-8859-1 by Kafka)."""
    out = []
    for ch in value.replace("\\", "\\\\"):
        code = ord(ch)
        if code < 0x7F:
            out.append(ch)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:  # outside the BMP: a UTF-16 surrogate pair
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
    return "".join(out)


def redis_quote(value: str) -> str:
    """Quote a value for redis.conf (double quotes, backslash escapes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_kafka_properties(
    *,
    port: int = KAFKA_PORT,
    controller_port: int = KAFKA_CONTROLLER_PORT,
    data: Path = KAFKA_DATA,
    security: KafkaSecurity | None = None,
) -> str:
    """Text of a broker's server.properties (pure: reads the template only); the project's
    broker by default, another node (its own ports and data) for tests that stop one, and a
    SASL_SSL listener instead of PLAINTEXT when ``security`` is given."""
    template = Template(KAFKA_TEMPLATE.read_text(encoding="utf-8"))
    return template.substitute(
        host=KAFKA_HOST,
        port=port,
        controller_port=controller_port,
        listener="SASL_SSL" if security else "PLAINTEXT",
        log_dirs=properties_escape(str(data)),
        security=security.properties() if security else "",
    )


def render_redis_conf(
    *, port: int = REDIS_PORT, run_dir: Path = REDIS_RUN, security: RedisSecurity | None = None
) -> str:
    """Text of redis.conf (pure: reads the template only): the project's server by default,
    another one on its own port and folder, serving TLS only with an ACL user when ``security``
    is given."""
    template = Template(REDIS_TEMPLATE.read_text(encoding="utf-8"))
    pid_file = REDIS_PID if run_dir == REDIS_RUN else run_dir / "redis.pid"
    return template.substitute(
        host=REDIS_HOST,
        port=0 if security else port,  # 0: no plain-text port at all
        pidfile=redis_quote(str(pid_file)),
        dir=redis_quote(str(run_dir)),
        logfile=redis_quote(str(run_dir / "redis.log")),
        security=security.conf(port) if security else "",
    )


def parse_java_major(version_output: str) -> int | None:
    """Major version from `java -version` output: '1.8.0_392' -> 8, '17.0.15' -> 17."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if match is None:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2) is not None:
        major = int(match.group(2))
    return major


def _write_atomic(path: Path, text: str, *, private: bool = False) -> None:
    """Replace ``path`` with ``text`` in one step; ``private``: readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    tmp.replace(path)


@contextlib.contextmanager
def _lock() -> Iterator[None]:
    """Serialise up/down between concurrent runs (make, pytest workers)."""
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    with LOCK_FILE.open("a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log("services", f"waiting for another run holding {rel(LOCK_FILE)}")
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# --- Processes -------------------------------------------------------------------------------


def read_pid(pid_file: Path) -> int | None:
    """The pid in ``pid_file``, or None when missing or not a positive integer."""
    try:
        text = pid_file.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() and int(text) > 0 else None


def pid_alive(pid: int) -> bool:
    """True when ``pid`` is a live process (zombies count as dead; our own are reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(ChildProcessError, OSError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False  # it was our child and has just been reaped
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # no /proc at all: trust kill(0)
    except OSError:
        return True
    state = stat.rpartition(")")[2].split()[:1]
    return state not in (["Z"], ["X"])


def cmdline(pid: int) -> str | None:
    """The command line of ``pid`` (None when unknown)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        return raw.replace(b"\0", b" ").decode("utf-8", errors="replace").strip()
    except FileNotFoundError:
        if Path("/proc/self").exists():
            return None
    except OSError:
        return None
    ps = shutil.which("ps")  # no /proc (macOS): ask ps
    if ps is None:
        return None
    result = subprocess.run(  # noqa: S603 (fixed arguments)
        [ps, "-o", "command=", "-p", str(pid)], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or None


def is_ours(pid: int, service: _Local) -> bool:
    """True when ``pid`` runs ``service`` from this checkout (marker in cmdline, same cwd)."""
    command = cmdline(pid)
    if not command or service.marker not in command:
        return False
    try:
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return True  # cwd unknown (no /proc): the cmdline check has to do
    return cwd.resolve() == service.run_dir.resolve()


def _own_pid(service: _Local) -> int | None:
    """The pid of our running ``service``; a stale pid file is removed."""
    pid = read_pid(service.pid_file)
    if pid is None:
        if service.pid_file.exists():
            log(service.name, f"removed unreadable pid file {rel(service.pid_file)}")
            service.pid_file.unlink(missing_ok=True)
        return None
    if pid_alive(pid) and is_ours(pid, service):
        return pid
    log(service.name, f"removed stale pid file {rel(service.pid_file)} (pid {pid} is not ours)")
    service.pid_file.unlink(missing_ok=True)
    return None


def _wait_gone(pid: int, timeout: float) -> bool:
    return _wait_until(lambda: not pid_alive(pid), timeout, interval=0.2)


def _terminate(pid: int, service: _Local) -> None:
    """SIGTERM, wait up to STOP_TIMEOUT_S, then SIGKILL. Only after checking it is ours."""
    started = time.monotonic()
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if _wait_gone(pid, STOP_TIMEOUT_S):
        log(service.name, f"stopped pid {pid} in {time.monotonic() - started:.1f} s")
        return
    if pid_alive(pid) and is_ours(pid, service):
        log(service.name, f"pid {pid} still running after {STOP_TIMEOUT_S:.0f} s: SIGKILL")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        if not _wait_gone(pid, 10):
            raise ServiceError(f"{service.name}: pid {pid} survived SIGKILL")
    log(service.name, f"stopped pid {pid} in {time.monotonic() - started:.1f} s")


# Runs in a short-lived intermediate Python process: it starts the server in a new session and
# exits, so the server is never a child of the caller (a pytest run, make): no zombie, no
# "subprocess is still running" warning, and it outlives the caller.
_LAUNCHER = """
import subprocess, sys
with open(sys.argv[1], "ab") as out:
    proc = subprocess.Popen(sys.argv[3:], cwd=sys.argv[2], stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
print(proc.pid)
"""


def _start_detached(service: _Local, command: list[str], out_file: Path) -> int:
    """Start ``command`` detached (own session, output appended to ``out_file``); its pid."""
    service.run_dir.mkdir(parents=True, exist_ok=True)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    with out_file.open("ab") as out:
        header = f"{OUT_HEADER}{time.strftime('%Y-%m-%d %H:%M:%S')}: {' '.join(command)}"
        out.write(f"\n{header}\n".encode())
    result = subprocess.run(  # noqa: S603 (our own command line)
        [
            sys.executable,
            "-W",
            "ignore",
            "-c",
            _LAUNCHER,
            str(out_file),
            str(service.run_dir),
            *command,
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    pid_text = result.stdout.strip()
    if result.returncode != 0 or not pid_text.isdigit():
        raise ServiceError(
            f"{service.name}: could not start {command[0]}: {_output_tail(result.stderr)}"
        )
    pid = int(pid_text)
    _write_atomic(service.pid_file, f"{pid}\n")
    return pid


def _stop(service: _Local) -> None:
    with _lock():
        pid = read_pid(service.pid_file)
        if pid is None:
            service.pid_file.unlink(missing_ok=True)
            log(service.name, "not running (no pid file): nothing to stop")
            return
        if not pid_alive(pid):
            service.pid_file.unlink(missing_ok=True)
            log(service.name, f"not running (pid {pid} is gone): removed the stale pid file")
            return
        if not is_ours(pid, service):
            service.pid_file.unlink(missing_ok=True)
            log(
                service.name,
                f"pid {pid} is not a {service.marker} process of this checkout: left it alone, "
                "removed the stale pid file",
            )
            return
        log(service.name, f"stopping pid {pid} (SIGTERM, up to {STOP_TIMEOUT_S:.0f} s)")
        _terminate(pid, service)
        service.pid_file.unlink(missing_ok=True)


# --- Kafka -----------------------------------------------------------------------------------


def kafka_probe(
    bootstrap: str, timeout: float = 5.0, config: Mapping[str, str] | None = None
) -> str | None:
    """None when a Kafka broker at ``bootstrap`` answers a metadata request, else why not
    (``config``: the client's security settings, for a secured broker)."""
    try:
        from confluent_kafka import KafkaException
        from confluent_kafka.admin import AdminClient
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ServiceError(
            f"confluent_kafka is not importable ({exc}): run `make install`"
        ) from exc
    client = AdminClient(
        {
            "bootstrap.servers": bootstrap,
            "socket.connection.setup.timeout.ms": max(1000, int(timeout * 1000)),
            "log_level": 0,  # no 'Connection refused' lines from librdkafka while polling
            **(config or {}),
        }
    )
    try:
        metadata = client.list_topics(timeout=timeout)
    except KafkaException as exc:
        return str(exc.args[0] if exc.args else exc)
    if not metadata.brokers:
        return "metadata lists no broker yet"
    return None


def java_command() -> tuple[str, int]:
    """Path and major version of the java to use ($JAVA_HOME first); checks the version."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home, "bin", "java") if java_home else None
    java = str(candidate) if candidate and candidate.is_file() else shutil.which("java")
    if java is None:
        raise ServiceError(
            f"Java {MIN_JAVA}+ is needed to run Kafka {KAFKA_VERSION} (17 recommended) and none "
            "was found: apt-get install -y openjdk-17-jre-headless, or set JAVA_HOME"
        )
    result = subprocess.run(  # noqa: S603
        [java, "-version"], capture_output=True, text=True, timeout=60, check=False
    )
    major = parse_java_major(result.stderr + result.stdout)
    if major is None:
        raise ServiceError(f"cannot read the version of {java}: {_output_tail(result.stderr)}")
    if major < MIN_JAVA:
        raise ServiceError(
            f"Kafka {KAFKA_VERSION} needs Java {MIN_JAVA} or newer (17 recommended); {java} is "
            f"Java {major}: install openjdk-17-jre-headless or point JAVA_HOME at a newer JDK"
        )
    return java, major


def _pom_digest() -> str:
    return hashlib.sha256(KAFKA_POM.read_bytes()).hexdigest()


def kafka_jars_complete() -> bool:
    """True when the lib folder holds every jar of a successful resolution of the current pom."""
    try:
        stamp = json.loads(KAFKA_LIB_STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(stamp, dict) or stamp.get("pom_sha256") != _pom_digest():
        return False
    jars = set(stamp.get("jars") or ())
    if not jars.issuperset(KAFKA_REQUIRED_JARS):
        return False
    return all((KAFKA_LIB / jar).is_file() for jar in jars)


def ensure_kafka_jars() -> None:
    """Resolve the broker's jars with Maven unless a complete, stamped lib folder exists."""
    if kafka_jars_complete():
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ServiceError(
            "Maven (mvn) is needed once to fetch the Kafka jars from Maven Central: "
            "apt-get install -y maven"
        )
    log(
        "kafka",
        f"resolving Kafka {KAFKA_VERSION} jars from Maven Central into {rel(KAFKA_LIB)} "
        "(first run only, ~70 MB, allow a minute or two)",
    )
    started = time.monotonic()
    KAFKA_LIB_STAMP.unlink(missing_ok=True)
    shutil.rmtree(KAFKA_LIB, ignore_errors=True)
    KAFKA_LIB.parent.mkdir(parents=True, exist_ok=True)
    command = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(KAFKA_POM),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={KAFKA_LIB}",
    ]
    result = subprocess.run(  # noqa: S603
        command, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise ServiceError(
            f"`{' '.join(command[1:])}` failed (exit {result.returncode}):\n"
            + _output_tail(result.stdout + "\n" + result.stderr)
        )
    jars = sorted(p.name for p in KAFKA_LIB.glob("*.jar"))
    missing = sorted(set(KAFKA_REQUIRED_JARS) - set(jars))
    if missing:
        raise ServiceError(f"Maven finished but these jars are missing: {', '.join(missing)}")
    stamp = {"kafka": KAFKA_VERSION, "pom_sha256": _pom_digest(), "jars": jars}
    _write_atomic(KAFKA_LIB_STAMP, json.dumps(stamp, indent=1) + "\n")
    log("kafka", f"{len(jars)} jars ready in {time.monotonic() - started:.1f} s")


def _format_kafka_storage(
    java: str,
    *,
    data: Path = KAFKA_DATA,
    properties: Path = KAFKA_PROPERTIES,
    logs: Path = KAFKA_LOGS,
    run: Path = KAFKA_RUN,
    extra: Sequence[str] = (),
) -> None:
    if (data / "meta.properties").is_file():
        return
    command = [
        java,
        "-Xmx256m",
        f"-Dlog4j.configuration={KAFKA_LOG4J.as_uri()}",
        f"-Dkafka.logs.dir={logs}",
        "-cp",
        f"{KAFKA_LIB}/*",
        "kafka.tools.StorageTool",
        "format",
        "-t",
        KAFKA_CLUSTER_ID,
        "-c",
        str(properties),
        "--ignore-formatted",
        *extra,
    ]
    log("kafka", f"formatting storage {rel(data)} (cluster id {KAFKA_CLUSTER_ID})")
    result = subprocess.run(  # noqa: S603
        command, cwd=run, capture_output=True, text=True, timeout=180, check=False
    )
    if result.returncode != 0:
        raise ServiceError(
            f"kafka-storage format failed (exit {result.returncode}):\n"
            + _output_tail(result.stdout + "\n" + result.stderr)
        )


def _logs_tail(server_log: Path, out_log: Path, nothing: str) -> str:
    """The last lines of a service's own log and of its captured output."""
    parts = []
    for path, text in ((server_log, tail(server_log, 25)), (out_log, last_run_tail(out_log))):
        if text:
            parts.append(f"--- last lines of {rel(path)}:\n{text}")
    return "\n".join(parts) or nothing


def _wait_ready(
    running: Callable[[], bool],
    timeout: float,
    *,
    host: str,
    port: int,
    probe: Callable[[], str | None],
    exited: str,
    poll_s: float,
) -> str | None:
    """Wait until a service we started answers ``probe``; None when ready, else why not."""
    deadline = time.monotonic() + timeout
    reason = "port not open yet"
    while time.monotonic() < deadline:
        if not running():
            return exited
        if port_open(host, port):
            reason = probe() or ""
            if not reason:
                return None
        time.sleep(poll_s)
    return f"no answer after {timeout:.0f} s ({reason})"


def _kafka_logs_tail() -> str:
    return _logs_tail(KAFKA_SERVER_LOG, KAFKA_OUT, "(no broker log written)")


def _wait_kafka(running: Callable[[], bool], timeout: float) -> str | None:
    """Wait until our broker answers; None when ready, else why not."""
    return _wait_ready(
        running,
        timeout,
        host=KAFKA_HOST,
        port=KAFKA_PORT,
        probe=lambda: kafka_probe(KAFKA_BOOTSTRAP, timeout=min(5.0, timeout)),
        exited="the broker process exited during start-up",
        poll_s=0.5,
    )


def kafka_command(java: str, properties: Path, logs: Path) -> list[str]:
    """The command line of a broker (what bin/kafka-server-start.sh runs)."""
    return [
        java,
        *KAFKA_JVM_FLAGS,
        f"-Dlog4j.configuration={KAFKA_LOG4J.as_uri()}",
        f"-Dkafka.logs.dir={logs}",
        "-cp",
        f"{KAFKA_LIB}/*",
        "kafka.Kafka",
        str(properties),
    ]


def start_kafka_node(
    run_dir: Path,
    port: int,
    controller_port: int,
    timeout: float = KAFKA_TIMEOUT_S,
    security: KafkaSecurity | None = None,
) -> int:
    """Start another single-node broker on its own ports, data and pid file under ``run_dir``
    (formatted on first use, its data kept across restarts); returns its pid once it answers.

    For tests that stop a broker: they must never stop the project's shared one. The caller
    stops it by pid (SIGTERM or SIGKILL), and may start it again on the same ``run_dir``.
    With ``security``, its one listener is SASL_SSL and its SCRAM users are made at format time.
    """
    java, _ = java_command()
    ensure_kafka_jars()
    data, logs = run_dir / "data", run_dir / "logs"
    for folder in (run_dir, data, logs):
        folder.mkdir(parents=True, exist_ok=True)
    properties = run_dir / "server.properties"
    text = render_kafka_properties(
        port=port, controller_port=controller_port, data=data, security=security
    )
    _write_atomic(properties, text, private=security is not None)
    scram = security.scram_arguments() if security else ()
    _format_kafka_storage(
        java, data=data, properties=properties, logs=logs, run=run_dir, extra=scram
    )
    bootstrap = f"{KAFKA_HOST}:{port}"
    client = security.client_config() if security else None
    node = _Local("kafka", "kafka.Kafka", run_dir / "kafka.pid", run_dir, bootstrap, logs)
    pid = _start_detached(node, kafka_command(java, properties, logs), logs / "kafka.out")
    problem = _wait_ready(
        lambda: pid_alive(pid),
        timeout,
        host=KAFKA_HOST,
        port=port,
        probe=lambda: kafka_probe(bootstrap, timeout=5.0, config=client),
        exited="the broker process exited during start-up",
        poll_s=0.3,
    )
    if problem:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        raise ServiceError(f"kafka node on {bootstrap}: {problem}\n{tail(logs / 'server.log')}")
    return pid


def _ensure_local_kafka(timeout: float) -> str:
    pid = _own_pid(KAFKA)
    if pid is not None:
        if kafka_probe(KAFKA_BOOTSTRAP, timeout=5.0) is None:
            log("kafka", f"already running (pid {pid}) on {KAFKA_BOOTSTRAP}: nothing to do")
            return KAFKA_BOOTSTRAP
        log("kafka", f"pid {pid} is running but not answering yet: waiting up to {timeout:.0f} s")
        problem = _wait_kafka(lambda: pid_alive(pid), timeout)
        if problem:
            raise ServiceError(
                f"kafka: our broker (pid {pid}) {problem}; try `services/local.py down kafka`\n"
                + _kafka_logs_tail()
            )
        log("kafka", f"ready on {KAFKA_BOOTSTRAP} (pid {pid})")
        return KAFKA_BOOTSTRAP

    for port in (KAFKA_PORT, KAFKA_CONTROLLER_PORT):
        if not port_open(KAFKA_HOST, port):
            continue
        if port == KAFKA_PORT and kafka_probe(KAFKA_BOOTSTRAP, timeout=5.0) is None:
            log(
                "kafka",
                f"a Kafka broker not started by this project already answers on {KAFKA_BOOTSTRAP}:"
                " using it (`down` will not stop it)",
            )
            return KAFKA_BOOTSTRAP
        raise ServiceError(
            f"kafka: port {KAFKA_HOST}:{port} is already in use by a program this project did not "
            "start: stop it, or set KAFKA_BOOTSTRAP_SERVERS to a broker of your own"
        )

    java, major = java_command()
    ensure_kafka_jars()
    for folder in (KAFKA_RUN, KAFKA_DATA, KAFKA_LOGS):
        folder.mkdir(parents=True, exist_ok=True)
    _write_atomic(KAFKA_PROPERTIES, render_kafka_properties())
    _format_kafka_storage(java)

    command = kafka_command(java, KAFKA_PROPERTIES, KAFKA_LOGS)
    started = time.monotonic()
    pid = _start_detached(KAFKA, command, KAFKA_OUT)
    log(
        "kafka",
        f"started Kafka {KAFKA_VERSION} (Java {major}, pid {pid}); waiting for "
        f"{KAFKA_BOOTSTRAP} to answer (up to {timeout:.0f} s; log {rel(KAFKA_SERVER_LOG)})",
    )
    problem = _wait_kafka(lambda: pid_alive(pid), timeout)
    if problem:
        details = _kafka_logs_tail()
        if pid_alive(pid) and is_ours(pid, KAFKA):
            _terminate(pid, KAFKA)
        KAFKA_PID.unlink(missing_ok=True)
        raise ServiceError(f"kafka: {problem}; broker log: {rel(KAFKA_SERVER_LOG)}\n{details}")
    log("kafka", f"ready on {KAFKA_BOOTSTRAP} in {time.monotonic() - started:.1f} s")
    return KAFKA_BOOTSTRAP


def ensure_kafka(timeout: float = KAFKA_TIMEOUT_S) -> str:
    """Bootstrap servers of a Kafka broker that answers, starting ours when needed.

    ``KAFKA_BOOTSTRAP_SERVERS`` set in the environment wins: it is only checked. Otherwise the
    project's broker on 127.0.0.1:19092 is started (or found running). Raises ServiceError.
    """
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    if external:
        log("kafka", f"KAFKA_BOOTSTRAP_SERVERS={external} is set: checking it, starting nothing")
        reason = ""

        def answers() -> bool:
            nonlocal reason
            reason = kafka_probe(external, timeout=5.0) or ""
            return not reason

        if not _wait_until(answers, min(timeout, 30.0), interval=1.0):
            raise ServiceError(
                f"kafka: KAFKA_BOOTSTRAP_SERVERS={external} does not answer ({reason}); "
                "unset it to use the project's own broker"
            )
        log("kafka", f"{external} answers")
        return external
    with _lock():
        return _ensure_local_kafka(timeout)


# --- Redis -----------------------------------------------------------------------------------


def redis_probe(url: str, timeout: float = 2.0, **options: str) -> str | None:
    """None when the Redis server at ``url`` answers PING, else why not (``options``: the
    username, password and CA file of a secured server)."""
    try:
        import redis
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ServiceError(
            f"redis (redis-py) is not importable ({exc}): run `make install`"
        ) from exc
    client = redis.Redis.from_url(
        url, socket_connect_timeout=timeout, socket_timeout=timeout, **options
    )
    try:
        return None if client.ping() else "PING returned false"
    except (redis.RedisError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        client.close()


def redis_server_command() -> str:
    """Path of redis-server, installing Debian's package with apt-get when missing (root only)."""
    found = shutil.which("redis-server") or next(
        (p for p in REDIS_SERVER_PATHS if os.access(p, os.X_OK)), None
    )
    if found:
        return found
    apt_get = shutil.which("apt-get")
    if apt_get is None:
        raise ServiceError(
            "redis-server is not installed and apt-get is not available: install Redis 7 "
            "(redis-server) with your package manager, or set REDIS_URL"
        )
    if os.geteuid() != 0:
        raise ServiceError(
            "redis-server is not installed: run `sudo apt-get update && sudo apt-get install -y "
            "redis-server` (this script installs it itself only when run as root), or set REDIS_URL"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in ([apt_get, "update"], [apt_get, "install", "-y", "redis-server"]):
        log("redis", f"redis-server is missing: running `{' '.join(['apt-get', *command[1:]])}`")
        result = subprocess.run(  # noqa: S603
            command, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise ServiceError(
                f"`apt-get {' '.join(command[1:])}` failed (exit {result.returncode}):\n"
                + _output_tail(result.stdout + "\n" + result.stderr)
            )
    found = shutil.which("redis-server") or next(
        (p for p in REDIS_SERVER_PATHS if os.access(p, os.X_OK)), None
    )
    if not found:
        raise ServiceError("apt-get installed redis-server but no redis-server binary was found")
    log("redis", f"installed {found}")
    return found


def _redis_version(server: str) -> str:
    result = subprocess.run(  # noqa: S603
        [server, "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    match = re.search(r"v=(\d+(?:\.\d+)*)", result.stdout)
    return match.group(1) if match else "unknown"


def _redis_logs_tail() -> str:
    return _logs_tail(REDIS_LOG, REDIS_OUT, "(no redis log written)")


def _wait_redis(running: Callable[[], bool], timeout: float) -> str | None:
    """Wait until our redis-server answers; None when ready, else why not."""
    return _wait_ready(
        running,
        timeout,
        host=REDIS_HOST,
        port=REDIS_PORT,
        probe=lambda: redis_probe(REDIS_URL),
        exited="redis-server exited during start-up",
        poll_s=0.2,
    )


def _ensure_local_redis(timeout: float) -> str:
    pid = _own_pid(REDIS)
    if pid is not None:
        if redis_probe(REDIS_URL) is None:
            log("redis", f"already running (pid {pid}) on {REDIS.address}: nothing to do")
            return REDIS_URL
        log("redis", f"pid {pid} is running but not answering yet: waiting up to {timeout:.0f} s")
        problem = _wait_redis(lambda: pid_alive(pid), timeout)
        if problem:
            raise ServiceError(
                f"redis: our redis-server (pid {pid}) {problem}; try `services/local.py down redis`"
                f"\n{_redis_logs_tail()}"
            )
        return REDIS_URL

    if port_open(REDIS_HOST, REDIS_PORT):
        if redis_probe(REDIS_URL) is None:
            log(
                "redis",
                f"a Redis server not started by this project already answers on {REDIS.address}:"
                " using it (`down` will not stop it)",
            )
            return REDIS_URL
        raise ServiceError(
            f"redis: port {REDIS.address} is already in use by a program this project did not "
            "start: stop it, or set REDIS_URL to a Redis server of your own"
        )

    server = redis_server_command()
    version = _redis_version(server)
    if not version.startswith(("7.", "8.")):
        log("redis", f"warning: {server} is Redis {version}; Vigie is tested with Redis 7")
    REDIS_RUN.mkdir(parents=True, exist_ok=True)
    _write_atomic(REDIS_CONF, render_redis_conf())
    started = time.monotonic()
    pid = _start_detached(REDIS, [server, str(REDIS_CONF)], REDIS_OUT)
    log("redis", f"started Redis {version} (pid {pid}); waiting for {REDIS.address}")
    problem = _wait_redis(lambda: pid_alive(pid), timeout)
    if problem:
        details = _redis_logs_tail()
        if pid_alive(pid) and is_ours(pid, REDIS):
            _terminate(pid, REDIS)
        REDIS_PID.unlink(missing_ok=True)
        raise ServiceError(f"redis: {problem}; log: {rel(REDIS_LOG)}\n{details}")
    log("redis", f"ready on {REDIS.address} in {time.monotonic() - started:.1f} s")
    return REDIS_URL


def ensure_redis(timeout: float = REDIS_TIMEOUT_S) -> str:
    """URL of a Redis server that answers PING, starting ours when needed.

    ``REDIS_URL`` set in the environment wins: it is only checked. Otherwise the project's
    redis-server on 127.0.0.1:16379 is started (or found running). Raises ServiceError.
    """
    external = os.environ.get("REDIS_URL", "").strip()
    if external:
        shown = _mask_url(external)
        log("redis", f"REDIS_URL={shown} is set: checking it, starting nothing")
        reason = ""

        def answers() -> bool:
            nonlocal reason
            reason = redis_probe(external) or ""
            return not reason

        if not _wait_until(answers, min(timeout, 30.0), interval=1.0):
            raise ServiceError(
                f"redis: REDIS_URL={shown} does not answer PING ({reason}); "
                "unset it to use the project's own redis-server"
            )
        log("redis", f"{shown} answers")
        return external
    with _lock():
        return _ensure_local_redis(timeout)


def _mask_url(url: str) -> str:
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


# --- Secured services: Kafka over SASL_SSL, Redis over TLS with an ACL user ------------------
# Separate from the project's broker and Redis (own ports, data, pid files): secured clients are
# tested against them while every other test keeps the plain-text ones.
SECURE_KAFKA_PORT = 19094
SECURE_KAFKA_CONTROLLER_PORT = 19095
SECURE_REDIS_PORT = 16380
SECURE_KAFKA_RUN = RUN_DIR / "kafka-secure"
SECURE_REDIS_RUN = RUN_DIR / "redis-secure"
CERTS_DIR = RUN_DIR / "certs"
SECURE_USER = "vigie"
CERT_DAYS = 825
SECURE_KAFKA = _Local(
    "kafka-secure",
    "kafka.Kafka",
    SECURE_KAFKA_RUN / "kafka.pid",
    SECURE_KAFKA_RUN,
    f"{KAFKA_HOST}:{SECURE_KAFKA_PORT}",
    SECURE_KAFKA_RUN / "logs" / "server.log",
)
SECURE_REDIS = _Local(
    "redis-secure",
    "redis-server",
    SECURE_REDIS_RUN / "redis.pid",
    SECURE_REDIS_RUN,
    f"{REDIS_HOST}:{SECURE_REDIS_PORT}",
    SECURE_REDIS_RUN / "redis.log",
)


@dataclass(frozen=True)
class Certs:
    """A self-signed CA and a server certificate it signed for 127.0.0.1 and localhost."""

    ca: Path
    cert: Path
    key: Path
    bundle: Path  # the key then the certificate: the PEM keystore Kafka reads

    @classmethod
    def under(cls, folder: Path) -> Certs:
        return cls(
            folder / "ca.crt", folder / "server.crt", folder / "server.key", folder / "server.pem"
        )


def _openssl(openssl: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (fixed arguments)
        [openssl, *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


def make_certs(folder: Path = CERTS_DIR) -> Certs:
    """The certificates of the secured services, made with ``openssl`` once (again a day
    before they expire): a CA, and a server certificate it signed, in ``folder``."""
    certs = Certs.under(folder)
    openssl = shutil.which("openssl")
    if openssl is None:
        raise ServiceError("openssl is needed to make the secured services' certificates")
    files = (certs.ca, certs.cert, certs.key, certs.bundle)
    if all(p.is_file() for p in files):
        if (
            _openssl(openssl, "x509", "-checkend", 86400, "-noout", "-in", certs.cert).returncode
            == 0
        ):
            return certs
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    ca_key, csr, ext = folder / "ca.key", folder / "server.csr", folder / "server.ext"
    ext.write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
        "basicConstraints=critical,CA:FALSE\nsubjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid,issuer\n",
        encoding="utf-8",
    )
    days = str(CERT_DAYS)
    steps = (
        ("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", certs.ca,
         "-days", days, "-subj", "/CN=Vigie local CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"),
        ("req", "-newkey", "rsa:2048", "-nodes", "-keyout", certs.key, "-out", csr,
         "-subj", "/CN=127.0.0.1"),
        ("x509", "-req", "-in", csr, "-CA", certs.ca, "-CAkey", ca_key, "-CAcreateserial",
         "-out", certs.cert, "-days", days, "-extfile", ext),
    )  # fmt: skip
    for step in steps:
        result = _openssl(openssl, *step)
        if result.returncode != 0:
            raise ServiceError(f"openssl {step[0]} failed:\n{_output_tail(result.stderr)}")
    key = certs.key.read_text(encoding="utf-8")
    _write_atomic(certs.bundle, key + certs.cert.read_text(encoding="utf-8"), private=True)
    for secret_file in (ca_key, certs.key):
        secret_file.chmod(0o600)
    log("certs", f"made a CA and a server certificate for 127.0.0.1 in {rel(folder)}")
    return certs


def passwords(run_dir: Path, users: Sequence[str]) -> dict[str, str]:
    """Passwords of ``users`` of a secured service: random, made once, kept (owner-only) in
    ``run_dir/secrets.json`` beside the data they protect."""
    path = run_dir / "secrets.json"
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if not all(isinstance(known.get(user), str) for user in users):
        known = {**{user: secrets.token_urlsafe(18) for user in users}, **known}
        _write_atomic(path, json.dumps(known, indent=1) + "\n", private=True)
    return {user: known[user] for user in users}


@dataclass(frozen=True)
class KafkaSecurity:
    """SASL (SCRAM-SHA-512 and PLAIN) over TLS on a broker: its certificate, the broker's own
    SCRAM user and Vigie's. No authorizer: any authenticated user may do anything."""

    certs: Certs
    admin_password: str = field(repr=False)
    user: str
    password: str = field(repr=False)

    def properties(self) -> str:
        """The server.properties lines of the SASL_SSL listener."""
        scram = (
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="admin" password="{self.admin_password}";'
        )
        # PLAIN users are not stored by the broker: they are listed in its JAAS configuration.
        plain = (
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'username="admin" password="{self.admin_password}" '
            f'user_admin="{self.admin_password}" user_{self.user}="{self.password}";'
        )
        lines = (
            "# --- Security: one SASL_SSL listener (SCRAM-SHA-512 or PLAIN), TLS from PEM files",
            "sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN",
            "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
            f"listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config={scram}",
            f"listener.name.sasl_ssl.plain.sasl.jaas.config={plain}",
            "ssl.keystore.type=PEM",
            f"ssl.keystore.location={properties_escape(str(self.certs.bundle))}",
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={properties_escape(str(self.certs.ca))}",
            "ssl.client.auth=none",
        )
        return "\n".join(lines) + "\n"

    def scram_arguments(self) -> list[str]:
        """``kafka-storage format`` arguments that create the SCRAM users before the first start
        (the broker authenticates its own connections with one)."""
        return [
            "--add-scram",
            f"SCRAM-SHA-512=[name=admin,password={self.admin_password}]",
            "--add-scram",
            f"SCRAM-SHA-512=[name={self.user},password={self.password}]",
        ]

    def client_config(self, mechanism: str = "SCRAM-SHA-512") -> dict[str, str]:
        """librdkafka settings of a client of this broker."""
        return {
            "security.protocol": "SASL_SSL",
            "sasl.mechanisms": mechanism,
            "sasl.username": self.user,
            "sasl.password": self.password,
            "ssl.ca.location": str(self.certs.ca),
        }

    def env(self, bootstrap: str, mechanism: str = "SCRAM-SHA-512") -> dict[str, str]:
        """Vigie's settings (streams/settings.py) for this broker."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "VIGIE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "VIGIE_KAFKA_SASL_MECHANISM": mechanism,
            "VIGIE_KAFKA_SASL_USERNAME": self.user,
            "VIGIE_KAFKA_SASL_PASSWORD": self.password,
            "VIGIE_KAFKA_SSL_CA_FILE": str(self.certs.ca),
        }


@dataclass(frozen=True)
class RedisSecurity:
    """TLS only (no plain-text port) and one ACL user on a Redis server; the default user off."""

    certs: Certs
    user: str
    password: str = field(repr=False)

    def conf(self, port: int) -> str:
        """The redis.conf lines of the TLS port and the ACL user."""
        lines = (
            "# --- Security: TLS only, one ACL user, the default (passwordless) user off",
            f"tls-port {port}",
            f"tls-cert-file {redis_quote(str(self.certs.cert))}",
            f"tls-key-file {redis_quote(str(self.certs.key))}",
            f"tls-ca-cert-file {redis_quote(str(self.certs.ca))}",
            "tls-auth-clients no",
            "user default off",
            f"user {self.user} on >{self.password} ~* &* +@all",
        )
        return "\n".join(lines) + "\n"

    def url(self, port: int) -> str:
        return f"rediss://{REDIS_HOST}:{port}/0"

    def client_options(self) -> dict[str, str]:
        """redis-py options of a client of this server."""
        return {
            "username": self.user,
            "password": self.password,
            "ssl_ca_certs": str(self.certs.ca),
        }

    def env(self, port: int) -> dict[str, str]:
        """Vigie's settings (streams/settings.py) for this server."""
        return {
            "REDIS_URL": self.url(port),
            "VIGIE_REDIS_USERNAME": self.user,
            "VIGIE_REDIS_PASSWORD": self.password,
            "VIGIE_REDIS_CA_FILE": str(self.certs.ca),
        }


def kafka_security(run_dir: Path, certs: Certs) -> KafkaSecurity:
    """The security of the secured broker kept in ``run_dir`` (passwords made on first use)."""
    known = passwords(run_dir, ("admin", SECURE_USER))
    return KafkaSecurity(certs, known["admin"], SECURE_USER, known[SECURE_USER])


def redis_security(run_dir: Path, certs: Certs) -> RedisSecurity:
    """The security of the secured Redis kept in ``run_dir`` (password made on first use)."""
    return RedisSecurity(certs, SECURE_USER, passwords(run_dir, (SECURE_USER,))[SECURE_USER])


def start_redis_node(
    run_dir: Path,
    port: int,
    security: RedisSecurity | None = None,
    timeout: float = REDIS_TIMEOUT_S,
) -> int:
    """Start another redis-server on its own port, folder and pid file under ``run_dir``
    (TLS only with an ACL user when ``security`` is given); returns its pid once it answers."""
    server = redis_server_command()
    run_dir.mkdir(parents=True, exist_ok=True)
    conf = run_dir / "redis.conf"
    text = render_redis_conf(port=port, run_dir=run_dir, security=security)
    _write_atomic(conf, text, private=True)
    address = f"{REDIS_HOST}:{port}"
    log_file = run_dir / "redis.log"
    node = _Local("redis", "redis-server", run_dir / "redis.pid", run_dir, address, log_file)
    pid = _start_detached(node, [server, str(conf)], run_dir / "redis.out")
    url = security.url(port) if security else f"redis://{address}/0"
    options = security.client_options() if security else {}
    problem = _wait_ready(
        lambda: pid_alive(pid),
        timeout,
        host=REDIS_HOST,
        port=port,
        probe=lambda: redis_probe(url, **options),
        exited="redis-server exited during start-up",
        poll_s=0.2,
    )
    if problem:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        details = _logs_tail(run_dir / "redis.log", run_dir / "redis.out", "(no redis log)")
        raise ServiceError(f"redis on {address}: {problem}\n{details}")
    return pid


def _write_env(path: Path, env: Mapping[str, str]) -> None:
    text = "".join(f"{name}={shlex.quote(value)}\n" for name, value in env.items())
    _write_atomic(path, text, private=True)
    log("services", f"settings in {rel(path)}: `set -a; . {rel(path)}; set +a`")


def _ensure_secure(
    service: _Local, port: int, start: Callable[[], object], answers: Callable[[], str | None]
) -> None:
    pid = _own_pid(service)
    if pid is not None:
        problem = _wait_ready(
            lambda: pid_alive(pid),
            KAFKA_TIMEOUT_S,
            host=KAFKA_HOST,
            port=port,
            probe=answers,
            exited="exited",
            poll_s=0.5,
        )
        if problem:
            raise ServiceError(
                f"{service.name}: our pid {pid} {problem}; try `down {service.name}`"
            )
        log(service.name, f"already running (pid {pid}) on {service.address}: nothing to do")
        return
    if port_open(KAFKA_HOST, port):
        raise ServiceError(f"{service.name}: port {service.address} is already in use")
    started = time.monotonic()
    start()
    log(service.name, f"ready on {service.address} in {time.monotonic() - started:.1f} s")


def ensure_kafka_secure(timeout: float = KAFKA_TIMEOUT_S) -> dict[str, str]:
    """Start (or find running) the secured broker (SASL_SSL on 127.0.0.1:19094); returns the
    Vigie settings that reach it, also written to ``.run/kafka-secure/vigie.env``."""
    with _lock():
        security = kafka_security(SECURE_KAFKA_RUN, make_certs())
        bootstrap = SECURE_KAFKA.address
        _ensure_secure(
            SECURE_KAFKA,
            SECURE_KAFKA_PORT,
            lambda: start_kafka_node(
                SECURE_KAFKA_RUN,
                SECURE_KAFKA_PORT,
                SECURE_KAFKA_CONTROLLER_PORT,
                timeout,
                security=security,
            ),
            lambda: kafka_probe(bootstrap, config=security.client_config()),
        )
        env = security.env(bootstrap)
        _write_env(SECURE_KAFKA_RUN / "vigie.env", env)
        return env


def ensure_redis_secure(timeout: float = REDIS_TIMEOUT_S) -> dict[str, str]:
    """Start (or find running) the secured Redis (TLS and an ACL user on 127.0.0.1:16380);
    returns the Vigie settings that reach it, also written to ``.run/redis-secure/vigie.env``."""
    with _lock():
        security = redis_security(SECURE_REDIS_RUN, make_certs())
        url = security.url(SECURE_REDIS_PORT)
        _ensure_secure(
            SECURE_REDIS,
            SECURE_REDIS_PORT,
            lambda: start_redis_node(SECURE_REDIS_RUN, SECURE_REDIS_PORT, security, timeout),
            lambda: redis_probe(url, **security.client_options()),
        )
        env = security.env(SECURE_REDIS_PORT)
        _write_env(SECURE_REDIS_RUN / "vigie.env", env)
        return env


# --- Stop and status -------------------------------------------------------------------------


def stop_kafka() -> None:
    """Stop the project's broker (only it, by its pid file)."""
    _stop(KAFKA)


def stop_redis() -> None:
    """Stop the project's redis-server (only it, by its pid file)."""
    _stop(REDIS)


def stop_all() -> None:
    """Stop every service this project started (Kafka first, then Redis)."""
    stop_kafka()
    stop_redis()


def service_status(service: _Local) -> dict[str, str]:
    """State of one service: name, state (up/down/...), pid, address, note. Changes nothing."""
    env_name = "KAFKA_BOOTSTRAP_SERVERS" if service is KAFKA else "REDIS_URL"
    external = os.environ.get(env_name, "").strip()
    probe_target = KAFKA_BOOTSTRAP if service is KAFKA else REDIS_URL

    def probe(target: str) -> str | None:
        try:
            if service is KAFKA:
                return kafka_probe(target, timeout=3.0)
            return redis_probe(target)
        except ServiceError as exc:  # python packages missing: fall back to the port
            host, _, port = service.address.rpartition(":")
            return None if port_open(host, int(port)) else str(exc)

    pid = read_pid(service.pid_file)
    own = pid is not None and pid_alive(pid) and is_ours(pid, service)
    row = {"service": service.name, "pid": str(pid) if own else "-", "address": service.address}
    if own:
        answer = probe(probe_target)
        row["state"] = "up" if answer is None else "starting"
        row["note"] = f"project-local, log {rel(service.log_file)}"
        if answer is not None:
            row["note"] += f" (not answering: {answer})"
    elif pid is not None:
        row["state"] = "down"
        row["note"] = f"stale pid file {rel(service.pid_file)} (pid {pid})"
    else:
        row["state"] = "down"
        row["note"] = "not started by this project"
        if port_open(*_host_port(service.address)) and probe(probe_target) is None:
            row["state"] = "up"
            row["note"] = "answering, but not started by this project"
    if external:
        shown = external if service is KAFKA else _mask_url(external)
        answer = probe(external)
        row["note"] += f"; {env_name}={shown} is set and {'answers' if answer is None else 'DOWN'}"
    return row


def secure_status(service: _Local) -> dict[str, str]:
    """State of a secured service (probed with its own credentials). Changes nothing."""
    pid = read_pid(service.pid_file)
    own = pid is not None and pid_alive(pid) and is_ours(pid, service)
    row = {"service": service.name, "pid": str(pid) if own else "-", "address": service.address}
    if not own:
        row.update(state="down", note="not started by this project")
        return row
    certs = Certs.under(CERTS_DIR)
    if service is SECURE_KAFKA:
        config = kafka_security(SECURE_KAFKA_RUN, certs).client_config()
        answer = kafka_probe(service.address, timeout=3.0, config=config)
    else:
        security = redis_security(SECURE_REDIS_RUN, certs)
        answer = redis_probe(security.url(SECURE_REDIS_PORT), **security.client_options())
    row["state"] = "up" if answer is None else "starting"
    row["note"] = f"project-local, secured, settings in {rel(service.run_dir / 'vigie.env')}"
    if answer is not None:
        row["note"] += f" (not answering: {answer})"
    return row


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


# --- Command line ----------------------------------------------------------------------------


def _selected(which: str) -> list[str]:
    return ["redis", "kafka"] if which == "all" else [which]


SERVICES = {
    "kafka": KAFKA,
    "redis": REDIS,
    "kafka-secure": SECURE_KAFKA,
    "redis-secure": SECURE_REDIS,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="services/local.py",
        description="Start, stop or show Vigie's local Kafka broker and Redis server.",
    )
    parser.add_argument("command", choices=("up", "down", "status"))
    parser.add_argument(
        "service",
        nargs="?",
        default="all",
        choices=(*SERVICES, "all"),
        help="all: kafka and redis; kafka-secure (SASL_SSL) and redis-secure (TLS, ACL user) "
        "are separate servers, started only when named",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help=f"seconds to wait for readiness (default: kafka {KAFKA_TIMEOUT_S:.0f}, "
        f"redis {REDIS_TIMEOUT_S:.0f})",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            ready = []
            for name in _selected(args.service):
                if name == "redis":
                    url = ensure_redis(args.timeout or REDIS_TIMEOUT_S)
                    ready.append(f"REDIS_URL={_mask_url(url)}")
                elif name == "kafka-secure":
                    env = ensure_kafka_secure(args.timeout or KAFKA_TIMEOUT_S)
                    ready.append(f"KAFKA_BOOTSTRAP_SERVERS={env['KAFKA_BOOTSTRAP_SERVERS']}")
                elif name == "redis-secure":
                    env = ensure_redis_secure(args.timeout or REDIS_TIMEOUT_S)
                    ready.append(f"REDIS_URL={env['REDIS_URL']}")
                else:
                    bootstrap = ensure_kafka(args.timeout or KAFKA_TIMEOUT_S)
                    ready.append(f"KAFKA_BOOTSTRAP_SERVERS={bootstrap}")
            log("services", "ready: " + " ".join(ready))
        elif args.command == "down":
            for name in reversed(_selected(args.service)):
                _stop(SERVICES[name])
        else:
            for name in _selected(args.service):
                service = SERVICES[name]
                secure = service in (SECURE_KAFKA, SECURE_REDIS)
                row = secure_status(service) if secure else service_status(service)
                print(
                    f"{row['service']:<12} {row['state']:<8} pid {row['pid']:<8} "
                    f"{row['address']:<16} {row['note']}"
                )
    except ServiceError as exc:
        print(f"[services] error: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("[services] interrupted", file=sys.stderr, flush=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
