"""backprop hessian: second derivatives against finite differences of the gradient, exact fractions, symmetry."""
from __future__ import annotations

import random
from fractions import Fraction

import pytest

from backprop_cli.engine.arithmetic import EXACT
from backprop_cli.engine.compute import differentiate
from backprop_cli.base.errors import MathError
from backprop_cli.language.parser import parse
from backprop_cli.engine.second import hessian
from backprop_cli.engine.tape import lower


def gradient_at(tape, point: dict) -> dict:
    return differentiate(tape, point, forward_mode=False).gradient()


def difference_hessian(tape, point: dict, names) -> list[list[float]]:
    """Central differences of the reverse-mode gradient, Richardson-extrapolated (independent of second.py)."""
    rows = []
    for name in names:
        row = []
        for var in names:
            h = 1e-3 * max(1.0, abs(point[var]))

            def d(step):
                up, down = dict(point), dict(point)
                up[var] += step
                down[var] -= step
                return (gradient_at(tape, up)[name] - gradient_at(tape, down)[name]) / (2 * step)

            row.append((4 * d(h / 2) - d(h)) / 3)
        rows.append(row)
    return rows


PROGRAMS = [
    ("x^2*y + sin(x*y)", {"x": 0.7, "y": -1.3}),
    ("(a+b)*c/d", {"a": 5, "b": 1, "c": -2, "d": -3}),
    ("sigmoid(w*x + b)", {"w": 0.5, "x": 2, "b": -1}),
    ("x^y", {"x": 1.5, "y": 2.5}),
    ("exp(-x^2/2) * log(1 + y^2) / sqrt(z)", {"x": 0.3, "y": -0.8, "z": 2.0}),
    ("h = tanh(w1*x + b1); o = sigmoid(w2*h + b2); E = 0.5*(t - o)^2",
     {"w1": 0.4, "x": 1.2, "b1": -0.1, "w2": -0.7, "b2": 0.2, "t": 1.0}),
    ("relu(x)*y^2 + abs(y)*x", {"x": 1.0, "y": -2.0}),
    ("max(a, b)*min(a*b, 3)", {"a": 1.5, "b": 0.5}),
    ("e = a*b; d = e + c; L = d*f", {"a": 2, "b": -3, "c": 10, "f": -2}),
    ("cos(x)*tan(y) - x/y + pi*x^3", {"x": 0.4, "y": 0.9}),
]


@pytest.mark.parametrize("source,point", PROGRAMS)
def test_hessian_matches_finite_differences_of_the_gradient(source, point):
    point = {k: float(v) for k, v in point.items()}
    tape = lower(parse(source))
    got = hessian(tape, point)
    assert got.names == list(tape.inputs)
    want = difference_hessian(tape, point, got.names)
    n = len(got.names)
    for i in range(n):
        for j in range(n):
            assert got.matrix[i][j] == got.matrix[j][i]  # exactly symmetric
            assert got.matrix[i][j] == pytest.approx(want[i][j], rel=1e-6, abs=1e-7), (got.names[i], got.names[j])
    assert got.asymmetry <= 1e-12 * max(1.0, max(abs(v) for row in got.matrix for v in row))


def test_closed_form():
    tape = lower(parse("x^2*y"))
    got = hessian(tape, {"x": 3.0, "y": -2.0})
    assert got.matrix == [[2 * -2.0, 2 * 3.0], [2 * 3.0, 0.0]]


def test_exact_fractions():
    tape = lower(parse("(a+b)*c/d"))
    point = {"a": Fraction(5), "b": Fraction(1), "c": Fraction(-2), "d": Fraction(-3)}
    got = hessian(tape, point, arithmetic=EXACT)
    f = Fraction
    assert got.matrix == [
        [0, 0, f(-1, 3), f(2, 9)],
        [0, 0, f(-1, 3), f(2, 9)],
        [f(-1, 3), f(-1, 3), 0, f(-2, 3)],
        [f(2, 9), f(2, 9), f(-2, 3), f(8, 9)],
    ]
    assert all(isinstance(v, Fraction) for row in got.matrix for v in row)


def test_a_subset_of_inputs():
    tape = lower(parse("x^2*y + y^3*z"))
    got = hessian(tape, {"x": 1.0, "y": 2.0, "z": 3.0}, wrt=["z", "y"])
    assert got.names == ["z", "y"]
    assert got.matrix == [[0.0, 3 * 2.0**2], [3 * 2.0**2, 6 * 2.0 * 3.0]]  # d2/dy2 = 6yz; d2/dydz = 3y^2


@pytest.mark.parametrize("seed", range(15))
def test_generated_programs(seed):
    rng = random.Random(seed)
    terms = []
    for _ in range(rng.randint(1, 4)):
        a, b = rng.sample(["x", "y", "z"], 2)
        f = rng.choice(["sin", "cos", "exp", "tanh", "sigmoid"])
        terms.append(rng.choice([f"{f}({a}*{b})", f"{a}^2*{b}", f"{a}/(1 + {b}^2)", f"{f}({a}) * {f}({b} - {a})"]))
    source = " + ".join(terms)
    tape = lower(parse(source))
    point = {name: rng.uniform(-1.5, 1.5) for name in tape.inputs}
    got = hessian(tape, point)
    want = difference_hessian(tape, point, got.names)
    for i, row in enumerate(got.matrix):
        for j, value in enumerate(row):
            assert value == pytest.approx(want[i][j], rel=1e-6, abs=1e-7), (source, i, j)


def test_the_second_derivative_of_a_kink_is_pytorchs_zero():
    tape = lower(parse("relu(x)*x + abs(y)"))
    got = hessian(tape, {"x": 0.0, "y": 0.0})
    assert got.matrix == [[0.0, 0.0], [0.0, 0.0]]  # d/dx (step(x)*x + relu(x)) = 0 + step(0) = 0 at 0


def test_a_second_derivative_that_does_not_exist_is_a_math_error():
    tape = lower(parse("x^y"))
    with pytest.raises(MathError):
        hessian(tape, {"x": -2.0, "y": 2.0})  # d/dy needs log(x)


# ------------------------------------------------------------------------------------------------
# The command.

def test_cli_json(cli):
    run = cli("hessian", "(a+b)*c/d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3", "--json")
    assert run.code == 0
    doc = run.json()
    assert doc["hessian"]["names"] == ["a", "b", "c", "d"]
    matrix = doc["hessian"]["matrix"]
    assert matrix[3][3] == pytest.approx(8 / 9, rel=1e-15)
    assert all(matrix[i][j] == matrix[j][i] for i in range(4) for j in range(4))
    assert doc["value"] == 4 and doc["gradient"]["d"] == pytest.approx(4 / 3)


def test_cli_exact_and_wrt(cli):
    run = cli("hessian", "(a+b)*c/d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3", "--exact", "--wrt", "c,d",
              "--json")
    assert run.code == 0
    doc = run.json()
    assert doc["hessian"]["names"] == ["c", "d"]
    assert doc["exact"]["hessian"] == [["0", "-2/3"], ["-2/3", "8/9"]]


def test_cli_table(cli):
    run = cli("hessian", "x^2*y + sin(x*y)", "-x", "1", "-y", "2")
    assert run.code == 0
    assert "Hessian" in run.out
    x_row = next(line for line in run.out.splitlines() if line.startswith("x ") and "0.36281" in line)
    assert "-0.234742" in x_row
    exact = cli("hessian", "(a+b)*c/d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3", "--exact")
    assert "8/9" in exact.out and "exact fraction" in exact.out


@pytest.mark.parametrize("args,fragment", [
    (("--wrt", "q"), "no input q"),
    (("--wrt", "e"), "assigned by the program"),
])
def test_cli_usage_errors(cli, helpers, args, fragment):
    run = cli("hessian", "e = a*b; e*a", "-a", "1", "-b", "2", *args)
    assert run.code == 2
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert fragment in run.err


def test_cli_math_error(cli, helpers):
    run = cli("hessian", "x^y", "-x", "-2", "-y", "2")
    assert run.code == 4
    helpers.assert_one_paragraph_error(run.err, "math error")


def test_overflow_is_a_math_error_never_infinity_in_the_json(cli):
    run = cli("hessian", "x^3*y", "-x", "1e100", "-y", "1e200", "--json")
    assert run.code == 4, run.out  # x^3*y = 1e500 is too large for a float
    assert run.json()["error"]["kind"] == "math"  # with --json, the error is a JSON document (issue 13)


def test_a_second_derivative_beyond_even_wide_decimals_is_a_math_error_not_a_crash():
    # found by the fuzz test (issue 16): hessian computed the matrix first, and in x^x^x^x^x^x at 2 the
    # wide decimals' own overflow (decimal.Overflow) escaped the formula's evaluation as an internal error
    from backprop_cli.base.errors import MathError
    from backprop_cli.engine.arithmetic import FLOAT
    from backprop_cli.engine.second import hessian
    from backprop_cli.engine.tape import lower
    from backprop_cli.language.parser import parse

    tape = lower(parse("x^x^x^x^x^x"))
    with pytest.raises(MathError, match="too large"):
        hessian(tape, {"x": 2.0}, ["x"], FLOAT, "pytorch")


def test_hessian_reports_the_first_derivatives_error_exit_4_as_eval():
    from tests.clirun import run_main

    done = run_main(["hessian", "--", "x^x^x^x^x^x", "-x", "2.0"])
    evaluated = run_main(["eval", "--", "x^x^x^x^x^x", "-x", "2.0"])
    assert done.code == evaluated.code == 4
    assert "too large for a 64-bit float (overflow) in v5 = x^v4 where x = 2.0, v4 = 65536.0" in done.err
