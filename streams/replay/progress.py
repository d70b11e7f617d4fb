"""A progress bar with rate and ETA on stderr, for a replay of a known number of events.

On a terminal the bar redraws in place a few times a second; elsewhere (CI logs, a pipe) it
prints one line every ``line_every_s`` seconds, so logs stay readable.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

WIDTH = 30


def format_duration(seconds: float) -> str:
    """``0:42``, ``12:05`` or ``1:02:03``."""
    s = max(0, round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def render(done: int, total: int, elapsed_s: float, what: str = "events") -> str:
    """One line: bar, percentage, counts, rate and time left."""
    share = min(1.0, done / total) if total else 1.0
    filled = round(share * WIDTH)
    rate = done / elapsed_s if elapsed_s > 0 else 0.0
    eta = format_duration((total - done) / rate) if rate > 0 and done < total else "-"
    bar = "#" * filled + "." * (WIDTH - filled)
    return (
        f"[{bar}] {share:4.0%} {done:,}/{total:,} {what} "
        f"{rate:,.0f}/s elapsed {format_duration(elapsed_s)} ETA {eta}"
    )


class Progress:
    """Counts events as they are scored and shows how far along the replay is."""

    def __init__(
        self,
        total: int,
        *,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        redraw_every_s: float = 0.2,
        line_every_s: float = 5.0,
        enabled: bool = True,
    ) -> None:
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = redraw_every_s if self.tty else line_every_s
        self.started = clock()
        self._shown = float("-inf")
        self._shown_done = -1

    @property
    def elapsed_s(self) -> float:
        """Seconds since the replay started scoring."""
        return self.clock() - self.started

    def advance(self, n: int) -> None:
        """``n`` more events done; redraw if it is time."""
        self.done += n
        now = self.clock()
        if now - self._shown >= self.every:
            self._show(now)

    def finish(self) -> None:
        """The final line (unless the last one shown already said it all)."""
        if self.tty or self._shown_done != self.done:
            self._show(self.clock(), final=True)

    def _show(self, now: float, *, final: bool = False) -> None:
        if not self.enabled:
            return
        self._shown, self._shown_done = now, self.done
        line = render(self.done, self.total, now - self.started)
        if self.tty:
            self.stream.write("\r" + line + ("\n" if final else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
