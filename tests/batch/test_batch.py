"""`backprop eval PROGRAM --batch FILE`: many points, one row each, equal to the single-point answers.

The oracle is the scalar engine (`backprop eval --json` at each point): the batch
rows must be its numbers bit for bit, and a row that fails must fail with the
message `eval` gives for that point, under the row's line number.
"""
from __future__ import annotations

import csv
import io
import json
import math
import random
import sys

import pytest

from backprop_cli.base.errors import MathError
from program_gen import seeded_programs, value_text

np = pytest.importorskip("numpy")

from backprop_cli.batch import run as batch_module  # noqa: E402
from backprop_cli.engine import vectorized  # noqa: E402
from backprop_cli.engine.ops import OPS  # noqa: E402

from conftest import compute, strict_json, tape_of  # noqa: E402

NEURON = "tanh(w0*x0 + w1*x1 + b) * (a + b) / c"


def scalar(source: str, point: dict):
    """(value, gradient) of `eval` at `point`, or the first line of its math error."""
    try:
        result = compute(source, **point)
    except MathError as err:
        return err.message.splitlines()[0]
    return result.value, result.gradient()


def csv_text(names, rows) -> str:
    return ",".join(names) + "\n" + "".join(",".join(value_text(v) for v in row) + "\n" for row in rows)


def read_csv_rows(text: str):
    lines = list(csv.reader(io.StringIO(text)))
    return lines[0], lines[1:]


@pytest.fixture
def batch(cli, tmp_path):
    """Run `backprop eval SOURCE --batch FILE ARGS...` with FILE holding `text`."""

    def run(source: str, text: str, *args: str, suffix: str = ".csv"):
        path = tmp_path / f"points{suffix}"
        path.write_text(text, encoding="utf-8", newline="")
        return cli("eval", source, "--batch", str(path), *args)

    return run


@pytest.fixture
def stdin(monkeypatch):
    def feed(text: str):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8"))

    return feed


# ---------------------------------------------------------------------------------------------
# The numbers: the scalar engine's, bit for bit

def test_the_textbook_example_row_by_row(batch):
    run = batch("(a+b)*c/d", "a,b,c,d\n5,1,-2,-3\n-2,5,-4,1\n")
    assert run.code == 0, run.err
    assert run.err == ""
    header, rows = read_csv_rows(run.out)
    assert header == ["value", "grad_a", "grad_b", "grad_c", "grad_d"]
    assert [float(x) for x in rows[0]] == [4.0, 2 / 3, 2 / 3, -2.0, 4 / 3]
    assert len(rows) == 2


def test_rows_equal_eval_json_at_each_point(cli, batch):
    rng = random.Random(5)
    names = ["w0", "x0", "w1", "x1", "b", "a", "c"]
    rows = [[round(rng.uniform(-3, 3), rng.randint(0, 8)) for _ in names[:-1]] + [rng.uniform(0.5, 2)]
            for _ in range(40)]
    run = batch(NEURON, csv_text(names, rows))
    assert run.code == 0, run.err
    header, out = read_csv_rows(run.out)
    for row, line in zip(rows[:8], out):  # through the whole command line, as a user would compare
        single = cli("eval", NEURON, *(f"{n}={value_text(v)}" for n, v in zip(names, row)), "--json").json()
        assert float(line[0]) == single["value"]
        assert [float(x) for x in line[1:]] == [single["gradient"][h[len("grad_"):]] for h in header[1:]]
    for row, line in zip(rows, out):  # and through the library for all of them
        value, gradient = scalar(NEURON, dict(zip(names, row)))
        assert [float(x) for x in line] == [value, *gradient.values()]


@pytest.mark.parametrize("generated", [g for g in seeded_programs(2024, 30, safe=False) if g.inputs][:25],
                         ids=lambda g: g.text[:40])
def test_random_programs_match_the_scalar_engine(batch, generated):
    """Every operation, named intermediates, constants, failures: each row is eval's answer at that point."""
    rng = random.Random(generated.text)
    names = generated.inputs
    rows = [[v if k == 0 else round(v + rng.uniform(-2, 2), 3) for v in generated.values.values()]
            for k in range(12)]
    rows.append([0.0] * len(names))  # kinks, ties and domain edges
    rows.append([-1.0] * len(names))
    run = batch(generated.text, csv_text(names, rows))
    header, out = read_csv_rows(run.out)
    assert len(out) == len(rows)
    failures = {}
    for line_number, row, line in zip(range(2, len(rows) + 2), rows, out):
        expected = scalar(generated.text, dict(zip(names, row)))
        if isinstance(expected, str):
            assert line == [""] * len(header)
            failures[line_number] = expected
        else:
            value, gradient = expected
            assert header == ["value", *(f"grad_{n}" for n in gradient)]
            assert [float(x) for x in line] == [float(value), *map(float, gradient.values())], row
    assert run.code == (4 if failures else 0), run.err
    for line_number, message in failures.items():
        assert f"backprop: line {line_number}: math error: {message}\n" in run.err


def test_vector_rules_equal_the_scalar_rules():
    """The operations NumPy computes itself hold ops.py's numbers bit for bit (NaN where ops.py raises)."""
    grid = [-3.5, -2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, 3.0, 1e-300, -1e-300, 1e300, 7.25]
    for name, (value_rule, partial_rules) in vectorized.VECTOR_OPS.items():
        op = OPS[name]
        points = [(x,) for x in grid] if op.arity == 1 else [(x, y) for x in grid for y in grid]
        columns = [np.array(column) for column in zip(*points)]
        with np.errstate(all="ignore"):
            values = np.broadcast_to(value_rule(*columns), (len(points),))
            partials = [np.broadcast_to(rule(*columns, values), (len(points),)) for rule in partial_rules]
        for k, args in enumerate(points):
            try:
                expected = float(op.value(*args))
            except (ArithmeticError, ValueError):
                assert math.isnan(values[k]) or math.isinf(values[k]), (name, args)
                continue
            assert values[k] == expected or not math.isfinite(expected), (name, args)
            if not math.isfinite(expected):
                continue
            for rule, got in zip(op.partials, partials):
                try:
                    want = float(rule(*args, expected))
                except (ArithmeticError, ValueError):
                    assert not math.isfinite(got[k]), (name, args)
                    continue
                assert got[k] == want or (not math.isfinite(want) and not math.isfinite(got[k])), (name, args)


def test_every_other_operation_is_ops_own_rule_mapped():
    x = np.array([-1.0, 0.0, 0.5, 2.0])
    for name, op in OPS.items():
        if name in vectorized.VECTOR_OPS or op.arity != 1:
            continue
        value_rule, _ = vectorized.vector_rules(name)
        for k, point in enumerate(x.tolist()):
            try:
                expected = float(op.value(point))
            except (ArithmeticError, ValueError):
                expected = math.nan
            got = value_rule(x)[k]
            assert got == expected or (math.isnan(got) and math.isnan(expected)), (name, point)


def test_many_rows_cross_the_block_boundary(batch):
    """Rows are computed 65,536 at a time: a failure in the second block keeps its own line number."""
    count = batch_module.CHUNK + 500
    xs = np.linspace(0.5, 3.0, count)
    xs[batch_module.CHUNK + 100] = -1.0  # log of a negative
    run = batch("y = log(x) * x", "x\n" + "\n".join(map(repr, xs.tolist())) + "\n")
    assert run.code == 4
    bad_line = batch_module.CHUNK + 100 + 2
    assert run.err.startswith(f"backprop: line {bad_line}: math error: log is defined for positive numbers only")
    header, rows = read_csv_rows(run.out)
    assert header == ["value", "grad_x", "grad_y"]
    assert len(rows) == count
    assert rows[bad_line - 2] == ["", "", ""]
    k = 12345
    value, gradient = scalar("y = log(x) * x", {"x": xs[k]})
    assert [float(v) for v in rows[k]] == [value, gradient["x"], gradient["y"]]


# ---------------------------------------------------------------------------------------------
# Rows that fail

def test_failed_rows_are_reported_by_line_and_the_rest_computed(batch):
    text = "a,b,c,d\n5,1,-2,-3\n1,1,1,0\n2,x,1,1\n1,2,3\n\n-1,-1,2,4\n3,3,,3\n"
    run = batch("(a+b)*c/d", text)
    assert run.code == 2  # a malformed row: exit 2 wins over the math error's 4
    assert run.err.splitlines() == [
        "backprop: line 3: math error: division by zero in v7 = v5 / d where v5 = 2.0, d = 0.0",
        "backprop: line 4: malformed row: b is 'x', not a finite decimal number",
        "backprop: line 5: malformed row: 3 fields, but the header names 4",
        "backprop: line 8: malformed row: c is empty, not a finite decimal number",
        "backprop: 4 of 6 rows failed (1 with a math error, 3 malformed); the others were computed",
    ]
    header, rows = read_csv_rows(run.out)
    assert [r[0] for r in rows] == ["4.0", "", "", "", "-1.0", ""]  # one output row per input row, in order


def test_only_math_errors_exit_4(batch):
    run = batch("sqrt(x)", "x\n4\n-1\n0.25\n")
    assert run.code == 4
    assert run.err.splitlines()[0] == "backprop: line 3: math error: sqrt is defined for numbers >= 0 only in v2 = sqrt(x) where x = -1.0"
    assert run.out.splitlines() == ["value,grad_x", "2.0,0.25", ",", "0.5,1.0"]


def test_a_derivative_that_does_not_exist_fails_its_row(batch):
    run = batch("sqrt(x)", "x\n0\n1\n")
    assert run.code == 4
    assert "line 2: math error: the derivative does not exist" in run.err
    assert run.out.splitlines()[1:] == [",", "1.0,0.5"]


def test_an_overflow_fails_its_row(batch):
    run = batch("exp(x)", "x\n1000\n0\n")
    assert run.code == 4
    assert "line 2: math error:" in run.err and "overflow" in run.err
    assert run.out.splitlines()[1:] == [",", "1.0,1.0"]


def test_stderr_lists_at_most_a_hundred_rows(batch):
    run = batch("log(x)", "x\n" + "-1\n" * 150)
    assert run.code == 4
    lines = run.err.splitlines()
    assert len(lines) == 102
    assert lines[-2] == "backprop: ... and 50 more failed rows"
    assert lines[-1] == "backprop: 150 of 150 rows failed (150 with a math error); the others were computed"


# ---------------------------------------------------------------------------------------------
# Formats

def test_json_lines_in_and_out(batch):
    text = '{"x": 2, "y": 0.5}\n{"y": 1, "x": -1}\n\n{"x": 1}\n{"x": true, "y": 1}\n[1, 2]\n{"x": 0, "y": 1}\n'
    run = batch("x * y / x", text, suffix=".jsonl")
    assert run.code == 2
    rows = [strict_json(line) for line in run.out.splitlines()]
    assert rows[0] == {"value": 0.5, "gradient": {"x": 0.0, "y": 1.0}}
    assert rows[1] == {"value": 1.0, "gradient": {"x": 0.0, "y": 1.0}}
    assert rows[2] == {"value": None, "gradient": None, "line": 4, "error": "malformed row: no value for y"}
    assert rows[3]["line"] == 5 and "x is 'true', not a number" in rows[3]["error"]
    assert rows[4]["line"] == 6 and "not a JSON object" in rows[4]["error"]
    assert rows[5]["line"] == 7 and rows[5]["error"].startswith("division by zero")
    assert len(rows) == 6


def test_json_output_for_csv_input(batch):
    run = batch("e = a*b; d = e + c; L = d*f", "a,b,c,f\n2,-3,10,-2\n", "--json")
    assert run.code == 0, run.err
    (row,) = [strict_json(line) for line in run.out.splitlines()]
    assert row == {"value": -8.0,
                   "gradient": {"a": 6.0, "b": -4.0, "e": -2.0, "c": -2.0, "d": -2.0, "f": 4.0, "L": 1.0}}


def test_the_format_is_sniffed_without_a_known_suffix(batch):
    assert batch("x*2", "x\n3\n", suffix=".txt").out == "value,grad_x\n6.0,2.0\n"
    assert batch("x*2", '{"x": 3}\n', suffix="").out == '{"value": 6.0, "gradient": {"x": 2.0}}\n'


def test_points_from_standard_input(cli, stdin):
    stdin("x,y\n1,2\n3,4\n")
    run = cli("eval", "x*y", "--batch", "-")
    assert run.code == 0, run.err
    assert run.out == "value,grad_x,grad_y\n2.0,2.0,1.0\n12.0,4.0,3.0\n"


def test_csv_details(batch):
    """A byte-order mark, CRLF line ends, spaces around fields, quoted fields and blank lines are read."""
    text = '\ufeffx , y\r\n1, 2\r\n\r\n"3",4\r\n'
    run = batch("x - y", text)
    assert run.code == 0, run.err
    assert run.out == "value,grad_x,grad_y\n-1.0,1.0,-1.0\n-1.0,1.0,-1.0\n"


def test_negative_zero_is_written_as_zero(batch):
    assert batch("x * -1", "x\n0\n").out == "value,grad_x\n0.0,-1.0\n"


def test_a_header_only_file_writes_a_header_only(batch):
    run = batch("x + 1", "x\n")
    assert (run.code, run.out) == (0, "value,grad_x\n")


# ---------------------------------------------------------------------------------------------
# Bindings and usage errors

def test_bindings_on_the_command_line_are_constants_for_every_row(batch):
    run = batch("(a+b)*c/d", "a,b\n5,1\n1,1\n", "-c", "-2", "d=-3")
    assert run.code == 0, run.err
    assert run.out.splitlines()[1] == "4.0,0.6666666666666666,0.6666666666666666,-2.0,1.3333333333333333"


@pytest.mark.parametrize("text,args,message", [
    ("a,b\n1,2\n", ("-b", "3"), "b is given both on the command line and as a column"),
    ("a\n1\n", (), "b has no values: add a column to"),
    ("a,b,z\n1,2,3\n", (), "z (a column of"),
    ("a,a,b\n1,1,2\n", (), "a names two columns"),
    ("a,2b\n1,2\n", (), "column 2 of"),
    ("", (), "has no header row"),
    ("a,b\n1,2\n", ("--exact",), "it cannot be used with --exact"),
    ("a,b\n1,2\n", ("--check",), "it cannot be used with --check"),
    ("a,b\n1,2\n", ("-z", "1"), "z is not used by the program"),
])
def test_usage_errors(batch, text, args, message):
    run = batch("a*b", text, *args)
    assert run.code == 2
    assert run.err.startswith("backprop: usage error: ") and message in run.err, run.err
    assert run.out == ""


def test_a_missing_file_is_a_usage_error(cli, tmp_path):
    run = cli("eval", "x", "--batch", str(tmp_path / "nowhere.csv"))
    assert run.code == 2 and "cannot read the --batch file" in run.err


def test_program_and_points_cannot_both_come_from_standard_input(cli, stdin):
    stdin("x\n1\n")
    run = cli("eval", "-", "--batch", "-")
    assert run.code == 2 and "standard input cannot hold both" in run.err


def test_without_numpy_every_row_goes_through_the_scalar_engine(batch, monkeypatch):
    text = "a,b,c,d\n5,1,-2,-3\n1,1,1,0\n2,x,1,1\n-1,-1,2,4\n"
    fast = batch("(a+b)*c/d", text)
    real_import = __builtins__["__import__"] if isinstance(__builtins__, dict) else __builtins__.__import__

    def no_numpy(name, *args, **kwargs):
        if name == "numpy" or name.startswith("numpy."):
            raise ImportError("no numpy here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr("builtins.__import__", no_numpy)
    slow = batch("(a+b)*c/d", text)
    assert (slow.code, slow.out) == (fast.code, fast.out)
    assert slow.err == "backprop: note: NumPy is not installed, so --batch computes row by row " \
                       "(pip install 'backprop-cli[batch]' for the fast path)\n" + fast.err


def test_the_help_documents_batch(cli):
    run = cli("eval", "--help")
    assert "--batch FILE" in run.out and "JSON Lines" in run.out


def test_tape_of_the_neuron_has_the_inputs_in_column_order():
    assert list(tape_of(NEURON).inputs) == ["w0", "x0", "w1", "x1", "b", "a", "c"]


def test_batch_json_rows_parse_as_strict_json(batch):
    run = batch(NEURON, "w0,x0,w1,x1,b,a,c\n0.5,1,-1,2,0.25,1,3\n", "--json")
    row = json.loads(run.out, parse_constant=lambda c: pytest.fail(c))
    assert set(row) == {"value", "gradient"}
