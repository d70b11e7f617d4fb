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
import logging

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
