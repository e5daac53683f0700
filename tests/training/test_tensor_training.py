"""backprop step and backprop optimize on vectors and matrices: every element moves as a scalar input does.

Oracles, each independent of the code under test:
- PyTorch 2.13's torch.optim (float64): three steps of sgd, momentum (Nesterov, weight decay), adagrad
  (lr decay, initial accumulator), rmsprop (centered, momentum), adam (maximize, weight decay) on
  E = mse(tanh(W @ x + b), y), recorded in tests/data/training_observations.json by
  tests/data/observe_training.py;
- the scalar engine: the same program written with one input per element, run by the same command, moves
  each of them as the tensor program moves the element (the optimizer's state is per element);
- Matt Mazur's network written with matrices: its gradients and its SGD step are the scalar version's
  (tests/training/test_training.py) and his published numbers.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from test_training import MAZUR, MAZUR_NEW, MAZUR_START, MAZUR_WEIGHTS, _to_its_digits

np = pytest.importorskip("numpy")

DATA = json.loads((Path(__file__).resolve().parents[1] / "data" / "training_observations.json").read_text())
assert DATA["version"] == "2.13.0+cpu"
PROBLEM = DATA["problem"]


def bindings(values: dict) -> list[str]:
    return [f"{name}={json.dumps(value)}" for name, value in values.items()]


def shape_of(value) -> tuple:
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        value = value[0]
    return tuple(shape)


def flat(value) -> list:
    items = [value]
    while isinstance(items[0], list):
        items = [x for row in items for x in row]
    return items


def lines(run) -> list[dict]:
    assert run.code == 0, run.err
    return [json.loads(line) for line in run.out.splitlines() if line]


def optimize(cli, program, given, *options) -> list[dict]:
    return lines(cli("optimize", program, *bindings(given), "--json", *options))


# -- PyTorch's optimizers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("case", DATA["optimizers"], ids=[case["name"] for case in DATA["optimizers"]])
def test_each_optimizer_moves_the_tensors_as_torch_optim_does(cli, case):
    docs = optimize(cli, PROBLEM["program"], PROBLEM["bindings"], "--update", ",".join(PROBLEM["update"]),
                    "--steps", str(PROBLEM["steps"]), *case["options"])
    summary = docs[-1]["summary"]
    values = [doc["value"] for doc in docs[:-1]] + [summary["final"]["value"]]
    assert values == pytest.approx(case["values"], rel=1e-13)
    for name, want in case["final"].items():
        got = summary["final"]["inputs"][name]
        assert shape_of(got) == shape_of(want)  # nested lists, as the tensor is
        assert flat(got) == pytest.approx(flat(want), rel=1e-13), name
    assert summary["final"]["inputs"]["x"] == PROBLEM["bindings"]["x"]  # the data stay
    assert summary["update"] == PROBLEM["update"]


# -- element by element, as the scalar engine moves scalars ------------------------------------------------

MATRIX = "E = mse(tanh(W @ x + b), y)"
SCALARS = """
z0 = tanh(w00*x0 + w01*x1 + w02*x2 + b0)
z1 = tanh(w10*x0 + w11*x1 + w12*x2 + b1)
E = ((z0 - y0)^2 + (z1 - y1)^2) / 2
"""
SCALAR_NAMES = {"W": [["w00", "w01", "w02"], ["w10", "w11", "w12"]], "b": ["b0", "b1"]}


def scalar_bindings(values: dict) -> list[str]:
    """x=[1, 2, -1] as x0=1 x1=2 x2=-1; W and b under SCALAR_NAMES."""
    found = []
    for name, value in values.items():
        labels = flat(SCALAR_NAMES.get(name, [f"{name}{k}" for k in range(len(flat(value)))]))
        found += [f"{label}={x}" for label, x in zip(labels, flat(value), strict=True)]
    return found


@pytest.mark.parametrize("options", [
    ["--optimizer", "sgd", "--lr", "0.3"],
    ["--optimizer", "momentum", "--lr", "0.1", "--nesterov"],
    ["--optimizer", "adagrad", "--lr", "0.2", "--initial-accumulator", "0.5"],
    ["--optimizer", "rmsprop", "--centered", "--momentum", "0.3"],
    ["--optimizer", "adam", "--lr", "0.05", "--weight-decay", "0.2"],
    ["--optimizer", "adam", "--ascent"],
])
def test_each_element_moves_as_the_same_program_written_with_scalars(cli, options):
    matrix = optimize(cli, MATRIX, PROBLEM["bindings"], "--update", "W,b", "--steps", "6", *options)
    weights = "w00,w01,w02,w10,w11,w12,b0,b1"
    scalars = lines(cli("optimize", SCALARS, *scalar_bindings(PROBLEM["bindings"]), "--update", weights, "--json",
                        "--steps", "6", *options))
    assert len(matrix) == len(scalars) == 7
    for m, s in zip(matrix[:-1], scalars[:-1]):
        assert m["value"] == pytest.approx(s["value"], rel=1e-13)
    final_m, final_s = matrix[-1]["summary"]["final"]["inputs"], scalars[-1]["summary"]["final"]["inputs"]
    for name, labels in SCALAR_NAMES.items():
        assert flat(final_m[name]) == pytest.approx([final_s[n] for n in flat(labels)], rel=1e-13, abs=1e-16), name


# -- Mazur's network with matrices --------------------------------------------------------------------------

MAZUR_MATRICES = """b1 = 0.35; b2 = 0.60
h = sigmoid(W1 @ i + b1)
o = sigmoid(W2 @ h + b2)
E = 0.5*sum((t - o)^2)"""
MAZUR_VALUES = ["W1=[[0.15, 0.20], [0.25, 0.30]]", "W2=[[0.40, 0.45], [0.50, 0.55]]", "i=[0.05, 0.10]",
                "t=[0.01, 0.99]"]
# the matrices' elements and the scalar program's names for them
AS_SCALARS = {"W1": [["w1", "w2"], ["w3", "w4"]], "W2": [["w5", "w6"], ["w7", "w8"]], "i": ["i1", "i2"],
              "t": ["target_o1", "target_o2"], "b1": "b1", "b2": "b2"}


def scalars_of(doc_values: dict) -> dict:
    """The matrix program's numbers under the scalar program's names."""
    return {label: x for name, labels in AS_SCALARS.items()
            for label, x in zip(flat(labels), flat(doc_values[name]), strict=True)}


def test_mazurs_network_with_matrices_takes_the_scalar_versions_sgd_step(cli):
    scalar = cli("step", "--", MAZUR, *MAZUR_START, "--lr", "0.5", "--update", MAZUR_WEIGHTS, "--json").json()
    run = cli("step", MAZUR_MATRICES, *MAZUR_VALUES, "--lr", "0.5", "--update", "W1,W2", "--json")
    assert run.code == 0, run.err
    doc = run.json()
    assert doc["update"] == ["W1", "W2"]
    assert doc["before"]["value"] == pytest.approx(scalar["before"]["value"], rel=1e-15)
    assert doc["after"]["value"] == pytest.approx(scalar["after"]["value"], rel=1e-15)
    gradient = scalars_of(doc["gradient"])
    assert gradient == pytest.approx(scalar["gradient"], rel=1e-14)  # every input's, the data's and biases' too
    after = scalars_of(doc["after"]["inputs"])
    assert after == pytest.approx(scalar["after"]["inputs"], rel=1e-15)
    for name, text in MAZUR_NEW.items():  # and the post's own numbers
        want = _to_its_digits(text)
        assert after[name] == pytest.approx(want["expected"], abs=want["abs"]), name
    assert doc["after"]["inputs"]["i"] == [0.05, 0.1] and doc["after"]["inputs"]["b1"] == 0.35

    # one step of the sgd optimizer is the same step
    final = lines(cli("optimize", MAZUR_MATRICES, *MAZUR_VALUES, "--lr", "0.5", "--steps", "1", "--update", "W1,W2",
                      "--json"))[-1]["summary"]["final"]
    assert final["inputs"] == doc["after"]["inputs"]


def test_mazurs_step_tables_show_the_matrices(cli):
    run = cli("step", MAZUR_MATRICES, *MAZUR_VALUES, "--lr", "0.5", "--update", "W1,W2", "--digits", "9")
    assert run.code == 0, run.err
    out = run.out
    assert out.startswith("E: 0.298371109 → 0.291027774   (one descent step, x - 0.5 × ∂E/∂x)\n")
    header = next(line for line in out.splitlines() if line.startswith("input"))
    assert header.split() == ["input", "shape", "before", "∂E/∂input", "change", "after"]
    words = " ".join(out.split())
    assert "W2 (2, 2) [[0.4, 0.45], [[0.0821670406, [[-0.0410835203, [[0.35891648," in words
    assert "i (2,) [0.05, 0.1] [0.00380426688, fixed [0.05, 0.1]" in words


# -- what moves, and how it is shown ---------------------------------------------------------------------------

def test_without_update_the_bound_tensors_move_and_the_programs_values_stay(cli):
    doc = cli("step", MAZUR_MATRICES, *MAZUR_VALUES, "--lr", "0.5", "--json").json()
    assert doc["update"] == ["W1", "i", "W2", "t"]  # b1 and b2 are the program's
    assert doc["after"]["inputs"]["b1"] == 0.35 and doc["after"]["inputs"]["i"] != [0.05, 0.1]


def test_an_index_never_moves(cli, helpers, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # each table row on one line
    program = "L = cross_entropy(W @ x, k) + x[k]"
    given = ["W=[[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]]", "x=[1, 2]", "k=1"]
    doc = cli("step", program, *given, "--lr", "0.1", "--json").json()
    assert doc["update"] == ["W", "x"] and doc["gradient"]["k"] is None
    assert doc["after"]["inputs"]["k"] == 1.0
    tables = cli("step", program, *given, "--lr", "0.1")
    assert tables.out.splitlines()[-1].split() == ["k", "()", "1", "none", "(an", "index)", "fixed", "1"]
    for command in (["step", "--lr", "0.1"], ["optimize", "--steps", "2"]):
        run = cli(command[0], program, *given, *command[1:], "--update", "W,k")
        assert (run.code, run.out) == (2, "")
        helpers.assert_one_paragraph_error(run.err, "usage error")
        assert run.err == ("backprop: usage error: --update k: k is an index in cross_entropy(v3, k), a whole "
                           "number, so a step cannot move it (leave it out of --update)\n")


def test_a_big_tensor_is_abbreviated_with_its_shape(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # each table row on one line
    matrix = json.dumps([[round(0.01 * (i - j), 2) for j in range(6)] for i in range(5)])
    run = cli("optimize", "L = sum(tanh(W @ x))", f"W={matrix}", "x=[1, 2, 3, 4, 5, 6]", "--update", "W",
              "--steps", "3", "--lr", "0.1")
    assert run.code == 0, run.err
    (row,) = [line for line in run.out.splitlines() if line.startswith("W ")]
    W, x = np.array(json.loads(matrix)), np.arange(1.0, 7.0)
    for _ in range(3):  # sgd by hand: dL/dW = (1 - tanh(W x)^2) xᵀ
        W = W - 0.1 * np.outer(1 - np.tanh(W @ x) ** 2, x)
    final = "], [".join(", ".join(f"{v:.6g}" for v in row[:3]) + ", ..." for row in W[:2])
    assert re.split(r"\s{2,}", row)[:4] == [
        "W", "(5, 6)", "(5, 6) [[0, -0.01, -0.02, ...], [0.01, 0, -0.01, ...], ...]", f"(5, 6) [[{final}], ...]"]
    header = next(line for line in run.out.splitlines() if line.startswith("input"))
    assert header.split() == ["input", "shape", "start", "final", "∂L/∂input", "at", "the", "end"]
    assert re.search(r"L: -1\.26228 → -4\.9\d+ after 3 steps \(ran every step\)", run.out)


def test_tol_stops_on_the_norm_over_every_element(cli):
    # L = sum((x - t)^2): sgd with lr 0.5 lands on t in one step, where every element's gradient is 0
    docs = optimize(cli, "L = sum((x - t)^2)", {"x": [0, 0, 0], "t": [1, 2, 3]}, "--update", "x", "--lr", "0.5",
                    "--steps", "10", "--tol", "1e-12")
    summary = docs[-1]["summary"]
    assert (summary["steps"], summary["stopped"]) == (1, "gradient")
    assert summary["final"]["inputs"]["x"] == [1.0, 2.0, 3.0] and summary["final"]["gradient"]["x"] == [0, 0, 0]


def test_a_step_out_of_the_floats_names_the_element(cli, helpers):
    run = cli("step", "L = sum(x * c)", "x=[1, 1]", "c=[1, 1e200]", "--lr", "1e200", "--update", "x")
    assert (run.code, run.out) == (4, "")
    helpers.assert_one_paragraph_error(run.err, "math error")
    # L = x[0] + 1e200·x[1]: any lr' >= 1e109 sends x[1] = 1 - lr'·1e200 past the floats, and lr/10^12 = 1e188
    assert run.err == ("backprop: math error: the step sends x[1] to a value that is not a finite number "
                       "(1.0 - 1e+200 * 1e+200)\nThe learning rate 1e200 is likely too large: with each of 1e199, "
                       "1e198, ... down to 1e188 the first step does not lower L either; try a much smaller one.\n")
    optimizer = cli("optimize", "L = sum(x * c)", "x=[[1, 2], [3, 4]]", "c=[[1, 2], [3, 1e200]]", "--lr", "1e200",
                    "--optimizer", "momentum", "--steps", "2", "--update", "x")
    assert optimizer.code == 4
    assert optimizer.err == ("backprop: math error: step 1 of momentum sends x[1, 1] to a value that is not a finite "
                             "number (from 4.0 with gradient 1e+200)\nThe learning rate 1e200 is likely too large: "
                             "with each of 1e199, 1e198, ... down to 1e188 the first step does not lower L either; try "
                             "a much smaller one.\n")
