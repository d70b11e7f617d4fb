"""``vigie demo`` (what ``make run`` runs): a worker, simulated traffic, alerts as they land."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import redis

from sinks.alert_client import format_alert, stream_key
from streams.security import open_redis
from streams.settings import PROJECT_ROOT, Settings
from streams.simulate import run_simulation
from streams.topics import INPUT_TOPICS

IDLE_STOP_S = 20.0


def _banner(settings: Settings, log_path: Path) -> str:
    s, topics = settings, ", ".join(settings.topic(t) for t in INPUT_TOPICS)
    return "\n".join(
        (
            "Vigie demo: a worker consumes simulated agency traffic; alerts print as they land.",
            f"  Kafka {s.kafka_bootstrap_servers}: input topics {topics}",
            f"  alerts topic {s.topic('alerts')}, dead letters {s.topic('deadletter')}, "
            f"models {s.topic('model-snapshots')}",
            f"  Redis streams {s.key('alerts', 'all')}, {s.key('alerts', 'area', '<dep>')}",
            f"  Redis hashes {s.key('offer', '<offer id>')}, {s.key('jobseeker', '<id>')}, "
            f"{s.key('email', '<id>')}, counters {s.key('metrics', 'worker')}",
            "  models: vigie models (versions, metrics, which version each worker serves)",
            f"  worker log: {log_path}",
            "  follow alerts yourself: .venv/bin/vigie alerts tail --area 75",
            f"  worker metrics: http://127.0.0.1:{s.metrics_port}/metrics",
            "",
        )
    )


def _start_worker(log_path: Path, command: str = "worker") -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("ab")
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "streams.cli", *command.split()],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=os.environ.copy(),
        cwd=PROJECT_ROOT,
    )


def _start_console(log_path: Path) -> subprocess.Popen[bytes]:
    """The advisers' console with dev sign-in; prints its URL and sign-in links once up."""
    start = log_path.stat().st_size if log_path.exists() else 0
    console = _start_worker(log_path, "console --dev-login")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and console.poll() is None:
        lines = log_path.read_text(errors="replace")[start:].splitlines()
        if any("dev sign-in as operator" in line for line in lines):
            print("\n".join(line for line in lines if "console" in line or "sign-in" in line))
            print("  (each simulated adviser's link is on the console's /connexion page)\n")
            break
        time.sleep(0.2)
    else:
        print(f"console not up yet; see {log_path}")
    return console


def _stop_worker(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=45)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def run_demo(settings: Settings, *, seed: int, events: int, rate: float, duration_s: float) -> int:
    """Run the demo; returns the process exit code."""
    log_path = PROJECT_ROOT / ".run" / "worker-demo.log"
    print(_banner(settings, log_path), flush=True)
    client = open_redis(settings, decode_responses=True)
    key = stream_key(settings, None)
    last = client.xrevrange(key, count=1)
    last_id = last[0][0] if last else "0"
    worker = _start_worker(log_path)
    console = _start_console(log_path.with_name("console-demo.log"))
    result: dict[str, Any] = {}
    feeder = threading.Thread(
        target=lambda: result.update(
            stats=run_simulation(
                settings, seed=seed, events=events, rate=rate, proposals_per_offer=1.0
            )
        ),
        daemon=True,
    )
    started = time.monotonic()
    feeder.start()
    shown, idle_since = 0, time.monotonic()
    try:
        while True:
            reply = client.xread({key: last_id}, count=50, block=1000)
            for entry_id, fields in reply[0][1] if reply else []:
                last_id = entry_id
                shown += 1
                print(format_alert(orjson.loads(fields["json"])), flush=True)
                idle_since = time.monotonic()
            if worker.poll() is not None:
                print(f"worker exited with code {worker.returncode}; see {log_path}")
                return 1
            if duration_s and time.monotonic() - started > duration_s:
                break
            if not feeder.is_alive() and time.monotonic() - idle_since > IDLE_STOP_S:
                break
    except KeyboardInterrupt:
        print("stopping...")
    finally:
        _stop_worker(console)
        _stop_worker(worker)
    _summary(client, settings, shown, result.get("stats"))
    return 0


def _summary(client: redis.Redis, settings: Settings, shown: int, stats: Any) -> None:
    counters = client.hgetall(settings.key("metrics", "worker"))
    print(f"\ntraffic: {stats}")
    print(f"alerts shown: {shown}; worker counters since Redis was created: {counters}")
