"""`backprop eval PROGRAM --batch FILE`: the value and the gradient at many points, one row each.

Input: see points.py (CSV or JSON Lines, FILE or `-` for standard input) and columnar.py (Parquet). With
NumPy, CSV and Parquet are read a piece at a time (chunks.py) and each piece is evaluated and written before
the next is read, so memory stays bounded whatever the file's size; JSON Lines, and CSV without NumPy, are
read whole.

Output, on standard output, one row for each input row, in order:
- CSV (for CSV and Parquet input, or --out FILE.csv): a header
  `value,grad_<name>,...`, then the output's value and d output / d name for
  every input, in the order of the input file's columns, then for the inputs
  bound on the command line and the named intermediates, in the program's
  order; every number the shortest text that reads back as the same float
  (shortest.py; -0 written 0). A row that failed is left empty. --with-inputs
  puts the input columns first, copied.
- Parquet (--out FILE.parquet): the same columns, float64, a failed row null.
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

The fast path compiles the tape once and evaluates it on NumPy arrays, a piece
of the input at a time (vectorized.py); the rows it flags (a step failed, a number left
the range of floats, or, under a --convention other than pytorch, a node sits
exactly on its kink) are computed again by the scalar engine, which gives the
row its numbers (the convention's at a kink) or says why there are none. Without NumPy every row goes
through the scalar engine: the same output, slower (`pip install
'backprop-cli[batch]'`, which a note on standard error advises for more than
10,000 rows).
"""
from __future__ import annotations

import contextlib
import math
import os
import sys
from typing import NamedTuple

from ..base.errors import MATH, OK, USAGE, MathError, UsageError
from ..base.gc_pause import paused_gc
from ..engine.arithmetic import FLOAT
from ..engine.bindings import check_bindings, literals
from ..engine.compute import differentiate
from ..engine.conventions import DEFAULT as DEFAULT_CONVENTION
from ..engine.local import active_nodes
from ..engine.tape import Tape, lower
from ..language.limits import read_batch_limited
from ..language.parser import parse
from ..language.source import read_program
from . import chunks, columnar, points
from .points import JSONL_SUFFIXES, Rows, csv_header, is_jsonl, read_csv, read_jsonl
from .sinks import Block, open_sink

CHUNK = 1 << 16  # rows evaluated together: arrays that stay in the processor's cache
MAX_REPORTED = 100  # failed rows described one by one on standard error; the rest are counted
SCALAR_CHUNK = 4096  # rows the scalar engine computes between two steps of the progress bar
LARGE = 10_000  # rows above which a batch without the extra says how much faster the extra makes it
# How much faster `pip install 'backprop-cli[batch]'` makes --batch: measured by bench/bulk.py for issue 16 on
# 100,000 rows of the neuron (CSV in and out, a shared 2-core machine, start-up included): 8.5-10x without NumPy
# and pyarrow, 1.6-1.8x with NumPy alone (issue 16, after the fast path got faster; docs/speed.md). On more rows
# the first figure only grows.
FASTER_WITHOUT_NUMPY = "about 9 times"
FASTER_WITHOUT_PYARROW = "about 1.7 times"
_OUT_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", **{s: "jsonl" for s in JSONL_SUFFIXES}}


def run_batch(ctx, program: str | None, file: str | None, batch: str, as_json: bool,
              convention: str = DEFAULT_CONVENTION, out: str | None = None, with_inputs: bool = False,
              on_progress=None) -> int:
    """Read the points, compute each one, write the rows; the exit code (see the module docstring). `convention`:
    the derivatives at a kink (engine/conventions.py); `out`: a file for the rows (its suffix says CSV, Parquet
    or JSON Lines) instead of standard output; `with_inputs`: copy the input columns into the output;
    `on_progress(done, total, detail)`: called after each piece (the command's bar, render/progress.py)."""
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
    out_kind = _out_kind(out, as_json)
    try:
        import numpy as np
    except ImportError:  # the scalar engine, row by row
        np = None
    if np is not None:
        _keep_freed_memory()
    with paused_gc(), contextlib.ExitStack() as stack:
        points_in = _open(batch, tape, constants, np, out_kind, stack)
        kind = out_kind or ("jsonl" if as_json or points_in.jsonl else "csv")
        return _compute(tape, constants, points_in, np, convention, kind, out, with_inputs, on_progress)


def _keep_freed_memory() -> None:
    """Ask glibc's allocator to keep memory that is freed for the next piece. By default it hands the top of its
    heap back to the system as soon as 128 KiB to a few MiB are free, so every piece's arrays (and the
    evaluation's temporary ones) fault their pages in afresh: 80,000 page faults and about a tenth of a second
    of system time per million rows, against 25,000 with these settings (bench/bulk.py, issue 16). Memory stays
    bounded: at most 64 MiB free is kept, and an allocation above 32 MiB still gets pages of its own, given back
    when freed. Elsewhere than glibc (no mallopt), nothing is done."""
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (ImportError, OSError, AttributeError):
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
    mallopt(m_mmap_threshold, 32 << 20)  # the largest glibc takes; a fixed one also stops its sliding threshold
    mallopt(m_trim_threshold, 64 << 20)


class _Points(NamedTuple):
    """The points being read: the columns, the pieces of rows (Rows), and for progress the total (bytes of
    the file, or rows) with a function saying how much is done (None: rows are counted)."""

    names: list
    pieces: object
    total: object
    done: object
    unit: str  # how a failed row is named on standard error: "line" N of the file, or Parquet's "row" N
    jsonl: bool
    arrow: object  # columnar.Arrow, or None


def _open(batch: str, tape: Tape, constants: dict, np, out_kind, stack) -> _Points:
    if batch != "-" and os.path.splitext(batch)[1].lower() in columnar.PARQUET_SUFFIXES:
        arrow = columnar.need(columnar.load(np), f"reading Parquet ({batch})")
        names, pieces, total = columnar.parquet_reader(arrow, batch, tape, constants,
                                                       max(chunks.chunk_bytes() // 64, 1))
        return _Points(names, pieces, total, None, "row", False, arrow)
    stream, where = chunks.open_points(batch)
    stack.enter_context(stream)
    head = stream.read(1 << 16)
    jsonl = is_jsonl(batch, head)
    arrow = None if jsonl and out_kind in (None, "jsonl") else columnar.load(np)
    if jsonl or np is None:  # read whole
        data = read_batch_limited(_Joined(head, stream), where)
        rows = read_jsonl(data, where, tape, constants) if jsonl else read_csv(data, where, tape, constants, None)
        if np is not None:
            rows.matrix = np.array(rows.values, dtype=np.float64).reshape(len(rows.values), len(rows.names))
        return _Points(rows.names, iter([rows]), len(rows.lines) + len(rows.problems), None, "line", jsonl, arrow)
    lines = chunks.Lines(stream, where, chunks.chunk_bytes(), head)
    header = lines.line()
    if header.startswith(b"\xef\xbb\xbf"):
        header = header[3:]
    names = csv_header(points.decode(header, where), where, tape, constants)
    pieces = chunks.csv_chunks(lines, names, np, arrow.parse if arrow is not None else None)
    return _Points(names, pieces, _size(stream), lambda: lines.done, "line", False, arrow)


def _compute(tape, constants, points_in: _Points, np, convention, kind, out, with_inputs, on_progress) -> int:
    if with_inputs and kind == "jsonl":
        raise UsageError("--with-inputs copies the input columns into CSV or Parquet rows; JSON Lines rows "
                         "have no columns: leave out --json, or write to a .csv or .parquet file")
    names, source, arrow, total = points_in.names, points_in.pieces, points_in.arrow, points_in.total
    grads = gradient_names(tape)
    if kind != "jsonl":  # the gradients of the columns in the file's order, then the rest in the program's
        grads = [n for n in names if n in grads] + [n for n in grads if n not in names]
    sink = open_sink(kind, out, names if with_inputs else [], grads, arrow, np)
    failures = _Failures(points_in.unit)
    count = 0
    noted = False
    with _Workers(np is not None) as workers:
        if np is None:
            _note(FASTER_WITHOUT_NUMPY, "NumPy is not installed, so --batch computes row by row", total)
            noted = True
            source = (part for rows in source for part in _split(rows, SCALAR_CHUNK))
        for rows in workers.ahead(source):
            failures.malformed_rows(rows.problems)
            block = (_scalar_rows if np is None else _vector_rows)(tape, rows, constants, grads, failures, np,
                                                                    convention, with_inputs)
            sink.write(block, workers)
            count += len(block.lines)
            if on_progress is not None:
                on_progress(count if points_in.done is None else points_in.done(), total, f"{count:,} rows")
            if not noted and arrow is None and count > LARGE and kind != "jsonl":
                _note(FASTER_WITHOUT_PYARROW, "pyarrow is not installed, so --batch reads and writes with Python",
                      count)
                noted = True
        sink.close()
    return failures.report(count)


class _Workers:
    """Two threads that overlap the work of a block with its neighbours': one reads and parses the next piece
    while this one is evaluated, one formats the rows of the last one (pyarrow lets go of the interpreter
    lock while it parses and formats; the evaluation holds it). On 1,000,000 rows of 7 inputs this takes
    the time from about the sum of reading, evaluating and writing to about the largest of them. Without
    NumPy everything runs in order, in this thread."""

    def __init__(self, threaded: bool) -> None:
        self.pool = None
        if threaded:
            from concurrent.futures import ThreadPoolExecutor

            self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="backprop-batch")

    def __enter__(self) -> "_Workers":
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def ahead(self, iterator):
        """The items of `iterator`, the next one read in another thread while this one is used."""
        if self.pool is None:
            yield from iterator
            return
        iterator = iter(iterator)
        end = object()
        future = self.pool.submit(next, iterator, end)
        while True:
            item = future.result()
            if item is end:
                return
            future = self.pool.submit(next, iterator, end)
            yield item

    def submit(self, work, *args):
        """A future of work(*args), or its result at once without threads."""
        if self.pool is None:
            from concurrent.futures import Future

            done = Future()
            done.set_result(work(*args))
            return done
        return self.pool.submit(work, *args)


def _split(rows: Rows, size: int):
    """A piece read whole, in parts of `size` computed rows (the scalar engine's progress is seen)."""
    if len(rows.lines) <= size:
        yield rows
        return
    problems = sorted(rows.problems)
    taken = 0
    for start in range(0, len(rows.lines), size):
        lines = rows.lines[start:start + size]
        last = lines[-1] if start + size < len(rows.lines) else math.inf
        mine = []
        while taken < len(problems) and problems[taken][0] < last:
            mine.append(problems[taken])
            taken += 1
        yield Rows(rows.names, rows.values[start:start + size], lines, mine)


def _note(faster: str, why: str, rows) -> None:
    if isinstance(rows, int) and rows > LARGE:
        sys.stderr.write(f"backprop: note: {why}; pip install 'backprop-cli[batch]' makes it {faster} "
                         "as fast\n")


def _out_kind(out: str | None, as_json: bool) -> str | None:
    if out is None or out == "-":
        return "jsonl" if as_json else None
    kind = _OUT_SUFFIXES.get(os.path.splitext(out)[1].lower())
    if kind is None:
        raise UsageError(f"--out {out}: the rows are written as CSV (.csv), Parquet (.parquet) or JSON Lines "
                         "(.jsonl), chosen by the file's extension")
    if as_json and kind != "jsonl":
        raise UsageError(f"--json writes JSON Lines, but --out {out} asks for {kind.upper() if kind == 'csv' else 'Parquet'}"
                         ": leave out --json, or write to a .jsonl file")
    return kind


def _size(stream):
    try:
        return os.fstat(stream.fileno()).st_size or None
    except (OSError, AttributeError, ValueError):
        return None


class _Joined:
    """The bytes already read, then the rest of the stream (for read_batch_limited)."""

    def __init__(self, head: bytes, stream) -> None:
        self.head = head
        self.stream = stream

    def read(self, count: int) -> bytes:
        return self.head + (self.stream.read(count - len(self.head)) or b"") if count > len(self.head) else self.head


class _Failures:
    """The rows that failed: counted, the first MAX_REPORTED told on standard error in line order at the end
    (the pieces come in line order, so keeping the first ones of each is enough)."""

    def __init__(self, unit: str = "line") -> None:
        self.unit = unit
        self.malformed = 0
        self.math = 0
        self.messages: list = []

    def malformed_rows(self, problems: list) -> None:
        self.malformed += len(problems)
        self._keep(problems)

    def math_errors(self, errors: list) -> None:
        self.math += len(errors)
        self._keep([(line, f"math error: {message}") for line, message in errors])

    def _keep(self, messages: list) -> None:
        if messages and len(self.messages) < 2 * MAX_REPORTED:
            self.messages.extend(messages)
            self.messages.sort(key=lambda item: item[0])

    def report(self, total: int) -> int:
        failed = self.malformed + self.math
        if not failed:
            return OK
        self.messages.sort(key=lambda item: item[0])
        sys.stderr.write("".join(f"backprop: {self.unit} {line}: {message}\n"
                                 for line, message in self.messages[:MAX_REPORTED]))
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
    ones vectorized.Plan gives)."""
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


def _order(rows: Rows):
    """The line of every row of the piece (computed and malformed, in order) and where the computed ones go."""
    if not rows.problems:
        return rows.lines, None
    bad = {line: message for line, message in rows.problems}
    lines = sorted([*rows.lines, *bad])
    at = {line: r for r, line in enumerate(lines)}
    return lines, ([at[line] for line in rows.lines], {at[line]: message for line, message in bad.items()})


def _scalar_rows(tape, rows: Rows, constants: dict, grads: list, failures: _Failures, np, convention: str,
                 with_inputs: bool) -> Block:
    lines, placed = _order(rows)
    width = 1 + len(grads)
    table = [[0.0] * width for _ in lines]
    inputs = [[0.0] * len(rows.names) for _ in lines] if with_inputs else None
    failed, malformed = ({}, set()) if placed is None else (dict(placed[1]), set(placed[1]))
    where = range(len(lines)) if placed is None else placed[0]
    errors = []
    for r, line, row in zip(where, rows.lines, rows.values):
        numbers = _scalar_point(tape, {**dict(zip(rows.names, row)), **constants}, grads, convention)
        if with_inputs:
            inputs[r] = [float(v) + 0.0 for v in row]
        if isinstance(numbers, str):
            errors.append((line, numbers))
            failed[r] = numbers
        else:
            table[r] = numbers
    failures.math_errors(errors)
    return Block(lines, table, inputs, failed, malformed)


_PLANS: dict = {}


def _vector_rows(tape, rows: Rows, constants: dict, grads: list, failures: _Failures, np, convention: str,
                 with_inputs: bool) -> Block:
    from ..engine.vectorized import Plan

    key = (id(tape), convention)
    if key not in _PLANS:  # compiled once per run; under a convention other than PyTorch's, kink rows are flagged
        _PLANS.clear()
        _PLANS[key] = (tape, Plan(tape, convention))
    plan = _PLANS[key][1]
    matrix = rows.matrix
    columns_of = {name: k for k, name in enumerate(rows.names)}
    fixed = {name: np.float64(value) for name, value in constants.items()}
    lines = rows.lines
    table = np.empty((matrix.shape[0], 1 + len(grads)), order="F")  # columns, as written
    failed = {}
    errors = []
    for start in range(0, matrix.shape[0], CHUNK):
        block = np.ascontiguousarray(matrix[start:start + CHUNK].T)  # one contiguous array per input
        count = block.shape[1]
        columns = {**{name: block[k] for name, k in columns_of.items()}, **fixed}
        value, gradient, bad = plan.run(columns, count)
        part = table[start:start + count]
        np.add(value, 0.0, out=part[:, 0])  # + 0.0: -0.0 is written 0, as eval --json does
        for j, name in enumerate(grads, start=1):  # by name: the header's order, whatever the columns'
            np.add(gradient[name], 0.0, out=part[:, j])
        for r in np.flatnonzero(bad).tolist():  # the scalar engine says what went wrong, or fixes the row
            point = {**{name: float(block[k, r]) for name, k in columns_of.items()}, **constants}
            numbers = _scalar_point(tape, point, grads, convention)
            if isinstance(numbers, str):
                errors.append((lines[start + r], numbers))
                failed[start + r] = numbers
            else:
                part[r] = numbers
    failures.math_errors(errors)
    inputs = matrix + 0.0 if with_inputs else None
    all_lines, placed = _order(rows)
    if placed is None:
        return Block(lines, table, inputs, failed, set())
    where, bad_rows = placed
    full = np.zeros((len(all_lines), table.shape[1]))
    full[where] = table
    if inputs is not None:
        copied = np.zeros((len(all_lines), inputs.shape[1]))
        copied[where] = inputs
        inputs = copied
    moved = {where[r]: message for r, message in failed.items()}
    moved.update(bad_rows)
    return Block(all_lines, full, inputs, moved, set(bad_rows))
