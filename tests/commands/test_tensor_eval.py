"""`backprop eval` with vectors and matrices, as a user runs it: bindings, --values, tables, JSON, errors, exit codes.

Every number is checked against NumPy by hand (or a fraction worked by hand); the commands and options
that do not handle tensors yet each refuse a tensor program with a usage error (exit 2), not a traceback.
"""
from __future__ import annotations

import json

import pytest

np = pytest.importorskip("numpy")

SUM_TANH = ["sum(tanh(x) * w)", "x=[1,2,3]", "w=[0.5,-1,2]"]


def numbers(text_rows: list[str]) -> list[float]:
    return [float(x) for x in text_rows]


def oracle_sum_tanh():
    x, w = np.array([1.0, 2, 3]), np.array([0.5, -1, 2])
    return np.sum(np.tanh(x) * w), (1 - np.tanh(x) ** 2) * w, np.tanh(x)


# -- bindings ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bindings", [
    ["x=[1,2,3]", "w=[0.5,-1,2]"],
    ["-x", "[1, 2, 3]", "-w", "[0.5, -1, 2]"],
    ["x=[1, 2, 3]", "w=[1/2, -1, 4/2]"],
    ["x=[1,2,3]", "w=[sqrt(1/4), -cos(0), 2]"],
])
def test_a_vector_is_bound_as_a_list_in_any_of_the_ways_a_number_is(cli, bindings):
    run = cli("eval", "sum(tanh(x) * w)", *bindings, "--json")
    assert run.code == 0, run.err
    doc = run.json()
    value, dx, dw = oracle_sum_tanh()
    assert doc["value"] == pytest.approx(value, rel=1e-15)
    assert doc["gradient"]["x"] == pytest.approx(dx.tolist(), rel=1e-15)
    assert doc["gradient"]["w"] == pytest.approx(dw.tolist(), rel=1e-15)
    assert doc["inputs"] == {"x": [1.0, 2.0, 3.0], "w": [0.5, -1.0, 2.0]}
    assert doc["shape"] == [] and [n["shape"] for n in doc["nodes"]] == [[3], [3], [3], [3], []]


def test_a_matrix_is_bound_as_nested_lists(cli):
    W, x = np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([1.0, -2.0])
    run = cli("eval", "L = sum(tanh(dot(W, x)))", "W=[[0.1,0.2],[0.3,0.4]]", "x=[1,-2]", "--json")
    assert run.code == 0, run.err
    doc = run.json()
    upstream = 1 - np.tanh(W @ x) ** 2
    assert np.allclose(doc["gradient"]["W"], np.outer(upstream, x), rtol=1e-14, atol=0)
    assert doc["gradient"]["x"] == pytest.approx((W.T @ upstream).tolist(), rel=1e-14)
    assert doc["nodes"][2]["expr"] == "W @ x" and doc["nodes"][2]["shape"] == [2]
    assert doc["nodes"][2]["rules"] == ["∂L/∂W = ∂L/∂v3 · xᵀ", "∂L/∂x = Wᵀ · ∂L/∂v3"]


def test_exact_keeps_every_element_a_fraction(cli):
    run = cli("eval", "y = sum(x * x) / 3", "x=[1/3, 1/2, 2]", "--exact", "--json")
    assert run.code == 0, run.err
    doc = run.json()
    # y = (1/9 + 1/4 + 4)/3 = 157/108; dy/dx = 2x/3 = [2/9, 1/3, 4/3]
    assert doc["exact"]["value"] == "157/108"
    assert doc["exact"]["gradient"]["x"] == ["2/9", "1/3", "4/3"]
    assert doc["exact"]["inputs"]["x"] == ["1/3", "1/2", "2"]
    assert doc["exact"]["lost_at"] is None
    tables = cli("eval", "y = sum(x * x) / 3", "x=[1/3, 1/2, 2]", "--exact")
    assert "[2/9, 1/3, 4/3]" in tables.out
    assert "exact: every value and gradient above is an exact fraction." in tables.out


@pytest.mark.parametrize("value, message", [
    ("[[1, 2], [3]]", "the value of W is ragged: the list at [1] has 1 element, the list at [0] has 2"),
    ("[[1, 2], 3]", "the value of W is ragged: at [1] there is a number where a list of 2 is expected"),
    ("[1, [2, 3]]", "the value of W is ragged: at [1] there is a list where a number is expected"),
    ("[1, 2", "the value of W, '[1, 2', is not a list of numbers: a '[' is not closed"),
    ("[]", "the value of W, '[]', is not a list of numbers: an empty list has no shape"),
    ("[1, y]", "the value of W at [1], 'y', is not a number: write a number or a constant expression, such as "
               "4/3, 0.67, pi or sqrt(2)/2"),
])
def test_a_list_that_is_not_a_tensor_of_numbers_is_refused_naming_where(cli, helpers, value, message):
    run = cli("eval", "sum(W)", f"W={value}")
    assert run.code == 2 and run.out == ""
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert run.err == f"backprop: usage error: {message}\n"


def test_an_index_input_must_be_a_whole_number(cli):
    run = cli("eval", "cross_entropy(z, k)", "z=[1,2,3]", "k=0.5")
    assert (run.code, run.out) == (2, "")
    assert run.err == ("backprop: usage error: k is an index in cross_entropy(z, k), so its value is a whole "
                       "number, not 0.5\n")


# -- --values FILE ----------------------------------------------------------------------------------------

def test_values_come_from_a_json_file_and_the_command_line_overrides_them(cli, tmp_path):
    path = tmp_path / "values.json"
    path.write_text(json.dumps({"x": [1, 2, 3], "w": [9, 9, 9]}))
    run = cli("eval", "sum(tanh(x) * w)", "--values", str(path), "w=[0.5,-1,2]", "--json")
    assert run.code == 0, run.err
    value, _, _ = oracle_sum_tanh()
    assert run.json()["value"] == pytest.approx(value, rel=1e-15)
    assert run.json()["inputs"]["w"] == [0.5, -1.0, 2.0]


def test_values_from_a_file_are_read_as_written(cli, tmp_path):
    path = tmp_path / "values.json"
    path.write_text('{"x": [0.1, 0.2], "b": 0.3}')
    run = cli("eval", "sum(x) + b", "--values", str(path), "--exact", "--json")
    assert run.code == 0, run.err
    assert run.json()["exact"]["value"] == "3/5"  # 0.1 + 0.2 + 0.3 exactly


@pytest.mark.parametrize("content, message", [
    ('{"x": [1, "a"]}', "--values {path}: the value of x at [1] is a string, not a number"),
    ('{"x": [1, [true]]}', "--values {path}: the value of x at [1, 0] is true, not a number"),
    ('{"x": null}', "--values {path}: the value of x is null, not a number or a list of numbers"),
    ('{"x": {"a": 1}}', "--values {path}: the value of x is an object, not a number or a list of numbers"),
    ('[1, 2]', 'the values file {path} holds a JSON list; it must be one object of values, as '
               '{{"W": [[0.1, 0.2], [0.3, 0.4]], "x": [1, 2], "b": 0.5}}'),
    ('{"x": NaN}', "the values file {path} is not JSON: NaN is not a number JSON has"),
    ('{"x": [1, 2', "the values file {path} is not JSON: "),
])
def test_a_values_file_that_does_not_hold_numbers_is_refused_naming_the_key(cli, helpers, tmp_path, content, message):
    path = tmp_path / "values.json"
    path.write_text(content)
    run = cli("eval", "sum(x)", "--values", str(path))
    assert (run.code, run.out) == (2, "")
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert run.err.startswith("backprop: usage error: " + message.format(path=path))


def test_a_missing_values_file_is_a_usage_error(cli, tmp_path):
    run = cli("eval", "sum(x)", "--values", str(tmp_path / "nope.json"))
    assert run.code == 2
    assert run.err.startswith(f"backprop: usage error: cannot read the values file {tmp_path / 'nope.json'}: ")


def test_a_values_file_name_with_a_nul_byte_is_a_usage_error(cli):
    # found by tests/whole/test_fuzz.py: open() raises ValueError (not OSError) for such a name
    run = cli("hessian", "-", "--values", "\x00")
    assert run.code == 2
    assert run.err.startswith("backprop: usage error: cannot read the values file '\\x00': a file name cannot hold")


# -- tables -----------------------------------------------------------------------------------------------

def test_the_tables_show_shapes_tensors_and_rules_at_tensor_level(cli):
    run = cli("eval", "y = dot(W, x); L = sum(y * y)", "W=[[1,2],[3,4],[5,6]]", "x=[1,-1]")
    assert run.code == 0, run.err
    W, x = np.array([[1.0, 2], [3, 4], [5, 6]]), np.array([1.0, -1])
    y = W @ x  # [-1, -1, -1]: L = 3, dL/dy = 2y, dL/dW = 2y xᵀ = [[-2, 2], [-2, 2], [-2, 2]], dL/dx = Wᵀ 2y
    assert run.out.startswith(f"L = {3}   (5 nodes, 2 inputs)\n")
    lines = run.out.splitlines()
    header = next(line for line in lines if line.startswith("node   name"))
    assert header.split() == ["node", "name", "operation", "shape", "value"]
    row = next(line for line in lines if line.startswith("v3 "))
    assert row.split()[:5] == ["v3", "y", "W", "@", "x"] and "(3,)" in row and "[-1, -1, -1]" in row
    assert "∂L/∂W = ∂L/∂y · xᵀ" in run.out and "∂L/∂x = Wᵀ · ∂L/∂y" in run.out
    assert str((2 * y).astype(int).tolist()) in run.out.replace(".0", "")  # [-2, -2, -2], dL/dy
    assert np.array_equal(np.outer(2 * y, x), [[-2, 2], [-2, 2], [-2, 2]])
    assert "[[-2, 2], [-2, 2], [-2, 2]]" in " ".join(run.out.split())  # maybe wrapped in its column
    assert np.array_equal(W.T @ (2 * y), [-18, -24])
    assert "[-18, -24]" in run.out


def test_a_big_tensor_is_abbreviated_with_its_shape(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # no cell wrapped
    W = np.arange(64 * 8).reshape(64, 8) / 100
    run = cli("eval", "L = sum(W * W)", f"W={W.tolist()}".replace(" ", ""))
    assert run.code == 0, run.err
    text = " ".join(run.out.split())
    assert "(64, 8) [[0, 0.01, 0.02, ...], [0.08, 0.09, 0.1, ...], ...]" in text  # the value
    assert "(64, 8) [[0, 0.02, 0.04, ...], [0.16, 0.18, 0.2, ...], ...]" in text  # the gradient 2W
    assert ("note: forward mode was skipped: the inputs hold 512 numbers, more than 64: forward mode would take a "
            "sweep per number; the reverse-mode gradients above are complete.") in text


def test_forward_mode_skipped_in_json_too(cli):
    run = cli("eval", "sum(x)", f"x={list(range(65))}".replace(" ", ""), "--json")
    doc = run.json()
    assert doc["forward_gradient"] is None
    assert doc["forward_skipped"].startswith("the inputs hold 65 numbers, more than 64")
    small = cli("eval", "sum(x)", f"x={list(range(64))}".replace(" ", ""), "--json").json()
    assert small["forward_gradient"]["x"] == [1.0] * 64 and "forward_skipped" not in small


def test_an_element_on_a_kink_gets_a_note(cli):
    run = cli("eval", "sum(relu(x) * w)", "x=[1,0,-1]", "w=[2,3,4]")
    assert run.code == 0, run.err
    assert ("note: v2 = relu(x) sits exactly on its kink at [1], where the derivative is a convention (PyTorch's), "
            "not a fact. One-sided derivatives: ∂/∂x[1]: left 0, right 1, used 0.") in " ".join(run.out.split())
    doc = cli("eval", "sum(relu(x) * w)", "x=[1,0,-1]", "w=[2,3,4]", "--json").json()
    assert doc["kinks"] == [{"id": "v2", "op": "relu", "at": [1], "sources": [{"arg": "v1", "element": [1]}],
                             "used": [0.0], "one_sided": [[0, 1]], "convention": "pytorch"}]
    assert doc["gradient"]["x"] == [2.0, 0.0, 0.0]


def test_an_index_input_has_no_gradient(cli):
    run = cli("eval", "L = cross_entropy(z, k)", "z=[0,3,-2,1]", "k=3")
    assert run.code == 0, run.err
    assert "none (an index)" in run.out
    doc = cli("eval", "L = cross_entropy(z, k)", "z=[0,3,-2,1]", "k=3", "--json").json()
    assert doc["no_gradient"] == ["k"] and "k" not in doc["gradient"]
    # Karpathy's answer key
    assert [round(g, 5) for g in doc["gradient"]["z"]] == [0.04177, 0.83902, 0.00565, -0.88645]


# -- a tensor output --------------------------------------------------------------------------------------

TENSOR_OUTPUT = ("backprop: usage error: the output is a tensor of shape (3,), and eval differentiates a scalar: "
                 "reduce it to one (sum, mean, an element such as [0], or a loss such as cross_entropy or mse), or "
                 "use backprop jacobian for the derivatives of every element\n")


def test_a_tensor_output_shows_its_values_and_asks_for_a_scalar_or_jacobian(cli):
    run = cli("eval", "softmax(z)", "z=[1,2,3]")
    assert run.code == 2
    s = np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum()
    assert run.out.startswith(f"softmax(z) = [{s[0]:.6g}, {s[1]:.6g}, {s[2]:.6g}]   (shape (3,); 2 nodes, 1 input)")
    assert "Forward pass" in run.out and "Backward pass" not in run.out
    assert run.err == TENSOR_OUTPUT
    named = cli("eval", "p = softmax(z)", "z=[1,2,3]")
    assert named.err == TENSOR_OUTPUT.replace("the output is", "p is")


def test_a_tensor_output_with_json_is_a_json_error(cli):
    run = cli("eval", "softmax(z)", "z=[1,2,3]", "--json")
    assert run.code == 2
    assert run.json()["error"]["kind"] == "usage"
    assert run.err == TENSOR_OUTPUT


# -- errors -----------------------------------------------------------------------------------------------

def test_shapes_that_do_not_fit_are_a_usage_error_with_a_caret(cli, helpers):
    run = cli("eval", "tanh(dot(W, x) + b)", "W=[[1,2,3],[4,5,6]]", "x=[1,2]", "b=[0,0]")
    assert (run.code, run.out) == (2, "")
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert run.err == ("backprop: usage error: W @ x: (2, 3) @ (2,) do not fit: the inner sizes 3 and 2 differ "
                       "(line 1, column 6)\n  tanh(dot(W, x) + b)\n       ^^^^^^^^^\n")
    doc = cli("eval", "tanh(dot(W, x) + b)", "W=[[1,2,3],[4,5,6]]", "x=[1,2]", "b=[0,0]", "--json").json()
    assert (doc["error"]["kind"], doc["error"]["line"], doc["error"]["column"]) == ("usage", 1, 6)


def test_a_math_error_names_the_element(cli, helpers):
    run = cli("eval", "sum(sqrt(x))", "x=[4,-1]")
    assert (run.code, run.out) == (4, "")
    helpers.assert_one_paragraph_error(run.err, "math error")
    assert "(at [1], where x[1] = -1.0) in v2 = sqrt(x)" in run.err and "^^^^^^^" in run.err


# -- not yet for vectors and matrices -------------------------------------------------------------------------

NOT_YET = ("is not yet for vectors and matrices: backprop eval gives their values and gradients, and backprop "
           "jacobian the Jacobian of a tensor output")


@pytest.mark.parametrize("argv, what", [
    (["eval", *SUM_TANH, "--symbolic"], "--symbolic"),
    (["eval", *SUM_TANH, "--direction", "x=1"], "--direction"),
])
def test_what_does_not_handle_tensors_yet_refuses_them_cleanly(cli, helpers, argv, what):
    run = cli(*argv)
    assert (run.code, run.out) == (2, ""), run.err
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert run.err == f"backprop: usage error: {what} {NOT_YET}\n"


def test_batch_refuses_tensors_cleanly(cli, helpers, tmp_path):
    points = tmp_path / "points.csv"
    points.write_text("w\n1\n2\n")
    run = cli("eval", "sum(tanh(x) * w)", "x=[1,2,3]", "--batch", str(points))
    assert (run.code, run.out) == (2, "")
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert run.err.startswith("backprop: usage error: --batch is not yet for vectors and matrices")
    syntax = cli("eval", "sum(softmax(w))", "--batch", str(points))
    assert syntax.code == 2 and "--batch is not yet for vectors and matrices" in syntax.err


def test_scalar_programs_keep_their_json(cli):
    doc = cli("eval", "(a+b)*c", "-a", "1", "-b", "2", "-c", "3", "--json").json()
    assert "shape" not in doc and all("shape" not in node and "local" in node for node in doc["nodes"])


# -- the full syntax: W @ x + b, W.T, x[k], literals -----------------------------------------------------------

def test_a_layer_written_as_the_courses_write_it(cli):
    W, x, b = np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([1.0, 2.0]), np.array([0.0, 0.5])
    doc = cli("eval", "h = tanh(W @ x + b); L = sum(h)", "W=[[0.1,0.2],[0.3,0.4]]", "x=[1,2]", "b=[0,0.5]",
              "--json").json()
    d = 1 - np.tanh(W @ x + b) ** 2
    assert doc["value"] == pytest.approx(np.tanh(W @ x + b).sum(), rel=1e-15)
    assert np.allclose(doc["gradient"]["W"], np.outer(d, x), rtol=1e-14)
    assert np.allclose(doc["gradient"]["x"], W.T @ d, rtol=1e-14)
    assert np.allclose(doc["gradient"]["b"], d, rtol=1e-14)
    assert [n["expr"] for n in doc["nodes"]][:5] == ["input", "input", "W @ x", "input", "v3 + b"]


@pytest.mark.parametrize("program", ["W.T @ v", "Wᵀ @ v", "transpose(W) @ v", "(v @ W)"])
def test_every_spelling_of_the_transpose(cli, program):
    doc = cli("eval", f"L = sum({program} * [1, 2, 3])", "W=[[1,2,3],[4,5,6]]", "v=[1,-1]", "--json").json()
    # Wᵀ v = [-3, -3, -3]; L = -18; dL/dv = W [1, 2, 3] = [14, 32]
    assert doc["value"] == -18.0
    assert doc["gradient"]["v"] == [14.0, 32.0]


def test_an_integer_input_picks_an_element(cli):
    doc = cli("eval", "L = -log(softmax(z)[k])", "z=[0,3,-2,1]", "k=3", "--json").json()
    assert [round(g, 5) for g in doc["gradient"]["z"]] == [0.04177, 0.83902, 0.00565, -0.88645]  # Karpathy's key
    assert doc["no_gradient"] == ["k"]
    run = cli("eval", "L = -log(softmax(z)[k])", "z=[0,3,-2,1]", "k=4")
    assert run.code == 2
    assert run.err.startswith("backprop: usage error: softmax(z)[k]: the index k = 4 is out of range for axis 0 of "
                              "size 4 (from -4 to 3)")


def test_literals_in_the_program(cli):
    run = cli("eval", "x = [1, 2, 3]; y = sum(x * [[1], [2]])", "--json")
    doc = run.json()
    assert doc["value"] == 18.0 and doc["gradient"]["x"] == [3.0, 3.0, 3.0]
    literal = doc["nodes"][1]
    assert (literal["op"], literal["expr"], literal["shape"], literal["value"]) == ("const", "[[1], [2]]", [2, 1],
                                                                                    [[1.0], [2.0]])
    override = cli("eval", "x = [1, 2, 3]; y = sum(x * [[1], [2]])", "x=[1,1,1]", "--json").json()
    assert override["value"] == 9.0
    table = cli("eval", "x = [1, 2, 3]; y = sum(x * [[1], [2]])")
    assert table.out.startswith("y = 18   (4 nodes, 1 input; x = [1, 2, 3] from the program)")


def test_a_list_of_expressions_is_stacked(cli):
    doc = cli("eval", "L = sum([a, 2*b, a*b] * [1, 10, 100])", "-a", "3", "-b", "2", "--json").json()
    # L = a + 20 b + 100 a b = 3 + 40 + 600; dL/da = 1 + 100 b = 201; dL/db = 20 + 100 a = 320
    assert doc["value"] == 643.0 and doc["gradient"]["a"] == 201.0 and doc["gradient"]["b"] == 320.0
    assert [n["op"] for n in doc["nodes"]].count("stack") == 1


def test_indexing_and_slicing_in_the_program(cli):
    doc = cli("eval", "L = W[1, 0] * W[-1][::-1][0] + sum(W[:, 1]) + sum(x[1:3])", "W=[[1,2],[3,4]]",
              "x=[10,20,30,40]", "--json").json()
    # W[1, 0] * W[1, 1] + W[0, 1] + W[1, 1] + 20 + 30 = 12 + 6 + 50
    assert doc["value"] == 68.0
    assert doc["gradient"]["W"] == [[0.0, 1.0], [4.0, 4.0]] and doc["gradient"]["x"] == [0.0, 1.0, 1.0, 0.0]


MAZUR_SCALAR = """
h1 = sigmoid(w1*i1 + w2*i2 + b1)
h2 = sigmoid(w3*i1 + w4*i2 + b1)
o1 = sigmoid(w5*h1 + w6*h2 + b2)
o2 = sigmoid(w7*h1 + w8*h2 + b2)
E = 0.5*(target_o1 - o1)^2 + 0.5*(target_o2 - o2)^2
"""  # the network of tests/training/test_training.py (Matt Mazur, "A Step by Step Backpropagation Example")
MAZUR_POINT = ["i1=0.05", "i2=0.10", "w1=0.15", "w2=0.20", "w3=0.25", "w4=0.30", "b1=0.35", "w5=0.40", "w6=0.45",
               "w7=0.50", "w8=0.55", "b2=0.60", "target_o1=0.01", "target_o2=0.99"]
MAZUR_NEW = {"W1": [[0.149780716, 0.19956143], [0.24975114, 0.29950229]],
             "W2": [[0.35891648, 0.408666186], [0.511301270, 0.561370121]]}  # his updated weights, to his digits


def test_mazurs_network_written_with_matrices_gives_the_scalar_gradients_and_his_sgd_step(cli):
    tensor = cli("eval", "h = sigmoid(W1 @ i + b1); o = sigmoid(W2 @ h + b2); E = sum(0.5*(t - o)^2)",
                 "i=[0.05, 0.10]", "W1=[[0.15, 0.20], [0.25, 0.30]]", "b1=0.35", "W2=[[0.40, 0.45], [0.50, 0.55]]",
                 "b2=0.60", "t=[0.01, 0.99]", "--json").json()
    scalar = cli("eval", "--", MAZUR_SCALAR, *MAZUR_POINT, "--json").json()
    assert tensor["value"] == pytest.approx(scalar["value"], rel=1e-15)
    grad = tensor["gradient"]
    pairs = [(grad["W1"][0][0], "w1"), (grad["W1"][0][1], "w2"), (grad["W1"][1][0], "w3"), (grad["W1"][1][1], "w4"),
             (grad["W2"][0][0], "w5"), (grad["W2"][0][1], "w6"), (grad["W2"][1][0], "w7"), (grad["W2"][1][1], "w8"),
             (grad["b1"], "b1"), (grad["b2"], "b2")]
    for g, name in pairs:
        assert g == pytest.approx(scalar["gradient"][name], rel=1e-14, abs=1e-17), name
    # one SGD step of learning rate 0.5 on the weights: Mazur's updated weights, each to the digits he prints
    for name, rows in MAZUR_NEW.items():
        for r, row in enumerate(rows):
            for c, want in enumerate(row):
                digits = len(repr(want).split(".")[1])
                moved = tensor["inputs"][name][r][c] - 0.5 * grad[name][r][c]
                assert moved == pytest.approx(want, abs=0.5 * 10 ** -digits + 1e-15), (name, r, c)
