"""Progress of sampling (mining, ``passrate``, ``eval``): rows done and completions per second.

A rich bar on a terminal, a plain line every ``interval_s`` seconds otherwise (logs, CI),
and nothing on processes other than the main one. Under N processes the main process
counts its own share and scales it by N, which is what the whole launch has done.

Example (not a terminal):
    >>> import io
    >>> stream = io.StringIO()
    >>> with RowProgress("eval", rows=2, n=4, stream=stream, interval_s=0.0) as advance:
    ...     advance(2, 8)
    >>> "eval: 2/2 rows" in stream.getvalue()
    True
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO


class RowProgress:
    def __init__(self, name: str, rows: int, n: int, stream: IO[str] | None = None, interval_s: float = 10.0,
                 scale: int | None = None, enabled: bool | None = None) -> None:
        from ..launch.distributed import is_main, world_size

        self.name, self.rows, self.n = name, rows, n
        self.stream = stream or sys.stderr
        self.interval_s = interval_s
        self.scale = world_size() if scale is None else scale
        self.enabled = is_main() if enabled is None else enabled
        self.done = self.completions = 0
        self._lock = threading.Lock()
        self._bar = None

    def __enter__(self):
        self.began = self.last = time.perf_counter()
        if self.enabled and hasattr(self.stream, "isatty") and self.stream.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("rows, {task.fields[rate]} completions/s"), TimeRemainingColumn(),
                                 console=Console(file=self.stream))
            self._bar.start()
            self._task = self._bar.add_task(self.name, total=self.rows, rate="-")
        return self.advance

    def advance(self, rows: int, completions: int) -> None:
        with self._lock:
            self.done += rows * self.scale
            self.completions += completions * self.scale
            now = time.perf_counter()
            rate = f"{self.completions / max(now - self.began, 1e-9):.1f}"
            if self._bar is not None:
                self._bar.update(self._task, completed=min(self.done, self.rows), rate=rate)
            elif self.enabled and now - self.last >= self.interval_s:
                self.last = now
                self._line(rate)

    def _line(self, rate: str) -> None:
        done = min(self.done, self.rows)
        print(f"{self.name}: {done}/{self.rows} rows, {rate} completions/s", file=self.stream, flush=True)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif self.enabled and exc[0] is None:
            self.done = self.rows
            self._line(f"{self.completions / max(time.perf_counter() - self.began, 1e-9):.1f}")
