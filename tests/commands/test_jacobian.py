"""`backprop jacobian`: the full Jacobian of a tensor (or scalar) output, each input's against NumPy by hand
(or fractions worked by hand), in tables and in JSON."""
from __future__ import annotations

import pytest

np = pytest.importorskip("numpy")


def softmax(z):
    e = np.exp(np.asarray(z, dtype=float) - max(z))
    return e / e.sum()


def test_the_softmax_jacobian_is_diag_s_minus_s_s_transposed(cli):
    run = cli("jacobian", "softmax(z)", "z=[1,2,3]", "--json")
    assert run.code == 0, run.err
    doc = run.json()
    s = softmax([1, 2, 3])
    assert doc["shape"] == [3] and doc["value"] == pytest.approx(s.tolist(), rel=1e-15)
    assert doc["jacobian"]["z"]["shape"] == [3, 3]
    assert np.allclose(doc["jacobian"]["z"]["value"], np.diag(s) - np.outer(s, s), rtol=1e-14, atol=1e-17)


def test_the_table_has_a_row_per_output_element_and_a_column_per_input_element(cli):
    run = cli("jacobian", "softmax(z)", "z=[1,2,3]")
    assert run.code == 0, run.err
    s = softmax([1, 2, 3])
    J = np.diag(s) - np.outer(s, s)
    lines = run.out.splitlines()
    assert lines[0] == f"softmax(z) = [{s[0]:.6g}, {s[1]:.6g}, {s[2]:.6g}]   (shape (3,); 2 nodes, 1 input)"
    assert lines[2].split() == ["∂out/∂z", "(3,)", "×", "(3,)"]
    assert lines[3].split() == ["z[0]", "z[1]", "z[2]"]
    for i in range(3):
        row = lines[5 + i].split()
        assert row[0] == f"out[{i}]"
        assert [float(x) for x in row[1:]] == pytest.approx(J[i].tolist(), rel=5e-6)


def test_exact_fractions_worked_by_hand(cli):
    # y_i = x_i / S: dy_i/dx_j = δ_ij / S - x_i / S², with x = [1, 2, 3] and S = 6
    run = cli("jacobian", "y = x / sum(x)", "x=[1,2,3]", "--exact", "--json")
    assert run.code == 0, run.err
    doc = run.json()
    assert doc["exact"]["value"] == ["1/6", "1/3", "1/2"]
    assert doc["exact"]["jacobian"]["x"] == [["5/36", "-1/36", "-1/36"], ["-1/18", "1/9", "-1/18"],
                                             ["-1/12", "-1/12", "1/12"]]
    table = cli("jacobian", "y = x / sum(x)", "x=[1,2,3]", "--exact")
    assert table.out.splitlines()[5].split() == ["y[0]", "5/36", "-1/36", "-1/36"]
    assert "exact: every entry above is an exact fraction." in table.out


def test_a_matrix_input_gives_output_shape_plus_input_shape(cli):
    W, x, b = np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([1.0, 2.0]), np.array([0.0, 0.5])
    run = cli("jacobian", "h = tanh(dot(W, x) + b)", "W=[[0.1,0.2],[0.3,0.4]]", "x=[1,2]", "b=[0,0.5]", "--json")
    assert run.code == 0, run.err
    doc = run.json()
    d = 1 - np.tanh(W @ x + b) ** 2
    dW = np.einsum("ij,k->ijk", np.diag(d), x)  # dh_i/dW_jk = d_i δ_ij x_k
    assert doc["jacobian"]["W"]["shape"] == [2, 2, 2]
    assert np.allclose(doc["jacobian"]["W"]["value"], dW, rtol=1e-14, atol=0)
    assert np.allclose(doc["jacobian"]["x"]["value"], d[:, None] * W, rtol=1e-14)
    assert np.allclose(doc["jacobian"]["b"]["value"], np.diag(d), rtol=1e-14)
    table = cli("jacobian", "h = tanh(dot(W, x) + b)", "W=[[0.1,0.2],[0.3,0.4]]", "x=[1,2]", "b=[0,0.5]", "--wrt", "W")
    assert table.out.splitlines()[2].split() == ["∂h/∂W", "(2,)", "×", "(2,", "2)"]
    assert table.out.splitlines()[3].split() == ["W[0,", "0]", "W[0,", "1]", "W[1,", "0]", "W[1,", "1]"]
    assert "∂h/∂x" not in table.out


def test_a_scalar_programs_jacobian_is_its_gradient(cli):
    jac = cli("jacobian", "x*y^2 + sin(x)", "-x", "2", "-y", "3", "--json").json()
    grad = cli("eval", "x*y^2 + sin(x)", "-x", "2", "-y", "3", "--json").json()["gradient"]
    assert jac["jacobian"] == {"x": {"shape": [], "value": grad["x"]}, "y": {"shape": [], "value": grad["y"]}}
    assert grad["y"] == 12.0


def test_an_index_has_no_jacobian(cli):
    run = cli("jacobian", "cross_entropy(z, k)",
              "z=[0,3,-2,1]", "k=3", "--json")
    assert run.code == 0, run.err
    doc = run.json()
    assert doc["jacobian"]["k"] is None
    assert [round(g, 5) for g in doc["jacobian"]["z"]["value"]] == [0.04177, 0.83902, 0.00565, -0.88645]
    assert "∂out/∂k: none (k is an index)" in cli("jacobian", "cross_entropy(z, k)", "z=[0,3,-2,1]", "k=3").out


def test_a_jacobian_too_wide_for_a_table_is_left_to_json(cli):
    run = cli("jacobian", "y = 2 * x", f"x={list(range(17))}".replace(" ", ""))
    assert run.code == 0, run.err
    assert ("∂y/∂x (17,) × (17,): 17 × 17 numbers, more columns than a table shows (at most 16); --json has them "
            "all") in " ".join(run.out.split())
    doc = cli("jacobian", "y = 2 * x", f"x={list(range(17))}".replace(" ", ""), "--json").json()
    assert np.array_equal(doc["jacobian"]["x"]["value"], 2 * np.eye(17))


@pytest.mark.parametrize("argv, code, start", [
    (["jacobian", "dot(W, x)", "W=[[1,2]]", "x=[1,2,3]"], 2, "backprop: usage error: W @ x: (1, 2) @ (3,) do not fit"),
    (["jacobian", "log(x)", "x=[1,-1]"], 4, "backprop: math error: log is defined for positive numbers only (at [1]"),
    (["jacobian", "2*x", "x=[1,2]", "--wrt", "y"], 2, "backprop: usage error: --wrt y: the program has no input y"),
    (["jacobian", "2*x"], 2, "backprop: usage error: x needs a value"),
])
def test_errors_have_their_exit_codes(cli, helpers, argv, code, start):
    run = cli(*argv)
    assert (run.code, run.out) == (code, "")
    helpers.assert_one_paragraph_error(run.err)
    assert run.err.startswith(start)


def test_jacobian_is_a_command_with_help(cli):
    assert "jacobian" in cli("--help").out
    help_text = cli("jacobian", "--help").out
    assert "The Jacobian of PROGRAM's output at a point" in help_text and "--wrt" in help_text
