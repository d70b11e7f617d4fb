"""The garbage collector's pauses: measured, and kept short by freezing what start-up loaded.

CPython's cyclic collector stops every thread of the process while it scans. Its oldest
generation holds everything long-lived, and a worker's start-up loads a great deal that lives
for good: spaCy's French pipeline and vocabulary, the referential, the warm-started models.
Measured in-process (``fr_core_news_md`` loaded and 30,000 bulk events processed), a
collection of the oldest generation scans about 780,000 objects and takes about 230 ms: a
stall of every batch in flight, four times the live latency goal, whenever it runs.

:func:`freeze_startup` collects once and moves what survives into the permanent generation
(``gc.freeze``, the practice CPython documents for pre-fork servers and Instagram's): the
collector never scans it again, while reference counting still frees any of it that is
dropped. The same full collection then takes about 50 ms. Only reference cycles made at
start-up and dropped later stay in memory, which start-up does not make in any amount.

:class:`GcPauses` times every collection (``gc.callbacks``) for the Prometheus histogram
``vigie_gc_pause_seconds`` and keeps the longest pause per generation since it was last read,
which the model thread writes to the worker's memory hash (``gc_pause_max_ms_<generation>``).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

GENERATIONS = (0, 1, 2)
SLOW_PAUSE_S = 0.1  # a collection this long is logged: a stall of every batch in flight


def freeze_startup() -> int:
    """Collect once, then keep what start-up loaded out of the collector's scans; returns
    the number of objects frozen."""
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    logger.info(
        "garbage collector: %d start-up objects frozen (collected in %.0f ms)",
        frozen,
        (time.perf_counter() - started) * 1000,
    )
    return frozen


class GcPauses:
    """Times each collection of the cyclic garbage collector, by generation.

    ``observe(generation, seconds)`` is called for each (the worker passes its Prometheus
    histogram); :meth:`take` returns the longest pause of each generation since its last call.
    """

    def __init__(self, observe: Callable[[int, float], None] | None = None) -> None:
        self.observe = observe
        self.collections = dict.fromkeys(GENERATIONS, 0)
        self._longest = dict.fromkeys(GENERATIONS, 0.0)
        self._started = 0.0
        self._lock = threading.Lock()
        self.installed = False

    def install(self) -> None:
        """Start timing (once)."""
        if not self.installed:
            gc.callbacks.append(self._callback)
            self.installed = True

    def uninstall(self) -> None:
        """Stop timing."""
        if self.installed:
            gc.callbacks.remove(self._callback)
            self.installed = False

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        # Called by the collector on the thread that triggered it, holding the GIL: the start
        # and stop of one collection are never interleaved with another's.
        if phase == "start":
            self._started = time.perf_counter()
            return
        seconds = time.perf_counter() - self._started
        generation = int(info.get("generation", 2))
        with self._lock:
            self.collections[generation] = self.collections.get(generation, 0) + 1
            if seconds > self._longest.get(generation, 0.0):
                self._longest[generation] = seconds
        if self.observe is not None:
            self.observe(generation, seconds)
        if seconds >= SLOW_PAUSE_S:
            logger.warning(
                "garbage collection of generation %d stopped the process %.0f ms",
                generation,
                seconds * 1000,
            )

    def take(self) -> dict[str, float]:
        """``gc_pause_max_ms_<g>`` for each generation since the last call (then reset)."""
        with self._lock:
            longest, self._longest = self._longest, dict.fromkeys(GENERATIONS, 0.0)
        return {f"gc_pause_max_ms_{g}": round(s * 1000, 2) for g, s in sorted(longest.items())}
