"""Progress bars on long work: Rich's, on standard error, drawn only where a person watches them.

One `Progress` per command run, opened by the command around its work. The rules, the same for every command:

- drawn only when standard error is a terminal, the command was not asked for JSON (`--json`) and `TERM` is
  not `dumb` or `unknown` (`wanted`); in a pipe or a file there is no bar and no control code at all;
- `NO_COLOR` takes its colours away (Rich reads it), not the bar;
- it appears only once the work has taken half a second (a timer, so a stage without hooks counts too), so a
  small program never flashes one; `BACKPROP_PROGRESS_DELAY=SECONDS` changes the wait (the tests set 0);
- it is transient: cleared when the work ends, before the command writes its output, so the screen holds what
  it would without it; it never writes to standard output, nor takes it over (Rich's redirection of standard
  output is off), so standard output is the same bytes with and without it; lines written to standard error
  while it is drawn (a failed row of --batch) are printed above it.

The layers below render/ never import this module (nor Rich): the command hands them plain callables,
`progress.track` (an iterator wrapper: `for node in track(nodes, "backward steps")`) or `progress.update`
(a callback: `update(done, total, detail)`). Without a bar `track` returns the iterable itself and
`update` returns at once, so the hooks cost nothing where no one watches.
"""
from __future__ import annotations

import os
import sys
import threading

DELAY = 0.5  # seconds of work before the bar appears
DELAY_VARIABLE = "BACKPROP_PROGRESS_DELAY"  # tests set it to 0 to see the bar on a small run
UPDATES = 200  # updates of a tracked loop over its whole length: the bar moves by half a percent


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def wanted(as_json: bool = False, streams: bool = False, environ=None) -> bool:
    """Whether a bar may be drawn: standard error a terminal, no JSON asked for, a terminal that is not dumb.
    `streams`: the command writes standard output while it works (--batch's rows), so no bar when that is a
    terminal too (the rows would cut through it)."""
    environ = os.environ if environ is None else environ
    if as_json or environ.get("TERM", "").lower() in ("dumb", "unknown"):
        return False
    if streams and _isatty(sys.stdout):
        return False
    return _isatty(sys.stderr)


def delay(environ=None) -> float:
    environ = os.environ if environ is None else environ
    try:
        return max(float(environ.get(DELAY_VARIABLE, DELAY)), 0.0)
    except ValueError:
        return DELAY


def identity(items, what: str = "", total: int | None = None, unit: str = ""):
    """`track` where no one watches: the iterable itself (the default of the hooks in the layers below)."""
    return items


class Progress:
    """The bar of one command run: `with Progress("backprop explain", as_json) as progress: ...`.

    `track(items, what, total, unit)` wraps a loop (one stage of the work: the bar starts again from 0 with
    `what` as its description); `update(done, total, detail)` moves it by hand; `stage(what)` names a stage
    without hooks (the bar pulses). All three do nothing when no bar is wanted."""

    def __init__(self, label: str, as_json: bool = False, streams: bool = False) -> None:
        self.label = label
        self.enabled = wanted(as_json, streams)
        self._state = (label, 0, None, "")  # description, done, total, detail: what the bar shows once drawn
        self._bar = None
        self._task = None
        self._shown = None  # the description and whether a total is known, of the task on the bar
        self._lock = threading.Lock()
        self._closed = False
        self._timer = None

    def __enter__(self) -> "Progress":
        if self.enabled:
            wait = delay()
            if wait == 0:
                self._start()
            else:
                self._timer = threading.Timer(wait, self._start)
                self._timer.daemon = True
                self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.finish()

    def output(self, what: str = "writing the output") -> None:
        """The output is about to be written. Where standard output is a terminal (the screen the bar is on),
        the bar is cleared first; else it stays, pulsing under `what`, while a long output (check --class's
        table of 100,000 students, a tree) is written to the file or pipe."""
        if _isatty(sys.stdout):
            self.finish()
        else:
            self.stage(what)

    def finish(self) -> None:
        """The work is done: the bar is cleared now (before the output is written to the same screen)."""
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            if self._bar is not None:
                self._bar.stop()  # transient: the bar's lines are cleared
                self._bar = None

    def update(self, done: int, total: int | None = None, detail: str = "", what: str | None = None) -> None:
        if not self.enabled:
            return
        self._state = (self._state[0] if what is None else what, done, total, detail)
        if self._bar is not None:
            with self._lock:
                if self._bar is not None:
                    self._show()

    def stage(self, what: str) -> None:
        """A stage without hooks: the bar pulses under `what` until the next update."""
        self.update(0, None, "", self._stage(what))

    def track(self, items, what: str, total: int | None = None, unit: str = "nodes"):
        """`items` with the bar moved along them (UPDATES times in all); `total` defaults to len(items)."""
        if not self.enabled:
            return items
        if total is None:
            total = len(items)
        return self._tracked(items, self._stage(what), total, unit)

    def _stage(self, what: str) -> str:
        return f"{self.label.removeprefix('backprop ')}: {what}"  # short: the line fits 80 columns

    def _tracked(self, items, description: str, total: int, unit: str):
        every = max(total // UPDATES, 1)
        self.update(0, total, f"0/{total:,} {unit}", description)
        done = 0
        for item in items:
            yield item
            done += 1
            if done % every == 0:
                self.update(done, total, f"{done:,}/{total:,} {unit}")
        self.update(done, total, f"{done:,}/{total:,} {unit}")

    def _start(self) -> None:
        try:
            self._draw()
        except (OSError, ValueError):  # standard error closed under it: no bar, and no traceback from a thread
            self.enabled = False

    def _draw(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress as Bar, TaskProgressColumn, TextColumn, TimeRemainingColumn

        with self._lock:
            if self._closed:
                return
            columns = [TextColumn("{task.description}", markup=False), BarColumn(bar_width=20), TaskProgressColumn(),
                       TextColumn("{task.fields[detail]}", markup=False), TimeRemainingColumn()]
            # soft_wrap: a note written to standard error while the bar is up is printed above it (Rich redirects
            # sys.stderr) as written, not cut into lines; standard output is never redirected
            console = Console(file=sys.stderr, highlight=False, markup=False, emoji=False, soft_wrap=True)
            bar = Bar(*columns, console=console, transient=True, refresh_per_second=5, redirect_stdout=False)
            self._bar = bar
            self._show()
            bar.start()

    def _show(self) -> None:
        """The state on the bar (with the lock held). A new stage is a new task, so its time left is its own."""
        description, done, total, detail = self._state
        if (description, total is None) != self._shown:
            if self._task is not None:
                self._bar.remove_task(self._task)
            self._task = self._bar.add_task(description, total=total, completed=done, detail=detail)
            self._shown = (description, total is None)
        else:
            self._bar.update(self._task, completed=done, total=total, detail=detail)


class _Quiet:
    """A Progress that never draws (for callers that have none: the Python API, tests)."""

    enabled = False
    track = staticmethod(identity)

    def update(self, done: int, total: int | None = None, detail: str = "", what: str | None = None) -> None:
        return None

    def stage(self, what: str) -> None:
        return None

    def output(self, what: str = "") -> None:
        return None

    def finish(self) -> None:
        return None


QUIET = _Quiet()
