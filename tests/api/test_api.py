"""The public Python API (backprop_cli/api.py) against the command line: the same JSON, the same errors,
the same tables, worked solutions, pictures and grades, on tables of programs."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest
from clirun import run_main

import backprop_cli as bp
from backprop_cli.base.errors import BackpropError

CONVENTIONS = ("pytorch", "jax", "tensorflow", "left", "right")

# program, bindings (as the command line takes them), exact
PROGRAMS = [
    ("(a+b)*c/d", {"a": "5", "b": "1", "c": "-2", "d": "-3"}, False),
    ("(a+b)*c/d", {"a": "5", "b": "1", "c": "-2", "d": "-3"}, True),
    ("e = a + b; f = e * c; g = f / d", {"a": "5", "b": "1", "c": "-2", "d": "-3"}, False),
    ("tanh(w1*x1 + b)", {"w1": "0.5", "x1": "2", "b": "-1"}, False),
    ("o = sigmoid(x*w + b)", {"x": "1/3", "w": "0.1", "b": "pi"}, True),
    ("x = 3; y = x^2 + z", {"z": "1"}, False),
    ("log(x) + y", {"x": "-1", "y": "2"}, False),  # undefined: exit 4, the rest shown
    ("1/x", {"x": "0"}, True),
    ("sum(tanh(x) * w)", {"x": "[1, 2, 3]", "w": "[0.5, -1, 2]"}, False),
    ("L = sum((X @ w - y)^2) / 2", {"X": "[[1, 2], [3, 4]]", "w": "[1, -1]", "y": "[0, 1]"}, True),
    ("L = cross_entropy(W @ x, k)", {"W": "[[0.1, 0.2], [0.3, -0.4]]", "x": "[1, 2]", "k": "1"}, False),
] + [
    (program, bindings, exact)
    for program, bindings in (("relu(x) + abs(y)", {"x": "0", "y": "0"}), ("max(x, y) * floor(z)",
                              {"x": "1", "y": "1", "z": "2"}), ("sum(relu(v))", {"v": "[0, 1, -1]"}))
    for exact in (False, True)
]


def argv(program: str, bindings: dict, exact: bool, convention: str = "pytorch") -> list[str]:
    return ["eval", program, *(f"{k}={v}" for k, v in bindings.items()), "--json", "--convention", convention,
            *(["--exact"] if exact else [])]


@pytest.mark.parametrize("program, bindings, exact", PROGRAMS)
@pytest.mark.parametrize("convention", CONVENTIONS)
def test_the_api_and_eval_json_give_the_same_document(program, bindings, exact, convention):
    run = run_main(argv(program, bindings, exact, convention))
    if run.code == 2:  # the tensor engine takes PyTorch's derivatives only, and says so: the API too
        with pytest.raises(BackpropError) as caught:
            bp.evaluate(program, bindings, exact=exact, convention=convention)
        assert run.err == f"backprop: usage error: {caught.value.message}\n"
        return
    assert run.code in (0, 4), run.err
    result = bp.evaluate(program, bindings, exact=exact, convention=convention)
    assert run.out == result.to_json() + "\n"
    assert (run.code == 4) == bool(result.undefined) == (result.error() is not None)
    doc = json.loads(run.out)
    assert result.nodes == doc["nodes"]
    if not exact and not result.raw.tensor:  # the numbers as Python reads them from the JSON
        assert result.gradient == doc["gradient"] and result.value == doc["value"]


def test_numbers_are_floats_or_fractions_and_undefined_is_none():
    r = bp.evaluate("(a+b)*c/d", a=5, b=1, c=-2, d=-3, exact=True)
    assert r.value == 4 and type(r.value) is Fraction
    assert r.gradient == {"a": Fraction(2, 3), "b": Fraction(2, 3), "c": -2, "d": Fraction(4, 3)}
    assert r.forward_gradient == r.gradient
    f = bp.evaluate("(a+b)*c/d", {"a": 5.0, "b": 1}, c=Fraction(-2), d="-3")
    assert f.value == 4.0 and type(f.value) is float and f.gradient["d"] == 4 / 3
    u = bp.evaluate("log(x) + y", x=-1, y=2)
    assert u.value is None and u.gradient["x"] is None
    assert "log" in u.undefined["value"]
    assert isinstance(u.error(), bp.MathError)


def test_tensors_are_nested_lists():
    r = bp.evaluate("L = sum((X @ w - y)^2) / 2", X=[[1, 2], [3, 4]], w=[1, -1], y=[0, 1], exact=True)
    assert r.value == Fraction(5, 2)  # X @ w - y = [-1, -2]
    assert r.gradient["w"] == [-7, -10] and r.gradient["X"] == [[-1, 1], [-2, 2]]


@pytest.mark.parametrize("value", [0.1, 1e-300, 2.5e300, -0.0, 1 / 3, 12345678.9])
def test_a_python_float_reaches_the_engine_unchanged(value):
    assert bp.evaluate("x * 1", x=value).value == value


# program, bindings, API-only extra keyword arguments
ERRORS = [
    ("(a+b", {}),
    ("x^2", {}),
    ("x^2", {"x": "abc"}),
    ("x^2", {"x": "1", "y": "2"}),
    ("foo(x)", {"x": "1"}),
    ("sin(x, y)", {"x": "1", "y": "2"}),
    ("W @ x", {"W": "[[1, 2], [3, 4]]", "x": "[1, 2, 3]"}),
    ("tanh(x)", {"x": "[1, 2]"}),
    ("x^2", {"x": "1e400"}),
    ("x +\n  * y", {"x": "1", "y": "2"}),
]


@pytest.mark.parametrize("program, bindings", ERRORS)
def test_errors_have_the_command_line_message_kind_line_and_column(program, bindings):
    run = run_main(argv(program, bindings, False))
    with pytest.raises(BackpropError) as caught:
        bp.evaluate(program, bindings)
    error = caught.value
    assert run.code == error.exit_code
    assert run.err == f"backprop: {error.kind}: {error.message}\n"
    expected = json.loads(run.out)["error"]
    assert (expected["line"], expected["column"]) == (error.line, error.column)
    assert expected["message"] == str(error)


@pytest.mark.parametrize("call", [
    lambda: bp.evaluate(123),
    lambda: bp.evaluate("x", x=object()),
    lambda: bp.evaluate("x", x=True),
    lambda: bp.evaluate("x", x=None),
    lambda: bp.evaluate("x", [1, 2]),
    lambda: bp.evaluate("x", {"x": 1}, x=2),
    lambda: bp.evaluate("x", x=float("nan")),
    lambda: bp.evaluate("x", x=float("inf")),
    lambda: bp.evaluate("x", convention="numpy", x=1),
    lambda: bp.evaluate("x", x=[1, [2]]),
    lambda: bp.evaluate("x", x=1).graph("svg"),
    lambda: bp.evaluate("x", x=1).explain("pdf"),
    lambda: bp.evaluate("x", x=1).check(rtol=-1),
    lambda: bp.evaluate("x*y", x=1, y=2).hessian(["z"]),
    lambda: bp.grade("x", [], x=1),
    lambda: bp.grade("x", ["nonsense"], x=1),
    lambda: bp.grade("x", {"x": "1"}, x=1, tolerance=-1),
    lambda: bp.compile(None),
    lambda: bp.compile("x", convention="?"),
    lambda: bp.compile("x*y")(x=1),
    lambda: bp.compile("x*y").value_and_grad(x=[1, 2], y=[1, 2, 3]),
    lambda: bp.compile("x*y").value_and_grad(x=["a"], y=1),
    lambda: bp.compile("x*y").value_and_grad(x=[[1]], y=1),
    lambda: bp.compile("x*y").value_and_grad(x=[1.0, float("nan")], y=1),
    lambda: bp.compile("x*y").value_and_grad(x=[1.0], y=1, z=2),
    lambda: bp.compile("x*y").value_and_grad(x=[1.0]),
    lambda: bp.compile("[x, 1] @ [2, 3]").value_and_grad(x=[1.0]),
])
def test_bad_input_raises_only_the_family(call):
    with pytest.raises(BackpropError) as caught:
        call()
    assert caught.value.message and caught.value.exit_code in (2, 3, 4)


POINT = ("e = a*b; d = e + c; L = d*f", {"a": "2", "b": "-3", "c": "10", "f": "-2"})


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex", "html"])
@pytest.mark.parametrize("exact", [False, True])
def test_explain_is_the_explain_command(fmt, exact):
    program, bindings = POINT
    run = run_main(["explain", program, *(f"{k}={v}" for k, v in bindings.items()), "--format", fmt,
                    "--exact" if exact else "--float"])
    assert run.code == 0
    assert bp.evaluate(program, bindings, exact=exact).explain(fmt) == run.out


def test_explain_of_a_tensor_program_and_wrt():
    program, bindings = "L = sum(tanh(W @ x + b))", {"W": "[[0.1, 0.2], [0.3, 0.4]]", "x": "[1, 2]", "b": "[0, 0.5]"}
    run = run_main(["explain", program, *(f"{k}={v}" for k, v in bindings.items()), "--float", "--wrt", "W[1, 0]"])
    assert bp.evaluate(program, bindings).explain(wrt="W[1, 0]") == run.out


@pytest.mark.parametrize("fmt", ["dot", "mermaid", "tree"])
def test_graph_is_eval_graph(fmt):
    program, bindings = POINT
    run = run_main(["eval", program, *(f"{k}={v}" for k, v in bindings.items()), "--graph", fmt],
                   env={"COLUMNS": None, "NO_COLOR": None, "FORCE_COLOR": None})
    assert run.code == 0
    assert bp.evaluate(program, bindings).graph(fmt) == run.out


def test_tables_are_eval_tables_and_rich_renders_them():
    program, bindings = POINT
    run = run_main(["eval", program, *(f"{k}={v}" for k, v in bindings.items())],
                   env={"COLUMNS": None, "NO_COLOR": None, "FORCE_COLOR": None})
    result = bp.evaluate(program, bindings)
    assert result.tables() == run.out
    assert result.__rich__() is not None
    assert "<svg" in result._repr_html_() and "∂L/∂" in result._repr_markdown_()


def test_check_symbolic_hessian_and_directional_are_evals():
    run = run_main(["eval", "x^2*y", "-x", "3", "-y", "2", "--json", "--check", "--symbolic", "--direction", "x=1"])
    doc = json.loads(run.out)
    r = bp.evaluate("x^2*y", x=3, y=2)
    report = r.check()
    assert report.ok and doc["check"]["ok"]
    assert r.to_json(check=report) == json.dumps({k: v for k, v in doc.items()
                                                   if k not in ("symbolic", "directional")})
    assert r.symbolic() == doc["symbolic"] == {"x": "2*y*x", "y": "x^2"}
    assert r.directional({"x": 1}) == doc["directional"]["value"] == 12.0
    hessian = json.loads(run_main(["hessian", "x^2*y", "-x", "3", "-y", "2", "--json"]).out)["hessian"]
    assert r.hessian() == hessian == {"names": ["x", "y"], "matrix": [[4.0, 6.0], [6.0, 0.0]]}


@pytest.mark.parametrize("answers", [
    {"value": 4, "a": "2/3", "d": 1.3},
    {"d": "-4/3", "b": 0.66},
    ["value=4", "c=-2", "dg/da=0.67"],
])
def test_grade_is_check(answers):
    program, bindings = "(a+b)*c/d", {"a": "5", "b": "1", "c": "-2", "d": "-3"}
    items = answers if isinstance(answers, list) else [f"{k}={v}" for k, v in answers.items()]
    expect = [arg for item in items for arg in ("--expect", item)]
    if "dg/da=0.67" in items:
        program = "g = (a+b)*c/d"
    run = run_main(["check", program, *(f"{k}={v}" for k, v in bindings.items()), *expect, "--json"])
    graded = bp.grade(program, answers, bindings)
    # the same document, but for where each answer came from: "--expect d=4/3" there, "answer d=4/3" here
    assert run.out == graded.to_json().replace('"where": "answer ', '"where": "--expect ') + "\n"
    assert graded.ok == (run.code == 0)
    doc = json.loads(run.out)
    assert [(v.target, v.status, v.given) for v in graded.verdicts] == \
        [(a["name"], a["verdict"], a["given"]) for a in doc["answers"]]


def test_a_wrong_answer_is_diagnosed():
    wrong = bp.grade("(a+b)*c/d", {"d": "-4/3"}, a=5, b=1, c=-2, d=-3)  # the sign of d(1/d)/dd dropped
    (verdict,) = wrong.verdicts
    assert (verdict.target, verdict.given, verdict.status, verdict.ok) == ("d", "-4/3", "wrong", False)
    assert verdict.correct == 4 / 3 and not wrong.ok
    assert wrong.diagnoses


def test_the_api_is_exported_lazily():
    import backprop_cli

    assert {"evaluate", "grade", "compile", "Result", "Function", "BackpropError"} <= set(dir(backprop_cli))
    with pytest.raises(AttributeError):
        backprop_cli.no_such_thing  # noqa: B018
