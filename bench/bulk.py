#!/usr/bin/env python3
"""Bulk: `backprop eval --batch` against the scripts a user would write by hand, in the same run.

    python bench/bulk.py                 # 1,000,000 points: the ratios, Parquet, the no-extra note's figures
    python bench/bulk.py --quick         # 20,000 points: does it all still work?
    python bench/bulk.py --ten-million   # also 10,000,000 points and their peak memory (a few minutes)

bench/run.py prints the same rows in its table (the 10,000,000-point row with --full). Each measurement is a
fresh process, the commands interleaved run by run so that load hits all alike; time is the median wall
time, "cpu" beside it the median processor time (user + system, from the child's rusage: what load does not
change, so a run on a busy machine can still be judged), memory the largest resident size. The program is bench/run.py's neuron,
tanh(w0*x0 + w1*x1 + b) * (a + b) / c, over points with 6 decimals:

- backprop (CSV in, CSV out) / bench/numpy_baseline.py (np.loadtxt, the gradient by hand, np.savetxt):
  target <= 0.5x;
- backprop / bench/pyarrow_baseline.py (pyarrow's CSV reader and writer, the gradient by hand in NumPy):
  target <= 1.0x;
- Parquet in and out, against the pyarrow script doing the same;
- without the [batch] extra (NumPy and pyarrow hidden) and without pyarrow alone, on 100,000 points: the
  figures of the note those runs print (batch/run.py's FASTER_WITHOUT_NUMPY and FASTER_WITHOUT_PYARROW);
- 10,000,000 points: time and peak memory (target <= 500 MB).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

import child  # bench/child.py: each command's own time and memory

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = sys.executable
NEURON = "tanh(w0*x0 + w1*x1 + b) * (a + b) / c"
COLUMNS = ["w0", "x0", "w1", "x1", "b", "a", "c"]
last_seconds = 0.0  # the last CSV time of backprop (bench/run.py's one-process-per-point row uses it)
HIDE = "import sys; sys.modules.update({m: None for m in sys.argv.pop(1).split(',') if m}); " \
       "from backprop_cli.cli import run; sys.argv[0] = 'backprop'; run()"


def make_points(path: str, count: int, parquet: str | None = None) -> None:
    """`count` points, 6 decimals, c in [0.5, 3] (pyarrow writes them when installed: fast at 10 million)."""
    try:
        import numpy as np
        import pyarrow as pa
        import pyarrow.csv as pc
    except ImportError:
        import random

        rnd = random.Random(3)
        with open(path, "w") as handle:
            handle.write(",".join(COLUMNS) + "\n")
            for _ in range(count):
                row = [round(rnd.uniform(-2, 2), 6) for _ in range(6)] + [round(rnd.uniform(0.5, 3), 6)]
                handle.write(",".join(map(repr, row)) + "\n")
        return
    rng = np.random.default_rng(3)
    with open(path, "wb") as handle:
        handle.write((",".join(COLUMNS) + "\n").encode())
        for start in range(0, count, 1_000_000):
            n = min(1_000_000, count - start)
            columns = [np.round(rng.uniform(-2, 2, n), 6) for _ in range(6)] + [np.round(rng.uniform(0.5, 3, n), 6)]
            table = pa.table(dict(zip(COLUMNS, columns)))
            pc.write_csv(table, handle, pc.WriteOptions(include_header=False))
            if parquet is not None and start == 0:
                import pyarrow.parquet as pq

                pq.write_table(pa.table(dict(zip(COLUMNS, columns))), parquet)


def measure(commands: dict, out: str, runs: int) -> dict:
    """Median wall time, median processor time (user + system) and largest resident memory of each command
    (standard output to a file)."""
    seen = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            with open(out, "wb") as handle:
                done = child.run(command, stdout=handle)
                seen[name].append((done["wall"], done["rss_kib"], done["code"], done["cpu"]))
    return {name: {"seconds": statistics.median(t for t, _, _, _ in values),
                   "cpu": statistics.median(c for _, _, _, c in values),
                   "rss_kib": max(m for _, m, _, _ in values),
                   "ok": all(code in (0, None) for _, _, code, _ in values)}
            for name, values in seen.items()}


def seconds(s: float) -> str:
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def timed(result: dict) -> str:
    """Wall time with the processor time beside it."""
    return f"{seconds(result['seconds'])} (cpu {seconds(result['cpu'])})"


def mib(result: dict) -> str:
    return f"{result['rss_kib'] / 1024:.0f} MiB"


def installed(module: str) -> bool:
    return subprocess.run([PYTHON, "-c", f"import {module}"], capture_output=True).returncode == 0


def rows(backprop: list[str], work: str, points: int, ten_million: bool, runs: int = 3) -> list[tuple]:
    """The table rows: (workload, what, time, ratio and notes)."""
    found = []
    label = f"batch, {points:,} points"
    csv_path, parquet_path = os.path.join(work, "points.csv"), os.path.join(work, "points.parquet")
    have_arrow = installed("pyarrow") and installed("numpy")
    make_points(csv_path, points, parquet_path if have_arrow else None)
    out = os.path.join(work, "out.csv")
    commands = {"backprop": [*backprop, "eval", NEURON, "--batch", csv_path],
                "numpy": [PYTHON, os.path.join(HERE, "numpy_baseline.py"), csv_path]}
    if have_arrow:
        commands["pyarrow"] = [PYTHON, os.path.join(HERE, "pyarrow_baseline.py"), csv_path]
    times = measure(commands, out, runs)
    mine = times["backprop"]
    global last_seconds
    last_seconds = mine["seconds"]
    found.append((label, "backprop eval --batch (CSV in, CSV out)", timed(mine),
                  f"{mine['seconds'] / times['numpy']['seconds']:.2f}x the NumPy script (target <= 0.5x)"
                  + (f", {mine['seconds'] / times['pyarrow']['seconds']:.2f}x the pyarrow script (target <= 1.0x)"
                     if have_arrow else "")
                  + f"; cpu {mine['cpu'] / times['numpy']['cpu']:.2f}x"
                  + (f", {mine['cpu'] / times['pyarrow']['cpu']:.2f}x" if have_arrow else "") + f"; {mib(mine)}"))
    found.append((label, "NumPy script by hand (bench/numpy_baseline.py)", timed(times["numpy"]),
                  mib(times["numpy"])))
    if have_arrow:
        found.append((label, "pyarrow + NumPy script by hand (bench/pyarrow_baseline.py)",
                      timed(times["pyarrow"]), mib(times["pyarrow"])))
        pout = os.path.join(work, "grads.parquet")
        parquet = measure({"backprop": [*backprop, "eval", NEURON, "--batch", parquet_path, "--out", pout],
                           "pyarrow": [PYTHON, os.path.join(HERE, "pyarrow_baseline.py"), parquet_path, pout]},
                          out, runs)
        first = min(points, 1_000_000)
        found.append((f"batch, {first:,} points", "backprop eval --batch points.parquet --out grads.parquet",
                      timed(parquet["backprop"]),
                      f"{parquet['backprop']['seconds'] / parquet['pyarrow']['seconds']:.2f}x the pyarrow script "
                      f"(Parquet in and out, {timed(parquet['pyarrow'])}; cpu "
                      f"{parquet['backprop']['cpu'] / parquet['pyarrow']['cpu']:.2f}x); {mib(parquet['backprop'])}"))
    # without the extra: the note's figures, on 100,000 points (the scalar engine takes a while)
    small = min(points, 100_000)
    small_path = os.path.join(work, "small.csv")
    with open(csv_path) as source, open(small_path, "w") as target:
        for _ in range(small + 1):
            target.write(source.readline())
    python = [PYTHON, "-c", HIDE]
    plain = measure({"extra": [*python, "", "eval", NEURON, "--batch", small_path],
                     "no pyarrow": [*python, "pyarrow", "eval", NEURON, "--batch", small_path],
                     "no extra": [*python, "numpy,pyarrow", "eval", NEURON, "--batch", small_path]}, out, 1)
    for name, what in (("no extra", "without the extra (pip install ., no NumPy, no pyarrow)"),
                       ("no pyarrow", "NumPy without pyarrow")):
        found.append((f"batch, {small:,} points", f"backprop eval --batch, {what}", timed(plain[name]),
                      f"{plain[name]['seconds'] / plain['extra']['seconds']:.1f}x the time with the extra "
                      f"({seconds(plain['extra']['seconds'])})"))
    if ten_million:
        big = os.path.join(work, "ten_million.csv")
        make_points(big, 10_000_000)
        os.remove(csv_path)
        huge = measure({"backprop": [*backprop, "eval", NEURON, "--batch", big]}, out, 1)["backprop"]
        found.append(("batch, 10,000,000 points", "backprop eval --batch (CSV in, CSV out): peak memory",
                      timed(huge), f"{mib(huge)} largest resident size (target <= 500 MB); "
                      f"{os.path.getsize(big) / 2 ** 20:.0f} MiB in, {os.path.getsize(out) / 2 ** 20:.0f} MiB out"))
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 points, for a smoke run")
    parser.add_argument("--ten-million", action="store_true", help="also 10,000,000 points and their memory")
    options = parser.parse_args(argv)
    script = os.path.join(os.path.dirname(PYTHON), "backprop")
    backprop = [script] if os.path.exists(script) else [PYTHON, "-m", "backprop_cli"]
    with tempfile.TemporaryDirectory() as work:
        found = rows(backprop, work, 20_000 if options.quick else 1_000_000, options.ten_million)
    print("| workload | what | time | ratio, notes |")
    print("| --- | --- | --- | --- |")
    for row in found:
        print("| " + " | ".join(cell.replace("|", "/") for cell in row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
