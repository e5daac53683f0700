"""Functions the program defines, and keyword arguments in calls (issue 13).

Each function row: the program as typed, its canonical reading, the point, the same program with every call
replaced by hand with its body (one oracle: the tool on a program without functions), and the formula in
SymPy's syntax (the other oracle: SymPy's value and derivatives, nothing of the tool's).
"""
from __future__ import annotations

import math
import re
import time

import pytest

from backprop_cli.base.errors import ProgramError
from backprop_cli.engine.compute import differentiate
from backprop_cli.engine.tape import lower
from backprop_cli.language.limits import LimitError
from backprop_cli.language.parser import parse
from backprop_cli.language.printer import print_program
from conftest import strict_json


def read(source: str) -> str:
    return print_program(parse(source), "; ")


def computed(source: str, point: dict) -> tuple[float, dict]:
    """The tool's value and its gradient with respect to every input."""
    tape = lower(parse(source))
    result = differentiate(tape, {name: float(v) for name, v in point.items() if name in tape.inputs})
    return result.value, {name: result.grads[i] for name, i in tape.inputs.items()}


def sympy_oracle(formula: str, point: dict) -> tuple[float, dict]:
    """SymPy's value and partial derivatives of `formula` at `point` (the test's own strings only)."""
    import sympy as sp

    symbols = {name: sp.Symbol(name) for name in point}
    expr = sp.sympify(formula, locals={**symbols, "sigmoid": lambda t: 1 / (1 + sp.exp(-t)),
                                       "relu": lambda t: sp.Max(t, 0)})
    at = {symbols[name]: sp.nsimplify(value) for name, value in point.items()}
    value = float(expr.subs(at).evalf(30))
    grads = {name: float(sp.diff(expr, symbol).subs(at).evalf(30)) for name, symbol in symbols.items()}
    return value, grads


# typed, read as (the canonical program), point, the calls substituted by hand, the formula for SymPy
FUNCTIONS = [
    ("f(x) = x^2 + 1; y = f(a) * f(b)", "f(x) = x^2 + 1; y = f(a) * f(b)", dict(a=1.5, b=-0.5),
     "y = (a^2 + 1) * (b^2 + 1)", "(a**2 + 1)*(b**2 + 1)"),
    ("neuron(w, x, b) = sigmoid(w*x + b)\ny = neuron(w1, x1, b) + neuron(w2, x2, b)",
     "neuron(w, x, b) = sigmoid(w * x + b); y = neuron(w1, x1, b) + neuron(w2, x2, b)",
     dict(w1=0.5, x1=2, b=-0.25, w2=-1.5, x2=0.75),
     "y = sigmoid(w1*x1 + b) + sigmoid(w2*x2 + b)", "sigmoid(w1*x1 + b) + sigmoid(w2*x2 + b)"),
    # a parameter shadows the program's x only inside the body
    ("x = 3; f(x) = x^2; y = f(a) + x", "x = 3; f(x) = x^2; y = f(a) + x", dict(a=2, x=3),
     "x = 3; y = a^2 + x", "a**2 + x"),
    # lexical: the body's k is the k assigned before the definition, not the later one
    ("k = 2; f(x) = k*x; k = 5; y = f(a) + k", "k = 2; f(x) = k * x; k = 5; y = f(a) + k", dict(a=3, k=2),
     "k = 2; y = k*a + 5", "k*a + 5"),
    ("c = a; f(x) = x + c; c += 1; y = f(c)", "c = a; f(x) = x + c; c = c + 1; y = f(c)", dict(a=2),
     "y = (a + 1) + a", "2*a + 1"),
    # a function calls functions defined before it
    ("f(x) = x^2; g(x, y) = f(x)*y + f(y); z = g(a, b)", "f(x) = x^2; g(x, y) = f(x) * y + f(y); z = g(a, b)",
     dict(a=1.25, b=-2), "z = a^2*b + b^2", "a**2*b + b**2"),
    ("f(x) = exp(-x); y = f(f(a))", "f(x) = exp(-x); y = f(f(a))", dict(a=0.5), "y = exp(-exp(-a))",
     "exp(-exp(-a))"),
    ("f1(x) = x + 1; f2(x) = f1(x)*f1(x); f3(x) = f2(x)*f2(x); y = f3(a)",
     "f1(x) = x + 1; f2(x) = f1(x) * f1(x); f3(x) = f2(x) * f2(x); y = f3(a)", dict(a=0.5),
     "y = ((a + 1)*(a + 1))*((a + 1)*(a + 1))", "(a + 1)**4"),
    # bodies that are a parameter, a constant, an input of the program; no parameters
    ("f(x) = x; y = f(a) * 3", "f(x) = x; y = f(a) * 3", dict(a=2), "y = a * 3", "3*a"),
    ("f(x) = 2; y = f(a) * a", "f(x) = 2; y = f(a) * a", dict(a=5), "y = 2 * a", "2*a"),
    ("f(x) = x * w; y = f(a) + f(b)", "f(x) = x * w; y = f(a) + f(b)", dict(a=2, b=3, w=-1),
     "y = a*w + b*w", "a*w + b*w"),
    ("c() = a*b; y = c() + c()", "c() = a * b; y = c() + c()", dict(a=2, b=3), "y = a*b + a*b", "2*a*b"),
    # arguments by keyword, in any order
    ("f(x, y) = x - y^2; z = f(y=a, x=b)", "f(x, y) = x - y^2; z = f(y=a, x=b)", dict(a=2, b=7),
     "z = b - a^2", "b - a**2"),
    # what a body may hold: defaults filled in, implicit products, Unicode, methods, modules
    ("f(x) = leaky_relu(x); y = f(a)", "f(x) = leaky_relu(x); y = f(a)", dict(a=-2), "y = leaky_relu(a, 0.01)",
     "a/100"),
    ("f(x) = 2x² + 1; y = f(a)", "f(x) = 2 * x^2 + 1; y = f(a)", dict(a=3), "y = 2*a^2 + 1", "2*a**2 + 1"),
    ("f(x) = x.relu() + math.exp(x); y = f(a)", "f(x) = relu(x) + exp(x); y = f(a)", dict(a=0.5),
     "y = relu(a) + exp(a)", "relu(a) + exp(a)"),
    ("f(θ) = sin(θ)·θ; y = f(α)", "f(θ) = sin(θ) * θ; y = f(α)", dict(α=0.75), "y = sin(α)*α", "sin(α)*α"),
    ("f(x) = x^2; y = a; y += f(y)", "f(x) = x^2; y = a; y = y + f(y)", dict(a=3), "y = a + a^2", "a + a**2"),
    # a definition after the output statement is not the output
    ("f(x) = x^3; y = f(a); g(x) = x", "f(x) = x^3; y = f(a); g(x) = x", dict(a=2), "y = a^3", "a**3"),
]


@pytest.mark.parametrize("typed,reading,point,substituted,formula", FUNCTIONS)
def test_a_call_is_its_body_with_the_arguments_for_the_parameters(typed, reading, point, substituted, formula):
    assert read(typed) == reading
    assert read(reading) == reading  # the reading is itself a program that reads the same
    value, grads = computed(typed, point)
    by_hand_value, by_hand = computed(substituted, point)
    assert value == pytest.approx(by_hand_value, rel=1e-12)
    assert grads == pytest.approx(by_hand, rel=1e-12, abs=1e-300)
    oracle_value, oracle = sympy_oracle(formula, point)
    assert value == pytest.approx(oracle_value, rel=1e-12)
    assert grads == pytest.approx({name: oracle[name] for name in grads}, rel=1e-12, abs=1e-15)


def test_a_call_is_expanded_where_it_stands_with_its_result_labelled():
    tape = lower(parse("f(x) = x^2 + 1; y = f(a) * f(b)"))
    rows = [(node.id, tape.label(i), tape.expression(i)) for i, node in enumerate(tape.nodes)
            if node.op not in ("input", "const")]
    assert rows == [("v3", "v3", "a^2"), ("v5", "f(a)", "v3 + 1"), ("v8", "v8", "b^2"), ("v10", "f(b)", "v8 + 1"),
                    ("v11", "y", "f(a) * f(b)")]
    assert tape.nodes[-1].call is None  # y is a product, not the result of a call
    assert tape.named == {"a": 0, "b": 5, "y": 10}  # labels are not names: gradient answers refer to names
    assert tape.functions == ("f(x) = x^2 + 1",)


@pytest.mark.parametrize("source,labels", [
    ("f(x) = x^2; y = f(a)", {"y": "f(a)"}),  # named by the assignment: the call is kept as `call`
    ("neuron(w, x, b) = sigmoid(w*x + b); neuron(w1, x1, b)", {"v6": "neuron(w1,x1,b)"}),
    ("f(x) = 2x; f(3)", {"v3": "f(3)"}),
    ("f(x) = x; f(a)", {"v2": "f(a)"}),  # the body is its parameter: a copy node of its own carries the label
    ("f(x) = exp(x); f(f(a))", {"v2": "f(a)", "v3": "f(f(a))"}),
    ("f(x) = exp(x); f(-a)", {"v3": "f(v2)"}),
    ("f(x, y) = x*y; f(very_long_name_number_one, very_long_name_number_two)", {"v3": "f(v1,v2)"}),
])
def test_the_result_of_a_call_is_labelled_with_the_call(source, labels):
    tape = lower(parse(source))
    got = {node.id if node.name is None else node.name: node.call for node in tape.nodes if node.call}
    assert got == labels
    for i, node in enumerate(tape.nodes):
        if node.call:
            assert tape.label(i) == (node.name or node.call)


def test_functions_are_listed_once_each_and_only_when_called():
    tape = lower(parse("f(x) = x^2; g(x) = f(x) + f(x); unused(x) = x; y = g(a) + g(b) + f(a)"))
    assert tape.functions == ("f(x) = x^2", "g(x) = f(x) + f(x)")
    assert lower(parse("y = a")).functions == ()


def exit_and_caret(cli, source: str) -> tuple[int, str, str]:
    """(exit code, the message's first line, the text under the carets) of `backprop eval SOURCE`."""
    run = cli("eval", source)
    lines = run.err.splitlines()
    shown, carets = lines[1], lines[2]
    start = carets.index("^")
    width = carets.count("^")
    assert shown[2:] == source  # one line, shown whole
    return run.code, lines[0], source[start - 2:start - 2 + width]


# program, message (after "backprop: syntax error: "), the text under the carets
ERRORS = [
    ("f(x) = f(x) + 1; y = f(a)", "f calls itself; a function cannot be recursive", "f(x)"),
    ("f(x) = 2*exp(f(x - 1)); y = f(a)", "f calls itself; a function cannot be recursive", "f(x - 1)"),
    ("f(x) = x; y = g(a)", "unknown function g", "g(a)"),
    ("square(x) = x^2; y = sqaure(a)", "unknown function sqaure (did you mean square?)", "sqaure(a)"),
    ("f(x) = x; y = f(a, b)", "f takes 1 argument (x), not 2", "f(a, b)"),
    ("f(x, y) = x*y; y = f(a)", "f takes 2 arguments (x, y), not 1", "f(a)"),
    ("f(x, y) = x*y; g(x) = f(x); y = g(a)", "f takes 2 arguments (x, y), not 1", "f(x)"),
    ("sin(x) = x; y = sin(a)", "sin is one of the tool's functions; a function needs a name of its own", "sin"),
    ("ln(x) = x; y = ln(a)", "ln is one of the tool's functions; a function needs a name of its own", "ln"),
    ("Value(x) = x; y = Value(a)", "Value is one of the tool's functions; a function needs a name of its own",
     "Value"),
    ("pi(x) = x; y = pi(a)", "pi is a constant; a function needs a name of its own", "pi"),
    ("a = 2; a(x) = x; y = a(1)", "a is a variable of the program; a function needs a name of its own", "a"),
    ("y = f*2; f(x) = x; y", "f is a variable of the program; a function needs a name of its own", "f"),
    ("f(x) = x; f(x) = 2*x; y = f(a)", "f is defined twice; a function is defined once", "f"),
    ("f(x) = x; f = 3; f", "f is a function and cannot be assigned", "f"),
    ("f(x) = x; y = f + 1", "f is a function; call it as f(...)", "f"),
    ("f(x) = x; g(x) = f * x; y = g(a)", "f is a function; call it as f(...)", "f"),
    ("f(x) = x*k; k = 2; y = f(a)",
     "k is used in f before it is assigned; a function uses the names assigned before its definition", "k"),
    ("f(x) = g(x); g(x) = x; y = f(a)",
     "g is defined after f; a function calls only the functions defined before it", "g(x)"),
    ("f(x, 2) = x; y = f(a, 1)", "a parameter must be a name, as in f(x, y) = x*y", "2"),
    ("f(x*y) = x; y = f(a)", "a parameter must be a name, as in f(x, y) = x*y", "x*y"),
    ("f(x, x) = x; y = f(a, b)", "parameter x appears twice", "x"),
    ("f(x=1) = x; y = f(a)", "a parameter must be a name: f(x, y) = ... has no keywords", "x=1"),
    ("f(pi) = pi; y = f(a)", "pi is a constant and cannot be a parameter", "pi"),
    ("f(exp) = exp; y = f(a)", "exp is one of the tool's functions and cannot be a parameter", "exp"),
    ("g(x) = x; f(g) = g; y = f(a)", "g is a function of the program and cannot be a parameter", "g"),
    ("f(x) = x^2", "the program only defines functions: add an expression that uses them, as in f(x) = x^2; "
     "y = f(a)", "f(x) = x^2"),
    ("f(x) = sqrt(x, 2); y = f(a)", "sqrt takes 1 argument, not 2", "sqrt(x, 2)"),
    # keyword arguments
    ("F.leaky_relu(x, negative_slop=0.2)", "unknown keyword negative_slop for leaky_relu (did you mean "
     "negative_slope?): its keywords are input, negative_slope", "negative_slop"),
    ("F.softplus(x, threshold=20)", "unknown keyword threshold for softplus: its keywords are input, beta",
     "threshold"),
    ("exp(x=2)", "exp takes no argument by keyword (x=...)", "x"),
    ("leaky_relu(x, 0.1, negative_slope=0.2)", "negative_slope is given twice, by position and by keyword",
     "negative_slope"),
    ("leaky_relu(negative_slope=0.2)", "leaky_relu is missing its argument input", "leaky_relu(negative_slope=0.2)"),
    ("f(x, y) = x*y; z = f(1, x=2)", "x is given twice, by position and by keyword", "x"),
    ("f(x, y) = x*y; z = f(y=2)", "f is missing its argument x", "f(y=2)"),
    ("f(x, y) = x*y; z = f(a, y=2, w=3)", "unknown keyword w for f: its keywords are x, y", "w"),
    ("leaky_relu(negative_slope=0.2, x)", "an argument without a keyword cannot follow one with a keyword "
     "(negative_slope=...), as in Python", "x"),
    ("leaky_relu(x, negative_slope=0.2, negative_slope=0.3)", "keyword negative_slope is given twice",
     "negative_slope"),
    ("Value(2.0, lable='a')", "unknown keyword lable for Value (did you mean label?): its keywords are data, label",
     "lable"),
    ("Value(2.0, label=a)", "label is a string: label='a'", "a"),
    ("torch.tensor(2.0, requires_grad=yes)", "requires_grad is True or False: requires_grad=True", "yes"),
    ("Value(2.0, data=1)", "data is given twice, by position and by keyword", "data"),
    ("relu(x, label='a')", "a string is only ever a label, as in Value(2.0, label='a')", "'a'"),
    ("x = 'a'", "expected a number, a name, '(', '+' or '-', found the string 'a'", "'a'"),
]


@pytest.mark.parametrize("source,message,under", ERRORS)
def test_errors_say_what_is_wrong_with_a_caret(cli, source, message, under):
    code, first, underlined = exit_and_caret(cli, source)
    assert code == 3
    assert re.fullmatch(r"backprop: syntax error: (.*) \(line 1, column \d+\)", first).group(1) == message
    assert underlined == under


def test_an_unknown_function_lists_the_programs_functions_too(cli):
    run = cli("eval", "square(x) = x^2; y = sqaure(a)")
    assert "  defined by the program (before this line): square" in run.err.splitlines()


def test_a_long_chain_of_definitions_is_no_recursion():
    """10,000 functions each calling the one before: expanded with an explicit stack, never RecursionError."""
    lines = ["f1(x) = x*x + 1", *(f"f{k}(x) = f{k - 1}(x) + 1" for k in range(2, 10_001)), "y = f10000(a)"]
    tape = lower(parse("\n".join(lines)))
    result = differentiate(tape, {"a": 0.5})
    assert result.value == 0.25 + 10_000
    assert result.grads[tape.inputs["a"]] == 1.0
    assert tape.nodes[tape.output].call == "f10000(a)" and tape.output_name == "y"
    assert len(tape.functions) == 10_000


def test_calls_nested_ten_thousand_deep():
    source = "f(x) = x + 1; y = " + "f(" * 10_000 + "a" + ")" * 10_000
    tape = lower(parse(source))
    result = differentiate(tape, {"a": 0.5})
    assert result.value == 10_000.5 and result.grads[tape.inputs["a"]] == 1.0
    labels = [node.call for node in tape.nodes if node.call]
    assert labels[:2] == ["f(a)", "f(f(a))"]
    assert max(map(len, labels)) <= 40  # nested labels fall back to ids: never 10,000 levels of text


def doubling(levels: int) -> str:
    lines = ["f1(x) = x*x + 1", *(f"f{k}(x) = f{k - 1}(x) * f{k - 1}(x)" for k in range(2, levels + 1))]
    return "\n".join(lines + [f"y = f{levels}(a)"])


def test_a_doubling_blow_up_is_refused_before_it_is_expanded(cli):
    """f_k calls f_(k-1) twice: 2^60 nodes. The node limit is checked before a call is expanded: an error at
    once, never a hang or a MemoryError."""
    started = time.perf_counter()
    with pytest.raises(LimitError) as caught:
        lower(parse(doubling(60)))
    assert time.perf_counter() - started < 5
    assert caught.value.message.startswith("with f60(a) expanded the program would have more than 2,000,000 "
                                           "nodes, the limit")
    assert "set BACKPROP_MAX_NODES to allow more" in caught.value.message
    run = cli("eval", doubling(60), "-a", "1")
    assert run.code == 3 and run.err.startswith("backprop: limit exceeded: with f60(a) expanded")
    assert run.err.splitlines()[2].strip() == "^" * len("f60(a)")
    assert strict_json(cli("eval", "--json", doubling(60), "-a", "1").out)["error"]["line"] == 61


def test_the_node_limit_is_a_setting(monkeypatch):
    monkeypatch.setenv("BACKPROP_MAX_NODES", "200")
    tape = lower(parse(doubling(5)))  # 16 copies of f1's 3 nodes, and the products: under 200
    result = differentiate(tape, {"a": 0.5})
    assert result.value == pytest.approx(1.25 ** 16)
    assert result.grads[tape.inputs["a"]] == pytest.approx(16 * 1.25 ** 15 * 2 * 0.5)
    with pytest.raises(LimitError, match="more than 200 nodes"):
        lower(parse(doubling(7)))
    monkeypatch.setenv("BACKPROP_MAX_NODES", "many")
    with pytest.raises(Exception, match="BACKPROP_MAX_NODES must be a positive whole number"):
        lower(parse(doubling(2)))


# ------------------------------------------------------------------------------------------------
# What the user sees: tables, JSON, pictures, explain

PROGRAM = "f(x)=x^2+1; y = f(a) * f(b)"


def test_the_tables_label_a_call_with_the_call(cli):
    run = cli("eval", PROGRAM, "-a", "1", "-b", "2")
    assert run.code == 0, run.err
    tables = run.out.split("\n\n")
    forward = {line.split()[0]: line.split()[1:] for line in tables[1].splitlines() if re.match(r"v\d+ ", line)}
    assert forward["v5"] == ["f(a)", "v3", "+", "1", "2"]
    assert forward["v11"] == ["y", "f(a)", "*", "f(b)", "10"]
    backward = [line.split() for line in tables[2].splitlines()]
    assert ["v10", "f(b)", "y:", "2", "2"] in [words[:5] for words in backward]  # named by its call
    assert ["v8", "f(b):", "2", "2"] in [words[:4] for words in backward]


def test_the_json_has_the_call_of_each_result(cli):
    doc = strict_json(cli("eval", "--json", PROGRAM, "-a", "1", "-b", "2").out)
    calls = {node["id"]: node.get("call") for node in doc["nodes"]}
    assert calls == {"v1": None, "v2": None, "v3": None, "v4": None, "v5": "f(a)", "v6": None, "v7": None,
                     "v8": None, "v9": None, "v10": "f(b)", "v11": None}
    last = doc["nodes"][-1]
    assert last["name"] == "y" and last["expr"] == "f(a) * f(b)"
    assert doc["gradient"] == {"a": 10, "b": 8, "y": 1}  # names only: a call's label is not a name


def test_pictures_label_a_call_with_the_call(cli):
    run = cli("eval", PROGRAM, "-a", "1", "-b", "2", "--graph", "dot")
    assert run.code == 0, run.err
    assert "<b>v5 f(a)</b>" in run.out and "∂f(a)/∂v3 = 1" in run.out


def test_explain_shows_the_function_once_and_labels_its_calls(cli):
    run = cli("explain", PROGRAM, "-a", "1", "-b", "2")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[2] == "Function: f(x) = x^2 + 1"
    assert run.out.count("x^2 + 1") == 1  # the program line has it as typed, x^2+1
    assert "  f(a) = u1 + 1 = 1 + 1 = 2" in lines
    assert "  y = f(a) * f(b) = 2 * 5 = 10" in lines
    assert "  ∂y/∂f(a) = f(b) = 5" in lines
    assert "called by the call (`f(a)`)" in " ".join(run.out.split())
    assert "v5" not in run.out  # a call's result is never called by its id
    markdown = cli("explain", PROGRAM, "-a", "1", "-b", "2", "--format", "markdown").out
    assert "**Function:** `f(x) = x^2 + 1`" in markdown.splitlines()
    latex = cli("explain", PROGRAM, "-a", "1", "-b", "2", "--format", "latex").out
    assert r"\noindent Function: $f\left(x\right) = x^{2} + 1$." in latex.splitlines()
    assert r"  f\left(a\right) &= u_{1} + 1 = 1 + 1 = 2 \\" in latex.splitlines()


def test_explain_lists_several_functions(cli):
    run = cli("explain", "f(x) = x^2; g(x) = f(x) + 1; y = g(a)", "-a", "3")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[2:5] == ["Functions:", "  f(x) = x^2", "  g(x) = f(x) + 1"]
    assert "  f(a) = a^2 = 3^2 = 9" in lines and "  y = f(a) + 1 = 9 + 1 = 10" in lines


# ------------------------------------------------------------------------------------------------
# Everything else sees the expanded tape

def test_exact_symbolic_and_check(cli):
    run = cli("eval", "--json", "--exact", "--symbolic", "--check", "f(x) = x^2 + x/3; y = f(a) * f(b)",
              "-a", "1/2", "-b", "3")
    assert run.code == 0, run.err
    doc = strict_json(run.out)
    # y = (a^2 + a/3)(b^2 + b/3): at a = 1/2, b = 3: f(a) = 5/12, f(b) = 10
    assert doc["exact"]["value"] == "25/6"
    assert doc["exact"]["gradient"]["a"] == "40/3" and doc["exact"]["gradient"]["b"] == "95/36"
    assert doc["check"]["ok"] is True
    import sympy as sp

    a, b = sp.symbols("a b")
    for name, symbol in (("a", a), ("b", b)):
        formula = sp.sympify(doc["symbolic"][name].replace("^", "**"), locals={"a": a, "b": b})
        assert sp.simplify(formula - sp.diff((a**2 + a / 3) * (b**2 + b / 3), symbol)) == 0


def test_check_hessian_step_and_batch(cli, tmp_path):
    program = "neuron(w, x, b) = tanh(w*x + b); y = neuron(w1, x1, b) * neuron(w2, x2, b)"
    point = ["w1=0.5", "x1=2", "b=-0.25", "w2=-1.5", "x2=0.75"]
    values, grads = computed(program, dict(w1=0.5, x1=2, b=-0.25, w2=-1.5, x2=0.75))
    answers = [f"--expect={name}={grads[name]!r}" for name in ("w1", "b")]
    assert cli("check", program, *point, *answers).code == 0
    hessian = strict_json(cli("hessian", "--json", "f(x) = x^3; y = f(a) * f(b)", "-a", "2", "-b", "-1").out)
    # y = a^3 b^3: d2y/da2 = 6 a b^3, d2y/dadb = 9 a^2 b^2, d2y/db2 = 6 a^3 b
    assert hessian["hessian"] == {"names": ["a", "b"], "matrix": [[-12, 36], [36, -48]]}
    step = strict_json(cli("step", "--json", "f(x) = x^2; y = f(a)", "-a", "3", "--lr", "0.1").out)
    assert step["after"]["inputs"]["a"] == pytest.approx(2.4)
    points = tmp_path / "points.csv"
    points.write_text("a,b\n1,2\n0,1\n")
    run = cli("eval", "f(x) = x^2 + 1; y = f(a) * f(b)", "--batch", str(points))
    assert run.code == 0, run.err
    assert run.out.splitlines()[1:] == ["10,10,8,1", "2,0,2,1"]  # the batch CSV layout of issue 16


# ------------------------------------------------------------------------------------------------
# Keyword arguments, as PyTorch and micrograd code write them

# typed, read as, point, value, gradient (by hand: leaky_relu(x, s) = s*x for x < 0, softplus(x, beta) =
# log(1 + exp(beta*x))/beta, elu(x, alpha) = alpha*(exp(x) - 1) for x < 0)
KEYWORDS = [
    ("F.leaky_relu(x, negative_slope=0.2)", "leaky_relu(x, negative_slope=0.2)", -1, -0.2, 0.2),
    ("x.leaky_relu(negative_slope=0.3)", "leaky_relu(x, negative_slope=0.3)", -2, -0.6, 0.3),
    ("F.leaky_relu(input=x, negative_slope=0.1)", "leaky_relu(input=x, negative_slope=0.1)", -1, -0.1, 0.1),
    ("F.leaky_relu(negative_slope=0.1, input=x)", "leaky_relu(negative_slope=0.1, input=x)", -1, -0.1, 0.1),
    ("F.leaky_relu(input=x)", "leaky_relu(input=x)", -1, -0.01, 0.01),  # the default, as leaky_relu(x)
    ("F.softplus(x, beta=2)", "softplus(x, beta=2)", 0.5, math.log(1 + math.e) / 2, 1 / (1 + math.exp(-1))),
    ("F.elu(x, alpha=0.5)", "elu(x, alpha=0.5)", -1, 0.5 * (math.exp(-1) - 1), 0.5 * math.exp(-1)),
]


@pytest.mark.parametrize("typed,reading,x,value,grad", KEYWORDS)
def test_keyword_arguments_name_the_parameters(typed, reading, x, value, grad):
    assert read(typed) == reading
    got_value, got = computed(typed, {"x": x})
    assert got_value == pytest.approx(value, rel=1e-14)
    assert got["x"] == pytest.approx(grad, rel=1e-14)


# typed, read as, the defaults the program gives
WRAPPERS = [
    ("a = torch.tensor(2.0, requires_grad=True); y = a * x", "a = 2.0; y = a * x", {"a": "2.0"}),
    ("a = torch.tensor(2.0, requires_grad=False); y = a * x", "a = 2.0; y = a * x", {"a": "2.0"}),
    ("a = Value(2.0, label='a'); y = a * x", "a = 2.0; y = a * x", {"a": "2.0"}),
    ('b = Value(-3.0, label="b"); y = b * x', "b = -3.0; y = b * x", {"b": "-3.0"}),
    ("a = Value(data=2.0); y = a * x", "a = 2.0; y = a * x", {"a": "2.0"}),
    ("a = np.array(3.0); y = a * x", "a = 3.0; y = a * x", {"a": "3.0"}),
    ("y = x * torch.tensor(2.0, requires_grad=True)", "y = x * 2.0", {}),
]


@pytest.mark.parametrize("typed,reading,defaults", WRAPPERS)
def test_number_wrappers_take_their_keywords(typed, reading, defaults):
    assert read(typed) == reading
    assert lower(parse(typed)).defaults == defaults


LECTURE = """\
# the neuron of micrograd's lecture, its values labelled as the lecture writes them
x1 = Value(2.0, label='x1')
x2 = Value(0.0, label='x2')
w1 = Value(-3.0, label='w1')
w2 = Value(1.0, label='w2')
b = Value(6.8813735870195432, label='b')
neuron(x1, x2, w1, w2, b) = (x1*w1 + x2*w2 + b).tanh()
o = neuron(x1, x2, w1, w2, b)
"""


def test_the_lecture_neuron_with_labels_and_a_function():
    """The lecture's numbers: o = 0.7071, do/dx1 = -1.5, do/dw1 = 1, do/dx2 = 0.5, do/dw2 = 0."""
    tape = lower(parse(LECTURE))
    result = differentiate(tape, {})
    grads = {name: result.grads[i] for name, i in tape.inputs.items()}
    assert f"{result.value:.4f}" == "0.7071"
    assert grads == pytest.approx({"x1": -1.5, "x2": 0.5, "w1": 1.0, "w2": 0.0, "b": 0.5}, abs=1e-12)
    assert tape.nodes[tape.output].call == "neuron(x1,x2,w1,w2,b)"


def test_a_definition_and_keywords_in_a_value_are_not_numbers(cli):
    run = cli("eval", "x^2", "-x", "f(x)=2")
    assert run.code == 2 and "is not a number" in run.err


def test_a_program_error_in_a_body_points_into_the_body():
    with pytest.raises(ProgramError) as caught:
        lower(parse("f(x) = x * sin(x, x); y = f(a)"))
    assert "sin takes 1 argument, not 2" in caught.value.message
    assert "(line 1, column 12)" in caught.value.message


@pytest.mark.parametrize("source,message,column", [
    ("a = Value(2.0, label='ab\u202e')", "character U+202E (RIGHT-TO-LEFT OVERRIDE) in a string: a string holds "
     "printable ASCII and Greek letters", 25),
    ("a = Value(2.0, label='\x01')", "character U+0001 in a string: a string holds printable ASCII and Greek "
     "letters", 23),
    ("a = Value(2.0, label='ab)", "unexpected character U+0027", 22),  # no string: the quote is the mistake
    ('a = Value(2.0, label="ab\n")', "unexpected character '\"'", 22),
    ("f'(x)", "unexpected character U+0027", 2),
])
def test_a_string_holds_printable_text_only(source, message, column):
    """A string is echoed with the program, so it may hold no control or invisible character (as comments)."""
    with pytest.raises(ProgramError) as caught:
        parse(source)
    assert caught.value.message.startswith(f"{message} (line 1, column {column})")


def test_a_label_may_be_any_printable_text():
    assert read("a = Value(2.0, label='x1*w1 + b'); b = Value(1, label=\"θ's #1\"); a*b") == "a = 2.0; b = 1; a * b"
