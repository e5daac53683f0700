"""Derivatives as formulas (--symbolic), the helper functions step and sign, and --direction.

Every formula is parsed back by the tool's own parser and evaluated at the point, and must equal
the reverse-mode gradient; on generated programs it is also checked against SymPy, with SymPy
expressions built node by node from our tapes (never from text).
"""
from __future__ import annotations

import math
import random
import re
from fractions import Fraction

import pytest

from backprop_cli.engine.arithmetic import EXACT
from backprop_cli.engine.compute import differentiate
from backprop_cli.base.errors import MathError
from backprop_cli.engine.forward import evaluate
from backprop_cli.engine.ops import OPS
from backprop_cli.language.parser import parse
from backprop_cli.engine.second import directional_derivative
from backprop_cli.engine.symbolic.derive import gradient_formulas
from backprop_cli.engine.symbolic.graph import Graph
from backprop_cli.engine.symbolic.printer import constant_text
from backprop_cli.engine.tape import lower

from conftest import tape_to_sympy


def formulas(source: str) -> dict[str, str]:
    return {name: f.text for name, f in gradient_formulas(lower(parse(source))).items()}


def value_of(formula: str, inputs: dict, arithmetic=None):
    """Parse a formula with the tool's parser and evaluate it at the inputs it uses."""
    tape = lower(parse(formula))
    used = {name: inputs[name] for name in tape.inputs}
    values = evaluate(tape, used) if arithmetic is None else evaluate(tape, used, arithmetic)
    return values[tape.output]


# ------------------------------------------------------------------------------------------------
# Readable formulas: folded constants, no 0 and 1 identities, tidy signs.

@pytest.mark.parametrize("source,expected", [
    ("(a+b)*c/d", {"a": "c/d", "b": "c/d", "c": "(a + b)/d", "d": "-(a + b)*c/d^2"}),
    ("(x+y)*z", {"x": "z", "y": "z", "z": "x + y"}),
    ("d = a + b; f = d * c", {"a": "c", "b": "c", "c": "a + b"}),
    ("e = a*b; d = e + c; L = d*f", {"a": "f*b", "b": "f*a", "c": "f", "f": "a*b + c"}),
    ("x^2", {"x": "2*x"}),
    ("x^3/3", {"x": "x^2"}),
    ("3*x*2", {"x": "6"}),
    ("2*x + 3*x", {"x": "5"}),
    ("x*1 + 0", {"x": "1"}),
    ("-(-x)", {"x": "1"}),
    ("a - b", {"a": "1", "b": "-1"}),
    ("x/y", {"x": "1/y", "y": "-x/y^2"}),
    ("-a*b", {"a": "-b", "b": "-a"}),
    ("a*(-b)", {"a": "-b", "b": "-a"}),
    ("x/3", {"x": "1/3"}),
    ("0.5*(t - o)^2", {"t": "t - o", "o": "o - t"}),
    ("pi*r^2", {"r": "2*pi*r"}),
    ("2^x", {"x": "2^x*log(2)"}),
    ("x^y", {"x": "y*x^(y - 1)", "y": "x^y*log(x)"}),
    ("sqrt(x^2 + y^2)", {"x": "x/sqrt(x^2 + y^2)", "y": "y/sqrt(x^2 + y^2)"}),
    ("exp(x)", {"x": "exp(x)"}),
    ("log(x)", {"x": "1/x"}),
    # not 1 - tanh(x)^2 nor sigmoid(x)*(1 - sigmoid(x)): those cancel to 0 where tanh and sigmoid round to 1
    ("tanh(x)", {"x": "1/cosh(x)^2"}),
    ("sigmoid(x)", {"x": "sigmoid(x)*sigmoid(-x)"}),
    ("sinh(x)", {"x": "cosh(x)"}),
    ("cosh(x)", {"x": "sinh(x)"}),
    ("sin(x)*cos(x)", {"x": "cos(x)^2 - sin(x)^2"}),
    ("relu(x)*w", {"x": "w*step(x)", "w": "relu(x)"}),
    ("abs(x - y)", {"x": "sign(x - y)", "y": "-sign(x - y)"}),
    ("max(a, b)", {"a": "(1 + sign(a - b))/2", "b": "(1 - sign(a - b))/2"}),
    ("min(a, b)", {"a": "(1 - sign(a - b))/2", "b": "(1 + sign(a - b))/2"}),
    ("y = x; y*0 + z", {"x": "0", "z": "1"}),
    ("step(x) + sign(y)", {"x": "0", "y": "0"}),
])
def test_formulas_read_as_a_person_writes_them(source, expected):
    assert formulas(source) == expected


def test_a_shared_subexpression_is_named_once():
    got = formulas("exp(w*x + b)/(1 + exp(w*x + b))")
    assert got == {
        "w": "t1 = 1 + exp(w*x + b); exp(w*x + b)*x/t1 - exp(w*x + b)^2*x/t1^2",
        "x": "t1 = 1 + exp(w*x + b); exp(w*x + b)*w/t1 - exp(w*x + b)^2*w/t1^2",
        "b": "t1 = 1 + exp(w*x + b); exp(w*x + b)/t1 - exp(w*x + b)^2/t1^2",
    }


def test_shared_parts_keep_the_programs_own_names():
    got = formulas("h = sigmoid(w1*x1 + w2*x2); E = (y - h)^2")
    # h is used twice: written by its name, however short its formula; sigmoid' is sigmoid(z)*sigmoid(-z)
    assert got["w1"] == "t1 = w1*x1 + w2*x2; h = sigmoid(t1); 2*(h - y)*h*sigmoid(-t1)*x1"


def test_invented_names_never_clash_with_the_programs_names():
    source = "t1 = sigmoid(a*b + c); t2 = t1 + 1; u = sigmoid(t2*a + c); u*t2"
    for name, text in formulas(source).items():
        tape = lower(parse(text))  # a name assigned twice or used before assignment would not parse
        assert set(tape.inputs) <= {"a", "b", "c"}, (name, text)


def test_sharing_keeps_a_chain_linear():
    """Without names, the derivative of a chain of sigmoids would repeat each layer: its length would double per
    layer."""
    n = 40
    source = "; ".join(["h1 = sigmoid(x)"] + [f"h{k} = sigmoid(h{k - 1} + x)" for k in range(2, n + 1)])
    (text,) = formulas(source).values()
    assert len(text) < 200 * n
    assert all(f"h{k} = sigmoid(" in text for k in range(2, n))
    inputs = {"x": 0.3}
    assert value_of(text, inputs) == pytest.approx(differentiate(lower(parse(source)), inputs).gradient()["x"],
                                                   rel=1e-12)


def test_a_deep_program_needs_no_recursion():
    depth = 3000
    source = "sin(" * depth + "x" + ")" * depth + " * y"
    got = formulas(source)
    assert got["y"].count("sin(") == depth
    inputs = {"x": 0.5, "y": 2.0}
    want = differentiate(lower(parse(source)), inputs).gradient()
    assert value_of(got["x"], inputs) == pytest.approx(want["x"], rel=1e-9)
    sum_source = " + ".join(f"x{k}*x{k}" for k in range(3000))
    got = formulas(sum_source)
    assert got["x7"] == "2*x7"


@pytest.mark.parametrize("value,text", [
    (Fraction(2), "2"), (Fraction(-3), "-3"), (Fraction(1, 2), "0.5"), (Fraction(1, 3), "1/3"),
    (Fraction(-2, 3), "-2/3"), (Fraction(1, 10**20), "1e-20"), (Fraction(10**30), "1e30"), (Fraction(5, 4), "1.25"),
])
def test_constants_are_written_exactly(value, text):
    assert constant_text(value)[0] == text
    assert Fraction(value_of(text, {})) == pytest.approx(value, rel=1e-15)


def test_constants_fold_exactly_and_irrational_ones_stay_as_written():
    g = Graph()
    x = g.input("x")
    assert g.apply("mul", g.const(Fraction(1, 10)), g.apply("mul", g.const(Fraction(2, 10)), x)) == \
        g.apply("mul", g.const(Fraction(1, 50)), x)
    assert g.rational(g.apply("exp", g.const(0))) == 1
    assert g.rational(g.apply("sigmoid", g.const(0))) == Fraction(1, 2)
    assert g.rational(g.apply("exp", g.const(1))) is None  # exp(1) is not folded into a float
    assert g.op[g.literal("pi")] == "const" and g.rational(g.literal("pi")) is None


# ------------------------------------------------------------------------------------------------
# Round trips: parsed back and evaluated, each formula is the reverse-mode gradient.

TEXTBOOK = [
    ("(a+b)*c/d", {"a": 5, "b": 1, "c": -2, "d": -3}),
    ("(x+y)*z", {"x": -2, "y": 5, "z": -4}),
    ("(a+b)*(b+c)", {"a": -1, "b": 3, "c": 4}),
    ("e = a*b; d = e + c; L = d*f", {"a": 2, "b": -3, "c": 10, "f": -2}),
    ("relu(x) * w + abs(y) + max(x, y) - min(w, y)", {"x": 0, "w": 2, "y": 0}),  # every kink at once
    ("max(a, b) * min(a, b)", {"a": 1.5, "b": 1.5}),
    ("x^y + y^x", {"x": 1.5, "y": 0.5}),
    ("sqrt(1 + x^2) * tan(y) / log(2 + z)", {"x": -0.3, "y": 0.4, "z": 1.0}),
]


@pytest.mark.parametrize("source,inputs", TEXTBOOK)
def test_formulas_evaluate_to_the_reverse_mode_gradient(source, inputs):
    inputs = {k: float(v) for k, v in inputs.items()}
    gradient = differentiate(lower(parse(source)), inputs).gradient()
    for name, text in formulas(source).items():
        assert value_of(text, inputs) == pytest.approx(gradient[name], rel=1e-12, abs=1e-15), (name, text)


def test_formulas_evaluate_exactly_in_exact_mode():
    inputs = {"a": Fraction(5), "b": Fraction(1), "c": Fraction(-2), "d": Fraction(-3)}
    got = {name: value_of(text, inputs, EXACT) for name, text in formulas("(a+b)*c/d").items()}
    assert got == {"a": Fraction(2, 3), "b": Fraction(2, 3), "c": Fraction(-2), "d": Fraction(4, 3)}


def test_formula_round_trip_through_the_cli(cli):
    run = cli("eval", "e = a*b; d = e + c; L = d*f", "-a", "2", "-b", "-3", "-c", "10", "-f", "-2", "--symbolic",
              "--json")
    assert run.code == 0
    doc = run.json()
    assert doc["symbolic"] == {"a": "f*b", "b": "f*a", "c": "f", "f": "a*b + c"}
    for name, text in doc["symbolic"].items():
        uses = lower(parse(text)).inputs
        bindings = [f"{k}={doc['inputs'][k]!r}" for k in uses]
        back = cli("eval", "--", text, *bindings, "--json")
        assert back.code == 0, back.err
        assert back.json()["value"] == doc["gradient"][name]


def test_symbolic_tables(cli):
    run = cli("eval", "(a+b)*c/d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3", "--symbolic", "--max-rows", "0")
    assert run.code == 0
    assert "Derivatives as formulas" in run.out
    assert "-(a + b)*c/d^2" in run.out
    shared = cli("eval", "exp(w*x + b)/(1 + exp(w*x + b))", "-w", "0.5", "-x", "2", "-b", "-1", "--symbolic",
                 "--max-rows", "0")
    lines = [line.strip() for line in shared.out.splitlines()]
    assert "w       exp(w*x + b)*x/t1 - exp(w*x + b)^2*x/t1^2" in lines and "where t1 = 1 + exp(w*x + b)" in lines


# ------------------------------------------------------------------------------------------------
# Generated programs: formula == reverse mode (floats) and == SymPy's derivative (30 digits).

NAMES = ["a", "b", "x1", "t1"]  # t1 is an input here: the invented names must step around it
FUNCTIONS = ["exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs"]


def _expression(rng, names, depth):
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(names) if rng.random() < 0.8 else rng.choice(["2", "0.5", "3", "pi", "1.5"])
    sub = lambda: _expression(rng, names, depth - 1)  # noqa: E731 - a small, bounded test generator
    kind = rng.random()
    if kind < 0.45:
        return f"({sub()} {rng.choice('+-*/')} {sub()})"
    if kind < 0.5:
        return f"-{sub()}"
    if kind < 0.6:
        return f"({sub()})^{rng.choice(['2', '3', '-1', '0.5', '-2'])}"
    if kind < 0.9:
        return f"{rng.choice(FUNCTIONS)}({sub()})"
    return f"{rng.choice(['max', 'min'])}({sub()}, {sub()})"


def generated(seed: int):
    """A program and a point where it and its gradient are finite and moderate."""
    rng = random.Random(seed)
    while True:
        inputs = rng.sample(NAMES, rng.randint(1, 4))
        names, statements = list(inputs), []
        for k in range(rng.randint(1, 3)):
            target = f"v_{k}"
            statements.append(f"{target} = {_expression(rng, names, rng.randint(1, 3))}")
            names.append(target)
        # the output uses every statement, so none is dead code
        statements.append(f"out = {_expression(rng, names, 2)} + " + " * ".join(names[len(inputs):]))
        source = "; ".join(statements)
        tape = lower(parse(source))
        point = {name: rng.uniform(-2, 2) for name in tape.inputs}
        try:
            result = differentiate(tape, point)
        except MathError:
            continue
        grads = result.gradient()
        if all(abs(float(grads[n])) < 1e6 for n in tape.inputs) and abs(result.value) < 1e6 and not result.kinks:
            return tape, source, point, result


@pytest.mark.parametrize("seed", range(60))
def test_generated_formulas_equal_reverse_mode(seed):
    tape, source, point, result = generated(seed)
    gradient = result.gradient()
    for name, formula in gradient_formulas(tape).items():
        try:
            value = value_of(formula.text, point)
        except MathError:
            # a formula may need a value the program never computed (pow's exponent rule needs log(x)
            # even where the program only had 0^y); only then may it fail
            continue
        scale = max(1.0, abs(gradient[name]))
        assert value == pytest.approx(gradient[name], rel=1e-8, abs=1e-9 * scale), (source, name, formula.text)


@pytest.mark.parametrize("seed", range(25))
def test_generated_formulas_equal_sympy(seed):
    import sympy as sp

    tape, source, point, _ = generated(seed)
    program = tape_to_sympy(tape)
    subs = {program.symbols[k]: sp.Float(v, 30) for k, v in point.items()}
    for name, formula in gradient_formulas(tape).items():
        formula_tape = lower(parse(formula.text))
        ours = tape_to_sympy(formula_tape)  # built node by node from our tape of the formula
        ours_subs = {ours.symbols[k]: sp.Float(point[k], 30) for k in ours.symbols}
        want = sp.diff(program.exprs[tape.output], program.symbols[name]).evalf(30, subs=subs)
        got = ours.exprs[formula_tape.output].evalf(30, subs=ours_subs)
        assert abs(complex(got - want)) <= 1e-18 * max(1.0, abs(complex(want))), (source, name, formula.text)


def test_no_identities_or_doubled_signs_in_generated_formulas():
    bad = re.compile(r"(?<![\w.])1\*|\*1(?![\w.])|\+ 0(?![\w.])|- 0(?![\w.])|--|\+ -|- -|\*-|/-|\(1\)|\^1(?![\w.])")
    for seed in range(60):
        tape, source, _, _ = generated(seed)
        for formula in gradient_formulas(tape).values():
            assert not bad.search(formula.text), (source, formula.text)


# ------------------------------------------------------------------------------------------------
# The rules of ops.py: written in the language, and equal to the numeric rules.

RULE_POINTS = {
    "add": [(1.5, -2.0)], "sub": [(1.5, -2.0)], "mul": [(1.5, -2.0)], "div": [(1.5, -2.0)], "neg": [(0.7,)],
    "pos": [(0.7,)], "copy": [(0.7,)], "pow": [(1.5, 2.5), (2.0, 3.0), (0.0, 2.0), (3.0, 0.0)], "exp": [(0.3,)],
    "log": [(0.3,)], "sqrt": [(2.0,)], "sin": [(0.3,)], "cos": [(0.3,)], "tan": [(0.3,)], "tanh": [(0.3,), (25.0,)], "sinh": [(0.3,), (-2.0,)], "cosh": [(0.3,), (-2.0,)],
    "sigmoid": [(0.3,), (0.0,)], "relu": [(-1.0,), (0.0,), (2.0,)], "abs": [(-1.0,), (0.0,), (2.0,)],
    "max": [(1.0, 2.0), (2.0, 1.0), (1.0, 1.0), (1.0, 3.0, 3.0), (2.0, 2.0, 2.0), (0.5,)],
    "min": [(1.0, 2.0), (2.0, 1.0), (1.0, 1.0), (1.0, 3.0, 1.0), (-1.0, 2.0, 0.0, -1.0)],
    "sum": [(1.0,), (1.0, 2.0, -3.5)], "mean": [(1.0,), (1.0, 2.0, -3.5)], "logsumexp": [(0.3,), (1.0, 2.0, -3.5)],
    "step": [(-1.0,), (0.0,), (2.0,)], "sign": [(-1.0,), (0.0,), (2.0,)],
    "asin": [(0.3,), (-0.99,)], "acos": [(0.3,), (-0.99,)], "atan": [(0.3,), (50.0,)], "atan2": [(0.3, -2.0)],
    "asinh": [(0.3,), (-40.0,)], "acosh": [(1.5,)], "atanh": [(0.3,), (-0.99,)], "log2": [(0.3,)], "log_base": [(8.0, 2.0), (0.3, 0.5)],
    "log10": [(0.3,)], "log1p": [(0.3,), (-0.5,)], "expm1": [(0.3,)], "cbrt": [(0.3,), (-8.0,)],
    "hypot": [(3.0, 4.0)], "erf": [(0.3,)], "softplus": [(0.3, 1.0), (-2.0, 2.0)],
    "leaky_relu": [(-1.0, 0.01), (0.0, 0.01), (2.0, 0.2)], "elu": [(-1.0, 1.0), (0.0, 0.5), (2.0, 1.0)],
    "silu": [(0.3,), (-2.0,)], "gelu": [(0.3,), (-2.0,)], "floor": [(0.3,), (2.0,)], "ceil": [(0.3,)],
    "round": [(0.3,), (2.5,)],
}


def test_every_operation_has_a_symbolic_rule():
    assert set(RULE_POINTS) == set(OPS)
    for name, op in OPS.items():
        if op.variadic:
            assert all(op.symbolic_partial(k, n) for n in (1, 2, 3, 5) for k in range(n)), name
            continue
        assert len(op.symbolic_partials) == op.arity, name


@pytest.mark.parametrize("name,args", [(n, p) for n, points in RULE_POINTS.items() for p in points])
def test_symbolic_rules_equal_the_numeric_rules_kinks_included(name, args):
    op = OPS[name]
    out = op.value(*args)
    names = {f"{{{k}}}": f"a{k}" for k in range(len(args))}
    point = {f"a{k}": float(v) for k, v in enumerate(args)}
    point["out"] = float(out)
    for k in range(len(args)):
        rule = op.symbolic_partial(k, len(args))
        if name == "pow" and k == 1 and args[0] <= 0:
            continue  # d/dy x^y = x^y log(x) needs x > 0 (the numeric rule defines 0 at x = 0, y > 0)
        if name == "pow" and k == 0 and args[0] == 0 and args[1] < 1:
            continue
        text = rule.replace("{out}", "out")
        for placeholder, var in names.items():
            text = text.replace(placeholder, var)
        assert value_of(text, point) == pytest.approx(float(op.partials[k](*args, out)), rel=1e-15, abs=0), (name, k)


@pytest.mark.parametrize("source,inputs,value", [
    ("step(x)", {"x": 2.0}, 1), ("step(x)", {"x": 0.0}, 0), ("step(x)", {"x": -3.0}, 0),
    ("sign(x)", {"x": 2.5}, 1), ("sign(x)", {"x": 0.0}, 0), ("sign(x)", {"x": -1e-300}, -1),
])
def test_step_and_sign(helpers, source, inputs, value):
    result = helpers.compute(source, **inputs)
    assert result.value == value
    assert result.gradient()["x"] == 0  # flat on both sides of the jump (PyTorch's convention)
    assert bool(result.kinks) == (inputs["x"] == 0)  # the jump is flagged like a kink
    exact = differentiate(result.tape, {"x": Fraction(inputs["x"])}, EXACT)
    assert exact.value == value and isinstance(exact.value, Fraction)


def test_relu_derivative_formula_is_pytorchs_at_the_kink():
    for x in (-1.0, 0.0, 1e-300, 2.0):
        (text,) = formulas("relu(x)").values()
        assert value_of(text, {"x": x}) == differentiate(lower(parse("relu(x)")), {"x": x}).gradient()["x"]


# ------------------------------------------------------------------------------------------------
# --direction: one forward pass with a seed vector.

@pytest.mark.parametrize("seed", range(20))
def test_directional_derivative_is_the_gradient_dotted_with_the_direction(seed):
    tape, _, point, result = generated(seed)
    rng = random.Random(seed)
    direction = {name: rng.uniform(-1, 1) for name in tape.inputs}
    got = directional_derivative(tape, result.partials, direction)
    grads = result.gradient()
    want = math.fsum(direction[n] * grads[n] for n in tape.inputs)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_direction_on_the_command_line(cli):
    run = cli("eval", "(a+b)*c/d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3", "--direction", "a=1,d=0.5", "--json")
    assert run.code == 0
    doc = run.json()
    assert doc["directional"]["direction"] == {"a": 1.0, "b": 0.0, "c": 0.0, "d": 0.5}
    assert doc["directional"]["value"] == pytest.approx(2 / 3 + 0.5 * 4 / 3, rel=1e-15)
    exact = cli("eval", "(a+b)*c/d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3", "--direction", "a=1,d=1/2",
                "--exact", "--json")
    assert exact.json()["directional"]["exact"] == "4/3"  # a component is read as a binding is: 1/2 is exact
    exact = cli("eval", "(a+b)*c/d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3", "--direction", "a=1,d=0.5",
                "--exact", "--json")
    assert exact.json()["directional"]["exact"] == "4/3"
    table = cli("eval", "(a+b)*c/d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3", "--direction", "a=1,d=0.5")
    assert "Directional derivative along (a=1, b=0, c=0, d=0.5): 1.33333" in table.out


@pytest.mark.parametrize("direction,fragment", [
    ("z=1", "no input z"), ("a=x", "is not a number"), ("a", "NAME=VALUE"), ("a=1,a=2", "twice"), ("", "at least"),
    ("e=1", "assigned by the program"),
])
def test_direction_errors_are_usage_errors(cli, helpers, direction, fragment):
    run = cli("eval", "e = a*b; e + 1", "-a", "1", "-b", "2", "--direction", direction)
    assert run.code == 2
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert fragment in run.err


# ------------------------------------------------------------------------------------------------
# explain --symbolic

def test_explain_symbolic_text(cli):
    run = cli("explain", "e = a + b; f = e * c; g = f / d", "-a", "5", "-b", "1", "-c", "-2", "-d", "-3", "--symbolic")
    assert run.code == 0
    tail = run.out.split("Derivatives as formulas")[1].splitlines()
    assert [line.strip() for line in tail[1:]] == ["∂g/∂a = c/d", "∂g/∂b = c/d", "∂g/∂c = (a + b)/d",
                                                  "∂g/∂d = -(a + b)*c/d^2"]


def test_explain_symbolic_markdown_and_where(cli):
    run = cli("explain", "h = sigmoid(w*x + b); y = h^2", "-w", "0.5", "-x", "2", "-b", "-1", "--symbolic",
              "--format", "markdown", "--wrt", "w")
    assert run.code == 0
    assert run.out.rstrip().endswith("- ∂y/∂w = `2*h*h*sigmoid(-(w*x + b))*x`, where `h = sigmoid(w*x + b)`")


def test_explain_symbolic_latex(cli):
    import shutil
    import subprocess

    run = cli("explain", "y = sigmoid(w*x + b) + relu(x)", "-w", "0.5", "-x", "2", "-b", "-1", "--symbolic",
              "--format", "latex")
    assert run.code == 0
    tex = run.out
    assert tex.count(r"\begin{align*}") == tex.count(r"\end{align*}")
    assert tex.count("{") == tex.count("}")
    assert r"\subsection*{Derivatives as formulas}" in tex and tex.rstrip().endswith(r"\end{document}")
    assert r"\operatorname{step}\left(x\right)" in tex
    engine = shutil.which("pdflatex")
    if engine:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            with open(f"{folder}/answer.tex", "w", encoding="ascii") as handle:
                handle.write(tex)
            done = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "answer.tex"], cwd=folder,
                                  capture_output=True, timeout=120)
            assert done.returncode == 0, done.stdout[-2000:]
