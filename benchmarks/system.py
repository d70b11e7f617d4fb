"""What the figures were measured on: the machine, the commit, and processes' peak memory.

Reads ``/proc`` directly (Linux only) rather than depending on psutil.
"""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

KIB_PER_MIB = 1024


def peak_rss_mib(pid: int | str = "self") -> float | None:
    """VmHWM (peak resident set size) of process ``pid`` in MiB; None if it cannot be read."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / KIB_PER_MIB  # the kernel reports kB (KiB)
    return None


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, or the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def total_memory_mib() -> float | None:
    """MemTotal from /proc/meminfo, in MiB."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / KIB_PER_MIB
    except OSError:
        pass
    return None


def git_commit(root: Path) -> str:
    """HEAD's commit, with ``+dirty`` when the working tree has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}+dirty" if dirty else head


def machine(root: Path) -> dict[str, Any]:
    """The context every result is printed with."""
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": len(os.sched_getaffinity(0)),  # what `nproc` prints: the CPUs usable here
        "cpu": cpu_model(),
        "memory_mib": total_memory_mib(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "commit": git_commit(root),
    }
