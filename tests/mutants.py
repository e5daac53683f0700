"""A small mutation run: plant realistic bugs one at a time and check that the tests notice each.

    python tests/mutants.py                # every mutant, against tests/engine tests/teaching tests/commands
    python tests/mutants.py --list         # the mutants
    python tests/mutants.py 3 7            # some of them

Each mutant is one textual change in the engine, grading or check code (a flipped sign in a rule, `=` for
`+=` at a fork, a tolerance comparison off by one). The run copies the checkout's tracked files to a
scratch folder, applies one mutant there, and runs the tests against that copy (PYTHONPATH first), so the
working tree is never touched. A mutant the tests do not catch is printed as SURVIVED: it marks a place
where the tests are thin. Not a test itself (it takes several minutes): run it by hand after changing
rules or tests, and say what it found.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ["tests/engine", "tests/teaching", "tests/commands"]

# (file, original text, mutated text, what it stands for)
MUTANTS = [
    ("backprop_cli/engine/ops.py", 'Op("add", 2, lambda x, y: x + y, (lambda x, y, o: 1, lambda x, y, o: 1)',
     'Op("add", 2, lambda x, y: x + y, (lambda x, y, o: 1, lambda x, y, o: -1)', "add: d/dy = -1"),
    ("backprop_cli/engine/ops.py", '(lambda x, y, o: y, lambda x, y, o: x), "{0} * {1}"',
     '(lambda x, y, o: x, lambda x, y, o: y), "{0} * {1}"', "mul: product rule factors swapped"),
    ("backprop_cli/engine/ops.py", "(lambda x, y, o: 1 / y, fn.d_div_denominator)",
     "(lambda x, y, o: -1 / y, fn.d_div_denominator)", "div: d/dx sign flipped"),
    ("backprop_cli/engine/functions.py", "    d = -(out / y)\n", "    d = out / y\n", "div: d/dy sign dropped"),
    ("backprop_cli/engine/ops.py", '(lambda x, o: -fn.sin(x),), ("-sin({0})",)',
     '(lambda x, o: fn.sin(x),), ("-sin({0})",)', "cos' sign flipped"),
    ("backprop_cli/engine/ops.py", '(lambda x, o: fn.cos(x),), ("cos({0})",)',
     '(lambda x, o: fn.sin(x),), ("cos({0})",)', "sin' = sin"),
    ("backprop_cli/engine/functions.py", "        return 1 / (c * c)\n", "        return 1 / c\n", "tanh' = sech, not sech^2"),
    ("backprop_cli/engine/functions.py", "    d = out * sigmoid(-x)\n", "    d = out * sigmoid(x)\n",
     "sigmoid' = s(x)^2"),
    ("backprop_cli/engine/ops.py", '(lambda x, o: 1 if x > 0 else 0,),', '(lambda x, o: 1 if x >= 0 else 0,),',
     "relu'(0) = 1"),
    ("backprop_cli/engine/ops.py", "    return 1 if tied == 1 else Fraction(1, tied)\n", "    return 1\n",
     "max/min tie gives 1 to every tied argument"),
    ("backprop_cli/engine/functions.py", "    p = y * out\n", "    p = (y - 1) * out\n", "power rule: (y-1) for y"),
    ("backprop_cli/engine/functions.py", "    d = out * log(x)\n", "    d = log(x)\n", "d/dy x^y without x^y"),
    ("backprop_cli/engine/functions.py", "    return 1 / (2 * out)\n", "    return 1 / out\n", "sqrt' without the 2"),
    ("backprop_cli/engine/ops.py", '(lambda x, o: 1 / x,), ("1/{0}",)', '(lambda x, o: 1 / o,), ("1/{0}",)',
     "log' = 1/log(x)"),
    ("backprop_cli/engine/ops.py", '(lambda x, o: o,), ("exp({0})",)', '(lambda x, o: x,), ("exp({0})",)',
     "exp' = x"),
    ("backprop_cli/engine/reverse.py", "                    grads[a] = grads[a] + c\n",
     "                    grads[a] = c\n", "= for += at a fork (reverse sweep)"),
    ("backprop_cli/engine/reverse.py", "                    c = upstream * d\n", "                    c = d\n",
     "the chain rule without the upstream gradient"),
    ("backprop_cli/engine/forward.py", "\n                total = total + product\n", "\n                total = product\n",
     "= for += in forward mode"),
    ("backprop_cli/engine/local.py", "            active[i] = active[args[0]] or active[args[1]]\n",
     "            active[i] = active[args[0]] and active[args[1]]\n", "active only when both arguments are"),
    ("backprop_cli/engine/local.py", "        if op.branch(*(values[a] for a in node.args)) == 0:\n",
     "        if op.branch(*(values[a] for a in node.args)) != 0:\n", "kinks flagged off the kink"),
    ("backprop_cli/engine/forward.py", '    return OPS[op].underflows and all(operands)',
     '    return False and OPS[op].underflows and all(operands)', "underflow never noticed"),
    ("backprop_cli/engine/wide.py", "    return 4 * e / ((ONE + e) * (ONE + e))", "    return 2 * e / ((ONE + e) * (ONE + e))",
     "wide tanh' off by 2"),
    ("backprop_cli/engine/compute.py", "        return as_floats(wide, keep)", "        return wide",
     "wide result not rounded back to floats"),
    ("backprop_cli/teaching/grading.py", "    if off <= allowed:\n", "    if off < allowed:\n",
     "grading: the boundary excluded"),
    ("backprop_cli/teaching/grading.py", "        if half >= floor:\n", "        if half <= floor:\n",
     "grading: decimal unit and floor swapped"),
    ("backprop_cli/teaching/grading.py", "        half = answer.unit / 2\n", "        half = answer.unit\n",
     "grading: a decimal correct within one unit, not half"),
    ("backprop_cli/teaching/grading.py", "    if accept is not None and off <= accept[0] + slack:\n",
     "    if accept is not None and off <= 2 * accept[0] + slack:\n", "grading: accepted within two units"),
    ("backprop_cli/teaching/grading.py", "ROUNDING_SAFETY = 4 ", "ROUNDING_SAFETY = 0 ",
     "grading: no rounding allowance"),
    ("backprop_cli/teaching/grading.py", "EXACT_RELATIVE = Fraction(1, 10**9)", "EXACT_RELATIVE = Fraction(1, 10**6)",
     "grading: fractions held to 1e-6"),
    ("backprop_cli/engine/values.py", "        return Constant(text, \"fraction\", numerator / denominator)",
     "        return Constant(text, \"fraction\", denominator / numerator)", "answers: fraction upside down"),
    ("backprop_cli/engine/finite_differences.py", "    h = EPS ** (1 / 3) * max(1.0, abs(x))",
     "    h = EPS ** (1 / 2) * max(1.0, abs(x))", "--check: sqrt(eps) step"),
    ("backprop_cli/engine/rounding.py", "UNIT = 2.0 ** -53", "UNIT = 2.0 ** -30", "rounding bound 8 million times too wide"),
]


def tracked_copy(target: Path) -> None:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def run(index: int, scratch: Path) -> str:
    path, original, mutated, _ = MUTANTS[index]
    file = scratch / path
    text = (ROOT / path).read_text(encoding="utf-8")
    if text.count(original) != 1:
        return "STALE (the original text is not in the file once: update the mutant)"
    file.write_text(text.replace(original, mutated), encoding="utf-8")
    try:
        env = {**os.environ, "PYTHONPATH": str(scratch)}
        proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *TESTS],
                              cwd=scratch, env=env, capture_output=True, text=True, timeout=1800)
        if proc.returncode == 0:
            return "SURVIVED"
        failed = [line for line in proc.stdout.splitlines() if line.startswith("FAILED")]
        return "caught by " + (failed[0][7:].split(" - ")[0] if failed else f"exit {proc.returncode}")
    finally:
        file.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    stale = [k for k, (path, original, _, _) in enumerate(MUTANTS)
             if (ROOT / path).read_text(encoding="utf-8").count(original) != 1]
    if stale:
        print(f"stale mutants (their text is not in the file once): {stale}")
        return 2
    if argv == ["--list"]:
        for k, (path, _, _, what) in enumerate(MUTANTS):
            print(f"{k:3d}  {path}: {what}")
        return 0
    chosen = [int(a) for a in argv] or list(range(len(MUTANTS)))
    survived = 0
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        tracked_copy(scratch)
        for k in chosen:
            start = time.time()
            outcome = run(k, scratch)
            survived += not outcome.startswith("caught")
            print(f"{k:3d}  {MUTANTS[k][3]}: {outcome} ({time.time() - start:.0f} s)", flush=True)
    print(f"{len(chosen) - survived} of {len(chosen)} caught")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
