"""Keeping a worker's resident memory flat: fewer malloc arenas, freed pages given back.

A worker unpickles megabyte-sized model snapshots on its model thread every few seconds and
drops the versions they replace on the scoring thread. With glibc's default of up to eight
malloc arenas per core, each thread frees into its own arenas and the holes left by old
versions are rarely reused by the next, so the resident size creeps up though the live heap
does not (the usual cause of "Python RSS keeps growing" with threads; the common fix is
``MALLOC_ARENA_MAX=2``). :func:`limit_arenas` sets that from inside the process, and
:func:`trim` returns the free pages at the top of each arena to the kernel after a swap.
Elsewhere than glibc both do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import json
import logging
import os
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

logger = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's mallopt parameter
ARENAS = 2

_libc: ctypes.CDLL | None = None


def _glibc() -> ctypes.CDLL | None:
    global _libc
    if _libc is None:
        name = ctypes.util.find_library("c")
        try:
            lib = ctypes.CDLL(name) if name else None
        except OSError:
            lib = None
        if lib is None or not hasattr(lib, "malloc_trim") or not hasattr(lib, "mallopt"):
            return None
        _libc = lib
    return _libc


def limit_arenas(arenas: int = ARENAS) -> bool:
    """At most ``arenas`` malloc arenas for the process (call before threads start)."""
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, arenas))


def trim() -> bool:
    """Give free heap pages back to the kernel; True if some were released."""
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.malloc_trim(0))


class _Mallinfo2(ctypes.Structure):
    _fields_ = [  # noqa: RUF012 - ctypes' declaration
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def breakdown() -> dict[str, float]:
    """Where this process's memory is, in MiB, to tell live growth from fragmentation.

    ``rss``: resident (VmRSS). ``malloc_in_use`` / ``malloc_free``: glibc's heap chunks in use
    and free but kept (``mallinfo2``: arenas' ``uordblks``, ``fordblks``; a free share that
    grows is fragmentation). ``malloc_mmapped``: large blocks malloc mapped on their own.
    ``python_blocks``: objects in pymalloc's arenas, in millions (``sys.getallocatedblocks``;
    those arenas are mapped apart from malloc). Empty where glibc is not.
    """
    out: dict[str, float] = {"python_blocks": sys.getallocatedblocks() / 1e6}
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            out["rss"] = int(line.split()[1]) / 1024
    libc = _glibc()
    if libc is not None and hasattr(libc, "mallinfo2"):
        libc.mallinfo2.restype = _Mallinfo2
        info = libc.mallinfo2()
        out["malloc_in_use"] = info.uordblks / 2**20
        out["malloc_free"] = info.fordblks / 2**20
        out["malloc_mmapped"] = info.hblkhd / 2**20
    return {k: round(v, 2) for k, v in out.items()}


class Tracer:
    """Censuses of a running worker's memory, for finding what grows (a diagnosis tool).

    Off unless ``VIGIE_MEMORY_DIAG_DIR`` names a directory (an environment variable of the
    diagnosis, not a setting). Then :meth:`maybe_dump` writes there, at most every
    ``VIGIE_MEMORY_DIAG_EVERY_S`` seconds (120), ``census-<seconds>.json``: the count of live
    objects the garbage collector tracks, by type, with :func:`breakdown` (a second or two of
    the model thread's time, nothing between). With ``VIGIE_TRACEMALLOC_FRAMES`` above 0,
    tracemalloc runs from the start too (two to three times slower) and ``trace-<seconds>.tm``
    snapshots are written beside: compare two with ``python -m benchmarks.memory_growth
    --compare A B``.
    """

    def __init__(self, env: dict[str, str] | None = None) -> None:
        env = dict(os.environ if env is None else env)
        folder = env.get("VIGIE_MEMORY_DIAG_DIR", "")
        self.folder = Path(folder) if folder else None
        self.every_s = float(env.get("VIGIE_MEMORY_DIAG_EVERY_S", "120"))
        self.frames = int(env.get("VIGIE_TRACEMALLOC_FRAMES", "0"))
        self._began = self._last = time.monotonic()
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            if self.frames > 0:
                tracemalloc.start(self.frames)
            logger.warning(
                "memory: censuses in %s (tracemalloc frames %d)", self.folder, self.frames
            )

    def maybe_dump(self) -> Path | None:
        """Write a census (and a trace) if one is due; the census's path, else None."""
        now = time.monotonic()
        if self.folder is None or now - self._last < self.every_s:
            return None
        self._last = now
        stamp = f"{now - self._began:06.0f}"
        types = Counter(type(o).__qualname__ for o in gc.get_objects())
        path = self.folder / f"census-{stamp}.json"
        path.write_text(json.dumps({"memory": breakdown(), "types": dict(types.most_common())}))
        if self.frames > 0:
            tracemalloc.take_snapshot().dump(str(self.folder / f"trace-{stamp}.tm"))
        return path
