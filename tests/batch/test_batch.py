"""`backprop eval PROGRAM --batch FILE`: many points, one row each, equal to the single-point answers.

The oracle is the scalar engine (`backprop eval --json` at each point): the batch
rows must be its numbers bit for bit, and a row that fails must fail with the
message `eval` gives for that point, under the row's line number.
"""
from __future__ import annotations

import builtins
import contextlib
import csv
import io
import json
import math
import random
import struct
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


def out_columns(columns, gradient_names) -> list[str]:
    """The CSV output's header (issue 16): the value, the gradients of the file's columns in the file's order,
    then the other gradients (inputs bound on the command line, named intermediates) in the program's order."""
    first = [name for name in columns if name in gradient_names]
    return ["value", *(f"grad_{name}" for name in first + [n for n in gradient_names if n not in first])]


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




@pytest.fixture
def without_numpy(monkeypatch):
    """`with without_numpy():` `import numpy` fails, as on a machine without it (--batch goes row by row)."""
    real_import = builtins.__import__

    def no_numpy(name, *args, **kwargs):
        if name == "numpy" or name.startswith("numpy."):
            raise ImportError("no numpy here")
        return real_import(name, *args, **kwargs)

    @contextlib.contextmanager
    def hidden():
        with monkeypatch.context() as patch:
            patch.setattr(builtins, "__import__", no_numpy)
            yield

    return hidden


@pytest.fixture
def both_ways(batch, without_numpy):
    """Run the batch with NumPy and without it; the two runs must print the same and exit the same."""

    def run(source: str, text: str, *args: str, suffix: str = ".csv"):
        fast = batch(source, text, *args, suffix=suffix)
        with without_numpy():
            slow = batch(source, text, *args, suffix=suffix)
        assert (slow.code, slow.out, slow.err) == (fast.code, fast.out, fast.err)  # no note for a few rows
        assert fast.code in (0, 2, 4) and "internal error" not in fast.err, fast.err
        return fast

    return run


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


# The columns of the neuron's points, deliberately not in the program's order (w0, x0, w1, x1, b, a, c):
# with the two orders equal, reading a column as the wrong input would go unnoticed.
NEURON_COLUMNS = ["c", "x1", "a", "w0", "b", "x0", "w1"]


def test_rows_equal_eval_json_at_each_point(cli, batch):
    rng = random.Random(5)
    names = NEURON_COLUMNS
    rows = [[rng.uniform(0.5, 2)] + [round(rng.uniform(-3, 3), rng.randint(0, 8)) for _ in names[1:]]
            for _ in range(40)]
    run = batch(NEURON, csv_text(names, rows))
    assert run.code == 0, run.err
    header, out = read_csv_rows(run.out)
    for row, line in zip(rows[:8], out):  # through the whole command line, as a user would compare
        single = cli("eval", NEURON, *(f"{n}={value_text(v)}" for n, v in zip(names, row)), "--json").json()
        assert float(line[0]) == single["value"]
        assert [float(x) for x in line[1:]] == [single["gradient"][h[len("grad_"):]] for h in header[1:]]
    assert header == out_columns(names, list(tape_of(NEURON).inputs)) == ["value", *(f"grad_{n}" for n in names)]
    for row, line in zip(rows, out):  # and through the library for all of them
        value, gradient = scalar(NEURON, dict(zip(names, row)))
        assert [float(x) for x in line] == [value, *(gradient[h[len("grad_"):]] for h in header[1:])]


@pytest.mark.parametrize("generated", [g for g in seeded_programs(2024, 30, safe=False) if g.inputs][:25],
                         ids=lambda g: g.text[:40])
def test_random_programs_match_the_scalar_engine(batch, generated):
    """Every operation, named intermediates, constants, failures: each row is eval's answer at that point."""
    rng = random.Random(generated.text)
    names = list(generated.inputs)
    rng.shuffle(names)  # the columns in any order: each value must reach its own input
    rows = [[v if k == 0 else round(v + rng.uniform(-2, 2), 3) for v in (generated.values[n] for n in names)]
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
            assert header == out_columns(names, list(gradient))
            assert [float(x) for x in line] == [float(value), *(float(gradient[h[5:]]) for h in header[1:])], row
    assert run.code == (4 if failures else 0), run.err
    for line_number, message in failures.items():
        assert f"backprop: line {line_number}: math error: {message}\n" in run.err


def test_vector_rules_equal_the_scalar_rules():
    """The operations NumPy computes itself hold ops.py's numbers bit for bit (non-finite where ops.py raises;
    Plan flags those rows, and the ones that underflow: see the Plan test below)."""
    grid = [-3.5, -2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, 3.0, 1e-300, -1e-300, 1e300, 7.25]
    for name in vectorized.VECTOR_OPS:
        value_rule, partial_rules = vectorized.vector_rules(name)
        op = OPS[name]
        points = [(x,) for x in grid] if op.arity == 1 else [(x, y) for x in grid for y in grid]
        columns = [np.array(column) for column in zip(*points)]
        with np.errstate(all="ignore"):
            values = np.broadcast_to(value_rule(*columns), (len(points),))
            partials = [np.broadcast_to(rule(*columns, values), (len(points),)) for rule in partial_rules]
        for k, args in enumerate(points):
            try:
                expected = float(op.value(*args))
            except Exception:  # a DomainError; or the float left its range, for the scalar engine to redo
                continue
            assert values[k] == expected or not math.isfinite(expected), (name, args)
            if not math.isfinite(expected):
                continue
            for rule, got in zip(op.partials, partials):
                try:
                    want = float(rule(*args, expected))
                except Exception:
                    continue
                assert got[k] == want or (not math.isfinite(want) and not math.isfinite(got[k])), (name, args)


def test_every_restated_rule_is_used():
    """ops.py's rules for + - * / and the signs agree with VECTOR_OPS, so none is mapped element by element
    (if this fails, ops.py changed a rule: restate it in vectorized.py, or --batch gets slower)."""
    for name, (value_rule, partial_rules) in [*vectorized.VECTOR_OPS.items(), *vectorized.MATH_OPS.items()]:
        used_value, used_partials = vectorized.vector_rules(name)
        assert used_value is value_rule, name
        assert all(used is rule for used, rule in zip(used_partials, partial_rules)), name


def test_a_restated_rule_that_disagrees_with_ops_is_not_used(monkeypatch):
    """A rule of VECTOR_OPS that does not give ops.py's bits (ops.py changed, say) gives way to ops.py's own."""
    value_rule, (d_x, _) = vectorized.VECTOR_OPS["div"]
    wrong = lambda x, y, o: -x / (y * y) * (1 + 2 ** -52)  # noqa: E731
    monkeypatch.setitem(vectorized.VECTOR_OPS, "div", (value_rule, (d_x, wrong)))
    monkeypatch.setattr(vectorized, "_VERIFIED", None)
    used_value, (used_x, used_y) = vectorized.vector_rules("div")
    assert used_value is value_rule and used_x is d_x and used_y is not wrong
    x, y = np.array([3.0, 0.1]), np.array([7.0, 13.7])
    assert used_y(x, y, x / y).tolist() == [OPS["div"].partials[1](a, b, a / b) for a, b in zip([3.0, 0.1], [7.0, 13.7])]
    monkeypatch.setattr(vectorized, "_VERIFIED", None)


def tanh_grid() -> list[float]:
    """Every branch of ops.py's tanh and tanh' (0, -0, subnormal, |x| near 20, beyond 354 where tanh'
    underflows), and many random doubles of every size."""
    rnd = random.Random(16)
    edges = [0.0, -0.0, 5e-324, 1e-310, 1e-17, 0.3, 1.0, 19.999999999999996, 20.0, 20.000000000000004, 30.0,
             354.0, 354.5, 355.0, 709.0, 710.0, 1e300]
    randoms = [rnd.uniform(-25, 25) for _ in range(3000)] + [rnd.gauss(0, 1) * 10.0 ** rnd.randint(-320, 300)
                                                              for _ in range(1000)]
    return [s * x for x in edges + randoms for s in (1.0, -1.0)]


def test_restated_functions_give_ops_bits():
    """MATH_OPS (tanh on the math library, mapped at C speed) gives ops.py's own numbers, bit for bit, on
    every branch; where ops.py raises it gives NaN (Plan flags the row, the scalar engine redoes it)."""
    grid = tanh_grid()
    for name in vectorized.MATH_OPS:
        value_rule, (partial_rule,) = vectorized.vector_rules(name)
        assert (value_rule, (partial_rule,)) == vectorized.MATH_OPS[name], name
        op = OPS[name]
        x = np.array(grid)
        with np.errstate(all="ignore"):
            values = value_rule(x).tolist()
            partials = partial_rule(x, np.array(values)).tolist()
        for point, value, partial in zip(grid, values, partials):
            want = float(op.value(point))
            assert struct.pack("<d", value) == struct.pack("<d", want), (name, point)
            try:
                want = float(op.partials[0](point, want))
            except Exception:
                assert math.isnan(partial), (name, point)
                continue
            assert struct.pack("<d", partial) == struct.pack("<d", want), (name, point)


def test_a_restated_function_that_disagrees_with_ops_is_not_used(monkeypatch):
    value_rule, (d_tanh,) = vectorized.MATH_OPS["tanh"]
    wrong = lambda x, out: 1.0 - out * out  # noqa: E731  (the same number? not near |x| = 1 and beyond)
    monkeypatch.setitem(vectorized.MATH_OPS, "tanh", (value_rule, (wrong,)))
    monkeypatch.setattr(vectorized, "_VERIFIED", None)
    used_value, (used_d,) = vectorized.vector_rules("tanh")
    assert used_value is value_rule and used_d is not wrong and used_d is not d_tanh
    x = np.array([3.0, -10.0, 0.0])
    assert used_d(x, np.tanh(x)).tolist() == [OPS["tanh"].partials[0](v, math.tanh(v)) for v in x.tolist()]
    monkeypatch.setattr(vectorized, "_VERIFIED", None)


def test_tanh_rows_equal_the_scalar_engine_on_every_branch(batch):
    program = "tanh(x) * w + tanh(x*w)"
    xs = [x for x in tanh_grid() if abs(x) < 1e300][:1200]
    rows = [[x, w] for x, w in zip(xs, xs[7:] + xs[:7])]
    run = batch(program, csv_text(["x", "w"], rows))
    header, out = read_csv_rows(run.out)
    assert len(out) == len(rows) and header == ["value", "grad_x", "grad_w"]
    failed = 0
    for row, line in zip(rows, out):
        expected = scalar(program, {"x": row[0], "w": row[1]})
        if isinstance(expected, str):
            assert line == ["", "", ""], row
            failed += 1
        else:
            value, gradient = expected
            assert [float(x) for x in line] == [float(value), float(gradient["x"]), float(gradient["w"])], row
    assert run.code == (4 if failed else 0), run.err


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
    assert [r[0] for r in rows] == ["4", "", "", "", "-1", ""]  # one output row per input row, in order


def test_only_math_errors_exit_4(batch):
    run = batch("sqrt(x)", "x\n4\n-1\n0.25\n")
    assert run.code == 4
    assert run.err.splitlines()[0] == "backprop: line 3: math error: sqrt is defined for numbers >= 0 only in v2 = sqrt(x) where x = -1.0"
    assert run.out.splitlines() == ["value,grad_x", "2,0.25", ",", "0.5,1"]


def test_a_derivative_that_does_not_exist_fails_its_row(batch):
    run = batch("sqrt(x)", "x\n0\n1\n")
    assert run.code == 4
    assert "line 2: math error: the derivative does not exist" in run.err
    assert run.out.splitlines()[1:] == [",", "1,0.5"]


def test_an_overflow_fails_its_row(batch):
    run = batch("exp(x)", "x\n1000\n0\n")
    assert run.code == 4
    assert "line 2: math error:" in run.err and "overflow" in run.err
    assert run.out.splitlines()[1:] == [",", "1,1"]


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
    assert batch("x*2", "x\n3\n", suffix=".txt").out == "value,grad_x\n6,2\n"
    assert batch("x*2", '{"x": 3}\n', suffix="").out == '{"value": 6.0, "gradient": {"x": 2.0}}\n'


def test_points_from_standard_input(cli, stdin):
    stdin("x,y\n1,2\n3,4\n")
    run = cli("eval", "x*y", "--batch", "-")
    assert run.code == 0, run.err
    assert run.out == "value,grad_x,grad_y\n2,2,1\n12,4,3\n"


def test_csv_details(batch):
    """A byte-order mark, CRLF line ends, spaces around fields, quoted fields and blank lines are read."""
    text = '\ufeffx , y\r\n1, 2\r\n\r\n"3",4\r\n'
    run = batch("x - y", text)
    assert run.code == 0, run.err
    assert run.out == "value,grad_x,grad_y\n-1,1,-1\n-1,1,-1\n"


def test_negative_zero_is_written_as_zero(batch):
    assert batch("x * -1", "x\n0\n").out == "value,grad_x\n0,-1\n"


def test_a_header_only_file_writes_a_header_only(batch):
    run = batch("x + 1", "x\n")
    assert (run.code, run.out) == (0, "value,grad_x\n")


# ---------------------------------------------------------------------------------------------
# Bindings and usage errors

def test_bindings_on_the_command_line_are_constants_for_every_row(batch):
    run = batch("(a+b)*c/d", "a,b\n5,1\n1,1\n", "-c", "-2", "d=-3")
    assert run.code == 0, run.err
    assert run.out.splitlines()[1] == "4,0.6666666666666666,0.6666666666666666,-2,1.3333333333333333"


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


def test_without_numpy_every_row_goes_through_the_scalar_engine(batch, without_numpy):
    text = "a,b,c,d\n5,1,-2,-3\n1,1,1,0\n2,x,1,1\n-1,-1,2,4\n"
    fast = batch("(a+b)*c/d", text)
    with without_numpy():
        slow = batch("(a+b)*c/d", text)
    assert (slow.code, slow.out) == (fast.code, fast.out)
    assert slow.err == fast.err  # a few rows: no note


def test_the_help_documents_batch(cli):
    run = cli("eval", "--help")
    assert "--batch FILE" in run.out and "JSON Lines" in run.out


def test_the_neuron_columns_are_the_inputs_in_another_order():
    inputs = list(tape_of(NEURON).inputs)
    assert inputs == ["w0", "x0", "w1", "x1", "b", "a", "c"]
    assert sorted(NEURON_COLUMNS) == sorted(inputs) and NEURON_COLUMNS != inputs


def test_batch_json_rows_parse_as_strict_json(batch):
    run = batch(NEURON, "w0,x0,w1,x1,b,a,c\n0.5,1,-1,2,0.25,1,3\n", "--json")
    row = json.loads(run.out, parse_constant=lambda c: pytest.fail(c))
    assert set(row) == {"value", "gradient"}


# ---------------------------------------------------------------------------------------------
# Every row is eval's answer, or eval's error, with NumPy or without (issue 11)

def eval_at(cli, source: str, point: dict, *args: str):
    """`backprop eval SOURCE NAME=VALUE... --json` at `point` (value texts): ([value, *gradient], names), or
    the first line of its math error."""
    run = cli("eval", source, *(f"{name}={text}" for name, text in point.items()), *args, "--json")
    if run.code == 4 and "undefined" in run.json():
        # eval shows what is defined and marks the rest (issue 13); a batch row has no room for that, and
        # fails with the first missing number's error, the one eval without the rest would give
        bound = {**point, **dict(arg.split("=", 1) for arg in args)}
        with pytest.raises(MathError) as raised:
            compute(source, **{name: float(text) for name, text in bound.items()})
        return raised.value.message.splitlines()[0]
    if run.code == 4:
        assert run.err.startswith("backprop: math error: "), run.err
        return run.err.splitlines()[0][len("backprop: math error: "):]
    assert run.code == 0, run.err
    single = run.json()
    return [single["value"], *single["gradient"].values()], list(single["gradient"])


def assert_rows_are_evals(cli, run, source: str, header: list, rows: list, *args: str, first_line: int = 2):
    """Each CSV output row of `run` is eval's answer at that input row (a dict of value texts), by name."""
    out_header, out = read_csv_rows(run.out)
    assert len(out) == len(rows)
    for line, point, got in zip(range(first_line, first_line + len(rows)), rows, out):
        expected = eval_at(cli, source, dict(zip(header, point)), *args)
        if isinstance(expected, str):
            assert got == [""] * len(out_header), (point, got)
            assert f"backprop: line {line}: math error: {expected}\n" in run.err, (point, run.err)
        else:
            numbers, names = expected
            assert out_header == out_columns(header, names)
            by_name = dict(zip(names, numbers[1:]))
            assert [float(x) for x in got] == [numbers[0], *(by_name[h[5:]] for h in out_header[1:])], \
                (point, got, numbers)
            assert all(math.isfinite(float(x)) for x in got)


# An operation that fails where one operand is a constant (bound on the command line, so NumPy sees one
# number, not a column), and where the failing operand is the column itself.
FAILING_OPERATIONS = [
    ("b/(w-w)", "b\n1\n2\n", ("w=0",)),  # the issue: exit 70, ZeroDivisionError
    ("b*w/(w*w)", "b\n1\n0\n", ("w=0",)),
    ("b + 1/w", "b\n1\n", ("w=0",)),
    ("b/(w*w)", "b\n1\n-3\n", ("w=1e-200",)),  # w*w underflows to 0
    ("b*log(w)", "b\n1\n", ("w=0",)),
    ("b*log(w)", "b\n1\n", ("w=-1",)),
    ("b*sqrt(w)", "b\n1\n", ("w=-4",)),
    ("b*sqrt(w)", "b\n1\n", ("w=0",)),  # sqrt has no derivative at 0
    ("b*w^0.5", "b\n1\n", ("w=-2",)),  # a negative base to a non-integer power
    ("b*0^w", "b\n1\n", ("w=-2",)),  # 0 to a negative power
    ("b*w^w", "b\n1\n", ("w=0",)),
    ("b*exp(w)", "b\n1\n", ("w=1000",)),  # overflow
    ("b*w*w*w", "b\n1\n", ("w=1e200",)),
    ("b*tan(w)/w", "b\n1\n", ("w=0",)),
    ("1/b", "b\n0\n2\n-0\n", ()),
    ("b/(b-b)", "b\n1\n", ()),
    ("log(b)*3", "b\n-1\n0\n1\n", ()),
    ("sqrt(b)", "b\n-1\n0\n4\n", ()),
    ("b^0.5", "b\n-2\n4\n", ()),
    ("0^b", "b\n-1\n2\n", ()),
    ("b^b", "b\n0\n-1\n2\n", ()),
    ("exp(b)", "b\n1000\n-1000\n1\n", ()),
    ("b*b*b", "b\n1e200\n2\n", ()),
    ("(b*b)/b", "b\n1e-200\n2\n", ()),  # b*b underflows
    ("sigmoid(b)*tanh(b)", "b\n800\n-800\n1\n", ()),
]


@pytest.mark.parametrize("source,text,args", FAILING_OPERATIONS, ids=lambda p: p if isinstance(p, str) else "")
def test_a_failing_operation_fails_its_row_the_same_with_and_without_numpy(cli, both_ways, source, text, args):
    run = both_ways(source, text, *args)
    assert run.code in (0, 4), run.err
    header, *rows = [line.split(",") for line in text.splitlines()]
    assert_rows_are_evals(cli, run, source, header, rows, *args)


def test_the_issue_example_is_a_math_error_for_the_row(cli, both_ways):
    run = both_ways("b/(w-w)", "b\n1\n", "w=0")
    assert run.code == 4
    assert run.out == "value,grad_b,grad_w\n,,\n"
    assert run.err.splitlines()[0] == "backprop: line 2: math error: division by zero in v4 = b / v3 where b = 1.0, v3 = 0.0"


@pytest.mark.parametrize("source,text", [
    ("log(x)*1e300", "x\n1e-10\n1\n"),  # the value is finite, d/dx = 1e310 is not
    ("y = x*1e300; y*1e10", "x\n1e-5\n1\n"),  # d/dx = 1e310
    ("x*x", "x\n1e-200\n1e200\n3\n"),  # value and gradient leave the range of floats
])
def test_an_overflow_only_in_the_gradient_fails_its_row(both_ways, source, text):
    run = both_ways(source, text)
    assert run.code in (0, 4), run.err
    for line in run.out.splitlines()[1:]:
        assert all(math.isfinite(float(x)) for x in line.split(",") if x), line
    assert "inf" not in run.out and "nan" not in run.out


def test_vectorized_plan_flags_every_point_the_scalar_engine_cannot_compute_in_floats():
    """Plan.run over a grid of edges: a row it does not flag is the scalar engine's answer, bit for bit."""
    grid = [-3.5, -1.0, -0.0, 0.0, 0.5, 2.0, 1e-300, -1e-300, 1e-160, 1e160, 1e300, 1.5e-310, 7.25]
    programs = ["x * y", "x / y", "x + y", "x - y", "-x * y", "x*y/x", "exp(x) * y", "log(x) / y", "x^y",
                "sqrt(x) * y", "tanh(x * y)", "sigmoid(x) / y", "max(x, y) * relu(x)"]
    for source in programs:
        tape = tape_of(source)
        points = [(x, y) for x in grid for y in grid]
        columns = {"x": np.array([p[0] for p in points]), "y": np.array([p[1] for p in points])}
        value, gradient, bad = vectorized.Plan(tape).run({n: columns[n] for n in tape.inputs}, len(points))
        for k, (x, y) in enumerate(points):
            point = {"x": x, "y": y}
            try:
                result = compute(source, **{n: point[n] for n in tape.inputs})
                want = [result.value, *result.gradient().values()]
            except MathError:
                assert bad[k], (source, x, y)
                continue
            if bad[k]:
                continue
            got = [value[k], *(g[k] for g in gradient.values())]
            assert all(math.isfinite(n) for n in got), (source, x, y, got)
            assert [float(n) for n in got] == [float(n) for n in want], (source, x, y, got, want)


# ---------------------------------------------------------------------------------------------
# Values that are not 64-bit floats (issue 11)

def test_a_csv_number_that_rounds_to_0_or_infinity_is_a_malformed_row(cli, both_ways):
    tiny = "0." + "0" * 400 + "1"
    text = f"x,y\n1e-400,1\n2,3\n1,-2e-324\n0e-400,1\n{tiny},1\n5e-324,1\n-0.0,2\n"
    run = both_ways("x*y", text)
    assert run.code == 2
    explanation = cli("eval", "x", "-x", "1e-400").err.split("the number 1e-400 is ")[1].strip()
    assert explanation.startswith("too small for a 64-bit float: it would be 0")
    shown = f"{tiny[:20]}...{tiny[-10:]} ({len(tiny):,} characters)"
    assert run.err.splitlines() == [
        f"backprop: line 2: malformed row: x is 1e-400, {explanation}",
        f"backprop: line 4: malformed row: y is -2e-324, {explanation.replace('1e-400', '-2e-324')}",
        f"backprop: line 6: malformed row: x is {shown}, {explanation}",
        "backprop: 3 of 7 rows failed (3 malformed); the others were computed",
    ]
    assert run.out.splitlines() == ["value,grad_x,grad_y", ",,", "6,3,2", ",,", "0,1,0", ",,",
                                    "5e-324,1,5e-324", "0,2,0"]


def test_a_csv_number_too_large_is_a_malformed_row(cli, both_ways):
    run = both_ways("x*y", "x,y\n1e400,1\n2,3\n1,-" + "9" * 400 + "\n")
    assert run.code == 2
    explanation = cli("eval", "x", "-x", "1e400").err.split("the number 1e400 is ")[1].strip()
    lines = run.err.splitlines()
    assert lines[0] == f"backprop: line 2: malformed row: x is 1e400, {explanation}"
    assert lines[1].startswith("backprop: line 4: malformed row: y is -99999") and lines[1].endswith(explanation)
    assert run.out.splitlines() == ["value,grad_x,grad_y", ",,", "6,3,2", ",,"]


def test_the_fast_csv_reader_refuses_numbers_that_round_to_0():
    """NumPy's reader takes a numeric file whole; a field it reads as 0 that is not 0 is still found."""
    from backprop_cli.batch.points import read_csv

    data = b"x,y\n1,2\n1e-400,0\n0,0\n0,3e-999\n1e-300,1e-10\n" + b"2,2\n" * 1000
    rows = read_csv(data, "points.csv", tape_of("x*y"), {}, np)
    assert rows.matrix is not None  # the fast path
    assert [line for line, _ in rows.problems] == [3, 5]
    assert "x is 1e-400, too small for a 64-bit float" in rows.problems[0][1]
    assert "y is 3e-999, too small for a 64-bit float" in rows.problems[1][1]
    assert list(rows.lines[:4]) == [2, 4, 6, 7]
    assert rows.matrix.shape == (1003, 2) and rows.matrix[:3].tolist() == [[1, 2], [0, 0], [1e-300, 1e-10]]


def test_json_lines_numbers_that_are_not_64_bit_floats(cli, both_ways):
    big = "1" + "0" * 5000
    text = "\n".join([
        '{"x": 1e-400, "y": 1}', '{"x": 1e400, "y": 1}', '{"x": NaN, "y": 1}', '{"x": 2, "y": Infinity}',
        '{"x": -Infinity, "y": 1}', '{"x": 2, "y": 3}', '{"x": %d, "y": 1}' % (2 ** 1024 - 1),
        '{"x": %s, "y": 1}' % big, '{"x": -0.0, "y": 1e-320}', '{"x": [NaN], "y": 1}',
    ]) + "\n"
    run = both_ways("x*y", text, suffix=".jsonl")
    assert run.code == 2
    small = cli("eval", "x", "-x", "1e-400").err.split("the number 1e-400 is ")[1].strip()
    large = cli("eval", "x", "-x", "1e400").err.split("the number 1e400 is ")[1].strip()
    rows = [strict_json(line) for line in run.out.splitlines()]
    assert [row.get("error") for row in rows] == [
        f"malformed row: x is 1e-400, {small}",
        f"malformed row: x is 1e400, {large}",
        "malformed row: x is NaN, not a number",
        "malformed row: y is Infinity, not a finite number",
        "malformed row: x is -Infinity, not a finite number",
        None,
        f"malformed row: x is {_shown(str(2 ** 1024 - 1))}, {large}",  # rounds up to 2^1024: infinity
        f"malformed row: x is {_shown(big)}, {large}",
        None,
        "malformed row: x is '[NaN]', not a number",
    ]
    assert rows[5] == {"value": 6.0, "gradient": {"x": 3.0, "y": 2.0}}
    assert rows[8] == {"value": 0.0, "gradient": {"x": 1e-320, "y": 0.0}}


def _shown(text: str) -> str:
    return text if len(text) <= 40 else f"{text[:20]}...{text[-10:]} ({len(text):,} characters)"


def test_json_lines_that_break_the_json_reader_are_malformed_rows(both_ways):
    deep = "[" * 100_000 + "]" * 100_000
    run = both_ways("x*2", '{"x": %s}\n{"x": 1}\n%s\n' % (deep, deep), suffix=".jsonl")
    assert run.code == 2
    rows = [strict_json(line) for line in run.out.splitlines()]
    assert rows[1] == {"value": 2.0, "gradient": {"x": 2.0}}
    assert rows[0]["line"] == 1 and rows[0]["error"].startswith("malformed row: not JSON")
    assert rows[2]["line"] == 3 and rows[2]["error"].startswith("malformed row: not JSON")


@pytest.mark.parametrize("text", [
    'x,y\n"1"\r3,2\n4,5\n',  # a carriage return inside a quoted row: the csv module refuses the line
    'x,y\n"1",' + "2" * 200_000 + '\n4,5\n',  # a field longer than the csv module's limit
])
def test_csv_rows_the_csv_module_refuses_are_malformed_rows(both_ways, text):
    run = both_ways("x*y", text)
    assert run.code == 2
    assert run.out.splitlines() == ["value,grad_x,grad_y", ",,", "20,5,4"]
    assert run.err.splitlines()[0].startswith("backprop: line 2: malformed row: ")


def test_a_header_the_csv_module_refuses_is_a_usage_error(batch):
    run = batch("x*y", '"x"\ry,"y"\n1,2\n')
    assert run.code == 2 and run.err.startswith("backprop: usage error: "), run.err


# ---------------------------------------------------------------------------------------------
# Columns in any order (issue 11): the output follows the program, the values follow the header

@pytest.mark.parametrize("source,header,rows,args", [
    ("a - b", ["b", "a"], [["1", "5"], ["-2", "0.5"], ["7", "7"]], ()),
    ("(a - b) / c^2", ["c", "a", "b"], [["2", "1", "5"], ["-0.5", "3", "-1"], ["0", "1", "1"]], ()),
    ("(a - b) / c^2", ["b", "c", "a"], [["5", "2", "1"], ["-1", "-0.5", "3"]], ()),
    ("e = a*b; e - c/d", ["c", "b", "a"], [["1", "2", "3"], ["-4", "0.25", "8"]], ("d=2",)),
])
def test_columns_in_any_order(cli, both_ways, source, header, rows, args):
    text = ",".join(header) + "\n" + "".join(",".join(row) + "\n" for row in rows)
    run = both_ways(source, text, *args)
    assert header != [name for name in tape_of(source).inputs if name in header]  # not the program's order
    assert_rows_are_evals(cli, run, source, header, rows, *args)


@pytest.mark.parametrize("source,text,args,out", [
    ("a - b", "b,a\n1,5\n", (), "value,grad_b,grad_a\n4,-1,1\n"),
    ("a - b", "a,b\n5,1\n", (), "value,grad_a,grad_b\n4,1,-1\n"),
    # the columns in the file's order, then the inputs bound on the command line and the named intermediates
    # in the program's order
    ("e = a*b; e - c/d", "c,b,a\n1,2,3\n", ("d=2",), "value,grad_c,grad_b,grad_a,grad_e,grad_d\n5.5,-0.5,3,2,1,0.25\n"),
])
def test_the_output_columns_follow_the_file_then_the_program(both_ways, source, text, args, out):
    """Issue 16: the gradients in the input file's column order (issue 11 had the program's)."""
    assert both_ways(source, text, *args).out == out


def test_json_lines_keys_in_any_order(cli, both_ways):
    points = [{"c": "2", "b": "5", "a": "1"}, {"b": "-1", "a": "3", "c": "-0.5"}, {"a": "1", "c": "0", "b": "1"}]
    text = "".join("{" + ", ".join(f'"{k}": {v}' for k, v in p.items()) + "}\n" for p in points)
    run = both_ways("(a - b) / c^2", text, suffix=".jsonl")
    rows = [strict_json(line) for line in run.out.splitlines()]
    for line, point, row in zip(range(1, 4), points, rows):
        expected = eval_at(cli, "(a - b) / c^2", point)
        if isinstance(expected, str):
            assert row == {"value": None, "gradient": None, "line": line, "error": expected}
        else:
            numbers, names = expected
            assert list(row["gradient"]) == names == ["a", "b", "c"]
            assert [row["value"], *row["gradient"].values()] == numbers
