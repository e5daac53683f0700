"""`backprop eval PROGRAM --batch FILE`: the value and the gradient at many points, one row each.

Input (FILE, or `-` for standard input), read whole:
- CSV: a header row naming inputs of the program, then one point a row, each
  field a finite decimal number (`-2`, `0.5`, `1e-3`). Blank lines are skipped.
- JSON Lines: one object a line, {"x": 0.5, "w": -2}, numbers as values.
  A file ending in .jsonl, .ndjson or .json is JSON Lines, one ending in .csv
  is CSV; otherwise a first character `{` means JSON Lines.
- Inputs bound on the command line (`-c 2`, `w=0.5`) are the same for every
  row; every other input needs a column. A column that is not an input, or an
  input given both ways, is a usage error (exit 2) before anything is computed.

Output, on standard output, one row for each input row, in order:
- CSV (for CSV input): a header `value,grad_<name>,...`, then the output's
  value and d output / d name for every input and named intermediate (the
  names and order of `eval --json`'s "gradient"), every number in full
  precision (Python's repr, -0 written 0.0). A row that failed is left empty.
- JSON Lines (for JSON Lines input, or with --json): {"value": ..., "gradient":
  {name: ...}} a row, the keys of `eval --json`; a row that failed is
  {"value": null, "gradient": null, "line": N, "error": "..."}.

A row that cannot be computed does not stop the others. Each one is reported on
standard error with its line number in FILE (the header is line 1), and the exit
code says what happened: 0 every row computed, 4 some rows had a math error
(log of a negative, a division by zero, ...; the message `eval` prints for that
point), 2 some rows were malformed (a missing or extra field, a value that is
not a number) -- 2 wins when both happened.

The fast path compiles the tape once and evaluates it on NumPy arrays, 65,536
rows at a time (vectorized.py); rows it flags as failing are computed again by
the scalar engine, which says why. Without NumPy every row goes through the
scalar engine: the same output, slower (`pip install 'backprop-cli[batch]'`).
"""
from __future__ import annotations

import math
import os
import sys

from ._gc import paused_gc
from .arithmetic import FLOAT
from .bindings import DECIMAL, NAME, check_bindings, literals
from .compute import differentiate
from .errors import MATH, OK, USAGE, MathError, UsageError
from .limits import read_batch_limited
from .parser import parse
from .program_command import read_program
from .tape import Tape, lower

CHUNK = 1 << 16  # rows evaluated together: arrays that stay in the processor's cache
MAX_REPORTED = 100  # failed rows described one by one on standard error; the rest are counted
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
_BOM = b"\xef\xbb\xbf"
# the bytes of a CSV body the fast reader takes; anything else goes line by line
_NUMERIC_BYTES = b"0123456789.eE+-,\n\r \t"


class _Rows:
    """The points read from the input: a matrix of values, one column per input, and their line numbers."""

    def __init__(self, names: list[str], values: list, lines: list, problems: list, matrix=None) -> None:
        self.names = names  # the inputs the columns hold
        self.values = values  # per row: a list of floats (when NumPy is not used)
        self.lines = lines  # per row: its line number in the input
        self.problems = problems  # (line, message) for each malformed row
        self.matrix = matrix  # NumPy: rows x columns


def run_batch(ctx, program: str | None, file: str | None, batch: str, as_json: bool) -> int:
    """Read the points, compute each one, write the rows; the exit code (see the module docstring)."""
    if batch == "-" and program == "-" and file is None:
        raise UsageError("standard input cannot hold both the program and the --batch points; "
                         "give the program as an argument or with --file")
    tape = lower(parse(read_program(program, file)))
    given = check_bindings(tape, ctx.meta.get("bindings", []))
    constants = literals(given, given, FLOAT)
    data, where = _read(batch)
    jsonl = _is_jsonl(batch, data)
    try:
        import numpy as np
    except ImportError:  # the scalar engine, row by row
        np = None
        sys.stderr.write("backprop: note: NumPy is not installed, so --batch computes row by row "
                         "(pip install 'backprop-cli[batch]' for the fast path)\n")
    with paused_gc():
        rows = _read_jsonl(data, where, tape, constants) if jsonl else _read_csv(data, where, tape, constants, np)
        if np is not None and rows.matrix is None:
            rows.matrix = np.array(rows.values, dtype=np.float64).reshape(len(rows.values), len(rows.names))
        writer = _Writer(tape, as_json or jsonl, rows.problems)
        failures = _Failures(rows.problems)
        out = sys.stdout
        out.write(writer.header())
        if np is None:
            _scalar_rows(tape, rows, constants, writer, failures, out)
        else:
            _vector_rows(tape, rows, constants, writer, failures, out, np)
        out.write(writer.rest())
    return failures.report(len(rows.lines) + len(rows.problems))


# ---------------------------------------------------------------------------------------------
# Reading

def _read(batch: str) -> tuple[bytes, str]:
    if batch == "-":
        if sys.stdin is None:
            raise UsageError("--batch - reads the points from standard input, but standard input is closed")
        stream = getattr(sys.stdin, "buffer", None)
        return (read_batch_limited(stream, "standard input") if stream is not None  # bounded: /dev/zero ends
                else sys.stdin.read().encode()), "standard input"
    try:
        with open(batch, "rb") as handle:
            return read_batch_limited(handle, batch), batch
    except OSError as err:
        raise UsageError(f"cannot read the --batch file {batch}: {err.strerror or err}") from None


def _is_jsonl(batch: str, data: bytes) -> bool:
    suffix = os.path.splitext(batch)[1].lower() if batch != "-" else ""
    if suffix in JSONL_SUFFIXES:
        return True
    if suffix == ".csv":
        return False
    return data.lstrip(_BOM + b" \t\r\n")[:1] == b"{"


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UsageError(f"the points in {where} are not UTF-8 text (byte {err.start})") from None


def _columns(tape: Tape, names: list[str], constants: dict, where: str, complete: bool = True) -> None:
    """The columns must be inputs not bound on the command line (and, for a CSV header, all of them)."""
    named = tape.named
    for name in names:
        if name in constants:
            raise UsageError(f"{name} is given both on the command line and as a column of {where}; give it once")
        if name not in tape.inputs:
            if name in named:
                raise UsageError(f"{name} (a column of {where}) is assigned by the program, so it is not an input")
            inputs = ", ".join(tape.inputs) or "none"
            raise UsageError(f"{name} (a column of {where}) is not used by the program (its inputs are: {inputs})")
    missing = [name for name in tape.inputs if name not in constants and name not in names]
    if missing and complete:
        example = " ".join(f"-{n} VALUE" if len(n) == 1 else f"{n}=VALUE" for n in missing)
        raise UsageError(f"{', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no values: add "
                         f"{'a column' if len(missing) == 1 else 'columns'} to {where}, or {example} for all rows")


def _show(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


def _read_csv(data: bytes, where: str, tape: Tape, constants: dict, np) -> _Rows:
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    end = data.find(b"\n")
    header_text = _decode(data if end < 0 else data[:end], where).rstrip("\r")
    body = b"" if end < 0 else data[end + 1:]
    if not header_text.strip():
        raise UsageError(f"{where} has no header row: its first line must name the inputs, as in x,w,b")
    names = [field.strip() for field in _split(header_text)]
    for k, name in enumerate(names):
        if not NAME.fullmatch(name):
            raise UsageError(f"column {k + 1} of {where} is named {_show(name)}, which is not a name "
                             "(letters, digits and _, not starting with a digit)")
        if name in names[:k]:
            raise UsageError(f"{name} names two columns of {where}")
    _columns(tape, names, constants, where)
    if np is not None:
        rows = _fast_csv(body, names, np)
        if rows is not None:
            return rows
    return _slow_csv(_decode(body, where), names, first_line=2)


def _split(line: str) -> list[str]:
    if '"' not in line:
        return line.split(",")
    import csv

    return next(csv.reader([line]))


def _fast_csv(body: bytes, names: list[str], np):
    """Every row well formed (the common case): NumPy's own reader, or None to go line by line."""
    import io
    import warnings

    text = body.rstrip(b"\r\n \t")
    if not text:
        return _Rows(names, [], [], [], np.empty((0, len(names))))
    if text.translate(None, _NUMERIC_BYTES) or b"\n\n" in text or b"\n\r\n" in text:
        return None  # other characters (quotes, nan, letters) or blank lines: line by line
    count = text.count(b"\n") + 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            matrix = np.loadtxt(io.BytesIO(text), delimiter=",", dtype=np.float64, ndmin=2, comments=None,
                                encoding="latin-1")
    except (ValueError, Warning):
        return None
    if matrix.shape != (count, len(names)) or not np.isfinite(matrix).all():
        return None
    return _Rows(names, None, range(2, count + 2), [], matrix)


def _slow_csv(text: str, names: list[str], first_line: int) -> _Rows:
    values, lines, problems = [], [], []
    width = len(names)
    for number, line in enumerate(text.split("\n"), start=first_line):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        fields = _split(line)
        if len(fields) != width:
            problems.append((number, f"malformed row: {len(fields)} fields, but the header names {width}"))
            continue
        row = _numbers(names, [field.strip() for field in fields])
        if isinstance(row, str):
            problems.append((number, row))
        else:
            values.append(row)
            lines.append(number)
    return _Rows(names, values, lines, problems)


def _numbers(names, fields):
    """The row's values as floats, or the message saying which field is not a finite number."""
    row = []
    for name, field in zip(names, fields):
        if not DECIMAL.fullmatch(field):
            what = "empty" if field == "" else _show(field)
            return f"malformed row: {name} is {what}, not a finite decimal number"
        value = float(field)
        if not math.isfinite(value):
            return f"malformed row: {name} is {field}, too large for a 64-bit float"
        row.append(value)
    return row


def _read_jsonl(data: bytes, where: str, tape: Tape, constants: dict) -> _Rows:
    import json

    if data.startswith(_BOM):
        data = data[len(_BOM):]
    names = [name for name in tape.inputs if name not in constants]
    wanted = set(names)
    values, lines, problems = [], [], []
    checked = False
    for number, line in enumerate(_decode(data, where).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            point = json.loads(line)
        except ValueError as err:
            problems.append((number, f"malformed row: not JSON ({err.msg} at column {err.colno})"))
            continue
        if not isinstance(point, dict):
            problems.append((number, "malformed row: not a JSON object {\"name\": value, ...}"))
            continue
        if not checked:  # the first object's keys say what the file holds: names that are not inputs are a usage error
            _columns(tape, list(point), constants, where, complete=False)
            checked = True
        if set(point) != wanted:
            extra = sorted(set(point) - wanted)
            missing = [name for name in names if name not in point]
            what = f"no value for {', '.join(missing)}" if missing else f"{', '.join(extra)} is not an input"
            problems.append((number, f"malformed row: {what}"))
            continue
        row = []
        for name in names:
            value = point[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                row = f"malformed row: {name} is {_show(json.dumps(value))}, not a number"
                break
            value = float(value) if abs(value) < 2 ** 1024 else math.inf
            if not math.isfinite(value):
                row = f"malformed row: {name} is too large for a 64-bit float"
                break
            row.append(value)
        if isinstance(row, str):
            problems.append((number, row))
            continue
        values.append(row)
        lines.append(number)
    return _Rows(names, values, lines, problems)


# ---------------------------------------------------------------------------------------------
# Computing

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


def _scalar_point(tape: Tape, point: dict):
    """(value, [gradient per named node]) by the scalar engine, or the math error's message."""
    try:
        result = differentiate(tape, point, FLOAT, forward_mode=False)
    except MathError as err:
        return err.message.splitlines()[0]
    gradient = result.gradient()
    numbers = [result.value, *gradient.values()]
    if not all(math.isfinite(n) for n in numbers):
        return "a gradient is too large for a 64-bit float (overflow)"
    return [float(n) + 0.0 for n in numbers]


def _scalar_rows(tape, rows: _Rows, constants: dict, writer, failures: _Failures, out) -> None:
    for start in range(0, len(rows.lines), CHUNK):
        texts = []
        for line, row in zip(rows.lines[start:start + CHUNK], rows.values[start:start + CHUNK]):
            texts.append(writer.before(line))
            numbers = _scalar_point(tape, {**dict(zip(rows.names, row)), **constants})
            if isinstance(numbers, str):
                failures.math_error(line, numbers)
                texts.append(writer.failed(line, numbers))
            else:
                texts.append(writer.row(numbers))
        out.write("".join(texts))


def _vector_rows(tape, rows: _Rows, constants: dict, writer, failures: _Failures, out, np) -> None:
    from .vectorized import Plan

    plan = Plan(tape)
    matrix = rows.matrix
    columns_of = {name: k for k, name in enumerate(rows.names)}
    fixed = {name: np.float64(value) for name, value in constants.items()}
    lines = rows.lines
    for start in range(0, matrix.shape[0], CHUNK):
        block = np.ascontiguousarray(matrix[start:start + CHUNK].T)  # one contiguous array per input
        count = block.shape[1]
        columns = {**{name: block[k] for name, k in columns_of.items()}, **fixed}
        value, gradient, bad = plan.run(columns, count)
        table = np.empty((count, 1 + len(gradient)))
        table[:, 0] = value
        for j, g in enumerate(gradient.values(), start=1):
            table[:, j] = g
        table += 0.0  # -0.0 is written 0.0, as eval --json does
        failed = {}
        for r in np.flatnonzero(bad).tolist():  # the scalar engine says what went wrong, or fixes the row
            point = {**{name: float(block[k, r]) for name, k in columns_of.items()}, **constants}
            numbers = _scalar_point(tape, point)
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

    def __init__(self, tape: Tape, jsonl: bool, problems: list) -> None:
        self.problems = sorted(problems)
        self.next_problem = 0
        named = [node.name for node in tape.nodes if node.name is not None]
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
