"""The progress bar of every long command (render/progress.py): on a terminal's standard error only.

Each command is run with standard error on a pseudo-terminal and standard output on a file, with
BACKPROP_PROGRESS_DELAY=0 so that a small program shows the bar at once: the bar is drawn on standard
error, and standard output is the same bytes as in a pipe. With --json, TERM=dumb or in a pipe, nothing
but the command's own output is written; NO_COLOR keeps the bar and takes its colours away. The unit
tests below pin `wanted`, the delay and the wrappers the lower layers are given.
"""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time

import pytest

from backprop_cli.render import progress
from backprop_cli.render.progress import Progress
from clirun import on_a_terminal

NEURON = "o = tanh(x1*w1 + x2*w2 + b)"
NEURON_ARGS = ["x1=1", "w1=0.5", "x2=2", "w2=-0.3", "b=0.1"]
BIG = "+".join(f"x*{k}" for k in range(1, 400))  # 800 nodes: enough loop updates to be seen
CSI = b"\x1b["
MLP = ["h = tanh(W @ x + b); L = sum(h*h)", "W=[[0.5, -0.25], [0.2, 0.3]]", "x=[1, -0.5]", "b=[0.1, 0.2]"]

# (name, argv, what the bar says): one row per command that has a bar
COMMANDS = [
    ("explain", ["explain", BIG, "-x", "2"], b"explain"),
    ("explain markdown", ["explain", BIG, "-x", "2", "--format", "markdown"], b"explain"),
    ("explain latex", ["explain", BIG, "-x", "2", "--format", "latex"], b"explain"),
    ("explain html", ["explain", BIG, "-x", "2", "--format", "html"], b"explain"),
    ("graph tree", ["eval", BIG, "-x", "2", "--graph", "tree"], b"eval --graph"),
    ("graph dot", ["eval", BIG, "-x", "2", "--graph", "dot"], b"eval --graph"),
    ("graph mermaid", ["eval", BIG, "-x", "2", "--graph", "mermaid"], b"eval --graph"),
    ("optimize", ["optimize", "(x - 3)^2", "-x", "0", "--steps", "3000"], b"steps"),
    ("hessian", ["hessian", BIG + "+x^3*y", "-x", "2", "-y", "1"], b"hessian"),
    ("hessian of a tensor program", ["hessian", *MLP], b"hessian"),
    ("jacobian", ["jacobian", *MLP], b"jacobian"),
    ("step", ["step", BIG, "-x", "2", "--lr", "0.01"], b"step"),
    ("step of a tensor program", ["step", *MLP, "--lr", "0.1", "--update", "W"], b"step"),
    ("explain of a tensor program", ["explain", *MLP], b"explain"),
    ("check --class", ["check", "e = a + b; f = e * c; g = f / d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3",
                       "--class", "{class}"], b"check --class"),
    ("check --class --csv", ["check", "e = a + b; f = e * c; g = f / d", "-a", "5", "-b", "1", "-c", "-2", "-d",
                             "-3", "--class", "{class}", "--csv"], b"check --class"),
]
CLASS = "student,g,dg/da,e\n" + "".join(f"s{k},4,{k % 7}/3,6\n" for k in range(2000))


@pytest.fixture
def prepare(tmp_path):
    """The argv with {class} replaced by a class file of 2,000 students."""
    path = tmp_path / "class.csv"
    path.write_text(CLASS, encoding="utf-8")
    return lambda argv: [str(path) if arg == "{class}" else arg for arg in argv]


def environment(**extra: str) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS")}
    return {**env, progress.DELAY_VARIABLE: "0", "TERM": "xterm", "PYTHONPATH": os.pathsep.join(sys.path),
            **extra}


def in_a_pipe(argv: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "backprop_cli", *argv], capture_output=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=120)


@pytest.mark.parametrize("name, argv, words", COMMANDS, ids=[row[0] for row in COMMANDS])
def test_a_bar_on_a_terminal_and_the_same_output(tmp_path, prepare, name, argv, words):
    argv = prepare(argv)
    piped = in_a_pipe(argv, environment())
    assert piped.returncode == 0 and CSI not in piped.stdout and CSI not in piped.stderr
    out, err, code = on_a_terminal(argv, environment(), tmp_path)
    assert code == 0
    assert words in err and CSI in err  # the bar was drawn on standard error
    assert out == piped.stdout  # and standard output is the same bytes as without it
    for line in piped.stderr.splitlines():  # a note (Mermaid's size limit) is printed above the bar, unbroken
        assert line in err


@pytest.mark.parametrize("name, argv, words", COMMANDS, ids=[row[0] for row in COMMANDS])
def test_no_bar_with_term_dumb(tmp_path, prepare, name, argv, words):
    argv = prepare(argv)
    piped = in_a_pipe(argv, environment())
    out, err, code = on_a_terminal(argv, environment(TERM="dumb"), tmp_path)
    assert (code, out) == (0, piped.stdout)
    assert err.replace(b"\r\n", b"\n") == piped.stderr  # (a terminal writes a new line as \r\n)


def test_no_color_keeps_the_bar_without_colours(tmp_path):
    argv = ["explain", BIG, "-x", "2"]
    out, err, code = on_a_terminal(argv, environment(NO_COLOR="1"), tmp_path)
    assert code == 0 and b"explain" in err
    styles = {int(p) for codes in re.findall(rb"\x1b\[([0-9;]*)m", err) for p in codes.split(b";") if p}
    assert not {p for p in styles if 30 <= p <= 49 or 90 <= p <= 107}  # no colour: foreground or background
    assert out == in_a_pipe(argv, environment()).stdout


@pytest.mark.parametrize("argv", [
    ["eval", BIG, "-x", "2", "--graph", "dot", "--json"],
    ["eval", BIG, "-x", "2", "--graph", "mermaid", "--json"],
    ["optimize", "(x - 3)^2", "-x", "0", "--steps", "3000", "--json"],
    ["hessian", BIG + "+x^3*y", "-x", "2", "-y", "1", "--json"],
    ["jacobian", *MLP, "--json"],
    ["step", BIG, "-x", "2", "--lr", "0.01", "--json"],
    ["check", "e = a + b; f = e * c; g = f / d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3", "--class", "{class}",
     "--json"],
], ids=["graph dot", "graph mermaid", "optimize", "hessian", "jacobian", "step", "check --class"])
def test_no_bar_with_json(tmp_path, prepare, argv):
    argv = prepare(argv)
    piped = in_a_pipe(argv, environment())
    out, err, code = on_a_terminal(argv, environment(), tmp_path)
    assert code == 0 and CSI not in out and CSI not in err
    assert (out, err.replace(b"\r\n", b"\n")) == (piped.stdout, piped.stderr)  # only Mermaid's note, if any


def test_no_bar_in_a_pipe_even_with_force_color(prepare):
    for _, argv, _ in COMMANDS:
        run = in_a_pipe(prepare(argv), environment(FORCE_COLOR="1"))
        assert run.returncode == 0 and b"\x1b[?25l" not in run.stderr  # no bar (it hides the cursor)
    # optimize drew its bar on standard output when that was a terminal; now never there
    run = in_a_pipe(["optimize", "(x - 3)^2", "-x", "0", "--steps", "3000", "--color", "always"], environment())
    assert b"\x1b[?25l" not in run.stdout and b"\r" not in run.stdout  # no hidden cursor, no redrawn line


def test_a_picture_written_with_out_is_the_same(tmp_path):
    argv = ["eval", BIG, "-x", "2", "--graph", "dot", "--out", str(tmp_path / "graph.dot")]
    out, err, code = on_a_terminal(argv, environment(), tmp_path)
    assert code == 0 and out == b"" and b"eval --graph" in err
    drawn = (tmp_path / "graph.dot").read_bytes()
    assert in_a_pipe(argv, environment()).returncode == 0
    assert (tmp_path / "graph.dot").read_bytes() == drawn


def test_a_quick_run_shows_no_bar_with_the_default_delay(tmp_path):
    env = environment()
    del env[progress.DELAY_VARIABLE]
    out, err, code = on_a_terminal(["explain", NEURON, *NEURON_ARGS], env, tmp_path)
    assert (code, err) == (0, b"") and out.startswith(b"Program: o = tanh")


# ---------------------------------------------------------------------------------------------
# The rules, one by one

class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("stderr_tty, stdout_tty, as_json, streams, term, expected", [
    (True, False, False, False, "xterm", True),
    (True, True, False, False, "xterm", True),  # output written after the bar is cleared
    (False, False, False, False, "xterm", False),  # a pipe or a file
    (True, False, True, False, "xterm", False),  # --json
    (True, False, False, False, "dumb", False),
    (True, False, False, False, "unknown", False),
    (True, True, False, True, "xterm", False),  # rows streamed to the same terminal would cut through it
    (True, False, False, True, "xterm", True),  # rows streamed to a file
])
def test_wanted(monkeypatch, stderr_tty, stdout_tty, as_json, streams, term, expected):
    monkeypatch.setattr(sys, "stderr", Terminal() if stderr_tty else io.StringIO())
    monkeypatch.setattr(sys, "stdout", Terminal() if stdout_tty else io.StringIO())
    assert progress.wanted(as_json, streams, {"TERM": term}) is expected


@pytest.mark.parametrize("value, expected", [(None, 0.5), ("0", 0.0), ("2.5", 2.5), ("-1", 0.0), ("soon", 0.5)])
def test_the_delay(value, expected):
    assert progress.delay({} if value is None else {progress.DELAY_VARIABLE: value}) == expected


def test_without_a_bar_the_hooks_are_the_loop_itself(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    items = [1, 2, 3]
    with Progress("backprop test") as bar:
        assert not bar.enabled
        assert bar.track(items, "work") is items  # no wrapper, no cost
        bar.update(1, 3, "1/3")
        bar.stage("more")
    assert progress.QUIET.track(items, "work") is items
    assert progress.identity(items, "work") is items


def test_a_tracked_loop_yields_everything_and_draws_on_standard_error(monkeypatch):
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    monkeypatch.setenv(progress.DELAY_VARIABLE, "0")
    monkeypatch.setenv("TERM", "xterm")
    with Progress("backprop test") as bar:
        assert bar.enabled and bar._bar is not None
        assert list(bar.track(range(1000), "steps", 1000, "nodes")) == list(range(1000))
        assert bar._state == ("test: steps", 1000, 1000, "1,000/1,000 nodes")
        bar.stage("formulas")  # a stage without hooks: a new task with no total
        assert bar._bar.tasks[-1].total is None and bar._bar.tasks[-1].description == "test: formulas"
    assert bar._bar is None  # stopped, and cleared


def test_the_bar_waits_for_the_delay(monkeypatch):
    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.setenv(progress.DELAY_VARIABLE, "0.2")
    monkeypatch.setenv("TERM", "xterm")
    with Progress("backprop test") as bar:
        assert bar._bar is None  # not yet
        deadline = time.monotonic() + 5
        while bar._bar is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert bar._bar is not None  # the timer drew it, with no update needed
    assert bar._bar is None
    with Progress("backprop test") as quick:
        pass
    time.sleep(0.3)
    assert quick._bar is None  # a run that ended before the delay never draws


@pytest.mark.parametrize("stdout_tty", [True, False])
def test_before_the_output(monkeypatch, stdout_tty):
    """Output to the terminal the bar is on clears the bar first; to a file, the bar stays while it is written."""
    monkeypatch.setattr(sys, "stderr", Terminal())
    monkeypatch.setattr(sys, "stdout", Terminal() if stdout_tty else io.StringIO())
    monkeypatch.setenv(progress.DELAY_VARIABLE, "0")
    monkeypatch.setenv("TERM", "xterm")
    with Progress("backprop test") as bar:
        bar.output("writing the table")
        if stdout_tty:
            assert bar._bar is None
        else:
            assert bar._bar.tasks[-1].description == "test: writing the table"
    assert bar._bar is None
