"""`backprop eval PROGRAM --batch FILE`: the value and the gradient at many points, one row each.

Input: see points.py (CSV or JSON Lines, FILE or `-` for standard input, read whole).

Output, on standard output, one row for each input row, in order:
- CSV (for CSV input): a header `value,grad_<name>,...`, then the output's
  value and d output / d name for every input and named intermediate (the
  names and order of `eval --json`'s "gradient": the program's order, whatever
  the order of the columns; numbers are put in their places by name), every
  number in full precision (Python's repr, -0 written 0.0). A row that failed
  is left empty.
- JSON Lines (for JSON Lines input, or with --json): {"value": ..., "gradient":
  {name: ...}} a row, the keys of `eval --json`; a row that failed is
  {"value": null, "gradient": null, "line": N, "error": "..."}.

A row that cannot be computed does not stop the others. Each one is reported on
standard error with its line number in FILE (the header is line 1), and the exit
code says what happened: 0 every row computed, 4 some rows had a math error
(log of a negative, a division by zero, ...; the message `eval` prints for that
point), 2 some rows were malformed (a missing or extra field, a value that is
not a number or not a 64-bit float) -- 2 wins when both happened. Never an
inf or a NaN in the output.

The fast path compiles the tape once and evaluates it on NumPy arrays, 65,536
rows at a time (vectorized.py); the rows it flags (a step failed, a number left
the range of floats, or, under a --convention other than pytorch, a node sits
exactly on its kink) are computed again by the scalar engine, which gives the
row its numbers (the convention's at a kink) or says why there are none. Without NumPy every row goes
through the scalar engine: the same output, slower (`pip install
'backprop-cli[batch]'`).
"""
from __future__ import annotations

import math
import sys

from ..base.errors import MATH, OK, USAGE, MathError, UsageError
from ..base.gc_pause import paused_gc
from ..engine.arithmetic import FLOAT
from ..engine.bindings import check_bindings, literals
from ..engine.compute import differentiate
from ..engine.conventions import DEFAULT as DEFAULT_CONVENTION
from ..engine.local import active_nodes
from ..engine.tape import Tape, lower
from ..language.parser import parse
from ..language.source import read_program
from .points import Rows, is_jsonl, read_csv, read_input, read_jsonl

CHUNK = 1 << 16  # rows evaluated together: arrays that stay in the processor's cache
MAX_REPORTED = 100  # failed rows described one by one on standard error; the rest are counted


def run_batch(ctx, program: str | None, file: str | None, batch: str, as_json: bool,
              convention: str = DEFAULT_CONVENTION) -> int:
    """Read the points, compute each one, write the rows; the exit code (see the module docstring). `convention`:
    the derivatives at a kink (engine/conventions.py)."""
    if batch == "-" and program == "-" and file is None:
        raise UsageError("standard input cannot hold both the program and the --batch points; "
                         "give the program as an argument or with --file")
    tape = lower(parse(read_program(program, file)))
    given = check_bindings(tape, ctx.meta.get("bindings", []))
    constants = literals(given, given, FLOAT)
    if tape.tensor or any(type(v) is list for v in constants.values()) \
            or any(text.lstrip().startswith("[") for text in tape.defaults.values()):
        raise UsageError("--batch is not yet for vectors and matrices: backprop eval gives their values and "
                         "gradients at one point")
    data, where = read_input(batch)
    jsonl = is_jsonl(batch, data)
    try:
        import numpy as np
    except ImportError:  # the scalar engine, row by row
        np = None
        sys.stderr.write("backprop: note: NumPy is not installed, so --batch computes row by row "
                         "(pip install 'backprop-cli[batch]' for the fast path)\n")
    with paused_gc():
        rows = read_jsonl(data, where, tape, constants) if jsonl else read_csv(data, where, tape, constants, np)
        if np is not None and rows.matrix is None:
            rows.matrix = np.array(rows.values, dtype=np.float64).reshape(len(rows.values), len(rows.names))
        writer = _Writer(gradient_names(tape), as_json or jsonl, rows.problems)
        failures = _Failures(rows.problems)
        out = sys.stdout
        out.write(writer.header())
        if np is None:
            _scalar_rows(tape, rows, constants, writer, failures, out, convention)
        else:
            _vector_rows(tape, rows, constants, writer, failures, out, np, convention)
        out.write(writer.rest())
    return failures.report(len(rows.lines) + len(rows.problems))


class _Failures:
    """The rows that failed, told on standard error in line order when all are computed."""

    def __init__(self, problems: list) -> None:
        self.malformed = len(problems)
        self.math = 0
        self.messages = list(problems)

    def math_error(self, line: int, message: str) -> None:
        self.math += 1
        self.messages.append((line, f"math error: {message}"))

    def report(self, total: int) -> int:
        failed = self.malformed + self.math
        if not failed:
            return OK
        self.messages.sort(key=lambda item: item[0])
        sys.stderr.write("".join(f"backprop: line {line}: {message}\n" for line, message in self.messages[:MAX_REPORTED]))
        if failed > MAX_REPORTED:
            sys.stderr.write(f"backprop: ... and {failed - MAX_REPORTED} more failed rows\n")
        kinds = []
        if self.math:
            kinds.append(f"{self.math} with a math error")
        if self.malformed:
            kinds.append(f"{self.malformed} malformed")
        sys.stderr.write(f"backprop: {failed} of {total} rows failed ({', '.join(kinds)}); the others were computed\n")
        return USAGE if self.malformed else MATH


def gradient_names(tape: Tape) -> list[str]:
    """The names `eval --json` has in "gradient", in its order (the program's, whatever the order of the
    columns): the named nodes the engine differentiates (the inputs and the named intermediates; the same
    ones vectorized.Plan gives). The output's columns: every row's numbers are put in them by name."""
    active = active_nodes(tape)
    return [node.name for i, node in enumerate(tape.nodes) if node.name is not None and active[i]]


def _scalar_point(tape: Tape, point: dict, names: list[str], convention: str = DEFAULT_CONVENTION):
    """[value, d output / d name for each of `names`] by the scalar engine, or the math error's message."""
    try:
        result = differentiate(tape, point, FLOAT, forward_mode=False, convention=convention)
    except MathError as err:
        return err.message.splitlines()[0]
    gradient = result.gradient()
    numbers = [result.value, *(gradient[name] for name in names)]
    if not all(math.isfinite(n) for n in numbers):
        return "a gradient is too large for a 64-bit float (overflow)"
    return [float(n) + 0.0 for n in numbers]


def _scalar_rows(tape, rows: Rows, constants: dict, writer, failures: _Failures, out, convention: str) -> None:
    for start in range(0, len(rows.lines), CHUNK):
        texts = []
        for line, row in zip(rows.lines[start:start + CHUNK], rows.values[start:start + CHUNK]):
            texts.append(writer.before(line))
            numbers = _scalar_point(tape, {**dict(zip(rows.names, row)), **constants}, writer.names, convention)
            if isinstance(numbers, str):
                failures.math_error(line, numbers)
                texts.append(writer.failed(line, numbers))
            else:
                texts.append(writer.row(numbers))
        out.write("".join(texts))


def _vector_rows(tape, rows: Rows, constants: dict, writer, failures: _Failures, out, np, convention: str) -> None:
    from ..engine.vectorized import Plan

    plan = Plan(tape, convention)  # under a convention other than PyTorch's, rows on a kink are flagged
    matrix = rows.matrix
    columns_of = {name: k for k, name in enumerate(rows.names)}
    fixed = {name: np.float64(value) for name, value in constants.items()}
    lines = rows.lines
    for start in range(0, matrix.shape[0], CHUNK):
        block = np.ascontiguousarray(matrix[start:start + CHUNK].T)  # one contiguous array per input
        count = block.shape[1]
        columns = {**{name: block[k] for name, k in columns_of.items()}, **fixed}
        value, gradient, bad = plan.run(columns, count)
        table = np.empty((count, 1 + len(writer.names)))
        table[:, 0] = value
        for j, name in enumerate(writer.names, start=1):  # by name: the header's order, whatever the columns'
            table[:, j] = gradient[name]
        table += 0.0  # -0.0 is written 0.0, as eval --json does
        failed = {}
        for r in np.flatnonzero(bad).tolist():  # the scalar engine says what went wrong, or fixes the row
            point = {**{name: float(block[k, r]) for name, k in columns_of.items()}, **constants}
            numbers = _scalar_point(tape, point, writer.names, convention)
            if isinstance(numbers, str):
                failures.math_error(lines[start + r], numbers)
                failed[r] = writer.failed(lines[start + r], numbers)
            else:
                table[r] = numbers
        out.write(writer.rows(table, failed, lines[start:start + count]))


# ---------------------------------------------------------------------------------------------
# Writing

class _Writer:
    """Rows of CSV or JSON Lines, formatted a block at a time by one %-format call per block.

    Malformed rows (found while reading) are written as failed rows in their places, by line number."""

    def __init__(self, named: list[str], jsonl: bool, problems: list) -> None:
        self.problems = sorted(problems)
        self.next_problem = 0
        self.names = named
        self.jsonl = jsonl
        if jsonl:
            import json

            self._json = json
            gradient = ", ".join(f"{json.dumps(name)}: %r" for name in named)
            self.format = '{"value": %r, "gradient": {' + gradient + "}}\n"
        else:
            self.format = ",".join(["%r"] * (1 + len(named))) + "\n"
        self.empty = "," * len(named) + "\n"

    def header(self) -> str:
        return "" if self.jsonl else ",".join(["value", *(f"grad_{name}" for name in self.names)]) + "\n"

    def row(self, numbers: list) -> str:
        return self.format % tuple(numbers)

    def failed(self, line: int, message: str) -> str:
        if not self.jsonl:
            return self.empty
        return self._json.dumps({"value": None, "gradient": None, "line": line, "error": message}) + "\n"

    def before(self, line: int) -> str:
        """The malformed rows that come before `line`."""
        start = self.next_problem
        while self.next_problem < len(self.problems) and self.problems[self.next_problem][0] < line:
            self.next_problem += 1
        return "".join(self.failed(n, message) for n, message in self.problems[start:self.next_problem])

    def rest(self) -> str:
        """The malformed rows after the last computed one."""
        return self.before(float("inf"))

    def rows(self, table, failed: dict, lines) -> str:
        pending = self.next_problem < len(self.problems) and self.problems[self.next_problem][0] < lines[-1]
        if not failed and not pending:
            return (self.format * len(table)) % tuple(table.ravel().tolist())
        numbers = table.tolist()
        return "".join(self.before(line) + (failed[r] if r in failed else self.format % tuple(row))
                       for r, (line, row) in enumerate(zip(lines, numbers)))
