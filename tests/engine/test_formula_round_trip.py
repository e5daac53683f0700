"""Every formula `--symbolic` prints reads back: the tool's own parser takes it, and `backprop eval FORMULA`
gives the gradient it stands for.

Constant folding must never write a constant the language cannot read (as `2e400*x` for the derivative of
(1e200*x)^2 once was): a product whose constant would be beyond a float stays a product, `1e200*(2e200*x)`.
"""
from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction

import pytest
from deep_shapes import SHAPES, point

from backprop_cli.engine.symbolic.graph import Graph, readable
from backprop_cli.engine.tape import lower
from backprop_cli.language.parser import parse

# eval FORMULA computes the formula's own gradient too, and for these it is beyond a float (2e400 for the
# first): eval exits 4 until the wide-exponent fallback of the numeric core lands. The formula itself parses
# back, and its value is finite.
WIDE = pytest.mark.xfail(strict=False, reason="the formula's value is finite but its own gradient overflows a "
                                              "float, so eval exits 4 until the wide-exponent fallback lands")

PROGRAMS = [
    ("(1e200*x)^2", {"x": 1e-300}),
    ("(x/1e-160)^2", {"x": 1e-160}),
    ("(1e-200*x)^2", {"x": 1e200}),
    ("(x*1e200)^2/1e300", {"x": 1e-150}),
    ("x^2/7e-300", {"x": 1e-300}),
    ("1e-200*1e-200*x", {"x": 1e300}),
    ("x*1e-320", {"x": 3.0}),
    ("0.5^1100*x + x", {"x": 1.0}),
    ("x*1e300*10", {"x": 1.0}),
    ("x/3*7", {"x": 2.0}),
    ("(a+b)*c/d", {"a": 5.0, "b": 1.0, "c": -2.0, "d": -3.0}),
    ("e = a*b; d = e + c; L = d*f", {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}),
    ("sigmoid(w*x + b)", {"w": 0.5, "x": 2.0, "b": -1.0}),
    ("h = sigmoid(w1*x1 + w2*x2); E = (y - h)^2", {"w1": 0.3, "x1": 1.5, "w2": -0.2, "x2": 0.5, "y": 1.0}),
    ("sqrt(1 + x^2) * tan(y) / log(2 + z)", {"x": -0.3, "y": 0.4, "z": 1.0}),
    ("x^y + y^x", {"x": 1.5, "y": 0.5}),
]
for _shape, _ops in (("chain", 200), ("balanced", 200), ("sines", 100), ("product", 60), ("quotients", 60),
                     ("nested_quotients", 40), ("right_sum", 60), ("powers", 20), ("mixed", 140)):
    _source = SHAPES[_shape](_ops)
    PROGRAMS.append(pytest.param(_source, point(_shape, lower(parse(_source)).inputs), id=f"{_shape}-{_ops}"))
HUGE_GRADIENT_OF_THE_FORMULA = {"(1e200*x)^2", "(x/1e-160)^2"}
EVALUATED = [pytest.param(*case, marks=WIDE) if type(case) is tuple and case[0] in HUGE_GRADIENT_OF_THE_FORMULA
             else case for case in PROGRAMS]


def _bindings(inputs: dict, names) -> list[str]:
    return [f"{name}={inputs[name]!r}" for name in names]


def _symbolic(cli, source: str, inputs: dict) -> dict:
    run = cli("eval", "--", source, *_bindings(inputs, inputs), "--symbolic", "--json")
    assert run.code == 0, run.err
    return run.json()


@pytest.mark.parametrize("source,inputs", PROGRAMS)
def test_every_formula_parses_back(cli, source, inputs):
    doc = _symbolic(cli, source, inputs)
    assert set(doc["symbolic"]) == set(inputs)
    for name, text in doc["symbolic"].items():
        tape = lower(parse(text))  # the tool's own parser, and every literal a finite float
        assert set(tape.inputs) <= set(inputs), (name, text)
        for node in tape.nodes:
            if node.op == "const" and node.text != "pi":
                assert math.isfinite(float(node.text)) and (float(node.text) != 0 or float(Fraction(node.text)) == 0)


@pytest.mark.parametrize("source,inputs", EVALUATED)
def test_every_formula_evaluates_to_its_gradient(cli, source, inputs):
    doc = _symbolic(cli, source, inputs)
    for name, text in doc["symbolic"].items():
        back = cli("eval", "--", text, *_bindings(inputs, lower(parse(text)).inputs), "--json")
        assert back.code == 0, (name, text, back.err)
        want = doc["gradient"][name]
        assert back.json()["value"] == pytest.approx(want, rel=1e-9, abs=1e-300), (name, text)


def test_the_issue_formula_is_unfolded_and_reads_back_as_a_process():
    """`backprop eval "(1e200*x)^2" -x 1e-300 --symbolic` once printed 2e400*x, which the tool refused to read."""
    run = subprocess.run([sys.executable, "-m", "backprop_cli", "eval", "(1e200*x)^2", "-x", "1e-300", "--symbolic",
                          "--json"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    import json

    text = json.loads(run.stdout)["symbolic"]["x"]
    assert text == "1e200*(2e200*x)"
    back = subprocess.run([sys.executable, "-m", "backprop_cli", "eval", text, "-x", "1e-300", "--json"],
                          capture_output=True, text=True, timeout=60)
    assert "Traceback" not in back.stderr
    assert back.returncode in (0, 4), back.stderr  # 4: the formula's gradient, 2e400, overflows (see WIDE)
    doc = json.loads(back.stdout)
    assert doc["value"] == pytest.approx(2e100, rel=1e-12)  # shown either way (issue 13: the rest is computed)
    if back.returncode == 4:
        assert doc["gradient"]["x"] is None and "too large for a 64-bit float" in doc["undefined"]["gradient"]["x"]


@pytest.mark.parametrize("value,ok", [
    (Fraction(0), True), (Fraction(2 * 10**300), True), (Fraction(2 * 10**400), False), (Fraction(1, 10**320), True),
    (Fraction(1, 10**400), False), (Fraction(10**300, 3), True), (Fraction(10**400, 3), False),
    (Fraction(1, 3 * 10**400), False), (Fraction(-7, 3), True), (Fraction(-(10**400)), False),
])
def test_readable_constants(value, ok):
    assert readable(value) is ok


def test_folding_stops_at_constants_a_float_cannot_hold():
    g = Graph()
    x = g.input("x")
    big = g.const(Fraction(10**200))
    product = g.apply("mul", big, g.apply("mul", g.const(Fraction(2 * 10**200)), x))
    assert g.op[product] == "mul" and g.args[product][0] == big  # 1e200*(2e200*x), not 2e400*x
    assert g.op[g.apply("mul", big, big)] == "pow"  # 1e200^2, not 1e400
    assert g.rational(g.apply("mul", big, g.const(Fraction(1, 10**100)))) == 10**100  # within range: folded
    assert g.op[g.apply("pow", g.const(2), g.const(1100))] == "pow"  # 2^1100 stays a power
    assert g.rational(g.apply("pow", g.const(2), g.const(1000))) == 2**1000
