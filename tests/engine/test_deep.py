"""Inputs whose size the user controls: no recursion over them anywhere (parse, lower, sweeps, output)."""
from __future__ import annotations

import sys

import pytest

from backprop_cli.base.errors import ProgramError

DEPTH = 10_000
TERMS = 100_000


@pytest.fixture(autouse=True)
def ordinary_recursion_limit():
    """The default limit (1,000) is far below the sizes here: any recursion over them would fail."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(old)


@pytest.mark.parametrize("source,x,value,gradient,nodes", [
    ("(" * DEPTH + "x" + ")" * DEPTH, 2.0, 2.0, 1.0, 1),
    ("(" * DEPTH + "x" + "+1)" * DEPTH, 2.0, 2.0 + DEPTH, 1.0, 2 * DEPTH + 1),
    ("(" * DEPTH + "x" + "*x)" * DEPTH, 1.0, 1.0, DEPTH + 1.0, DEPTH + 1),
    ("-" * DEPTH + "x", 3.0, 3.0, 1.0, DEPTH + 1),  # an even number of minus signs
    ("-(" * DEPTH + "x" + ")" * DEPTH, 3.0, 3.0, 1.0, DEPTH + 1),
    ("sin(" * DEPTH + "x" + ")" * DEPTH, 1.0, None, None, DEPTH + 1),
    ("x^" * DEPTH + "x", 1.0, 1.0, 1.0, DEPTH + 1),  # right-associative: x^(x^(...^x)), derivative 1 at 1
])
def test_deep_nesting(helpers, source, x, value, gradient, nodes):
    result = helpers.compute(source, x=x)
    assert len(result.tape.nodes) == nodes
    if value is not None:
        assert result.value == value
        assert result.gradient()["x"] == gradient
    assert result.forward_gradient["x"] == pytest.approx(result.gradient()["x"], rel=1e-12)


def test_deep_nested_sines_match_the_chain_rule(helpers):
    import math

    result = helpers.compute("sin(" * DEPTH + "x" + ")" * DEPTH, x=1.0)
    value, derivative = 1.0, 1.0
    for _ in range(DEPTH):
        derivative *= math.cos(value)
        value = math.sin(value)
    assert result.value == pytest.approx(value, rel=1e-12)
    assert result.gradient()["x"] == pytest.approx(derivative, rel=1e-9)


def test_sum_of_many_terms(helpers):
    source = " + ".join(["x"] * TERMS)
    result = helpers.compute(source, x=2.0)
    assert result.value == 2.0 * TERMS
    assert result.gradient() == {"x": float(TERMS)}  # gradients add at the branches
    assert result.forward_gradient == {"x": float(TERMS)}
    assert len(result.tape.nodes) == TERMS  # one input node and TERMS - 1 additions


def test_sum_of_many_distinct_inputs(helpers):
    count = 20_000
    source = " + ".join(f"w{i}*x{i}" for i in range(count))
    inputs = {**{f"w{i}": float(i) for i in range(count)}, **{f"x{i}": 1.0 for i in range(count)}}
    tape = helpers.tape_of(source)
    from backprop_cli.engine.compute import differentiate

    result = differentiate(tape, inputs, forward_mode=False)
    assert result.value == sum(range(count))
    gradient = result.gradient()
    assert gradient["x123"] == 123.0 and gradient["w123"] == 1.0


def test_long_chain_of_assignments(helpers):
    count = 20_000
    source = "x0 = a\n" + "\n".join(f"x{i} = x{i - 1} * 1 + 1" for i in range(1, count))
    result = helpers.compute(source, a=0.5)
    assert result.tape.output_name == f"x{count - 1}"
    assert result.value == 0.5 + (count - 1)
    gradient = result.gradient()
    assert gradient["a"] == 1.0 and gradient["x0"] == 1.0 and gradient[f"x{count // 2}"] == 1.0


def test_deep_unclosed_parentheses_are_a_syntax_error(helpers):
    with pytest.raises(ProgramError) as caught:
        helpers.tape_of("(" * DEPTH + "x")
    assert caught.value.message.startswith("expected ')', found the end of the program")


def test_deep_and_long_programs_through_the_command_line(cli):
    deep = cli("eval", "(" * DEPTH + "x" + "+1)" * DEPTH, "-x", "2", "--json")
    assert deep.code == 0, deep.err
    doc = deep.json()
    assert doc["value"] == 2 + DEPTH
    assert doc["gradient"] == {"x": 1} and doc["forward_gradient"] == {"x": 1}
    assert len(doc["nodes"]) == 2 * DEPTH + 1

    long = cli("eval", " + ".join(["x"] * TERMS), "-x", "0.5", "--json")
    assert long.code == 0, long.err
    doc = long.json()
    assert doc["value"] == 0.5 * TERMS
    assert doc["gradient"] == {"x": TERMS} and doc["forward_gradient"] == {"x": TERMS}


def test_deep_program_tables_through_the_command_line(cli):
    run = cli("eval", "(" * DEPTH + "x" + "+1)" * DEPTH, "-x", "2")
    assert run.code == 0, run.err
    assert "RecursionError" not in run.err
    assert str(2 + DEPTH) in run.out
    error = cli("eval", "(" * DEPTH + "x", "-x", "2")
    assert error.code == 3
    assert "Traceback" not in error.err and "RecursionError" not in error.err
