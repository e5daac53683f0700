"""backprop hessian of programs with vectors and matrices: the matrix over the inputs' elements.

Oracles, each independent of the code under test:
- PyTorch 2.13 (torch.autograd.functional.hessian, float64), recorded in tests/data/training_observations.json
  by tests/data/observe_training.py: Mazur's network, softmax cross-entropy (a class index, a batch of them,
  probabilities), the reductions, softmax along an axis, transposes, mse, broadcasting, relu and maximum,
  indexing, slicing and a list of expressions;
- SymPy, exactly, on a program with rational values under --exact;
- the scalar engine's Hessian of Mazur's network written with scalars (tests/training/test_training.py's);
- the tensor engine: the program written out element by element (element_tape.py) has the tensor engine's
  value and gradient, for every kind of operation (indexing and list literals too).
"""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from backprop_cli.engine.arithmetic import EXACT, FLOAT
from backprop_cli.engine.bindings import value_of
from backprop_cli.engine.compute import differentiate
from backprop_cli.engine.element_tape import EXPANSIONS, MAX_SCALAR_NODES, element_names, write_out
from backprop_cli.engine.second import hessian
from backprop_cli.engine.tape import lower
from backprop_cli.engine.tensor.rules import TENSOR_OPS
from backprop_cli.engine.tensor_second import MAX_ELEMENTS, tensor_hessian
from backprop_cli.language.parser import parse

DATA = json.loads((Path(__file__).resolve().parents[1] / "data" / "training_observations.json").read_text())
assert DATA["version"] == "2.13.0+cpu"


def bindings(values: dict) -> list[str]:
    return [f"{name}={json.dumps(value)}" for name, value in values.items()]


def shape_of(value) -> tuple:
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0]
    return tuple(shape)


# -- PyTorch ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", DATA["hessians"], ids=[case["name"] for case in DATA["hessians"]])
def test_the_hessian_is_pytorchs(cli, case):
    run = cli("hessian", case["program"], *bindings(case["bindings"]), "--json")
    assert run.code == 0, run.err
    doc = run.json()
    labels = [label for name in case["differentiated"]
              for label in element_names(name, shape_of(case["bindings"][name]))]
    assert doc["hessian"]["names"] == labels
    assert doc["value"] == pytest.approx(case["value"], rel=1e-14)
    want = case["hessian"]
    scale = max(abs(x) for row in want for x in row)
    for got_row, want_row, label in zip(doc["hessian"]["matrix"], want, labels, strict=True):
        assert got_row == pytest.approx(want_row, rel=1e-12, abs=1e-14 * scale), label
    matrix = doc["hessian"]["matrix"]
    assert all(matrix[i][j] == matrix[j][i] for i in range(len(matrix)) for j in range(i))


def test_the_json_says_the_shapes_and_keeps_nested_lists(cli):
    case = next(c for c in DATA["hessians"] if c["name"] == "cross_entropy")
    doc = cli("hessian", case["program"], *bindings(case["bindings"]), "--json").json()
    assert doc["hessian"]["shapes"] == {"W": [3, 2], "x": [2], "b": [3]}
    assert doc["inputs"]["W"] == case["bindings"]["W"] and doc["inputs"]["k"] == 2.0
    assert shape_of(doc["gradient"]["W"]) == (3, 2) and "k" not in doc["gradient"]
    assert doc["convention"] == "pytorch" and "exact" not in doc


# -- SymPy, exactly -------------------------------------------------------------------------------------------

def test_exact_fractions_are_sympys():
    sympy = pytest.importorskip("sympy")
    source = "L = sum(matmul(W, x) / (1 + x*x)) + sum(W*W*W)/3"
    given = {"W": "[[1/2, -1], [2/3, 3]]", "x": "[1/3, -2]"}
    found = tensor_hessian(lower(parse(source)), {k: value_of(EXACT, v, k) for k, v in given.items()},
                           arithmetic=EXACT)

    w = sympy.Matrix(2, 2, sympy.symbols("w00 w01 w10 w11"))
    x = sympy.Matrix(sympy.symbols("x0 x1"))
    product = w * x
    L = sum(product[i] / (1 + x[i] ** 2) for i in range(2)) + sum(e ** 3 for e in w) / 3
    variables = [*w, *x]
    point = dict(zip(variables, [sympy.Rational(1, 2), -1, sympy.Rational(2, 3), 3, sympy.Rational(1, 3), -2]))
    want = sympy.hessian(L, variables).subs(point)
    assert found.names == ["W[0, 0]", "W[0, 1]", "W[1, 0]", "W[1, 1]", "x[0]", "x[1]"]
    for i, row in enumerate(found.matrix):
        for j, entry in enumerate(row):
            assert isinstance(entry, Fraction)
            assert entry == Fraction(int(want[i, j].p), int(want[i, j].q)), (i, j)


def test_exact_tables_say_every_entry_is_a_fraction(cli):
    run = cli("hessian", "L = sum(W*W*x)", "W=[[1/2, 2], [1, 3]]", "x=[1/3, 1]", "--exact", "--wrt", "W")
    assert run.code == 0, run.err
    assert "exact: every second derivative above is an exact fraction." in run.out
    assert "[[1/2, 2], [1, 3]]" in run.out  # W's value, as the eval tables write it
    assert run.out.splitlines()[-5].split() == ["W[0,", "0]", "2/3", "0", "0", "0"]  # d²/dW[0, 0]² of W[0, 0]^2 x[0]


# -- the scalar engine on Mazur's network ---------------------------------------------------------------------

MAZUR_SCALARS = """
h1 = sigmoid(w1*i1 + w2*i2 + b1)
h2 = sigmoid(w3*i1 + w4*i2 + b1)
o1 = sigmoid(w5*h1 + w6*h2 + b2)
o2 = sigmoid(w7*h1 + w8*h2 + b2)
E = 0.5*(t1 - o1)^2 + 0.5*(t2 - o2)^2
"""
# the matrix program's elements, in its order, and the scalar program's names for them
ELEMENTS = {"b1": "b1", "b2": "b2", "W1[0, 0]": "w1", "W1[0, 1]": "w2", "W1[1, 0]": "w3", "W1[1, 1]": "w4",
            "i[0]": "i1", "i[1]": "i2", "W2[0, 0]": "w5", "W2[0, 1]": "w6", "W2[1, 0]": "w7", "W2[1, 1]": "w8",
            "t[0]": "t1", "t[1]": "t2"}
SCALAR_POINT = {"i1": 0.05, "i2": 0.10, "w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30, "b1": 0.35, "w5": 0.40,
                "w6": 0.45, "w7": 0.50, "w8": 0.55, "b2": 0.60, "t1": 0.01, "t2": 0.99}


def test_mazurs_network_with_matrices_has_the_scalar_programs_hessian(cli):
    case = next(c for c in DATA["hessians"] if c["name"] == "mazur")
    doc = cli("hessian", case["program"], *bindings(case["bindings"]), "--json").json()
    assert doc["hessian"]["names"] == list(ELEMENTS)
    scalar = hessian(lower(parse(MAZUR_SCALARS)), SCALAR_POINT, list(ELEMENTS.values()))
    for got, want, label in zip(doc["hessian"]["matrix"], scalar.matrix, ELEMENTS, strict=True):
        assert got == pytest.approx(want, rel=1e-13, abs=1e-18), label


# -- the written-out tape is the program: the tensor engine's value and gradient -------------------------------

PROGRAMS = [
    ("L = sum(tanh(W @ x + b))", {"W": "[[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]", "x": "[1, -2, 0.5]",
                                   "b": "[0.1, 0.2]"}),
    ("L = sum(A @ B) + sum(x @ A) + x @ x + sum(matmul(A, x))",
     {"A": "[[1, 2], [3, 4]]", "B": "[[0.5, -1], [2, 0.25]]", "x": "[0.3, -0.7]"}),
    ("L = sum(A.T * B) + sum(transpose(x) * x) + sum(Bᵀ @ A.T)",
     {"A": "[[1, 2, 3], [4, 5, 6]]", "B": "[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]", "x": "[1, 2]"}),
    ("L = sum(mean(A, axis=0)) * sum(max(A, axis=1)) + min(A) + sum(logsumexp(A, axis=1)) + max(A) * mean(A)",
     {"A": "[[1, -2, 3], [0.5, 4, -1]]"}),
    ("L = norm(x) + sum(softmax(A, axis=0) * A) + sum(log_softmax(x))",
     {"x": "[3, -4, 1]", "A": "[[1, 2], [0, -1], [3, 0.5]]"}),
    ("L = cross_entropy(Z, y) + cross_entropy(z, p) + mse(z, p) + mse(Z, 2)",
     {"Z": "[[1, 2, 0.5], [-1, 0, 3]]", "y": "[2, 0]", "z": "[0.1, 0.7, -0.3]", "p": "[0.2, 0.3, 0.5]"}),
    ("L = sum(maximum(x, y) * leaky_relu(x - y, 0.2) + abs(x) / (1 + y^2)) + sum(x * c)",
     {"x": "[1, -2, 0.5]", "y": "[0.5, -1, 2]", "c": "3"}),
    ("L = sum(B + b * c)", {"B": "[[1, 2], [3, 4], [5, 6]]", "b": "[0.5, -1]", "c": "[[2], [3], [4]]"}),
]


def engine_check(tape, inputs):
    result = differentiate(tape, inputs, FLOAT, forward_mode=False)
    written = write_out(result)
    scalar = differentiate(written.tape, written.inputs, FLOAT, forward_mode=False)
    assert scalar.value == pytest.approx(float(result.value), rel=1e-13)
    gradient = scalar.gradient()
    tensor_gradient = result.gradient()
    for name, labels in written.elements.items():
        if name in result.no_gradient:
            continue
        want = result.flat(tensor_gradient[name]) if name in tensor_gradient else [0.0] * len(labels)
        assert [gradient[label] for label in labels] == pytest.approx(want, rel=1e-12, abs=1e-15), name


@pytest.mark.parametrize("source, given", PROGRAMS)
def test_the_written_out_program_has_the_tensor_engines_value_and_gradient(source, given):
    engine_check(lower(parse(source)), {name: value_of(FLOAT, v, name) for name, v in given.items()})


def test_indexing_and_stacking_are_written_out_as_elements():
    given = {"x": "[0.5, -1, 2]", "k": "2", "W": "[[1, 2, 3], [4, 5, 6]]", "a": "0.7"}
    tape = lower(parse("L = sum(x[k] * W[1]) + sum([a, 2*a] * x[0:2]) + W[:, ::-1][0, 0] * x[-1]"))
    inputs = {name: value_of(FLOAT, v, name) for name, v in given.items()}
    engine_check(tape, inputs)
    found = tensor_hessian(tape, inputs)
    # x[k] at k = 2 is the element x[2]: the index is read at the point, and is no row of the matrix
    assert found.inputs == ["x", "W", "a"] and found.names[:3] == ["x[0]", "x[1]", "x[2]"]
    at = {label: n for n, label in enumerate(found.names)}
    # L = x[2]*(W[1,0] + W[1,1] + W[1,2]) + a*x[0] + 2a*x[1] + W[0, 2]*x[2]
    assert found.matrix[at["x[2]"]][at["W[1, 1]"]] == 1.0 and found.matrix[at["x[2]"]][at["W[0, 2]"]] == 1.0
    assert found.matrix[at["a"]][at["x[1]"]] == 2.0 and found.matrix[at["a"]][at["x[0]"]] == 1.0
    assert found.matrix[at["x[0]"]][at["W[0, 0]"]] == 0.0 and found.matrix[at["x[2]"]][at["x[2]"]] == 0.0


def test_every_tensor_operation_can_be_written_out():
    missing = [name for name, op in TENSOR_OPS.items() if op.scalar is None and name not in EXPANSIONS]
    assert missing == []
    assert set(EXPANSIONS) <= set(TENSOR_OPS)


# -- limits, refusals and notes --------------------------------------------------------------------------------

def test_more_than_the_limit_of_elements_is_refused_naming_them(cli, helpers):
    run = cli("hessian", "L = sum(x*x) + sum(W)", "x=" + json.dumps(list(range(60))), "W=[[1, 2], [3, 4], [5, 6]]")
    assert (run.code, run.out) == (2, "")
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert run.err == (f"backprop: usage error: the Hessian over 66 input elements would have 4,356 entries; hessian "
                       f"takes at most {MAX_ELEMENTS} elements in all (x 60, W 6): name fewer inputs with --wrt\n")
    fewer = cli("hessian", "L = sum(x*x) + sum(W)", "x=" + json.dumps(list(range(60))), "W=[[1, 2], [3, 4], [5, 6]]",
                "--wrt", "W", "--json")
    assert fewer.code == 0 and fewer.json()["hessian"]["matrix"] == [[0.0] * 6] * 6


def test_a_program_too_big_to_write_out_is_refused(cli, helpers):
    side = 30  # a 30 x 30 product: 27,000 multiplications
    matrix = json.dumps([[1] * side] * side)
    run = cli("hessian", "L = sum(A @ B) * c", f"A={matrix}", f"B={matrix}", "c=2", "--wrt", "c")
    assert (run.code, run.out) == (2, "")
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert f"more than {MAX_SCALAR_NODES:,} scalar operations" in run.err


@pytest.mark.parametrize("argv, message", [
    (["L = softmax(x)", "x=[1, 2]"],
     "L is a tensor of shape (2,), and hessian differentiates a scalar twice: reduce it to one (sum, mean, a loss)"),
    (["L = cross_entropy(z, k)", "z=[1, 2, 3]", "k=1", "--wrt", "k"],
     "--wrt k: k is used only as an index, a whole number, so nothing is differentiated with respect to it"),
    (["L = sum(relu(x) * x)", "x=[0, 1]", "--convention", "right"],
     "--convention right is not yet for vectors and matrices: the tensor engine takes PyTorch's derivatives at a "
     "kink, and this program sits on one (leave out --convention)"),
])
def test_usage_errors(cli, helpers, argv, message):
    run = cli("hessian", *argv)
    assert (run.code, run.out) == (2, "")
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert run.err == f"backprop: usage error: {message}\n"


def test_no_second_derivative_is_a_math_error(cli, helpers):
    run = cli("hessian", "L = norm(x)", "x=[0, 0]")  # norm has no derivative at 0 (its gradient there is a kink's)
    assert (run.code, run.out) == (4, "")
    helpers.assert_one_paragraph_error(run.err, "math error")


def test_an_element_on_a_kink_gets_its_note(cli):
    run = cli("hessian", "L = sum(relu(x) * x)", "x=[0, 1]", "--json")
    assert run.json()["hessian"]["matrix"] == [[0.0, 0.0], [0.0, 2.0]]  # d²/dx² relu(x)*x = 2 step(x), 0 at 0
    tables = cli("hessian", "L = sum(relu(x) * x)", "x=[0, 1]")
    assert "note: v2 = relu(x) sits exactly on its kink at [0]" in " ".join(tables.out.split())


def test_a_big_matrix_is_left_to_json(cli):
    run = cli("hessian", "L = sum(x*x*x)", "x=" + json.dumps(list(range(17))))
    assert run.code == 0
    assert ("Hessian: ∂/∂row (∂L/∂column): 17 × 17 numbers, more columns than a table shows (at most 16); --json "
            "has them all, or name fewer inputs with --wrt") in " ".join(run.out.split())
    small = cli("hessian", "L = sum(x*x*x)", "x=" + json.dumps(list(range(16))))
    assert "x[15]" in small.out and "--json has them all" not in small.out


def test_the_table_labels_rows_and_columns_by_element(cli):
    run = cli("hessian", "L = sum(W*W*x)", "W=[[1, 2], [3, 4]]", "x=[5, 6]", "--wrt", "W")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    at = lines.index("Hessian: ∂/∂row (∂L/∂column)")
    assert lines[at + 1].split() == ["W[0,", "0]", "W[0,", "1]", "W[1,", "0]", "W[1,", "1]"]
    rows = [line.split() for line in lines[at + 3:at + 7]]
    # d²/dW_ij² (W_ij^2 x_j) = 2 x_j, nothing mixed
    assert rows == [["W[0,", "0]", "10", "0", "0", "0"], ["W[0,", "1]", "0", "12", "0", "0"],
                    ["W[1,", "0]", "0", "0", "10", "0"], ["W[1,", "1]", "0", "0", "0", "12"]]
