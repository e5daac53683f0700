"""One command run as the child of a small launcher, for its own wall time, processor time and peak memory.

A command started straight from a bench process counts that process's size as its own largest resident size
(a forked child starts with its parent's pages, and exec keeps the high-water mark): the benches hold NumPy,
pyarrow, the points they wrote, or a lowered 100,000-node tape. So each command is started from a fresh small
Python (about 10 MB, below any run of backprop), which forks, execs the command and reports the child's
rusage from os.wait4. bench/bulk.py and bench/scale.py measure through `run`.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

LAUNCH = """
import json, os, sys, time
errors = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.dup2(errors, 2)
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
sys.stderr.write(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_kib": usage.ru_maxrss,
                             "code": os.waitstatus_to_exitcode(status)}))
"""


def run(command: list[str], stdout=subprocess.DEVNULL, timeout: float | None = None, errors: str = os.devnull,
        env: dict | None = None) -> dict:
    """Run `command` (its standard output to `stdout`, its standard error to the file `errors`) and return
    {"wall", "cpu" (user + system seconds), "rss_kib" (its largest resident size), "code" (its exit code)}.
    Past `timeout` seconds the command is killed and subprocess.TimeoutExpired raised."""
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCH, errors, *command], stdout=stdout,
                                stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        _, report = launcher.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(launcher.pid, signal.SIGKILL)  # the launcher and the command it started
        launcher.communicate()
        raise
    return json.loads(report)
