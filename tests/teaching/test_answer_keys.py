"""Answer keys that read like a textbook (issue 15): exact arithmetic written as decimals by default (`--float`
for floats), local derivatives simplified once their literals are known, unnamed nodes numbered u1, u2, ...

Every number checked here comes from an oracle outside the key: exact fractions (Python's), `backprop eval`'s
JSON, or the number form of a step evaluated again as a program of its own.
"""
from __future__ import annotations

import re
from fractions import Fraction

import pytest
from conftest import section

from backprop_cli.base.numbers import format_number
from backprop_cli.engine.ops import OPS
from backprop_cli.engine.symbolic.tidy import tidy_rule

# Karpathy's neuron o = tanh(x1*w1 + x2*w2 + b), at a point where its sum is 0: in floats -0.1 + 0.1 is 2.8e-17
NEURON = ("o = tanh(x1*w1 + x2*w2 + b)", "x1=1", "w1=0.5", "x2=2", "w2=-0.3", "b=0.1")


# ---------------------------------------------------------------------------------------------
# Exact by default, written as decimals

def test_the_neuron_key_adds_to_zero_in_every_format(cli):
    text = cli("explain", *NEURON)
    assert text.code == 0, text.err
    assert section(text.out, "Forward pass") == [
        "u1 = x1 * w1 = 1 * 0.5 = 0.5",
        "u2 = x2 * w2 = 2 * (-0.3) = -0.6",
        "u3 = u1 + u2 = 0.5 + (-0.6) = -0.1",
        "u4 = u3 + b = -0.1 + 0.1 = 0",
        "o = tanh(u4) = tanh(0) = 0",
    ]
    assert section(text.out, "Answer: o = 0") == [
        "∂o/∂x1 = 0.5", "∂o/∂w1 = 1", "∂o/∂x2 = -0.3", "∂o/∂w2 = 2", "∂o/∂b  = 1"]
    assert "e-17" not in text.out and "exact" not in text.out  # no note: the decimals are the answer
    markdown = cli("explain", *NEURON, "--format", "markdown").out
    assert "4. u4 = u3 + b = -0.1 + 0.1 = 0" in markdown.splitlines()
    latex = cli("explain", *NEURON, "--format", "latex").out
    assert r"  u_{4} &= u_{3} + b = -0.1 + 0.1 = 0 \\" in latex.splitlines()
    assert r"\frac{\partial o}{\partial x_{2}} &= -0.3" in latex


def test_float_gives_the_floats_of_before(cli):
    run = cli("explain", *NEURON, "--float")
    assert run.code == 0, run.err
    floats = 0.5 + 2 * -0.3  # the sums as floats add them, in the program's order
    assert f"u4 = u3 + b = -0.1 + 0.1 = {format_number(floats + 0.1)}" in section(run.out, "Forward pass")
    assert format_number(floats + 0.1) == "2.77556e-17"
    doc = cli("eval", *NEURON, "--json").json()  # eval computes in floats: the same numbers
    assert section(run.out, f"Answer: o = {format_number(doc['value'])}") == [
        f"∂o/∂{name}{' ' * (name == 'b')} = {format_number(doc['gradient'][name])}"
        for name in ("x1", "w1", "x2", "w2", "b")]


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex"])
def test_decimals_are_the_exact_values(fmt, cli):
    """A terminating decimal exactly, one that does not terminate rounded to --digits, in every format."""
    run = cli("explain", "e = a + b; f = e * c; g = f / d", "-a", "0.5", "-b", "0.125", "-c", "-2", "-d", "-3",
              "--format", fmt, "--digits", "5")
    assert run.code == 0, run.err
    exact = {"e": Fraction(5, 8), "f": Fraction(-5, 4), "g": Fraction(5, 12)}
    assert "0.625" in run.out and "-1.25" in run.out  # e and f, exactly
    assert format_number(float(exact["g"]), 5) == "0.41667" and "0.41667" in run.out  # g = 5/12, rounded
    assert "5/12" not in run.out and r"\frac{5}{12}" not in run.out
    fractions = cli("explain", "e = a + b; f = e * c; g = f / d", "-a", "0.5", "-b", "0.125", "-c", "-2", "-d", "-3",
                    "--format", fmt, "--exact").out
    assert ("5/12" if fmt != "latex" else r"\frac{5}{12}") in fractions  # --exact keeps the fractions


def test_an_irrational_value_is_a_float_and_the_rest_stays_exact(cli):
    run = cli("explain", "n = a/3; m = exp(n) * a; k = m/2", "-a", "0.3")
    assert run.code == 0, run.err
    lines = section(run.out, "Forward pass")
    assert lines[0] == "n = a / 3 = 0.3 / 3 = 0.1"  # exact: in floats 0.3/3 is 0.09999999999999999
    assert lines[1] == f"u1 = exp(n) = exp(0.1) = {format_number(2.718281828459045 ** 0.1)}"
    assert "∂k/∂m = 1/2 = 0.5" in run.out  # the rule 1/{1} with its literal 2, and its value as a decimal
    assert "exact" not in run.out


def test_exact_and_float_together_are_a_usage_error(cli, helpers):
    run = cli("explain", "x^2", "-x", "1", "--exact", "--float")
    assert run.code == 2 and run.out == ""
    helpers.assert_one_paragraph_error(run.err, "usage error")


def test_beyond_the_exact_limit_the_key_is_in_floats(cli):
    """Exact numbers past their limit (1.00001^1000 has 5,000 digits) fall back to floats, unless --exact asks
    for exactness, which is then a math error as before."""
    run = cli("explain", "y = (1 + x)^1000", "-x", "0.00001")
    assert run.code == 0, run.err
    assert section(run.out, "Answer: y = " + format_number(1.00001 ** 1000)) == [
        "∂y/∂x = " + format_number(1000 * 1.00001 ** 999)]
    assert cli("explain", "y = (1 + x)^1000", "-x", "0.00001", "--exact").code == 4


def test_exactly_beyond_float_range(cli):
    """sqrt(1e-300)*1e200 is rational: exactly 1e50, and its derivative y/(2 sqrt(x)) exactly 5e349, which no
    float holds (--float: too large, exit 4)."""
    run = cli("explain", "sqrt(x)*y", "-x", "1e-300", "-y", "1e200")
    assert run.code == 0, run.err
    assert Fraction(10**200) / (2 * Fraction(1, 10**150)) == 5 * 10**349
    assert section(run.out, "Answer: u2 = 1e50")[0] == "∂u2/∂x = 5e349"
    assert cli("explain", "sqrt(x)*y", "-x", "1e-300", "-y", "1e200", "--float").code == 4


def test_tensor_programs_are_exact_too(cli):
    run = cli("explain", "L = sum((W @ x + b)^2)", "W=[[0.1, 0.2], [0.3, 0.4]]", "x=[1, 2]", "b=[0, 0.5]")
    assert run.code == 0, run.err
    # W @ x + b = [0.5, 1.6] exactly; L = 0.25 + 2.56; ∂L/∂W = 2(Wx + b) xᵀ
    assert "Answer: L = 2.81" in run.out
    assert "∂L/∂W = [[1, 2], [3.2, 6.4]]" in run.out
    assert "∂L/∂u2 = ∂L/∂u3 ⊙ (2*u2)" in run.out  # the rule simplified at tensor level too
    floats = cli("explain", "L = sum((W @ x + b)^2)", "W=[[0.1, 0.2], [0.3, 0.4]]", "x=[1, 2]", "b=[0, 0.5]",
                 "--float").out
    doc = cli("eval", "L = sum((W @ x + b)^2)", "W=[[0.1, 0.2], [0.3, 0.4]]", "x=[1, 2]", "b=[0, 0.5]",
              "--json").json()
    assert f"Answer: L = {format_number(doc['value'])}" in floats


# ---------------------------------------------------------------------------------------------
# Simplified steps

# (rule as ops.py writes it, the operands' literals) -> as the key writes it
SIMPLIFIED = [
    ("{1}*{0}^({1} - 1)", (None, "2"), "2*{0}"),  # d x^2 / dx
    ("{1}*{0}^({1} - 1)", (None, "3"), "3*{0}^2"),
    ("{1}*{0}^({1} - 1)", (None, "1"), "1"),  # x^1: 1*x^0
    ("{1}*{0}^({1} - 1)", (None, "0.5"), "0.5*{0}^(-0.5)"),
    ("{1}*{0}^({1} - 1)", (None, "0"), "0"),
    ("{1}*{0}^({1} - 1)", (None, None), "{1}*{0}^({1} - 1)"),  # an exponent that is a name stays
    ("{0}^{1}*log({0})", ("2", None), "2^{1}*log(2)"),
    ("-{0}/{1}^2", ("3", None), "-3/{1}^2"),
    ("-{0}/{1}^2", ("0", None), "0"),
    ("1/{1}", (None, "2"), "1/2"),  # a quotient that is not whole stays a quotient
    ("1/{1}", (None, "1"), "1"),
    ("{1}", (None, "2"), "2"),
    ("sigmoid({1}*{0})", (None, "1"), "sigmoid({0})"),  # softplus with its default beta 1: 1*x is x
    ("{1}/({0}^2 + {1}^2)", ("0", None), "{1}/{1}^2"),  # 0^2 + y^2: 0 + ... dropped
    ("1 - {0}", ("-1",), "2"),  # 1 - (-1): --1 is +
    ("{0} - {1}", (None, "-2"), "{0} + 2"),
    ("{0} + {1}", (None, "-2"), "{0} - 2"),
    ("1/(2*sqrt({0}))", (None,), "1/(2*sqrt({0}))"),  # nothing to simplify: exactly as written
    ("1 if {0} > 0, else {1}", (None, "0.01"), "1 if {0} > 0, else {1}"),  # words: as written
]


@pytest.mark.parametrize("rule, literals, written", SIMPLIFIED)
def test_rules_are_written_simplified(rule, literals, written):
    assert tidy_rule(rule, literals) == written


def test_every_rule_without_literals_is_left_as_written():
    for op in OPS.values():
        texts = [op.derivative_text[0]] if op.variadic else op.derivative_text
        for text in texts:
            assert tidy_rule(text, ()) == text, (op.name, text)


@pytest.mark.parametrize("program, bindings, line", [
    ("y = x^2", ["-x", "3"], "∂y/∂x = 2*x = 2*3 = 6"),
    ("y = x^3", ["-x", "2"], "∂y/∂x = 3*x^2 = 3*2^2 = 12"),
    ("y = x^1", ["-x", "2"], "∂y/∂x = 1"),
    ("y = x^0.5", ["-x", "4"], "∂y/∂x = 0.5*x^(-0.5) = 0.5*4^(-0.5) = 0.25"),
    ("y = 3/x", ["-x", "0.5"], "∂y/∂x = -3/x^2 = -3/0.5^2 = -12"),
    ("y = softplus(x)", ["-x", "0"], "∂y/∂x = sigmoid(x) = sigmoid(0) = 0.5"),
])
def test_the_key_writes_the_simplified_rule_with_its_numbers(program, bindings, line, cli):
    run = cli("explain", program, *bindings)
    assert run.code == 0, run.err
    backward = section(run.out, "Backward pass")
    assert line in backward, backward
    # the number form, evaluated again as a program of its own, is the local derivative the key gives
    parts = line.split(" = ")
    if len(parts) == 4:
        doc = cli("eval", parts[2], "--json", "--exact").json()
        assert Fraction(doc["value"]).limit_denominator(10**6) == Fraction(parts[3])


def test_the_chain_rule_lines_take_the_simplified_rule(cli):
    run = cli("explain", "L = (w*x - y)^2", "-w", "0.5", "-x", "2", "-y", "3")
    assert run.code == 0, run.err
    backward = section(run.out, "Backward pass")
    assert "∂L/∂u2 = 2*u2 = 2*(-2) = -4" in backward
    assert not any("^(2 - 1)" in step for step in backward)


# ---------------------------------------------------------------------------------------------
# Short names, numbered with no gaps

def test_unnamed_nodes_are_numbered_with_no_gaps_in_every_format(cli):
    program = ("(a + 2)*(b + 3)/(a - b)", "-a", "1", "-b", "4")
    text = cli("explain", *program).out
    forward = section(text, "Forward pass")
    names = [line.split(" = ")[0] for line in forward]
    assert names == [f"u{k}" for k in range(1, len(names) + 1)]  # in the order computed, 1, 2, 3, ...
    doc = cli("eval", *program, "--json").json()
    ids = [node["id"] for node in doc["nodes"] if node.get("name") is None and node["op"] not in ("input", "const")]
    assert f"u1, u2, u3, u4, u5 (`{', '.join(ids)}` in `backprop eval`)" in " ".join(text.split())
    assert "The output is u5." in " ".join(text.split())
    markdown = cli("explain", *program, "--format", "markdown").out
    latex = cli("explain", *program, "--format", "latex").out
    for k in range(1, 6):
        assert f"u{k} = " in markdown and f"u_{{{k}}} &= " in latex
    assert not re.search(r"\bv\d+ = ", markdown) and "v_{" not in latex


def test_names_the_program_uses_are_not_taken(cli):
    run = cli("explain", "u1 = a*b; u2 = u1 + 1; y = u2*(a + 1)", "-a", "2", "-b", "3")
    assert run.code == 0, run.err
    assert "t1 = a + 1 = 2 + 1 = 3" in section(run.out, "Forward pass")


def test_wrt_takes_the_keys_names(cli):
    run = cli("explain", "(a + 2)*(b + 3)", "-a", "1", "-b", "4", "--wrt", "u2")
    assert run.code == 0, run.err
    assert section(run.out, "Answer: u3 = 21") == ["∂u3/∂u2 = 3"]
