#!/usr/bin/env python3
"""`backprop check --class`: a class of 1,000 students on a 10-question program, the whole process timed.

    python bench/class.py                  # 1,000 students, every output format, the best of 3 runs
    python bench/class.py --students 10000 # a bigger class

The program is a neuron with a squared-error loss (a sigmoid, so most true values are floats and the
rounding estimate runs); ten questions (the loss's value, two node values, seven gradients). Two classes
are graded:
- "realistic": answers as a class writes them: most right, written to 2 to 6 digits, or as a fraction
  where the value is rational; some truncated (accepted); common mistakes (the sign flipped, a factor 2,
  the value for the gradient); some random decimals; some empty cells and a few that are not numbers;
- "distinct": every answer a different random decimal (nothing to share between students: the worst
  case for grading, where each of the 10,000 answers is read and graded on its own).
The issue's target: under 5 seconds for the whole process (start Python, read, compute, grade, print).
tests/commands/test_check_class.py runs make_class too and holds the realistic class to that bound.
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

PROGRAM = "z = w1*x1 + w2*x2 + b; y = sigmoid(z); L = 0.5*(y - t)^2"
INPUTS = ["w1=0.5", "x1=2", "w2=-1", "x2=0.25", "b=0.1", "t=1"]
QUESTIONS = ["value", "y.value", "z.value", "y", "z", "w1", "x1", "w2", "x2", "b"]


def truths() -> dict[str, float]:
    """The true values, from `backprop eval --json` (the bench only times; the tests check the numbers)."""
    import json

    out = subprocess.run([sys.executable, "-m", "backprop_cli", "eval", PROGRAM, *INPUTS, "--json"],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout
    doc = json.loads(out)
    values = {node["name"]: node["value"] for node in doc["nodes"] if node["name"]}
    found = {"value": doc["value"], "y.value": values["y"], "z.value": values["z"]}
    found.update({name: doc["gradient"][name] for name in QUESTIONS if name in doc["gradient"]})
    return found


def _written(x: float, rnd: random.Random) -> str:
    return f"{x:.{rnd.randint(2, 6)}g}"


def _truncated(x: float, rnd: random.Random) -> str:
    digits = rnd.randint(3, 5)
    scale = 10 ** (digits - 1 - int(f"{abs(x):e}".split("e")[1]))
    return repr(int(x * scale) / scale)


def make_class(students: int = 1000, seed: int = 1, distinct: bool = False, true: dict | None = None) -> str:
    """The text of a class file (header, then a row per student), the same for the same arguments."""
    true = true or truths()
    rnd = random.Random(seed)
    lines = ["student," + ",".join(QUESTIONS)]
    for s in range(students):
        cells = []
        for q in QUESTIONS:
            x = true[q]
            roll = rnd.random()
            if distinct:
                cells.append(f"{rnd.uniform(-2, 2):.9f}")
            elif roll < 0.55:
                cells.append(_written(x, rnd))
            elif roll < 0.62:
                cells.append(_truncated(x, rnd))
            elif roll < 0.72:
                cells.append(_written(-x if x else 1.0, rnd))
            elif roll < 0.77:
                cells.append(_written(2 * x, rnd))
            elif roll < 0.85:
                cells.append(f"{rnd.uniform(-2, 2):.{rnd.randint(1, 4)}f}")
            elif roll < 0.97:
                cells.append("")
            else:
                cells.append(rnd.choice(["idk", "?", "0,5", "x/2"]))
        lines.append(f"s{s:05d}," + ",".join(f'"{c}"' if "," in c else c for c in cells))
    return "\n".join(lines) + "\n"


def run_once(path: str, options: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "backprop_cli", "check", PROGRAM, *INPUTS, "--class", path,
                           *options], capture_output=True, cwd=ROOT, env=dict(os.environ, COLUMNS="100"))
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"exit {proc.returncode}: {proc.stderr.decode()[:500]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    true = truths()
    print(f"{args.students:,} students, {len(QUESTIONS)} questions, the whole process, best of {args.repeat}:")
    print("| class | tables | --json | --csv |")
    print("| --- | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("realistic", "distinct"):
            path = os.path.join(folder, f"{kind}.csv")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(make_class(args.students, 1, kind == "distinct", true))
            times = [min(run_once(path, options) for _ in range(args.repeat)) for options in ([], ["--json"], ["--csv"])]
            print(f"| {kind} | " + " | ".join(f"{t:.2f} s" for t in times) + " |")


if __name__ == "__main__":
    main()
