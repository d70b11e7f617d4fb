"""Pure helpers of services/local.py: no process is started, no port is touched."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from streams.settings import VARIABLES

LOCAL_PY = Path(__file__).resolve().parents[2] / "services" / "local.py"


def _load() -> ModuleType:
    name = "vigie_services_local"  # same name as tests/service_resolution.py: one module
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, LOCAL_PY)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


local = _load()


def test_addresses_are_the_settings_defaults() -> None:
    assert local.KAFKA_BOOTSTRAP == VARIABLES["KAFKA_BOOTSTRAP_SERVERS"].default
    assert local.REDIS_URL == VARIABLES["REDIS_URL"].default


def _properties(text: str) -> dict[str, str]:
    pairs = [line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")]
    return {key.strip(): value.strip() for key, value in pairs}


def test_kafka_properties_are_complete_and_loopback_only() -> None:
    text = local.render_kafka_properties()
    assert "$" not in text
    props = _properties(text)
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["log.dirs"] == str(local.KAFKA_DATA)
    assert props["auto.create.topics.enable"] == "false"
    assert props["num.partitions"] == "4"
    assert props["offsets.topic.replication.factor"] == "1"
    assert "0.0.0.0" not in "".join(props.values())


def test_redis_conf_is_loopback_append_only_without_snapshots() -> None:
    text = local.render_redis_conf()
    assert "$" not in text
    lines = {line for line in text.splitlines() if line and not line.startswith("#")}
    assert {"bind 127.0.0.1", "port 16379", 'save ""', "appendonly yes", "daemonize no"} <= lines
    assert f"dir {local.redis_quote(str(local.REDIS_RUN))}" in lines
    assert f"pidfile {local.redis_quote(str(local.REDIS_PID))}" in lines


def test_properties_escape() -> None:
    assert local.properties_escape("/a b/c") == "/a b/c"
    assert local.properties_escape("C:\\x") == "C:\\\\x"
    assert local.properties_escape("/données") == "/donn\\u00e9es"
    assert local.properties_escape("\U0001f600") == "\\ud83d\\ude00"


def test_redis_quote() -> None:
    assert local.redis_quote('/a "b"\\c') == '"/a \\"b\\"\\\\c"'


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('java version "1.8.0_392"', 8),
        ('openjdk version "21-ea" 2023-09-19', 21),
        ('openjdk version "11.0.2" 2019-01-15 LTS', 11),
        ("command not found", None),
    ],
)
def test_parse_java_major(output: str, major: int | None) -> None:
    assert local.parse_java_major(output) == major


@pytest.mark.parametrize(
    ("content", "pid"), [("123\n", 123), ("abc", None), ("0", None), ("", None)]
)
def test_read_pid(tmp_path: Path, content: str, pid: int | None) -> None:
    path = tmp_path / "x.pid"
    path.write_text(content)
    assert local.read_pid(path) == pid
    assert local.read_pid(tmp_path / "missing.pid") is None


def test_pid_alive_and_ownership() -> None:
    assert local.pid_alive(os.getpid())
    assert not local.is_ours(os.getpid(), local.KAFKA)  # pytest is no kafka.Kafka
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not local.pid_alive(child.pid)


def test_jar_stamp_detects_incomplete_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib, stamp = tmp_path / "lib", tmp_path / "lib.stamp"
    monkeypatch.setattr(local, "KAFKA_LIB", lib)
    monkeypatch.setattr(local, "KAFKA_LIB_STAMP", stamp)
    jars = [*local.KAFKA_REQUIRED_JARS, "scala-library-2.13.15.jar"]
    lib.mkdir()
    for jar in jars:
        (lib / jar).write_bytes(b"")
    assert not local.kafka_jars_complete()  # no stamp: a resolution never finished
    stamp.write_text(json.dumps({"pom_sha256": local._pom_digest(), "jars": jars}))
    assert local.kafka_jars_complete()
    (lib / "scala-library-2.13.15.jar").unlink()
    assert not local.kafka_jars_complete()  # a jar went missing
    (lib / "scala-library-2.13.15.jar").write_bytes(b"")
    stamp.write_text(json.dumps({"pom_sha256": "0" * 64, "jars": jars}))
    assert not local.kafka_jars_complete()  # pom.xml changed since


def test_last_run_tail_keeps_only_the_latest_start(tmp_path: Path) -> None:
    out = tmp_path / "x.out"
    out.write_text(
        f"{local.OUT_HEADER}2024-01-01: java old\nold crash\n"
        f"{local.OUT_HEADER}2024-01-02: java new\nnew crash\n"
    )
    assert local.last_run_tail(out) == "new crash"


def test_mask_url() -> None:
    assert local._mask_url("redis://:s3cret@host:6379/0") == "redis://:***@host:6379/0"
    assert local._mask_url("redis://user:pw@host/0") == "redis://user:***@host/0"
    assert local._mask_url("redis://127.0.0.1:16379/0") == "redis://127.0.0.1:16379/0"


def _secured_certs(tmp_path: Path):  # noqa: ANN202 (a dataclass of the script)
    return local.Certs.under(tmp_path / "certs")


def test_secured_kafka_properties_have_only_a_sasl_ssl_client_listener(tmp_path: Path) -> None:
    security = local.KafkaSecurity(_secured_certs(tmp_path), "adm-pw", "vigie", "v-pw")
    text = local.render_kafka_properties(port=19094, controller_port=19095, security=security)
    assert "$" not in text
    props = _properties(text)
    assert props["listeners"] == "SASL_SSL://127.0.0.1:19094,CONTROLLER://127.0.0.1:19095"
    assert props["advertised.listeners"] == "SASL_SSL://127.0.0.1:19094"
    assert props["listener.security.protocol.map"] == "CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL"
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512,PLAIN"
    assert 'user_vigie="v-pw"' in props["listener.name.sasl_ssl.plain.sasl.jaas.config"]
    assert props["ssl.keystore.type"] == "PEM"
    assert security.scram_arguments()[1] == "SCRAM-SHA-512=[name=admin,password=adm-pw]"
    assert "v-pw" not in repr(security)
    plain = _properties(local.render_kafka_properties())
    assert "sasl.enabled.mechanisms" not in plain


def test_secured_redis_conf_is_tls_only_with_an_acl_user(tmp_path: Path) -> None:
    security = local.RedisSecurity(_secured_certs(tmp_path), "vigie", "r-pw")
    text = local.render_redis_conf(port=16380, run_dir=tmp_path, security=security)
    lines = {line for line in text.splitlines() if line and not line.startswith("#")}
    assert {"port 0", "tls-port 16380", "user default off"} <= lines
    assert "user vigie on >r-pw ~* &* +@all" in lines
    assert f"pidfile {local.redis_quote(str(tmp_path / 'redis.pid'))}" in lines


def test_passwords_are_made_once_and_kept_private(tmp_path: Path) -> None:
    first = local.passwords(tmp_path, ("admin", "vigie"))
    assert first == local.passwords(tmp_path, ("admin", "vigie"))
    assert len(set(first.values())) == 2
    assert (tmp_path / "secrets.json").stat().st_mode & 0o077 == 0
