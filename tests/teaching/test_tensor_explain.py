"""`backprop explain` with vectors and matrices: the worked solution at tensor level, with shapes.

Every number of the worked steps is checked against oracles independent of the explain code:

- the eval JSON of the same program (its values and gradients are tested against NumPy and PyTorch in
  tests/engine/test_tensor_programs.py and tests/commands/test_tensor_eval.py): each forward step's
  value and operands, each backward step's gradient, each term's upstream gradient and the answers;
- NumPy by hand, here: each term's contribution (the vector-Jacobian product of the consumer's operation,
  defined below with NumPy and differentiated by central differences), each elementwise local derivative,
  and, for --wrt an element, each partial and the sum; cs231n's D = W X, Karpathy's answer key and a
  weight used twice are also worked by hand.

The shapes are checked on every step of the text, the three formats are rendered (Markdown parsed, LaTeX
compiled where an engine is installed), and big programs stay readable and linear in time.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import time
from fractions import Fraction

import pytest

from backprop_cli.engine.arithmetic import EXACT, FLOAT
from backprop_cli.engine.bindings import value_of
from backprop_cli.engine.compute import differentiate
from backprop_cli.engine.tape import lower
from backprop_cli.engine.tensor.shapes import Slice, Variable
from backprop_cli.language.parser import parse
from backprop_cli.teaching.steps import key_labels
from backprop_cli.teaching.tensor_steps import TensorWorked, tensor_worked

np = pytest.importorskip("numpy")

MLP_LAYER = ("L = sum(tanh(W @ x + b))", "W=[[0.1, 0.2], [0.3, 0.4]]", "x=[1,2]", "b=[0,0.5]")
CS231N = ("D = W @ X; L = sum(D * dD)", "W=[[1, 2, 0], [0, -1, 3]]", "X=[[1, 0], [2, 1], [0, -1]]",
          "dD=[[1, -1], [0, 2]]")
KARPATHY = ("loss = cross_entropy(logits, k)", "logits=[0,3,-2,1]", "k=3")
KARPATHY_STEPS = ("counts = exp(logits - max(logits)); probs = counts / sum(counts); loss = -log(probs[k])",
                  "logits=[0,3,-2,1]", "k=3")
FORK = ("y = W @ x; L = sum(y * y) + sum(W @ W)", "W=[[1, 2], [3, 4]]", "x=[1, -1]")
KARPATHY_KEY = [0.04177, 0.83902, 0.00565, -0.88645]  # his answer key, to five decimals

# Programs whose every number is checked against the eval JSON and NumPy; between them they use every
# family of the tensor table: matrix products (matrix and vector), elementwise operations with
# broadcasting, reductions with and without an axis, softmax, losses, transposes, indexing and stacking.
PROGRAMS = [
    MLP_LAYER,
    CS231N,
    KARPATHY,
    KARPATHY_STEPS,
    FORK,
    ("h = X @ W + b; L = mean(h^2)", "X=[[1,2],[3,4],[5,6]]", "W=[[0.1,0.2],[0.3,0.4]]", "b=[0.5,-0.5]"),
    ("L = sum(softmax(z) * t)", "z=[1,2,3]", "t=[0.2,0.3,0.5]"),
    ("L = mse(W @ x, y)", "W=[[1,2],[3,4]]", "x=[1,-1]", "y=[0,1]"),
    ("L = sum(mean(W, axis=0) * v)", "W=[[1,2],[3,4]]", "v=[1,2]"),
    ("L = sum(W.T @ x)", "W=[[1,2],[3,4]]", "x=[1,-1]"),
    ("L = sum(W[:, 0]) + W[1, 1] * x[0]", "W=[[1,2],[3,4]]", "x=[1,-1]"),
    ("L = sum([a, b] * x)", "a=2", "b=3", "x=[1,-1]"),
    ("L = norm(x) + logsumexp(x)", "x=[3,4]"),
    ("L = x @ y", "x=[1,2,3]", "y=[4,5,-6]"),
    ("L = sum(x @ W)", "x=[1,2]", "W=[[1,2,3],[4,5,6]]"),
    ("L = sum(log_softmax(z) * t)", "z=[1,2,3]", "t=[1,0,2]"),
    ("L = cross_entropy(Z, y)", "Z=[[1,2,3],[1,0,0]]", "y=[2,0]"),
    ("L = sum(x[::-1] * w)", "x=[1,2,3]", "w=[1,10,100]"),
    ("L = sum(sigmoid(A @ B) / c)", "A=[[1,2],[3,-4],[0,1]]", "B=[[0.5],[-0.25]]", "c=2"),
]


def bindings(items, arithmetic=FLOAT) -> dict:
    return {name: value_of(arithmetic, text, f"the value of {name}")
            for name, text in (item.split("=", 1) for item in items)}


def result_of(case, arithmetic=FLOAT):
    source, *items = case
    return differentiate(lower(parse(source)), bindings(items, arithmetic), arithmetic, forward_mode=False)


def worked_of(case, wrt=None, arithmetic=FLOAT) -> TensorWorked:
    return tensor_worked(result_of(case, arithmetic), wrt)


def close(got, want, rel=1e-9, abs_=1e-12) -> bool:
    return np.allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float), rtol=rel, atol=abs_)


# ---------------------------------------------------------------------------------------------
# NumPy by hand: each operation's value, for central differences of its vector-Jacobian product

def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _cross_entropy(z, t):
    log_p = np.log(_softmax(z))
    if t.shape == z.shape:
        return -(t * log_p).sum() / (z.shape[0] if z.ndim == 2 else 1)
    if z.ndim == 1:
        return -log_p[int(t)]
    return -log_p[np.arange(len(t)), t.astype(int)].mean()


def _index(params):
    def take(x, *variables):
        index = tuple(int(variables[item.argument - 1]) if isinstance(item, Variable)
                      else slice(*item) if isinstance(item, Slice) else item for item in params["index"])
        return x[index]
    return take


NUMPY = {
    "matmul": lambda p: np.matmul, "add": lambda p: np.add, "sub": lambda p: np.subtract,
    "mul": lambda p: np.multiply, "div": lambda p: np.divide, "pow": lambda p: np.power,
    "neg": lambda p: np.negative, "tanh": lambda p: np.tanh, "exp": lambda p: np.exp, "log": lambda p: np.log,
    "sigmoid": lambda p: lambda z: 1 / (1 + np.exp(-z)),
    "sum": lambda p: lambda x: x.sum(axis=p.get("axis")), "mean": lambda p: lambda x: x.mean(axis=p.get("axis")),
    "max": lambda p: lambda x: x.max(axis=p.get("axis")), "transpose": lambda p: np.transpose,
    "softmax": lambda p: lambda z: _softmax(z, p.get("axis", -1)),
    "log_softmax": lambda p: lambda z: np.log(_softmax(z, p.get("axis", -1))),
    "logsumexp": lambda p: lambda z: np.log(np.exp(z).sum()), "norm": lambda p: np.linalg.norm,
    "cross_entropy": lambda p: _cross_entropy, "mse": lambda p: lambda y, t: ((y - t) ** 2).mean(),
    "index": _index, "stack": lambda p: lambda *rows: np.stack(rows),
}


def numpy_vjp(op: str, params: dict, args: list, k: int, upstream, h=1e-6):
    """d <upstream, op(args)> / d args[k] by central differences of the NumPy definition above."""
    f = NUMPY[op](params)
    args = [np.array(a, dtype=float) for a in args]
    g = np.array(upstream, dtype=float)
    out = np.zeros_like(args[k])
    for index in np.ndindex(*args[k].shape):
        values = []
        for sign in (1, -1):
            moved = [a.copy() for a in args]
            moved[k][index] += sign * h
            values.append(float(np.sum(g * f(*moved))))
        out[index] = (values[0] - values[1]) / (2 * h)
    return out


def numpy_local(op: str, args: list, k: int, out_shape, h=1e-6):
    """An elementwise operation's derivative in argument k, element by element of the result."""
    f = NUMPY[op]({})
    args = [np.array(a, dtype=float) for a in args]
    up, down = [a.copy() for a in args], [a.copy() for a in args]
    up[k] = up[k] + h
    down[k] = down[k] - h
    return np.broadcast_to((f(*up) - f(*down)) / (2 * h), out_shape)


# ---------------------------------------------------------------------------------------------
# Every number of the worked steps, against the eval JSON and NumPy

@pytest.mark.parametrize("case", PROGRAMS, ids=[c[0] for c in PROGRAMS])
def test_every_number_against_the_eval_json_and_numpy(case, cli):
    doc = cli("eval", *case, "--json").json()
    nodes = {node["id"]: node for node in doc["nodes"]}
    result = result_of(case)
    worked = tensor_worked(result)
    tape = result.tape
    assert close(worked.output_value, doc["value"])
    for step in worked.forward:
        node = nodes[step.id]
        assert close(step.value, node["value"]) and list(step.shape) == node["shape"], step.id
        for value, shape, arg in zip(step.operands, step.operand_shapes, node["args"]):
            assert close(value, nodes[arg]["value"]) and list(shape) == nodes[arg]["shape"], step.id
    assert {s.id for s in worked.forward} >= {n["id"] for n in doc["nodes"] if n["op"] not in ("input", "const")}
    for step in worked.backward:
        node = nodes[step.id]
        assert close(step.gradient, node["grad"]) and list(step.shape) == node["shape"], step.id
        if step.terms:
            assert close(sum(np.asarray(t.contribution, dtype=float) for t in step.terms), node["grad"]), step.id
        for term in step.terms:
            consumer = tape.nodes[term.consumer]
            assert close(term.upstream, nodes[consumer.id]["grad"]) and close(term.consumer_value,
                                                                              nodes[consumer.id]["value"])
            want = numpy_vjp(consumer.op, dict(consumer.params), term.operands, term.argument, term.upstream)
            assert close(term.contribution, want, rel=1e-6, abs_=1e-8), (step.id, consumer.op)
            assert np.shape(term.contribution) == step.shape
            if term.local is not None:
                local = numpy_local(consumer.op, term.operands, term.argument, consumer.shape)
                assert close(term.local, local, rel=1e-6, abs_=1e-8), (step.id, consumer.op)
    assert {s.id for s in worked.backward} == {n["id"] for n in doc["nodes"] if n["grad"] is not None}
    for name, gradient, shape in worked.answers:
        if gradient is None:
            assert name in worked.no_gradient and doc["gradient"].get(name) is None
        else:
            assert close(gradient, doc["gradient"][name]) and list(shape) == nodes[tape.nodes[tape.named[name]].id][
                "shape"]


# ---------------------------------------------------------------------------------------------
# The shapes, next to every step

def _steps(out: str, heading: str) -> list[str]:
    """The first line of each step under a heading (continuation lines start with spaces and `=`)."""
    lines = out.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith(heading))
    steps = []
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break
        if not line.lstrip().startswith("= "):
            steps.append(line.strip())
    return steps


SHAPES = re.compile(r"   (?:\S.*)?\((?:\d+(?:, \d+)*,?)?\)(?: -> \((?:\d+(?:, \d+)*,?)?\).*)?$")


@pytest.mark.parametrize("case", PROGRAMS, ids=[c[0] for c in PROGRAMS])
def test_shapes_are_written_next_to_every_step(case, cli):
    run = cli("explain", *case)
    assert run.code == 0, run.err
    worked = worked_of(case)
    forward, backward = _steps(run.out, "Forward pass"), _steps(run.out, "Backward pass")
    assert len(forward) == len(worked.forward) and len(backward) == len(worked.backward)
    for line in forward + backward:
        assert SHAPES.search(line), line


def test_the_shapes_of_a_layer_as_the_textbooks_write_them(cli):
    run = cli("explain", "z = W @ x + b; L = sum(z * z)", "W=[[1, 2, 3], [4, 5, 6]]", "x=[1, 0, -1]", "b=[1, 1]")
    assert run.code == 0, run.err
    lines = [line.strip() for line in run.out.splitlines()]
    assert any(line.startswith("u1 = W @ x = [[1, 2, 3], [4, 5, 6]] @ [1, 0, -1] = [-2, -2]")
               and line.endswith("(2, 3) @ (3,) -> (2,)") for line in lines)
    # ∂L/∂W = ∂L/∂z · xᵀ: a column (2, 1) times a row (1, 3); ∂L/∂x = Wᵀ · ∂L/∂z, (3, 2) · (2, 1)
    assert "∂L/∂W = ∂L/∂u1 · xᵀ                            (2, 1) · (1, 3) -> (2, 3)" in run.out
    assert "∂L/∂x = Wᵀ · ∂L/∂u1                            (3, 2) · (2, 1) -> (3, 1) -> (3,)" in run.out
    assert "= [-2, -2] · [1, 0, -1]ᵀ\n" in run.out and "= [[-2, 0, 2], [-2, 0, 2]]\n" in run.out
    assert "∂L/∂b = ∂L/∂z = [-2, -2]" in run.out


# ---------------------------------------------------------------------------------------------
# The classic exercises

def test_cs231n_matrix_product_dW_is_dD_times_X_transposed(cli):
    """cs231n, "Derivatives, Backpropagation, and Vectorization": D = W X gives dW = dD Xᵀ, dX = Wᵀ dD."""
    W = np.array([[1, 2, 0], [0, -1, 3]])
    X = np.array([[1, 0], [2, 1], [0, -1]])
    dD = np.array([[1, -1], [0, 2]])
    worked = worked_of(CS231N)
    step = {s.label: s for s in worked.backward}
    assert step["W"].gradient == (dD @ X.T).tolist() and step["X"].gradient == (W.T @ dD).tolist()
    (term,) = step["W"].terms
    assert (term.rule, term.factors) == ("∂L/∂{out} · {1}ᵀ", ((2, 2), (2, 3), (2, 3), (2, 3)))
    assert term.upstream == dD.tolist() and term.operands == (W.tolist(), X.tolist())
    run = cli("explain", *CS231N)
    assert run.code == 0, run.err
    assert ("  ∂L/∂W = ∂L/∂D · Xᵀ                             (2, 2) · (2, 3) -> (2, 3)\n"
            "        = [[1, -1], [0, 2]] · [[1, 0], [2, 1], [0, -1]]ᵀ\n"
            "        = [[1, 1, 1], [0, 2, -2]]\n") in run.out
    assert ("  ∂L/∂X = Wᵀ · ∂L/∂D                             (3, 2) · (2, 2) -> (3, 2)\n"
            "        = [[1, 2, 0], [0, -1, 3]]ᵀ · [[1, -1], [0, 2]]\n"
            "        = [[1, -1], [2, -4], [0, 6]]\n") in run.out
    assert re.search(r"\n  ∂L/∂dD = \[\[5, 2\], \[-2, -4\]\] +\(2, 2\)\n", run.out)


@pytest.mark.parametrize("case", [KARPATHY, KARPATHY_STEPS], ids=["cross_entropy", "step by step"])
def test_karpathys_answer_key(case, cli):
    """Karpathy's softmax exercise: dlogits = [0.04177, 0.83902, 0.00565, -0.88645] for logits [0, 3, -2, 1],
    class 3; written with cross_entropy and step by step, the answer is his."""
    worked = worked_of(case)
    (gradient,) = [g for name, g, _ in worked.answers if name == "logits"]
    assert np.round(gradient, 5).tolist() == KARPATHY_KEY
    z = np.array([0.0, 3, -2, 1])
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    assert close(gradient, p - np.eye(4)[3], rel=1e-12)
    run = cli("explain", *case, "--digits", "5")
    assert run.code == 0, run.err
    assert "∂loss/∂logits = [0.041773, 0.83902, 0.0056533, -0.88645]" in run.out
    assert re.search(r"∂loss/∂k +\s*= none \(an index\)", run.out)
    if case is KARPATHY:
        assert ("  ∂loss/∂logits = ∂loss/∂loss · (softmax(logits) − onehot(k))   () -> (4,)\n"
                "                = 1 · (softmax([0, 3, -2, 1]) − onehot(3))\n"
                "                = [0.041773, 0.83902, 0.0056533, -0.88645]\n") in run.out
    else:  # probs[k] sends the gradient to one element: -1/p[3] there, 0 elsewhere
        assert "= -8.8067 at [3], 0 elsewhere\n" in run.out and "= [0, 0, 0, -8.8067]\n" in run.out


def test_a_weight_used_twice_sums_its_two_gradients(cli):
    """W in W @ x and twice in W @ W: three terms, each a matrix product, added."""
    W, x = np.array([[1.0, 2], [3, 4]]), np.array([1.0, -1])
    worked = worked_of(FORK)
    (step,) = [s for s in worked.backward if s.label == "W"]
    y = W @ x
    ones = np.ones((2, 2))
    want = [np.outer(2 * y, x), ones @ W.T, W.T @ ones]  # ∂L/∂y xᵀ, ∂L/∂u3 Wᵀ, Wᵀ ∂L/∂u3
    assert [t.consumer_label for t in step.terms] == ["y", "u3", "u3"]
    assert [t.argument for t in step.terms] == [0, 0, 1]
    for term, hand in zip(step.terms, want):
        assert close(term.contribution, hand, rel=1e-15)
    assert close(step.gradient, sum(want), rel=1e-15)
    run = cli("explain", *FORK)
    assert ("  ∂L/∂W = ∂L/∂y · xᵀ + ∂L/∂u3 · Wᵀ + Wᵀ · ∂L/∂u3" + " " * 18 +
            "(2, 1) · (1, 2) -> (2, 2); (2, 2) · (2, 2) -> (2, 2); (2, 2) · (2, 2) -> (2, 2)\n"
            "        = [-2, -2] · [1, -1]ᵀ + [[1, 1], [1, 1]] · [[1, 2], [3, 4]]ᵀ + "
            "[[1, 2], [3, 4]]ᵀ · [[1, 1], [1, 1]]\n"
            "        = [[5, 13], [7, 15]]\n") in run.out
    assert "  ∂L/∂y = ∂L/∂u1 ⊙ y + ∂L/∂u1 ⊙ y " in run.out  # y * y: y used twice by one node


# ---------------------------------------------------------------------------------------------
# --wrt an element, and a whole input

def test_wrt_an_element_is_the_sum_over_the_elements_it_reaches(cli):
    """∂L/∂W[1, 0] = ∂L/∂u1[1] · x[0] for z = W @ x: W[1, 0] reaches only z[1]."""
    worked = worked_of(MLP_LAYER, "W[1,0]")
    assert [s.label for s in worked.backward] == ["L", "u3", "u2", "u1", "W"]  # the paths from L to W only
    step = worked.element
    (term,) = step.terms
    W, x, b = np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([1.0, 2]), np.array([0, 0.5])
    dz = 1 - np.tanh(W @ x + b) ** 2
    assert (term.consumer_label, term.at, term.local_text) == ("u1", (1,), "x[0]")
    assert term.local == x[0] and close(term.upstream, dz[1], rel=1e-15) and close(step.gradient, dz[1] * x[0])
    assert worked.answers == (("W[1, 0]", step.gradient, None),)
    run = cli("explain", *MLP_LAYER, "--wrt", "W[1,0]")
    assert run.code == 0, run.err
    assert ("The element W[1, 0]: the sum over the elements of u1 it reaches\n"
            "  ∂L/∂W[1, 0] = ∂L/∂u1[1] · ∂u1[1]/∂W[1, 0] = ∂L/∂u1[1] · x[0] = 0.150527 · 1 = 0.150527\n") in run.out
    assert run.out.endswith("Answer: L = 1.38379\n  ∂L/∂W[1, 0] = 0.150527\n")


@pytest.mark.parametrize("case, wrt", [
    (CS231N, "X[1, 0]"), (CS231N, "W[-1, 2]"), (FORK, "W[0, 1]"), (FORK, "x[1]"), (KARPATHY_STEPS, "logits[1]"),
    (PROGRAMS[5], "b[0]"), (PROGRAMS[5], "W[1, 1]"), (PROGRAMS[6], "z[2]"), (PROGRAMS[8], "W[1, 0]"),
    (PROGRAMS[10], "W[1, 0]"), (PROGRAMS[11], "x[0]"), (PROGRAMS[14], "W[0, 2]"), (PROGRAMS[17], "x[0]"),
    (PROGRAMS[18], "B[1, 0]"),
])
def test_an_elements_terms_against_numpy(case, wrt, cli):
    """Each term's partial is d consumer[at] / d element by central differences of the NumPy definition,
    its upstream the consumer's gradient there, and the products add up to the element's gradient."""
    result = result_of(case)
    worked = tensor_worked(result, wrt)
    step = worked.element
    tape = result.tape
    name = wrt.split("[")[0]
    target = tape.named[name]
    element = step.at
    total = 0.0
    for term in step.terms:
        labels = key_labels(tape)  # the worked solution's names: u1, u2, ... for the unnamed nodes
        (consumer,) = {i for i, n in enumerate(tape.nodes) if labels[i] == term.consumer_label}
        cnode = tape.nodes[consumer]
        args = [np.array(result.nested(result.values[a]), dtype=float) for a in cnode.args]
        f = NUMPY[cnode.op](dict(cnode.params))
        partial = 0.0
        for k, a in enumerate(cnode.args):
            if a == target:
                up, down = [x.copy() for x in args], [x.copy() for x in args]
                up[k][element] += 1e-6
                down[k][element] -= 1e-6
                partial += float(np.asarray((f(*up) - f(*down)) / 2e-6)[term.at])
        grads = np.array(result.nested(result.grads[consumer]), dtype=float)
        assert close(term.upstream, grads[term.at], rel=1e-12), term
        total += term.product
        if len([a for a in cnode.args if a == target]) == 1:
            assert close(term.local, partial, rel=1e-6, abs_=1e-8), term
    assert close(total, step.gradient, rel=1e-12, abs_=1e-15)
    doc = cli("eval", *case, "--json").json()
    assert close(step.gradient, np.array(doc["gradient"][name])[element], rel=1e-12)
    run = cli("explain", *case, "--wrt", wrt)
    assert run.code == 0, run.err


def test_wrt_a_whole_input_shows_its_paths_and_its_gradient(cli):
    worked = worked_of(MLP_LAYER, "x")
    assert [s.label for s in worked.backward] == ["L", "u3", "u2", "u1", "x"] and worked.element is None
    assert worked.answers[0][0] == "x" and close(worked.answers[0][1], [0.123803, 0.2175], rel=1e-5)
    run = cli("explain", *MLP_LAYER, "--wrt", "x")
    assert "only along the paths from the output L to x" in run.out and "∂L/∂W" not in run.out
    assert run.out.endswith("Answer: L = 1.38379\n  ∂L/∂x = [0.123803, 0.2175]   (2,)\n")


@pytest.mark.parametrize("wrt, message", [
    ("W[2, 0]", "--wrt W[2, 0]: the index 2 is out of range for axis 0 of W, of size 2 (W has shape (2, 2))"),
    ("W[1]", "--wrt W[1]: an element of W takes 2 whole-number indices, as W[0, 0] (W has shape (2, 2))"),
    ("W[a, 0]", "--wrt W[a, 0]: the program has no input or named intermediate W[a, 0]"),
    ("q[0]", "--wrt q[0]: the program has no input or named intermediate q"),
    ("L[0]", "--wrt L[0]: L is a number (shape ()), which has no elements: give --wrt L"),
    ("k", "--wrt k: k is used only as an index, which has no gradient"),
])
def test_a_bad_wrt_is_a_usage_error(wrt, message, cli, helpers):
    case = ("L = sum(tanh(W @ x + b)) + z[k]", "W=[[0.1, 0.2], [0.3, 0.4]]", "x=[1,2]", "b=[0,0.5]", "z=[1,2]", "k=1")
    run = cli("explain", *case, "--wrt", wrt)
    assert (run.code, run.out) == (2, "")
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert run.err.startswith(f"backprop: usage error: {message}")


# ---------------------------------------------------------------------------------------------
# Text, Markdown and LaTeX

def test_the_text_of_a_layer_in_full(cli):
    run = cli("explain", *MLP_LAYER)
    assert run.code == 0, run.err
    assert run.out == """\
Program: L = sum(tanh(W @ x + b))
Given:
  W = [[0.1, 0.2], [0.3, 0.4]]   (2, 2)
  x = [1, 2]                     (2,)
  b = [0, 0.5]                   (2,)
Intermediate results the program does not name are numbered in the order they
are computed: u1, u2, u3 (`v3, v5, v6` in `backprop eval`).

Forward pass: the value of every node, in order (the shapes on the right)
  u1 = W @ x = [[0.1, 0.2], [0.3, 0.4]] @ [1, 2] = [0.5, 1.1]   (2, 2) @ (2,) -> (2,)
  u2 = u1 + b = [0.5, 1.1] + [0, 0.5] = [0.5, 1.6]              (2,) + (2,) -> (2,)
  u3 = tanh(u2) = tanh([0.5, 1.6]) = [0.462117, 0.921669]       tanh: (2,) -> (2,)
  L = sum(u3) = sum([0.462117, 0.921669]) = 1.38379             sum: (2,) -> ()

Backward pass: the chain rule at tensor level, from the output L down to every input
  ∂L/∂L = 1                                      ()
  ∂L/∂u3 = ∂L/∂L, copied along the summed axes   () -> (2,)
         = 1, copied along the summed axes
         = [1, 1]
  ∂L/∂u2 = ∂L/∂u3 ⊙ (1 - tanh(u2)^2)             (2,) ⊙ (2,) -> (2,)
         = [1, 1] ⊙ [0.786448, 0.150527]
         = [0.786448, 0.150527]
  ∂L/∂b = ∂L/∂u2 = [0.786448, 0.150527]          (2,) -> (2,)
  ∂L/∂u1 = ∂L/∂u2 = [0.786448, 0.150527]         (2,) -> (2,)
  ∂L/∂x = Wᵀ · ∂L/∂u1                            (2, 2) · (2, 1) -> (2, 1) -> (2,)
        = [[0.1, 0.2], [0.3, 0.4]]ᵀ · [0.786448, 0.150527]
        = [0.123803, 0.2175]
  ∂L/∂W = ∂L/∂u1 · xᵀ                            (2, 1) · (1, 2) -> (2, 2)
        = [0.786448, 0.150527] · [1, 2]ᵀ
        = [[0.786448, 1.5729], [0.150527, 0.301054]]

Answer: L = 1.38379
  ∂L/∂W = [[0.786448, 1.5729], [0.150527, 0.301054]]   (2, 2)
  ∂L/∂x = [0.123803, 0.2175]                           (2,)
  ∂L/∂b = [0.786448, 0.150527]                         (2,)
"""


def test_markdown_has_a_list_item_per_step_and_the_answers_in_a_table(cli):
    from markdown_it import MarkdownIt

    run = cli("explain", *CS231N, "--format", "markdown", "--wrt", "X[1, 0]")
    assert run.code == 0, run.err
    tokens = MarkdownIt("commonmark").enable("table").parse(run.out)
    items = [t for t in tokens if t.type == "list_item_open"]
    worked = worked_of(CS231N, "X[1, 0]")
    assert len(items) == len(worked.inputs) + len(worked.forward) + len(worked.backward)
    assert sum(t.type == "table_open" for t in tokens) == 1
    assert "1. D = W @ X = \\[\\[1, 2, 0\\], \\[0, -1, 3\\]\\] @ \\[\\[1, 0\\], \\[2, 1\\], \\[0, -1\\]\\] = " \
           "\\[\\[5, 2\\], \\[-2, -4\\]\\] — `(2, 3) @ (3, 2) -> (2, 2)`" in run.out
    assert "### The element X\\[1, 0\\]: the sum over the elements of D it reaches" in run.out
    assert "| ∂L/∂X\\[1, 0\\] | 2 |  |" in run.out


def _latex_engine():
    return shutil.which("pdflatex") or shutil.which("lualatex") or shutil.which("xelatex")


LATEX_CASES = [MLP_LAYER, CS231N + ("--wrt", "X[1,0]"), KARPATHY, KARPATHY_STEPS, FORK + ("--wrt", "W[0,1]"),
               PROGRAMS[5] + ("--exact",), PROGRAMS[10], PROGRAMS[16], ("L = sum(relu(x))", "x=[1,0,-1]"),
               ("L = sum(tanh(A @ B))", "A=[[[1,2],[3,4]],[[1,0],[0,1]]]", "B=[[1,0],[0,1]]"),
               ("L = sum(tanh(X) * X)", "X=" + str([[k + j / 10 for j in range(20)] for k in range(5)]))]


@pytest.mark.parametrize("case", LATEX_CASES, ids=range(len(LATEX_CASES)))
def test_latex_writes_matrices_and_compiles(case, cli, tmp_path):
    run = cli("explain", *case, "--format", "latex")
    assert run.code == 0, run.err
    assert run.out.isascii() and r"\begin{bmatrix}" in run.out and run.out.rstrip().endswith(r"\end{document}")
    assert run.out.count("{") == run.out.count("}") and run.out.count(r"\left") == run.out.count(r"\right")
    if _latex_engine() is None:
        pytest.skip("no LaTeX engine installed (the content is still checked)")
    (tmp_path / "answer.tex").write_text(run.out, encoding="utf-8")
    proc = subprocess.run([_latex_engine(), "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                           "answer.tex"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_latex_content(cli):
    run = cli("explain", *CS231N, "--format", "latex", "--wrt", "X[1,0]")
    out = run.out
    assert (r"D &= W X && \text{(2, 3) @ (3, 2) $\to$ (2, 2)} \\" "\n"
            r"  &= \begin{bmatrix}1 & 2 & 0 \\ 0 & -1 & 3\end{bmatrix} "
            r"\begin{bmatrix}1 & 0 \\ 2 & 1 \\ 0 & -1\end{bmatrix} \\") in out
    assert (r"\frac{\partial L}{\partial X} &= W^{\top} \cdot \frac{\partial L}{\partial D} "
            r"&& \text{(3, 2) $\cdot$ (2, 2) $\to$ (3, 2)} \\") in out
    assert r"\frac{\partial L}{\partial D} &= \frac{\partial L}{\partial u_{1}} \odot \mathit{dD}" in out
    assert r"\frac{\partial L}{\partial D[0, 0]} \cdot W[0, 1]" in out
    big = cli("explain", *LATEX_CASES[-1], "--format", "latex").out
    assert r"\underset{5 \times 20}{\begin{bmatrix}0 & 0.1 & 0.2 & \cdots \\ 1 & 1.1 & 1.2 & \cdots \\ " \
           r"\vdots & \vdots & \vdots & \ddots\end{bmatrix}}" in big


def test_exact_fractions_and_the_kink_notes(cli):
    worked = worked_of(("L = sum(relu(x) * w / 3)", "x=[1,0,-1]", "w=[1,2,3]"), arithmetic=EXACT)
    (w,) = [g for name, g, _ in worked.answers if name == "w"]
    assert w == [Fraction(1, 3), 0, 0]
    run = cli("explain", "L = sum(relu(x) * w / 3)", "x=[1,0,-1]", "w=[1,2,3]", "--exact")
    assert "  ∂L/∂w = [1/3, 0, 0]   (3,)" in run.out
    assert "exact: every value and gradient above is an exact fraction." in run.out
    notes = " ".join(run.out.split("\n\n")[-1].split())
    assert ("note: u1 = relu(x) sits exactly on its kink at [1], where the derivative is a convention (PyTorch's), "
            "not a fact. One-sided derivatives: ∂u1[1]/∂x[1]: left 0, right 1, used 0.") in notes


# ---------------------------------------------------------------------------------------------
# What explain refuses, and big programs

def test_a_tensor_output_asks_for_a_scalar(cli, helpers):
    run = cli("explain", "y = W @ x", "W=[[1, 2], [3, 4]]", "x=[1, 2]")
    assert (run.code, run.out) == (2, "")
    helpers.assert_one_paragraph_error(run.err, "usage error")
    assert run.err.startswith("backprop: usage error: y is a tensor of shape (2,), and explain differentiates a "
                              "scalar")
    symbolic = cli("explain", *MLP_LAYER, "--symbolic")
    assert symbolic.code == 2 and "--symbolic is not yet for vectors and matrices" in symbolic.err


def _mlp_values(tmp_path, batch=32, inputs=64, hidden=64, outputs=10):
    import json

    rng = np.random.default_rng(1)
    values = {"X": rng.normal(size=(batch, inputs)).tolist(), "W1": (rng.normal(size=(inputs, hidden)) / 8).tolist(),
              "b1": [0.0] * hidden, "W2": (rng.normal(size=(hidden, outputs)) / 8).tolist(), "b2": [0.0] * outputs,
              "y": rng.integers(0, outputs, size=batch).tolist()}
    path = tmp_path / "mlp.json"
    path.write_text(json.dumps(values))
    return path, values


MLP = "h = tanh(X @ W1 + b1); z = h @ W2 + b2; L = cross_entropy(z, y)"


def test_the_mlp_of_the_issue_is_readable(cli, tmp_path):
    """Input 64, hidden 64, output 10, batch 32: every tensor of more than 16 numbers abbreviated with its
    shape, big operands named in the forms with numbers, and the gradients NumPy's."""
    path, v = _mlp_values(tmp_path)
    run = cli("explain", MLP, "--values", str(path))
    assert run.code == 0, run.err
    assert len(run.out.splitlines()) < 80 and max(map(len, run.out.splitlines())) < 140
    for numbers in re.findall(r"\[[^\[\]]*\]", run.out):
        assert numbers.count(",") < 16, numbers  # no row of more than 16 numbers
    assert "  u1 = X @ W1                         (32, 64) @ (64, 64) -> (32, 64)\n     = (32, 64) [[" in run.out
    assert "  ∂L/∂W1 = Xᵀ · ∂L/∂u1                            (64, 32) · (32, 64) -> (64, 64)\n" in run.out
    X, W1, W2, y = (np.array(v[k]) for k in ("X", "W1", "W2", "y"))
    h = np.tanh(X @ W1)
    p = _softmax(h @ W2)
    dz = (p - np.eye(10)[y]) / 32
    dW1 = X.T @ ((dz @ W2.T) * (1 - h ** 2))
    worked = tensor_worked(differentiate(lower(parse(MLP)), bindings([f"{k}={v[k]}" for k in v]), forward_mode=False))
    answers = {name: g for name, g, _ in worked.answers}
    assert close(answers["W1"], dW1, rel=1e-10, abs_=1e-14) and close(answers["W2"], h.T @ dz, rel=1e-10)
    assert f"∂L/∂W1 = (64, 64) [[{dW1[0, 0]:.6g}, " in run.out


def test_explain_is_linear_in_the_size_of_the_program(cli):
    """A chain of n tensor nodes: four times the nodes take about four times as long, not sixteen."""
    def seconds(n: int) -> float:
        program = "h0 = x; " + "; ".join(f"h{k} = tanh(W @ h{k - 1})" for k in range(1, n + 1)) + f"; L = sum(h{n})"
        started = time.perf_counter()
        run = cli("explain", program, "x=[0.1, 0.2, 0.3]", "W=[[0.5, 0.1, 0], [0, 0.5, 0.1], [0.1, 0, 0.5]]")
        assert run.code == 0, run.err
        return time.perf_counter() - started

    seconds(50)  # warm up
    small, big = min(seconds(150) for _ in range(2)), min(seconds(600) for _ in range(2))
    assert big < 8 * small + 0.5, (small, big)


TENSOR_MODULES = ("backprop_cli.engine.tensor.", "backprop_cli.engine.shaping", "backprop_cli.engine.tensor_compute",
                  "backprop_cli.render.tensor_", "backprop_cli.render.explain_tensor", "backprop_cli.teaching.tensor_")


def test_a_scalar_explain_loads_no_tensor_module():
    """explain of a program of numbers is unchanged, and pays nothing for vectors and matrices."""
    import os
    import sys

    probe = ("import sys\nfrom backprop_cli.cli import main\ncode = main(sys.argv[1:])\nsys.stdout.flush()\n"
             "sys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)))\nsys.exit(code)\n")
    for fmt in ("text", "latex"):
        proc = subprocess.run([sys.executable, "-c", probe, "explain", "(a+b)*c", "-a", "1", "-b", "2", "-c", "3",
                               "--format", fmt], capture_output=True, text=True, timeout=120, env=dict(os.environ))
        assert proc.returncode == 0, proc.stderr
        loaded = proc.stderr.rsplit("MODULES ", 1)[1].split()
        assert [m for m in loaded if m.startswith(TENSOR_MODULES) or m == "backprop_cli.engine.tensor"] == [], fmt
