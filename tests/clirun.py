"""Running the command line for the property and fuzz suites: in-process through main(), or as a process.

In-process runs swap standard input, output and error for byte buffers (so a
Hypothesis test can run thousands of cases without pytest's per-test capture),
and give the exit code main() returns. Process runs use the installed `backprop`
script (or `python -m backprop_cli`) with a timeout, so a hang fails the test
instead of stopping the suite.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass

from backprop_cli.cli import main

DOCUMENTED_EXIT_CODES = {0, 1, 2, 3, 4, 70, 130}
# A run may end with any of these; 70 (a bug) and 130 (interrupted) never in a test that does not ask for them.
EXPECTED_EXIT_CODES = {0, 1, 2, 3, 4}


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_main(argv, stdin: bytes = b"", env: dict | None = None) -> Result:
    """main(argv) with the given standard input; environment variables set (or removed, value None) meanwhile."""
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    saved_env = {}
    out, err = io.BytesIO(), io.BytesIO()
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    sys.stderr = io.TextIOWrapper(err, encoding="utf-8", write_through=True)
    for name, value in (env or {}).items():
        saved_env[name] = os.environ.get(name)
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    wrappers = sys.stdin, sys.stdout, sys.stderr
    try:
        code = main([str(a) for a in argv])
    finally:
        for wrapper in wrappers:
            try:
                wrapper.flush()
                wrapper.detach()  # so that collecting the wrapper does not close the buffer
            except ValueError:
                pass
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return Result(code, out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace"))


def console_script() -> list[str]:
    """The command that runs backprop as a process: the installed script, else `python -m backprop_cli`."""
    folder = os.path.dirname(sys.executable)
    for name in ("backprop", "backprop.exe"):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return [path]
    return [sys.executable, "-m", "backprop_cli"]


def process_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES", "TERM", "CLICOLOR", "CLICOLOR_FORCE",
                        "TTY_COMPATIBLE", "TTY_INTERACTIVE")}
    env.update({"PYTHONIOENCODING": "utf-8", "LC_ALL": "C.UTF-8"})
    for name, value in extra.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_process(argv, stdin: bytes = b"", timeout: float = 60, **env) -> subprocess.CompletedProcess:
    return subprocess.run([*console_script(), *map(str, argv)], input=stdin, capture_output=True,
                          timeout=timeout, env=process_env(**env))


# How eval, explain and check say, on standard output, that something is undefined at the point (exit 4
# without a message on standard error: the rest is shown, issue 13): a line under the tables, in the
# answers, or the JSON's "undefined" key.
_UNDEFINED_SHOWN = ("undefined", "too large")


def on_a_terminal(argv: list[str], env: dict, tmp_path) -> tuple[bytes, bytes, int]:
    """Run backprop with standard error on a pseudo-terminal and standard output on a file: (stdout, what the
    terminal saw, exit code). For the progress bar, which is drawn only on a terminal."""
    import pty

    leader, follower = pty.openpty()
    with open(tmp_path / "stdout", "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "backprop_cli", *argv], stdout=out, stderr=follower,
                                stdin=subprocess.DEVNULL, env=env)
    os.close(follower)
    seen = b""
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the process has closed the terminal
            break
        if not data:
            break
        seen += data
    code = proc.wait(timeout=120)
    os.close(leader)
    return (tmp_path / "stdout").read_bytes(), seen, code


def assert_well_behaved(code: int, out: str, err: str, context: str = "") -> None:
    """Exit code from the documented set and never a bug; a failure explains itself on stderr (or, where
    something is undefined at the point, on stdout with the rest); no traceback."""
    where = f"\n{context}\nstdout: {out[:600]!r}\nstderr: {err[:1200]!r}"
    assert code in EXPECTED_EXIT_CODES, f"exit {code}{where}"
    assert "Traceback" not in err and "Traceback" not in out, f"a traceback{where}"
    if code == 4 and not err and any(mark in out for mark in _UNDEFINED_SHOWN):
        pass  # the undefined entries and why are in the output itself
    elif code >= 2:
        assert err.startswith("backprop: "), f"exit {code} without a message{where}"
        assert err.strip(), f"exit {code} without a message{where}"
    assert len(err) <= 20_000, f"a message of {len(err):,} characters is not one paragraph{where}"
