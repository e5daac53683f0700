"""Every operation's value and local derivatives, against oracles computed here; kinks; math errors."""
from __future__ import annotations

import dataclasses
import math
import re

import pytest

from backprop_cli.engine.compute import differentiate
from backprop_cli.base.errors import MathError
from backprop_cli.engine.ops import OPS

# Points away from kinks and domain edges, per operation. `which` lists the arguments whose
# derivative is checked (pow's exponent has no real derivative at a negative base).
POINTS = {
    "add": [(1.5, -2.25), (-3.0, 0.7)],
    "sub": [(1.5, -2.25), (-3.0, 0.7)],
    "mul": [(1.5, -2.25), (0.3, 4.0), (0.0, 2.0)],
    "div": [(1.5, -2.25), (-0.7, 0.4), (0.0, 3.0)],
    "neg": [(1.3,), (-0.4,)],
    "pos": [(1.3,), (-0.4,)],
    "copy": [(2.5,), (-1.0,)],
    "pow": [(2.0, 3.0), (1.5, -0.5), (0.7, 2.5), (3.0, 0.0), (4.0, 0.5), (-2.0, 3.0, (0,)), (-1.5, -2.0, (0,))],
    "exp": [(-1.3,), (0.0,), (2.1,), (-20.0,)],
    "log": [(0.3,), (1.0,), (5.2,), (1e-3,)],
    "sqrt": [(0.04,), (1.0,), (7.3,)],
    "sin": [(-2.0,), (0.0,), (0.7,), (4.0,)],
    "cos": [(-2.0,), (0.0,), (0.7,), (4.0,)],
    "tan": [(-1.0,), (0.0,), (0.9,), (3.0,)],
    "asin": [(-0.9,), (0.0,), (0.3,), (0.8,)],
    "acos": [(-0.9,), (0.0,), (0.3,), (0.8,)],
    "atan": [(-3.0,), (0.0,), (0.5,), (40.0,)],
    "atan2": [(1.0, 2.0), (-1.5, 0.5), (0.3, -2.0), (-0.2, -0.7)],
    "asinh": [(-3.0,), (0.0,), (0.5,), (40.0,)],
    "acosh": [(1.2,), (1.5,), (7.0,)],
    "atanh": [(-0.8,), (0.0,), (0.5,), (0.8,)],
    "log_base": [(8.0, 2.0), (0.3, 10.0), (5.2, 0.5), (100.0, 3.0)],
    "log2": [(0.3,), (1.0,), (8.0,), (5.2,)],
    "log10": [(0.3,), (1.0,), (100.0,), (5.2,)],
    "log1p": [(-0.9,), (0.0,), (1e-12,), (3.5,)],
    "expm1": [(-2.0,), (0.0,), (1e-12,), (3.5,)],
    "cbrt": [(-8.0,), (0.3,), (27.0,), (-0.7,)],
    "hypot": [(3.0, 4.0), (-1.5, 0.5), (0.0, 2.0), (1e-3, -7.0)],
    "erf": [(-2.0,), (0.0,), (0.5,), (3.0,)],
    "softplus": [(-2.0, 1.0), (0.0, 1.0), (3.0, 2.0), (-40.0, 1.0), (30.0, 0.5)],
    "leaky_relu": [(-2.0, 0.01), (0.5, 0.01), (-1.5, 0.2), (3.0, 0.2)],
    "elu": [(-2.0, 1.0), (0.5, 1.0), (-1.5, 0.5), (3.0, 2.0)],
    "silu": [(-2.0,), (0.0,), (0.5,), (30.0,)],
    "gelu": [(-2.0,), (0.0,), (0.5,), (3.0,)],
    "floor": [(-1.5,), (0.3,), (2.7,)],
    "ceil": [(-1.5,), (0.3,), (2.7,)],
    "round": [(-1.7,), (0.3,), (2.7,)],
    "sinh": [(-2.0,), (0.0,), (0.5,), (3.0,)],
    "cosh": [(-2.0,), (0.0,), (0.5,), (3.0,)],
    "tanh": [(-2.0,), (0.0,), (0.5,), (3.0,)],
    "sigmoid": [(-30.0,), (-2.0,), (0.0,), (1.5,), (40.0,)],
    "relu": [(-1.5,), (0.8,), (1e-6,)],
    "abs": [(-1.5,), (0.8,), (-1e-6,)],
    "max": [(1.0, 2.0), (3.0, -1.0), (-0.5, -0.25), (0.3, 2.0, -1.0), (4.0, 1.0, 2.0, 3.0)],
    "min": [(1.0, 2.0), (3.0, -1.0), (-0.5, -0.25), (0.3, 2.0, -1.0), (4.0, 1.0, 2.0, 3.0)],
    "sum": [(1.5,), (1.0, 2.0), (0.3, -2.0, 7.5), (1.0, 2.0, 3.0, 4.0)],
    "mean": [(1.5,), (1.0, 2.0), (0.3, -2.0, 7.5), (1.0, 2.0, 3.0, 4.0)],
    "logsumexp": [(1.5,), (1.0, 2.0), (0.3, -2.0, 7.5), (10.0, 11.0, 9.0)],
    "step": [(-1.5,), (0.8,), (1e-6,)],
    "sign": [(-1.5,), (0.8,), (-1e-6,)],
}

# Each operation's value computed independently of ops.py.
REFERENCE = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "neg": lambda x: -x,
    "pos": lambda x: x,
    "copy": lambda x: x,
    "pow": lambda x, y: x ** y,
    "exp": math.exp,
    "log": math.log,
    "sqrt": math.sqrt,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "atan2": math.atan2,
    "asinh": math.asinh,
    "acosh": math.acosh,
    "atanh": math.atanh,
    "log_base": lambda x, b: math.log(x) / math.log(b),
    "log2": math.log2,
    "log10": math.log10,
    "log1p": math.log1p,
    "expm1": math.expm1,
    "cbrt": lambda x: math.copysign(abs(x) ** (1 / 3), x),
    "hypot": math.hypot,
    "erf": math.erf,
    "softplus": lambda x, b: math.log1p(math.exp(b * x)) / b,
    "leaky_relu": lambda x, s: x if x > 0 else s * x,
    "elu": lambda x, a: x if x > 0 else a * math.expm1(x),
    "silu": lambda x: x / (1 + math.exp(-x)),
    "gelu": lambda x: x * (1 + math.erf(x / math.sqrt(2))) / 2,
    "floor": math.floor,
    "ceil": math.ceil,
    "round": round,
    "tanh": math.tanh,
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)),
    "relu": lambda x: max(x, 0.0),
    "abs": abs,
    "max": lambda *a: max(a),
    "min": lambda *a: min(a),
    "sum": lambda *a: math.fsum(a),
    "mean": lambda *a: math.fsum(a) / len(a),
    "logsumexp": lambda *a: max(a) + math.log(math.fsum(math.exp(x - max(a)) for x in a)),
    "step": lambda x: 1.0 if x > 0 else 0.0,
    "sign": lambda x: math.copysign(1.0, x) if x != 0 else 0.0,
}


def step(x: float) -> float:
    """A difference step that stays inside the domain and on one side of any kink near x."""
    h = 1e-3 * max(1.0, abs(x))
    return h if x == 0 else min(h, abs(x) / 100)


def rows():
    for name, points in POINTS.items():
        for point in points:
            which = point[-1] if isinstance(point[-1], tuple) else None
            args = point[:-1] if which is not None else point
            for k in (which if which is not None else range(len(args))):
                yield pytest.param(name, tuple(float(a) for a in args), k, id=f"{name}{args}-d{k}")


def test_every_operation_has_test_points():
    # adding an operation to the table means adding its rows here
    assert set(POINTS) == set(OPS)
    assert set(REFERENCE) == set(OPS)
    for name, op in OPS.items():
        if op.variadic:  # any number of arguments: rules made per argument
            assert all(callable(op.partials[k]) and op.derivative_text[k] for k in range(5)), name
            continue
        assert op.arity == len(op.partials) == len(op.derivative_text), name


@pytest.mark.parametrize("name,args", [
    pytest.param(name, tuple(float(a) for a in (p[:-1] if isinstance(p[-1], tuple) else p)), id=f"{name}{p}")
    for name, points in POINTS.items() for p in points
])
def test_value_matches_reference(name, args):
    assert float(OPS[name].value(*args)) == pytest.approx(REFERENCE[name](*args), rel=1e-14, abs=1e-300)


@pytest.mark.parametrize("name,args,k", list(rows()))
def test_local_derivative_matches_finite_differences(helpers, name, args, k):
    op = OPS[name]
    out = op.value(*args)
    analytic = float(op.partials[k](*args, out))

    def f(t):
        moved = list(args)
        moved[k] = t
        return REFERENCE[name](*moved)

    numeric = helpers.central_difference(f, args[k], h=step(args[k]))
    assert analytic == pytest.approx(numeric, rel=1e-7, abs=1e-9)


NAMES = ["x", "y", "z", "w"]


def _program(name: str, args: tuple, which) -> tuple[str, dict]:
    """A one-operation program over inputs x (and y), written in the language."""
    names = NAMES[: len(args)]
    if name == "copy":
        return "c = x", {"x": args[0]}
    operands = [n if k in which else repr(a) for k, (n, a) in enumerate(zip(names, args))]
    source = OPS[name].template_for(len(args)).format(*operands)
    return source, {n: a for k, (n, a) in enumerate(zip(names, args)) if k in which}


@pytest.mark.parametrize("name,point", [
    pytest.param(name, p, id=f"{name}{p}") for name, points in POINTS.items() for p in points
])
def test_gradient_through_the_tape_matches_finite_differences_and_sympy(helpers, name, point):
    which = point[-1] if isinstance(point[-1], tuple) else tuple(range(len(point)))
    args = tuple(float(a) for a in (point[:-1] if isinstance(point[-1], tuple) else point))
    source, inputs = _program(name, args, which)
    tape = helpers.tape_of(source)
    assert name in [n.op for n in tape.nodes]  # the operation is kept as typed
    result = differentiate(tape, inputs)
    assert result.kinks == []
    gradient = result.gradient()
    symbolic = helpers.sympy_gradient(tape, inputs)
    for var, x in inputs.items():
        def f(t, var=var):
            return REFERENCE[name](*(t if n == var else a for n, a in zip(NAMES, args)))

        numeric = helpers.central_difference(f, x, h=step(x))
        assert gradient[var] == pytest.approx(numeric, rel=1e-7, abs=1e-9), var
        assert gradient[var] == pytest.approx(symbolic[var], rel=1e-12, abs=1e-15), var
        assert result.forward_gradient[var] == pytest.approx(gradient[var], rel=1e-15, abs=0), var


@pytest.mark.parametrize("source,inputs,expected", [
    ("x^0", {"x": 0.0}, {"x": 0.0}),  # PyTorch: d/dx x^0 = 0, even at 0
    ("x^1", {"x": 0.0}, {"x": 1.0}),
    ("x^2", {"x": 0.0}, {"x": 0.0}),
    ("x^3", {"x": -2.0}, {"x": 12.0}),
    ("a^2", {"a": -3.0}, {"a": -6.0}),  # a constant exponent needs no log of the base
    ("a^-1", {"a": -2.0}, {"a": -0.25}),
    ("x^y", {"x": 0.0, "y": 2.0}, {"x": 0.0, "y": 0.0}),  # 0^y is 0 for every y > 0
    ("2^x", {"x": 3.0}, {"x": 8 * math.log(2)}),
    ("x^0.5", {"x": 4.0}, {"x": 0.25}),
    ("sqrt(x)", {"x": 4.0}, {"x": 0.25}),
    ("x/y", {"x": 0.0, "y": 2.0}, {"x": 0.5, "y": 0.0}),
])
def test_textbook_derivatives(helpers, source, inputs, expected):
    result = helpers.compute(source, **inputs)
    for name, value in expected.items():
        assert result.gradient()[name] == pytest.approx(value, rel=1e-15, abs=0), name
        assert result.forward_gradient[name] == pytest.approx(value, rel=1e-15, abs=0), name


# ------------------------------------------------------------------------------------------
# Kinks: the conventions, the flags, and the one-sided derivatives reported there.

@pytest.mark.parametrize("source,inputs,op,used,one_sided,gradient", [
    ("relu(x)", {"x": 0.0}, "relu", (0,), ((0, 1),), {"x": 0.0}),
    ("abs(x)", {"x": 0.0}, "abs", (0,), ((-1, 1),), {"x": 0.0}),
    ("max(x, y)", {"x": 1.0, "y": 1.0}, "max", (0.5, 0.5), ((0, 1), (0, 1)), {"x": 0.5, "y": 0.5}),
    ("min(x, y)", {"x": 1.0, "y": 1.0}, "min", (0.5, 0.5), ((1, 0), (1, 0)), {"x": 0.5, "y": 0.5}),
    ("max(x, y)", {"x": -2.5, "y": -2.5}, "max", (0.5, 0.5), ((0, 1), (0, 1)), {"x": 0.5, "y": 0.5}),
    ("max(x, x)", {"x": 2.0}, "max", (0.5, 0.5), ((0, 1), (0, 1)), {"x": 1.0}),  # both halves reach x
    ("max(a + b, c)", {"a": 1.0, "b": 2.0, "c": 3.0}, "max", (0.5, 0.5), ((0, 1), (0, 1)),
     {"a": 0.5, "b": 0.5, "c": 0.5}),
    ("relu(x - y) * 3", {"x": 2.0, "y": 2.0}, "relu", (0,), ((0, 1),), {"x": 0.0, "y": 0.0}),
])
def test_kink_conventions_are_flagged(helpers, cli, source, inputs, op, used, one_sided, gradient):
    result = helpers.compute(source, **inputs)
    for name, value in gradient.items():
        assert result.gradient()[name] == value, name
        assert result.forward_gradient[name] == value, name
    (kink,) = result.kinks
    assert kink.op == op
    assert result.tape.nodes[kink.node].op == op
    assert tuple(kink.used) == used
    assert tuple(tuple(s) for s in kink.one_sided) == one_sided

    bindings = [f"{k}={v!r}" for k, v in inputs.items()]
    doc = cli("eval", source, "--json", *bindings).json()
    (flag,) = doc["kinks"]
    node = next(n for n in doc["nodes"] if n["id"] == flag["id"])
    assert node["op"] == flag["op"] == op
    assert flag["used"] == list(used)
    assert flag["one_sided"] == [list(s) for s in one_sided]

    text = cli("eval", source, *bindings)
    assert text.code == 0
    note = " ".join(text.out.split())  # the note may wrap at 80 columns
    assert f"{flag['id']} = " in note and "kink" in note
    left, right = one_sided[0]
    assert f"left {left}, right {right}" in note


@pytest.mark.parametrize("name,args", [("relu", (0.0,)), ("abs", (0.0,)), ("max", (1.0, 1.0)), ("min", (1.0, 1.0)),
                                       ("max", (-3.0, -3.0)), ("min", (0.0, 0.0)), ("max", (2.0, 2.0, 2.0)),
                                       ("min", (0.5, 3.0, 0.5)), ("leaky_relu", (0.0, 0.2))])
def test_one_sided_derivatives_are_the_limits(helpers, name, args):
    """The table's (left, right) derivatives at a kink are what one-sided differences measure."""
    op = OPS[name]
    assert op.branch(*args) == 0
    sides = op.one_sided(*args) if callable(op.one_sided) else op.one_sided
    for k, (left, right) in enumerate(sides):
        def f(t, k=k):
            moved = list(args)
            moved[k] = t
            return float(op.value(*moved))

        measured_left, measured_right = helpers.one_sided_differences(f, args[k])
        assert (left, right) == (pytest.approx(measured_left, abs=1e-9), pytest.approx(measured_right, abs=1e-9))
        # the convention used at the kink lies between the two sides (PyTorch's choice)
        used = float(op.partials[k](*args, op.value(*args)))
        assert min(left, right) <= used <= max(left, right)


@pytest.mark.parametrize("source,inputs", [
    ("relu(x)", {"x": 0.5}), ("relu(x)", {"x": -0.5}), ("abs(x)", {"x": -2.0}), ("max(x, y)", {"x": 1.0, "y": 2.0}),
    ("min(x, y)", {"x": 1.0, "y": 1.0 + 1e-12}), ("relu(x) + abs(y)", {"x": 1e-300, "y": -1e-300}),
])
def test_no_kink_flag_away_from_kinks(helpers, cli, source, inputs):
    assert helpers.compute(source, **inputs).kinks == []
    doc = cli("eval", source, "--json", *[f"{k}={v!r}" for k, v in inputs.items()]).json()
    assert doc["kinks"] == []


def test_check_fails_at_a_relu_kink_and_says_why(cli):
    run = cli("eval", "relu(x)", "-x", "0", "--check", "--json")
    assert run.code == 1
    doc = run.json()
    assert doc["check"]["ok"] is False
    entry = doc["check"]["inputs"]["x"]
    assert entry["ok"] is False
    assert entry["numeric"] == pytest.approx(0.5)
    assert "kink" in entry["reason"] and "relu" in entry["reason"]
    text = cli("eval", "relu(x)", "-x", "0", "--check")
    assert text.code == 1
    assert "FAILED" in text.out and "kink" in text.out


# ------------------------------------------------------------------------------------------
# Math errors: MathError / exit 4, naming the operation and its operand values.

NUMBER = r"-?(?:\d+\.?\d*(?:e[+-]?\d+)?|\d+/\d+|inf)"


def operand_values(message: str) -> dict:
    """`x = 0.0, y = -1.0` in a message -> {'x': 0.0, 'y': -1.0}."""
    return {m.group(1): m.group(2) for m in re.finditer(rf"\b([A-Za-z_]\w*) = ({NUMBER})(?![\w.])", message)}


@pytest.mark.parametrize("source,inputs,fragments,operands", [
    ("log(x)", {"x": 0.0}, ["log is defined for positive numbers only", "log(x)"], {"x": 0.0}),
    ("log(x)", {"x": -1.0}, ["log is defined for positive numbers only", "log(x)"], {"x": -1.0}),
    ("log(0)", {}, ["log is defined for positive numbers only", "log(0)"], {}),
    ("sqrt(x)", {"x": -1.0}, ["sqrt is defined for numbers >= 0 only", "sqrt(x)"], {"x": -1.0}),
    ("1/x", {"x": 0.0}, ["division by zero", "1 / x"], {"x": 0.0}),
    ("y/x", {"x": 0.0, "y": 3.0}, ["division by zero", "y / x"], {"x": 0.0, "y": 3.0}),
    ("x*0 + 1/0", {"x": 1.0}, ["division by zero", "1 / 0"], {}),
    ("exp(x)", {"x": 1000.0}, ["overflow", "exp(x)"], {"x": 1000.0}),
    ("x*y", {"x": 1e200, "y": 1e200}, ["overflow", "x * y"], {"x": 1e200, "y": 1e200}),
    ("x^(1/3)", {"x": -8.0}, ["a negative number to a non-integer power is not a real number", "x^"], {"x": -8.0}),
    ("(-8)^(1/3)", {}, ["a negative number to a non-integer power is not a real number"], {}),
    ("0^-1", {}, ["0 to a negative power is a division by zero"], {}),
    ("x^y", {"x": 0.0, "y": -1.0}, ["0 to a negative power", "x^y"], {"x": 0.0, "y": -1.0}),
    # derivatives that do not exist where the value does
    ("sqrt(x)", {"x": 0.0}, ["derivative", "sqrt has an infinite derivative at 0", "sqrt(x)"], {"x": 0.0}),
    ("x^0.5", {"x": 0.0}, ["derivative", "x^0.5"], {"x": 0.0}),
    ("x^y", {"x": -2.0, "y": 2.0}, ["derivative", "needs x > 0", "x^y"], {"x": -2.0, "y": 2.0}),
    # -1e400: not a float, though every step on the way to it was computed without overflow
    ("1/x", {"x": 1e-200}, ["the derivative d v3 / d x is -1e+400, too large for a 64-bit float", "1 / x"],
     {"x": 1e-200}),
])
def test_math_errors(helpers, cli, source, inputs, fragments, operands):
    with pytest.raises(MathError) as caught:
        helpers.compute(source, **inputs)
    message = caught.value.message
    assert caught.value.exit_code == 4
    for fragment in fragments:
        assert fragment in message
    shown = operand_values(message.splitlines()[0])
    for name, value in operands.items():
        assert name in shown, (name, message)
        assert float(shown[name]) == value
    assert "^" in message.splitlines()[-1]  # a caret under the part of the program it comes from

    # eval shows the rest, and this reason under the tables (issue 13: undefined is local)
    run = cli("eval", source, *[f"{k}={v!r}" for k, v in inputs.items()])
    assert run.code == 4 and run.err == ""
    shown = " ".join(run.out.split())
    for fragment in fragments:  # (a missing derivative is named there as ∂v3/∂x)
        fragment = "∂" if fragment == "derivative" else fragment.removeprefix("the derivative does not exist: ")
        assert fragment in shown, (fragment, shown)
    if "overflow" not in message:  # (an overflow is shown with the number it is, from wide decimals)
        assert message.splitlines()[0].removeprefix("the derivative does not exist: ") in shown


def test_a_math_error_says_which_node(helpers):
    with pytest.raises(MathError) as caught:
        helpers.compute("e = a - b; f = log(e); f * 2", a=1, b=1)
    first = caught.value.message.splitlines()[0]
    assert "f = log(e)" in first
    assert float(operand_values(first)["e"]) == 0.0


# ------------------------------------------------------------------------------------------
# The rules are data: the evaluators look them up in OPS and nowhere else.

def test_both_modes_use_the_table_entry(helpers, monkeypatch):
    fake = dataclasses.replace(OPS["sin"], partials=(lambda x, out: 42.0,))
    monkeypatch.setitem(OPS, "sin", fake)
    result = helpers.compute("sin(x) * 2", x=0.3)
    assert result.gradient()["x"] == 84.0
    assert result.forward_gradient["x"] == 84.0


@pytest.mark.parametrize("source,inputs,excerpt", [
    ("x^(1/3)", {"x": -8.0}, "  x^(1/3)\n  ^^^^^^^"),
    ("(-8)^(1/3)", {}, "  (-8)^(1/3)\n  ^^^^^^^^^^"),
    ("(a+b)*c/d", {"a": 1.0, "b": -1.0, "c": 1.0, "d": 0.0}, "  (a+b)*c/d\n  ^^^^^^^^^"),
    ("2 * (1/x)", {"x": 0.0}, "  2 * (1/x)\n      ^^^^^"),
    ("y = 1\nz = log(x) + y", {"x": 0.0}, "  z = log(x) + y\n      ^^^^^^"),
])
def test_math_error_carets_cover_the_operation(helpers, source, inputs, excerpt):
    """The caret spans the whole failing operation, parentheses included, on the line it is on."""
    with pytest.raises(MathError) as caught:
        helpers.compute(source, **inputs)
    assert caught.value.message.endswith("\n" + excerpt)
