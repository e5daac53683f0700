"""Every terminal and every pipe: colour conventions, plain stable pipes, markup, closed and broken
streams, Ctrl-C, encodings, --debug, and shell completion.

Most tests run the installed `backprop` script in a subprocess, since what is
tested is the process's behaviour: its streams, its signals, its exit status.
A pseudo-terminal (pty) stands in for a real terminal where a TTY matters.
"""
from __future__ import annotations

import errno
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time

import pytest

from backprop_cli.render.console import colour_decision, make_console

from clirun import console_script, process_env, run_main, run_process
from conftest import colour_codes

SEED = ["(a+b)*c/d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3"]
SGR = "\x1b["


# ------------------------------------------------------------------ colour: the rule, then the behaviour

@pytest.mark.parametrize("color, env, tty, expected", [
    ("auto", {}, True, "colour"),
    ("auto", {}, False, "plain"),                                   # a pipe or a file
    ("auto", {"TERM": "dumb"}, True, "plain"),
    ("auto", {"TERM": "unknown"}, True, "plain"),
    ("auto", {"NO_COLOR": "1"}, True, "styles"),                    # bold stays: it is not colour
    ("auto", {"NO_COLOR": "1"}, False, "plain"),
    ("auto", {"NO_COLOR": ""}, True, "colour"),                     # set but empty: not set (no-color.org)
    ("auto", {"FORCE_COLOR": "1"}, False, "colour"),                # force-color.org: even in a pipe
    ("auto", {"FORCE_COLOR": "0"}, False, "colour"),                # any non-empty value forces
    ("auto", {"FORCE_COLOR": ""}, False, "plain"),
    ("auto", {"FORCE_COLOR": "1", "TERM": "dumb"}, True, "colour"),  # explicit wish beats a guess
    ("auto", {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, "plain"),  # NO_COLOR wins between the two
    ("always", {"NO_COLOR": "1"}, False, "colour"),                 # the command line beats the environment
    ("always", {"TERM": "dumb"}, False, "colour"),
    ("never", {"FORCE_COLOR": "1"}, True, "plain"),
    ("never", {}, True, "plain"),
])
def test_colour_decision(color, env, tty, expected):
    assert colour_decision(color, env, tty) == expected


@pytest.mark.parametrize("color, env, coloured", [
    ("auto", {}, False),
    ("auto", {"FORCE_COLOR": "1"}, True),
    ("auto", {"FORCE_COLOR": "1", "TERM": "dumb"}, True),
    ("auto", {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),
    ("always", {}, True),
    ("always", {"NO_COLOR": "1"}, True),
    ("always", {"TERM": "dumb"}, True),
    ("never", {"FORCE_COLOR": "1"}, False),
])
@pytest.mark.parametrize("command", [["eval", *SEED], ["check", *SEED, "--expect", "a=6"],
                                     ["eval", *SEED, "--graph", "tree"]])
def test_colour_in_a_pipe(command, color, env, coloured):
    run = run_main([*command, "--color", color], env={**env, "TERM": env.get("TERM")})
    assert run.code in (0, 1), run.err
    assert bool(colour_codes(run.out)) is coloured, run.out[:300]
    if color == "never" or not coloured:
        assert SGR not in run.out  # not even bold: plain text


def _on_a_terminal(argv, env=None, columns=80, stdin_tty=True):
    """Run backprop with stdout (and stderr) on a pseudo-terminal of `columns` columns; returns (code, output)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen([*console_script(), *argv], stdin=follower if stdin_tty else subprocess.DEVNULL,
                            stdout=follower, stderr=follower, env=process_env(**(env or {})), close_fds=True)
    os.close(follower)
    chunks = []
    deadline = time.time() + 60
    while time.time() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError as err:  # EIO: the other side closed
                if err.errno != errno.EIO:
                    raise
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=60)
    os.close(leader)
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("env, coloured, styled", [
    ({"TERM": "xterm-256color"}, True, True),
    ({"TERM": "dumb"}, False, False),
    ({"TERM": "xterm-256color", "NO_COLOR": "1"}, False, True),
])
def test_colour_on_a_real_terminal(env, coloured, styled):
    code, out = _on_a_terminal(["eval", *SEED], env)
    assert code == 0, out
    assert bool(colour_codes(out)) is coloured, out[:400]
    assert (SGR in out) is styled


def test_piped_output_is_plain_and_the_same_whatever_the_terminal():
    """stdout in a pipe while stderr is a terminal of 200 or 50 columns: the same 80-column text."""
    outputs = []
    for columns in (200, 50):
        leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
        proc = subprocess.run([*console_script(), "eval", "sin(x)*y/3", "-x", "0.123456789", "-y", "-1.23456789e-7",
                               "--digits", "17", "--check"], stdin=follower, stdout=subprocess.PIPE,
                              stderr=follower, env=process_env(), timeout=60)
        os.close(follower)
        os.close(leader)
        assert proc.returncode == 0
        outputs.append(proc.stdout.decode())
    assert outputs[0] == outputs[1]
    assert SGR not in outputs[0]
    assert "-1.2345678899999999e-7" in outputs[0].split()  # whole, though the table is wider than 80 columns
    verdict = outputs[0][outputs[0].index("finite-difference check"):]
    assert max(len(line) for line in verdict.splitlines()) <= 80  # the paragraphs still wrap at 80


def _ink(text: str) -> list:
    """The characters a layout cannot legitimately drop: everything but spaces and rules."""
    return sorted(c for c in text if not c.isspace() and c != "─")


def _words(text: str) -> list:
    """The words of a text, in order of appearance per line, without the rules under table headers."""
    return sorted(word for word in text.split() if set(word) != {"─"})


NUMBER_WORD = re.compile(r"[-+≈(]*\d[\d.]*(?:e[-+]?\d+)?\)?[,:;]?")


def _numbers(text: str) -> list:
    return sorted(word for word in text.split() if NUMBER_WORD.fullmatch(word))


@pytest.mark.parametrize("argv", [
    ["eval", "sin(x)*y/3", "-x", "0.123456789", "-y", "-1.23456789e-7", "--digits", "17", "--check"],
    ["eval", "x^400/3", "-x", "10", "--exact", "--check", "--max-rows", "0"],
    ["check", "sin(x)*y/3", "-x", "0.123456789", "-y", "-1.23456789e-7", "--digits", "17", "--expect", "x=1"],
])
def test_tables_never_cut_a_number_short(argv):
    """Regression: a table too wide for 80 columns cut cells with '…' (-1.2345678899999999e-7 read -1.234567…,
    an exact 1.33333e+401 read ≈1.33333e+4…). Then a long number folded onto the next line, which split it."""
    narrow = run_main(argv)
    wide = run_main(argv, env={"COLUMNS": "400"})
    assert "…" not in narrow.out
    assert _ink(narrow.out) == _ink(wide.out)  # the same characters, only laid out differently
    assert _words(narrow.out) == _words(wide.out)  # and the same words: none split across lines


NARROW = [
    ["eval", "y = x*1e-161 + sin(w)/3", "-x", "0.99999999999999999", "-w", "-1.23456789e-7", "--digits", "17",
     "--check"],
    ["eval", "e = a*b; d = e + c; L = d*f", "a=0.1", "b=-0.3", "c=1e-15", "f=-2.0000000000000004", "--digits", "17",
     "--symbolic", "--direction", "a=0.1,b=1e-200"],
    ["hessian", "x^2*y*1e-15 + sin(x*y)", "-x", "0.1", "-y", "2.3", "--digits", "17"],
    ["hessian", "x^3/7 + y/x", "-x", "1.23456789", "-y", "3.3333333", "--exact", "--digits", "17"],
    ["check", "sin(x)*y/3", "-x", "0.123456789", "-y", "-1.23456789e-7", "--digits", "17", "--expect", "x=1",
     "--expect", "value=-5.06763020830064890e-9", "--expect", "y=0.041047805060770292"],
    ["step", "E = (y - w*x)^2", "-w", "0.1", "-x", "2.0000000000000004", "-y", "3e-17", "--lr", "0.1", "--digits",
     "17"],
    ["optimize", "(x - 3)^2 + 1e-20*y^2", "-x", "0.1", "-y", "-1e-17", "--lr", "0.1", "--steps", "5", "--digits",
     "17"],
]


@pytest.mark.parametrize("columns", ["40", "60", "80"])
@pytest.mark.parametrize("argv", NARROW, ids=[f"{argv[0]}-{k}" for k, argv in enumerate(NARROW)])
def test_digits_17_never_splits_a_number_on_a_narrow_terminal(argv, columns):
    """Regression (issue 11): with --digits 17 on 40 to 80 columns Rich folded number cells across lines,
    `1.0000000000000001e-15` as `1.00000000000` / `00001e-15`, each piece a number of its own. Every number
    of the unwrapped output (400 columns) must be in the narrow one whole, as the same word."""
    narrow = run_main(argv, env={"COLUMNS": columns})
    wide = run_main(argv, env={"COLUMNS": "400"})
    assert narrow.code == wide.code and narrow.code in (0, 1), narrow.err
    assert "…" not in narrow.out
    assert _numbers(narrow.out) == _numbers(wide.out)
    assert _words(narrow.out) == _words(wide.out)
    assert [word for word in _numbers(wide.out) if len(word) >= 18], "the case shows no long number"


def test_user_text_is_never_read_as_markup():
    run = run_main(["eval", "x # [bold red]not markup[/bold red] [link=x]", "-x", "1"])
    assert run.code == 0
    assert "[bold red]not markup[/bold red] [link=x]" in run.out
    check = run_main(["check", "x # [red]", "-x", "1", "--expect", "x=1", "--expect", "value=2"])
    assert "[red]" in check.out
    console = make_console("never")
    with console.capture() as captured:
        console.print("[bold]x[/bold]")  # even a plain string is printed as written
    assert captured.get() == "[bold]x[/bold]\n"


# ------------------------------------------------------------------ pipes and closed streams

HUGE_PROGRAM = "+".join(f"x{i % 7}*y" for i in range(1000))  # output far larger than a pipe's buffer (64 KB)
HUGE_BINDINGS = [f"x{i}={i}" for i in range(7)] + ["-y", "2"]


@pytest.mark.parametrize("argv", [
    ["eval", HUGE_PROGRAM, *HUGE_BINDINGS, "--max-rows", "100000"],
    ["eval", HUGE_PROGRAM, *HUGE_BINDINGS, "--json"],
    ["eval", HUGE_PROGRAM, *HUGE_BINDINGS, "--graph", "dot"],
    ["explain", HUGE_PROGRAM, *HUGE_BINDINGS],
    ["check", HUGE_PROGRAM, *HUGE_BINDINGS, "--expect", "y=1", "--expect", "value=1"],
    ["--help"],
], ids=["tables", "json", "dot", "explain", "check", "help"])
def test_head_1_ends_quietly(argv):
    """`backprop ... | head -1` through a real shell pipe: head's line, no BrokenPipeError, a quiet end."""
    script = " ".join(f"'{w}'" for w in [*console_script(), *argv])
    proc = subprocess.run(["sh", "-c", f"{script} 2>stderr.txt | head -1; echo \"status=$(wc -c < stderr.txt | tr -d ' ')\""],
                          capture_output=True, timeout=120, env=process_env(), cwd=_tmp())
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == 2 and lines[-1] == "status=0", proc.stdout.decode()[-500:]


def _tmp():
    import tempfile

    return tempfile.mkdtemp(prefix="backprop-pipe-")


@pytest.mark.parametrize("argv", [
    ["eval", HUGE_PROGRAM, *HUGE_BINDINGS, "--max-rows", "100000"],
    ["check", "x", "-x", "1", "--expect", "x=2"],  # would exit 1; a closed pipe is not a failed check
    ["explain", "x", "-x", "1"],
])
def test_a_reader_that_is_gone_is_not_an_error(argv):
    """Regression: with the reader gone, click and Rich exited 1 ("a check failed"); now 0, quietly."""
    proc = subprocess.Popen([*console_script(), *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=process_env())
    proc.stdout.close()  # the reader is gone before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert err == ""


def _run_raw(argv, **popen):
    proc = subprocess.run([*console_script(), *argv], capture_output=False, timeout=60, env=process_env(), **popen)
    return proc


@pytest.mark.parametrize("argv", [["eval", *SEED], ["eval", *SEED, "--json"], ["explain", *SEED],
                                  ["check", *SEED, "--expect", "a=1"], ["--help"]])
def test_a_full_disk_is_an_output_error_not_a_bug(argv, tmp_path):
    """Regression: writing to /dev/full was 'internal error ... a bug' (exit 70)."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    err = tmp_path / "err"
    with open("/dev/full", "w") as full, open(err, "w") as stderr:
        proc = _run_raw(argv, stdout=full, stderr=stderr)
    text = err.read_text()
    assert proc.returncode == 2, text
    assert text.startswith("backprop: output error: cannot write the output") and "Traceback" not in text


def test_closed_standard_streams():
    """Regression: a closed stdout was exit 70, a closed stderr crashed the error report (exit 1)."""
    script = " ".join(f"'{w}'" for w in console_script())
    closed_out = subprocess.run(["sh", "-c", f"{script} eval x -x 1 >&-"], capture_output=True, timeout=60,
                                env=process_env())
    assert closed_out.returncode == 2
    assert closed_out.stderr.decode().startswith("backprop: output error: cannot write the output: standard output")
    closed_err = subprocess.run(["sh", "-c", f"{script} eval '(' 2>&-"], capture_output=True, timeout=60,
                                env=process_env())
    assert closed_err.returncode == 3
    closed_in = subprocess.run(["sh", "-c", f"{script} eval - -x 1 <&-"], capture_output=True, timeout=60,
                               env=process_env())
    assert closed_in.returncode == 2
    assert b"standard input is closed" in closed_in.stderr


# ------------------------------------------------------------------ Ctrl-C

def test_ctrl_c_during_a_long_computation_exits_130_quietly(tmp_path):
    # --check on many inputs re-evaluates a large graph twice per input: minutes of work
    program = tmp_path / "long.txt"
    program.write_text("+".join(f"sin(x{i % 400})*y" for i in range(60_000)), encoding="utf-8")
    bindings = [f"x{i}=0.{i + 1}" for i in range(400)] + ["-y", "2"]
    proc = subprocess.Popen([*console_script(), "eval", "--file", str(program), *bindings, "--check"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=process_env(),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(3)
    assert proc.poll() is None, "the computation ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    text = err.decode()
    assert "Traceback" not in text and "KeyboardInterrupt" not in text
    assert "backprop: interrupted" in text


def test_ctrl_c_while_the_modules_load_exits_130_quietly():
    """The handler is in place from the first line of backprop_cli.cli: an interrupt during `import click`."""
    code = (
        "import builtins, os, signal\n"
        "real = builtins.__import__\n"
        "def hooked(name, *args, **kwargs):\n"
        "    if name == 'click':\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "    return real(name, *args, **kwargs)\n"
        "builtins.__import__ = hooked\n"
        "import backprop_cli.cli\n"
        "print('not interrupted')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, env=process_env(),
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.returncode == 130, proc.stderr.decode()
    assert b"Traceback" not in proc.stderr and b"backprop: interrupted" in proc.stderr
    assert b"not interrupted" not in proc.stdout


def test_keyboard_interrupt_in_process_is_130(monkeypatch):
    import backprop_cli.commands.eval as eval_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(eval_module, "compute", interrupted)
    run = run_main(["eval", *SEED])
    assert run.code == 130
    assert "Traceback" not in run.err and "backprop: interrupted" in run.err


# ------------------------------------------------------------------ encodings

@pytest.mark.parametrize("argv", [
    ["eval", *SEED], ["eval", *SEED, "--check"], ["eval", *SEED, "--graph", "tree"], ["eval", *SEED, "--graph", "dot"],
    ["eval", *SEED, "--graph", "mermaid"], ["explain", *SEED], ["explain", *SEED, "--format", "markdown"],
    ["check", *SEED, "--expect", "a=1"], ["eval", "(a+b"], ["eval", "--help"],
])
def test_ascii_fallback_when_the_terminal_cannot_encode(argv):
    """Regression for --graph dot/mermaid (exit 70 on an ASCII terminal); the rest: ∂ and boxes in ASCII."""
    proc = run_process(argv, PYTHONIOENCODING="ascii")
    assert proc.returncode in (0, 1, 3), proc.stderr.decode()
    proc.stdout.decode("ascii")  # pure ASCII
    proc.stderr.decode("ascii")
    assert b"Traceback" not in proc.stderr


@pytest.mark.parametrize("argv", [["eval", *SEED], ["explain", *SEED], ["eval", *SEED, "--graph", "tree"]])
def test_output_is_utf8_with_the_real_symbols(argv):
    proc = run_process(argv)
    assert proc.returncode == 0
    text = proc.stdout.decode("utf-8")
    assert "∂" in text or "─" in text or "└" in text


def test_c_locale_still_works():
    proc = run_process(["eval", *SEED], LC_ALL="C", LANG="C", PYTHONIOENCODING=None)
    assert proc.returncode == 0, proc.stderr.decode()


# ------------------------------------------------------------------ --debug

def _break_eval(monkeypatch):
    import backprop_cli.commands.eval as eval_module

    def broken(*args, **kwargs):
        raise RuntimeError("deliberately broken for the test")

    monkeypatch.setattr(eval_module, "compute", broken)


def test_only_debug_shows_a_traceback(monkeypatch):
    _break_eval(monkeypatch)
    quiet = run_main(["eval", *SEED])
    assert quiet.code == 70
    assert "Traceback" not in quiet.err
    assert quiet.err.startswith("backprop: internal error: RuntimeError: deliberately broken")
    assert "--debug" in quiet.err
    loud = run_main(["eval", *SEED, "--debug"])
    assert loud.code == 70
    assert "Traceback (most recent call last)" in loud.err and "deliberately broken" in loud.err


def test_debug_shows_no_traceback_for_ordinary_errors():
    for argv, code in ((["eval", "(a+b", "--debug"], 3), (["eval", "log(x)", "-x", "0", "--debug"], 4),
                       (["eval", "x", "--debug"], 2)):
        run = run_main(argv)
        assert run.code == code and "Traceback" not in run.err


def test_debug_traceback_through_a_process():
    code = (
        "import sys\n"
        "import backprop_cli.commands.eval as m\n"
        "def broken(*a, **k):\n"
        "    raise RuntimeError('deliberately broken')\n"
        "m.compute = broken\n"
        "from backprop_cli.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    quiet = subprocess.run([sys.executable, "-c", code, "eval", "x", "-x", "1"], capture_output=True, timeout=60,
                           env=process_env())
    assert quiet.returncode == 70 and b"Traceback" not in quiet.stderr
    loud = subprocess.run([sys.executable, "-c", code, "eval", "x", "-x", "1", "--debug"], capture_output=True,
                          timeout=60, env=process_env())
    assert loud.returncode == 70 and b"Traceback" in loud.stderr


# ------------------------------------------------------------------ shell completion

@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_for_each_shell(shell):
    proc = run_process([], **{"_BACKPROP_COMPLETE": f"{shell}_source"})
    assert proc.returncode == 0, proc.stderr.decode()
    script = proc.stdout.decode()
    assert script.strip() and "backprop" in script and "_BACKPROP_COMPLETE" in script


@pytest.mark.parametrize("words, cword, expected", [
    ("backprop ev", "1", "eval"),
    ("backprop ex", "1", "explain"),
    ("backprop eval x -x 1 --js", "5", "--json"),
    ("backprop eval --color ", "3", "always"),
])
def test_completion_completes_through_the_installed_script(words, cword, expected):
    proc = run_process([], **{"_BACKPROP_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": cword})
    assert proc.returncode == 0, proc.stderr.decode()
    assert expected in proc.stdout.decode()


@pytest.mark.parametrize("argv", [["eval", "x^2", "-x", "3"], ["eval", "exp(exp(exp(x)))", "-x", "10"]])
def test_columns_0_prints_at_the_plain_width(argv):
    """Regression (found by tests/whole/test_fuzz.py): COLUMNS=0 made Rich's width 0, and every table and line
    came out empty, so an exit 4 said nothing at all. It now prints as with no COLUMNS."""
    zero = run_main(argv, env={"COLUMNS": "0"})
    plain = run_main(argv)
    assert zero.out and zero.out == plain.out and zero.code == plain.code
