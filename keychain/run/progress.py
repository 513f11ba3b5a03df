"""Progress reporting: a rich bar on a terminal, periodic plain lines otherwise.

Example (not a terminal):
    >>> import io
    >>> stream = io.StringIO()
    >>> reporter = make_reporter(stream, interval_s=0.0)
    >>> reporter.start("demo", total=2)
    >>> reporter.advance(2)
    >>> reporter.finish()
    >>> "demo: 2/2 rows" in stream.getvalue()
    True
"""

from __future__ import annotations

import sys
import time
from typing import IO, Protocol


class Reporter(Protocol):
    def start(self, name: str, total: int) -> None: ...

    def advance(self, rows: int) -> None: ...

    def finish(self) -> None: ...


class LineReporter:
    """Plain progress lines every ``interval_s`` seconds, for logs and CI."""

    def __init__(self, stream: IO[str], interval_s: float = 10.0) -> None:
        self.stream = stream
        self.interval_s = interval_s

    def start(self, name: str, total: int) -> None:
        self.name, self.total, self.done = name, total, 0
        self.began = self.last = time.perf_counter()

    def advance(self, rows: int) -> None:
        self.done += rows
        now = time.perf_counter()
        if now - self.last >= self.interval_s:
            self.last = now
            self._line(now)

    def finish(self) -> None:
        self._line(time.perf_counter())

    def _line(self, now: float) -> None:
        elapsed = max(now - self.began, 1e-9)
        rate = self.done / elapsed
        share = 100.0 * self.done / self.total if self.total else 100.0
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        print(
            f"{self.name}: {self.done}/{self.total} rows ({share:.1f}%), {rate:.1f} rows/s, ETA {eta:.0f} s",
            file=self.stream,
            flush=True,
        )


class RichReporter:
    """A rich progress bar with rows, rows/s and ETA."""

    def __init__(self, stream: IO[str]) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]} rows/s"),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=False,
        )
        self._task = None

    def start(self, name: str, total: int) -> None:
        self._progress.start()
        self._began = time.perf_counter()
        self._done = 0
        self._task = self._progress.add_task(name, total=total, rate="-")

    def advance(self, rows: int) -> None:
        self._done += rows
        rate = self._done / max(time.perf_counter() - self._began, 1e-9)
        self._progress.update(self._task, advance=rows, rate=f"{rate:.1f}")

    def finish(self) -> None:
        self._progress.stop()


def make_reporter(stream: IO[str] | None = None, interval_s: float = 10.0) -> Reporter:
    stream = stream or sys.stderr
    if hasattr(stream, "isatty") and stream.isatty():
        return RichReporter(stream)
    return LineReporter(stream, interval_s)
