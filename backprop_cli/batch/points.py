"""Reading the points of `eval --batch`: a CSV or JSON Lines file into one row of input values per point.

Input (FILE, or `-` for standard input), read whole:
- CSV: a header row naming inputs of the program, in any order, then one point
  a row, each field a finite decimal number (`-2`, `0.5`, `1e-3`). Blank lines
  are skipped.
- JSON Lines: one object a line, {"x": 0.5, "w": -2}, numbers as values, keys
  in any order.
  A file ending in .jsonl, .ndjson or .json is JSON Lines, one ending in .csv
  is CSV; otherwise a first character `{` means JSON Lines.
- A number must be a 64-bit float, as for `eval -x`: 1e400 (infinity as a float)
  and 1e-400 (0 as a float, though it is not 0) make their row malformed, and so
  do JSON's NaN and Infinity. A row the reader refuses is reported with its line
  number (exit 2), and the others are still computed.
- Inputs bound on the command line (`-c 2`, `w=0.5`) are the same for every
  row; every other input needs a column. A column that is not an input, or an
  input given both ways, is a usage error (exit 2) before anything is computed.
"""
from __future__ import annotations

import math
import os
import re

from ..base.errors import UsageError
from ..engine.bindings import DECIMAL, NAME
from ..engine.tape import Tape

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
_BOM = b"\xef\xbb\xbf"
# the bytes of a CSV body the fast reader takes; anything else goes line by line
_NUMERIC_BYTES = b"0123456789.eE+-,\n\r \t"
_TRAILING = frozenset(b"\r\n \t")
# A literal that may round to 0 as a float although it is not 0 (1e-400, 0.000...0001): its exponent has
# three digits or more, or it has 100 zeros in a row (below 1e-323 it needs one or the other). The fast reader
# looks for one only when NumPy read some 0, and reads again only the rows that hold a 0 and one of these.
# (Two patterns that start with a letter: a regular expression that does not is ten times slower to search.)
_BIG_EXPONENTS = (re.compile(rb"e[+-]?0*[1-9][0-9][0-9]"), re.compile(rb"E[+-]?0*[1-9][0-9][0-9]"))
_ZEROS = b"0" * 100
_NONZERO_DIGIT = re.compile("[1-9]")
_TOO_LARGE = "too large for a 64-bit float (at most about 1.8e308)"
_TOO_SMALL = "too small for a 64-bit float: it would be 0 (the smallest is about 4.9e-324)"


class Rows:
    """The points read from the input: a matrix of values, one column per input, and their line numbers."""

    def __init__(self, names: list[str], values: list, lines: list, problems: list, matrix=None) -> None:
        self.names = names  # the inputs the columns hold
        self.values = values  # per row: a list of floats (when NumPy is not used)
        self.lines = lines  # per row: its line number in the input
        self.problems = problems  # (line, message) for each malformed row
        self.matrix = matrix  # NumPy: rows x columns


def is_jsonl(batch: str, data: bytes) -> bool:
    suffix = os.path.splitext(batch)[1].lower() if batch != "-" else ""
    if suffix in JSONL_SUFFIXES:
        return True
    if suffix == ".csv":
        return False
    return data.lstrip(_BOM + b" \t\r\n")[:1] == b"{"


def decode(data: bytes, where: str) -> str:
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


def _shown(number: str) -> str:
    """A number's text for a message: in full when short, else its ends and its length (as eval shows it)."""
    return number if len(number) <= 40 else f"{number[:20]}...{number[-10:]} ({len(number):,} characters)"


def _out_of_range(text: str, value: float):
    """Why a decimal literal is no 64-bit float (it would be infinity, or 0 although it is not 0), or None."""
    if not math.isfinite(value):
        return _TOO_LARGE
    if value == 0 and _NONZERO_DIGIT.search(text.split("e")[0].split("E")[0]):
        return _TOO_SMALL
    return None


def _csv_error(err) -> str:
    return str(err).split(" - ")[0]  # "new-line character seen in unquoted field - do you need to open ..."


def read_csv(data: bytes, where: str, tape: Tape, constants: dict, np) -> Rows:
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    end = data.find(b"\n")
    names = csv_header(decode(data if end < 0 else data[:end], where), where, tape, constants)
    body = b"" if end < 0 else data[end + 1:]
    if np is not None:
        rows = fast_csv(body, names, np)
        if rows is not None:
            return rows
    return slow_csv(decode(body, where), names, first_line=2)


def csv_header(header_text: str, where: str, tape: Tape, constants: dict) -> list[str]:
    """The inputs a CSV header names, in its order; a usage error for a header that is not one."""
    header_text = header_text.rstrip("\r")
    if not header_text.strip():
        raise UsageError(f"{where} has no header row: its first line must name the inputs, as in x,w,b")
    fields = _split(header_text)
    if isinstance(fields, str):
        raise UsageError(f"the header row of {where} is not CSV ({fields})")
    names = [field.strip() for field in fields]
    for k, name in enumerate(names):
        if not NAME.fullmatch(name):
            raise UsageError(f"column {k + 1} of {where} is named {_show(name)}, which is not a name "
                             "(letters, digits and _, not starting with a digit)")
        if name in names[:k]:
            raise UsageError(f"{name} names two columns of {where}")
    _columns(tape, names, constants, where)
    return names


def _split(line: str):
    """The fields of one CSV line, or why the csv module refuses it (a carriage return inside, a huge field)."""
    if '"' not in line:
        return line.split(",")
    import csv

    try:
        return next(csv.reader([line]))
    except csv.Error as err:
        return _csv_error(err)


def fast_csv(body: bytes, names: list[str], np, first_line: int = 2, parse=None, newlines: int | None = None):
    """Every row well formed (the common case): the rows read by `parse` (columnar.py's pyarrow reader, when
    the extra is installed) or NumPy's own reader, or None to go line by line. `first_line`: the line number
    of the body's first row in the input; `newlines`: body.count(b"\\n"), when the caller has counted."""
    end = len(body)
    while end and body[end - 1] in _TRAILING:  # the body without its trailing blanks, not copied
        end -= 1
    if not end:
        return Rows(names, [], [], [], np.empty((0, len(names))))
    if body.translate(None, _NUMERIC_BYTES):
        return None  # other characters (quotes, nan, letters): line by line
    newlines = body.count(b"\n") if newlines is None else newlines
    count = newlines - body.count(b"\n", end) + 1
    text = body if end == len(body) else memoryview(body)[:end]
    # a blank line goes line by line too: pyarrow's reader (`parse`) refuses one, NumPy's would skip it
    matrix = parse(text, names) if parse is not None else None
    if matrix is None:
        text = bytes(text)
        if b"\n\n" in text or b"\n\r\n" in text:
            return None
        matrix = _loadtxt(text, np)
    if matrix is None or matrix.shape != (count, len(names)) or not np.isfinite(matrix).all():
        return None
    problems = [] if matrix.all() else _zeros_that_are_not(bytes(text), matrix, names, np, first_line)
    if not problems:
        return Rows(names, None, range(first_line, first_line + count), [], matrix)
    keep = np.ones(count, dtype=bool)
    keep[[line - first_line for line, _ in problems]] = False
    return Rows(names, None, (np.flatnonzero(keep) + first_line).tolist(), problems, matrix[keep])


def _loadtxt(text: bytes, np):
    import io
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return np.loadtxt(io.BytesIO(text), delimiter=",", dtype=np.float64, ndmin=2, comments=None,
                              encoding="latin-1")
    except (ValueError, Warning):
        return None


def _zeros_that_are_not(text: bytes, matrix, names: list[str], np, first_line: int = 2) -> list:
    """(line, message) for each row where the reader read 0 from a literal that is not 0 (1e-400)."""
    if matrix.all():
        return []  # no 0 at all: the common case, one pass over the matrix
    starts = [match.start() for pattern in _BIG_EXPONENTS for match in pattern.finditer(text)]
    at = text.find(_ZEROS)
    while at >= 0:  # one per line will do
        starts.append(at)
        end = text.find(b"\n", at)
        at = -1 if end < 0 else text.find(_ZEROS, end)
    if not starts:
        return []
    newlines = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == ord("\n"))
    rows = np.unique(np.searchsorted(newlines, starts))  # the rows (0 is line 2) holding such a literal
    rows = rows[(matrix[rows] == 0).any(axis=1)].tolist()
    if not rows:
        return []
    problems = []
    for r in rows:
        line = text[newlines[r - 1] + 1 if r else 0:newlines[r] if r < len(newlines) else len(text)]
        row = _numbers(names, [field.strip() for field in line.decode("latin-1").split(",")])
        if isinstance(row, str):
            problems.append((r + first_line, row))
    return problems


def slow_csv(text: str, names: list[str], first_line: int) -> Rows:
    values, lines, problems = [], [], []
    width = len(names)
    for number, line in enumerate(text.split("\n"), start=first_line):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        fields = _split(line)
        if isinstance(fields, str):
            problems.append((number, f"malformed row: not CSV ({fields})"))
            continue
        if len(fields) != width:
            problems.append((number, f"malformed row: {len(fields)} fields, but the header names {width}"))
            continue
        row = _numbers(names, [field.strip() for field in fields])
        if isinstance(row, str):
            problems.append((number, row))
        else:
            values.append(row)
            lines.append(number)
    return Rows(names, values, lines, problems)


def _numbers(names, fields):
    """The row's values as floats, or the message saying which field is not a finite number."""
    row = []
    for name, field in zip(names, fields):
        if not DECIMAL.fullmatch(field):
            what = "empty" if field == "" else _show(field)
            return f"malformed row: {name} is {what}, not a finite decimal number"
        value = float(field)
        why = _out_of_range(field, value)
        if why is not None:
            return f"malformed row: {name} is {_shown(field)}, {why}"
        row.append(value)
    return row


class _Refused(float):
    """A JSON number that is no 64-bit float (NaN, Infinity, 1e400, 1e-400), with the reason."""

    why = ""


def _refused(value: float, why: str) -> _Refused:
    number = _Refused(value)
    number.why = why
    return number


def _json_number(text: str) -> float:
    """json's parse_float and parse_int: the float, or a _Refused saying why there is none."""
    value = float(text)  # never fails on json's digits; an integer of any length too (no digit limit)
    why = _out_of_range(text, value)
    return value if why is None else _refused(value, f"{_shown(text)}, {why}")


def _json_constant(text: str) -> float:
    """json's parse_constant: NaN, Infinity and -Infinity are no numbers to compute with."""
    return _refused(float(text), f"{text}, not a number" if text == "NaN" else f"{text}, not a finite number")


def read_jsonl(data: bytes, where: str, tape: Tape, constants: dict) -> Rows:
    import json

    if data.startswith(_BOM):
        data = data[len(_BOM):]
    names = [name for name in tape.inputs if name not in constants]
    wanted = set(names)
    values, lines, problems = [], [], []
    checked = False
    for number, line in enumerate(decode(data, where).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            point = json.loads(line, parse_float=_json_number, parse_int=_json_number,
                               parse_constant=_json_constant)
        except json.JSONDecodeError as err:
            problems.append((number, f"malformed row: not JSON ({err.msg} at column {err.colno})"))
            continue
        except RecursionError:
            problems.append((number, "malformed row: not JSON (nested too deeply)"))
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
            if type(value) is _Refused:
                row = f"malformed row: {name} is {value.why}"
                break
            if type(value) is not float:  # numbers are floats (_json_number); true, "1", [1], {...} are not
                row = f"malformed row: {name} is {_show(_json_text(json, value))}, not a number"
                break
            row.append(value)
        if isinstance(row, str):
            problems.append((number, row))
            continue
        values.append(row)
        lines.append(number)
    return Rows(names, values, lines, problems)


def _json_text(json, value) -> str:
    """A JSON value as JSON text for a message (only its start is shown)."""
    try:
        return json.dumps(value)
    except (ValueError, RecursionError):
        return "..."
