"""The progress bar of `eval --batch`: Rich's, on standard error, drawn only where a person watches it.

Drawn when standard error is a terminal, --json is not given and TERM is not `dumb`, and only once the work
has taken half a second (a batch that ends sooner shows nothing); it is cleared when the batch ends, so what
stays on the screen is what was there without it. NO_COLOR takes the colours away (Rich reads it), not the
bar. Never in a pipe: the rows and any JSON are untouched by it.
"""
from __future__ import annotations

import os
import sys
import time

DELAY = 0.5  # seconds of work before the bar appears
DELAY_VARIABLE = "BACKPROP_PROGRESS_DELAY"  # tests set it to 0 to see the bar on a small batch


def wanted(as_json: bool) -> bool:
    if as_json or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """advance(rows) after each block; `total` (bytes when `done` counts bytes read, else rows) may be None."""

    def __init__(self, total, done, as_json: bool) -> None:
        self.enabled = wanted(as_json)
        self.total = total
        self.done = done
        self.rows = 0
        self.started = time.monotonic()
        try:
            self.delay = float(os.environ.get(DELAY_VARIABLE, DELAY))
        except ValueError:
            self.delay = DELAY
        self.bar = None
        self.task = None

    def __enter__(self) -> "Progress":
        return self

    def advance(self, rows: int) -> None:
        if not self.enabled:
            return
        self.rows += rows
        if self.bar is None:
            if time.monotonic() - self.started < self.delay:
                return
            self._start()
        completed = self.done() if self.done is not None else self.rows
        self.bar.update(self.task, completed=completed, rows=f"{self.rows:,}")

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress as Bar, TaskProgressColumn, TextColumn, TimeRemainingColumn

        columns = [TextColumn("backprop --batch"), BarColumn(), TaskProgressColumn(),
                   TextColumn("{task.fields[rows]} rows"), TimeRemainingColumn()]
        self.bar = Bar(*columns, console=Console(file=sys.stderr), transient=True)
        self.task = self.bar.add_task("batch", total=self.total, rows="0")
        self.bar.start()

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
