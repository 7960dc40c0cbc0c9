"""Progress of long computations: a bar on an interactive terminal, a log line every 10 % otherwise."""

from __future__ import annotations

import logging
import sys
import time

log = logging.getLogger("sal")


class Progress:
    """Count work units; report at most every 10 % (logs) or every 0.2 s (terminal bar)."""

    def __init__(self, total: int, desc: str):
        self.total = max(int(total), 1)
        self.desc = desc
        self.done = 0
        self.start = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self._next_log = 0.1
        self._last_draw = 0.0

    def update(self, n: int = 1) -> None:
        self.done += n
        frac = self.done / self.total
        elapsed = time.perf_counter() - self.start
        if self.tty:
            if elapsed - self._last_draw > 0.2 or self.done >= self.total:
                self._last_draw = elapsed
                bar = "#" * int(30 * frac)
                end = "\n" if self.done >= self.total else ""
                sys.stderr.write(f"\r{self.desc}: [{bar:<30}] {100 * frac:5.1f}% {elapsed:6.1f}s{end}")
                sys.stderr.flush()
        elif frac >= self._next_log or self.done >= self.total:
            self._next_log = (int(frac * 10) + 1) / 10
            log.info("%s: %d/%d (%.0f%%) after %.1f s", self.desc, self.done, self.total, 100 * frac, elapsed)
