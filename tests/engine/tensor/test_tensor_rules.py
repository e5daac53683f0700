"""The tensor operation table (engine/tensor/rules.py), entry by entry.

Every entry has cases here (a test fails when one is added without). For each case:
- the shape rule predicts the forward value's shape, on both backends;
- the value is NumPy's (written independently below: by-hand softmax, cross-entropy...; the elementwise
  operations apply ops.py's scalar value to NumPy's broadcast of the arguments);
- every VJP matches central finite differences of the forward function (which never looks at a derivative
  rule), and returns the argument's shape;
- the JVP matches finite differences along a random direction, and agrees with the VJPs:
  <v, J t> = sum over k of <J_k^T v, t_k>.
Then the texts, the written forms, the shape errors and the kinks, pinned.
"""
from __future__ import annotations

import dataclasses
import math
import random
from fractions import Fraction

import pytest
from tensor_helpers import BACKENDS, assert_close, backend, domain, flat, inner, numeric_vjp, random_nested

from backprop_cli.engine.arithmetic import EXACT
from backprop_cli.engine.functions import rule_message
from backprop_cli.engine.ops import OPS
from backprop_cli.engine.tensor import pure
from backprop_cli.engine.tensor.rules import TENSOR_OPS, TensorKink, elementwise_key
from backprop_cli.engine.tensor.shapes import ShapeError, Slice, Variable

np = pytest.importorskip("numpy")

RNG = random.Random(14)

@dataclasses.dataclass
class Case:
    op: str
    args: list  # nested lists or numbers
    params: dict
    variables: tuple  # the arguments differentiated

    def __str__(self):
        shapes = ",".join("x".join(map(str, np.shape(a))) or "()" for a in self.args)
        return f"{self.op}[{shapes}]{self.params or ''}"


def draw(shape, domain=(-2.0, 2.0)):
    return random_nested(shape, RNG, *domain)


def elementwise_cases(name: str) -> list[Case]:
    op = OPS[name]
    count = 3 if op.variadic else op.arity
    shapes = [(2, 3), (3,), (2, 1)][:count]
    if op.defaults:  # a parameter (leaky_relu's slope): a scalar
        shapes = [(2, 3)] + [()] * (count - 1)
    args = [draw(s, domain(name, k)) for k, s in enumerate(shapes)]
    return [Case(elementwise_key(name), args, {}, tuple(range(count)))]


def positive(shape):
    return draw(shape, (0.05, 1.0))


def cases() -> list[Case]:
    found = [c for name in OPS for c in elementwise_cases(name)]
    for left, right in [((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 2)), ((3,), (3,)), ((2, 2, 3), (3, 4)),
                        ((1, 2, 3), (4, 3, 2)), ((2, 2, 3), (3,)), ((3,), (2, 3, 4))]:
        found.append(Case("matmul", [draw(left), draw(right)], {}, (0, 1)))
    for shape in [(2, 3), (3,), (2, 3, 4)]:
        found.append(Case("transpose", [draw(shape)], {}, (0,)))
    for index in [(Slice(), 0), (1, 0), (0,), (-1,), (Slice(None, None, -1), Slice(1)), (1, Slice(0, 3, 2))]:
        found.append(Case("index", [draw((3, 4))], {"index": index}, (0,)))
    found.append(Case("index", [draw((5,)), 3.0], {"index": (Variable(1),)}, (0,)))
    found.append(Case("index", [draw((3, 4)), -2.0], {"index": (Slice(), Variable(1))}, (0,)))
    found.append(Case("stack", [draw((3,)), draw((3,))], {}, (0, 1)))
    found.append(Case("stack", [draw(()), draw(()), draw(())], {}, (0, 1, 2)))
    for name in ("sum", "mean", "max", "min", "logsumexp"):
        for shape, axis in [((5,), None), ((3, 4), None), ((3, 4), 0), ((3, 4), -1), ((2, 3, 2), 1)]:
            found.append(Case(name, [draw(shape)], {} if axis is None else {"axis": axis}, (0,)))
    found.append(Case("norm", [draw((2, 3))], {}, (0,)))
    found.append(Case("norm", [draw((4,))], {}, (0,)))
    for name in ("softmax", "log_softmax"):
        found.append(Case(name, [draw((4,))], {}, (0,)))
        found.append(Case(name, [draw((2, 3))], {"axis": 0}, (0,)))
        found.append(Case(name, [draw((2, 3))], {}, (0,)))
    found.append(Case("cross_entropy", [draw((4,)), 2.0], {}, (0,)))
    found.append(Case("cross_entropy", [draw((3, 4)), [2.0, 0.0, 3.0]], {}, (0,)))
    found.append(Case("cross_entropy", [draw((4,)), positive((4,))], {}, (0, 1)))
    found.append(Case("cross_entropy", [draw((2, 4)), positive((2, 4))], {}, (0, 1)))
    found.append(Case("mse", [draw((2, 3)), draw((2, 3))], {}, (0, 1)))
    found.append(Case("mse", [draw((3,)), draw(())], {}, (0, 1)))
    return found


CASES = cases()


def test_every_operation_has_cases():
    assert {c.op for c in CASES} == set(TENSOR_OPS)


# -- NumPy references, written independently of rules.py ---------------------------------------------------

def _numpy_index(index, args):
    items = []
    for item in index:
        if isinstance(item, Variable):
            items.append(int(args[item.argument]))
        elif isinstance(item, Slice):
            items.append(slice(*item))
        else:
            items.append(item)
    return tuple(items)


def _log_softmax(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def reference(case: Case):
    a = [np.array(x, dtype=float) for x in case.args]
    axis = case.params.get("axis")
    op = TENSOR_OPS[case.op]
    if op.scalar is not None:
        broadcast = np.broadcast_arrays(*a)
        rule = OPS[op.scalar].value
        return np.vectorize(lambda *xs: float(rule(*map(float, xs))))(*broadcast)
    x = a[0]
    simple = {
        "matmul": lambda: np.matmul(a[0], a[1]),
        "transpose": lambda: x.T,
        "index": lambda: x[_numpy_index(case.params["index"], case.args)],
        "stack": lambda: np.stack(a),
        "sum": lambda: x.sum(axis=axis),
        "mean": lambda: x.mean(axis=axis),
        "max": lambda: x.max(axis=axis),
        "min": lambda: x.min(axis=axis),
        "logsumexp": lambda: np.log(np.exp(x).sum(axis=axis)),
        "norm": lambda: np.sqrt((x * x).sum()),
        "softmax": lambda: np.exp(x) / np.exp(x).sum(axis=-1 if axis is None else axis, keepdims=True),
        "log_softmax": lambda: _log_softmax(x, -1 if axis is None else axis),
        "mse": lambda: ((a[0] - a[1]) ** 2).mean(),
    }
    if case.op in simple:
        return simple[case.op]()
    logits, target = a  # cross_entropy
    log_p = _log_softmax(logits, -1)
    if target.shape == logits.shape:
        return -(target * log_p).sum() / (logits.shape[0] if logits.ndim == 2 else 1)
    if logits.ndim == 1:
        return -log_p[int(target)]
    return -log_p[np.arange(len(target)), target.astype(int)].mean()


def _forward(B, case: Case, args=None):
    op = TENSOR_OPS[case.op]
    return op.forward(B, [B.array(x) for x in (args or case.args)], case.params)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_forward_matches_numpy_and_the_shape_rule(name, case):
    B = backend(name)
    op = TENSOR_OPS[case.op]
    out = _forward(B, case)
    assert B.shape(out) == op.shape(tuple(np.shape(x) for x in case.args), case.params)
    want = reference(case)
    assert_close(B.tolist(out), want.tolist() if np.ndim(want) else float(want), rel=1e-12, abs_=1e-12)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_vjp_matches_finite_differences(case):
    B = pure.backend()
    op = TENSOR_OPS[case.op]
    args = [B.array(x) for x in case.args]
    out = op.forward(B, args, case.params)
    upstream = draw(B.shape(out))
    for k in case.variables:
        grad = op.vjps[k](B, B.array(upstream), args, out, case.params)
        assert B.shape(grad) == B.shape(args[k]), f"the gradient of argument {k} has the argument's shape"
        numeric = numeric_vjp(lambda trial: B.tolist(_forward(B, case, trial)), case.args, k, upstream)
        assert_close(flat(B.tolist(grad)), numeric, rel=1e-6, abs_=1e-6, what=f"argument {k}")


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_jvp_matches_finite_differences_and_the_vjps(name, case):
    B = backend(name)
    op = TENSOR_OPS[case.op]
    args = [B.array(x) for x in case.args]
    out = op.forward(B, args, case.params)
    tangents = [B.array(draw(np.shape(x))) if k in case.variables else None for k, x in enumerate(case.args)]
    jvp = op.jvp(B, tangents, args, out, case.params)
    assert B.shape(jvp) == B.shape(out)
    # finite differences along the tangent
    h = 1e-6
    moved = [[B.tolist(B.add(a, B.mul(t, sign * h))) if t is not None else x for a, t, x in
              zip(args, tangents, case.args)] for sign in (1, -1)]
    ahead, behind = (flat(B.tolist(_forward(B, case, m))) for m in moved)
    assert_close(flat(B.tolist(jvp)), [(p - q) / (2 * h) for p, q in zip(ahead, behind)], rel=1e-6, abs_=1e-6)
    # <v, J t> == sum_k <J_k^T v, t_k>
    v = B.array(draw(B.shape(out)))
    through_vjps = math.fsum(inner(B, op.vjps[k](B, v, args, out, case.params), tangents[k]) for k in case.variables)
    assert math.isclose(inner(B, v, jvp), through_vjps, rel_tol=1e-11, abs_tol=1e-12)


def test_elementwise_derivatives_are_ops_pys(monkeypatch):
    """The elementwise rules look ops.py's scalar rules up: changing ops.py's tanh' changes the tensor VJP."""
    B = pure.backend()
    monkeypatch.setitem(OPS, "tanh", dataclasses.replace(OPS["tanh"], partials=(lambda x, out: 42.0,)))
    x = B.array([0.5, -1.0])
    out = TENSOR_OPS["tanh"].forward(B, [x], {})
    assert TENSOR_OPS["tanh"].vjps[0](B, B.array([1.0, 2.0]), [x], out, {}) == pure.Array((2,), (42.0, 84.0))


def test_exact_fractions_stay_exact_through_the_rules():
    B = pure.backend(EXACT)
    W = B.array([[Fraction(1, 2), Fraction(-1, 3)], [2, Fraction(1, 5)]])
    x = B.array([Fraction(3), Fraction(-3, 4)])
    g = B.array([Fraction(1, 7), 1])
    matmul = TENSOR_OPS["matmul"]
    y = matmul.forward(B, [W, x], {})
    assert y == pure.Array((2,), (Fraction(7, 4), Fraction(117, 20)))
    assert matmul.vjps[0](B, g, [W, x], y, {}) == pure.Array((2, 2), (Fraction(3, 7), Fraction(-3, 28), 3,
                                                                      Fraction(-3, 4)))
    assert matmul.vjps[1](B, g, [W, x], y, {}) == pure.Array((2,), (Fraction(1, 14) + 2, Fraction(-1, 21) + Fraction(1, 5)))
    assert TENSOR_OPS["mean"].forward(B, [W], {"axis": 0}) == pure.Array((2,), (Fraction(5, 4), Fraction(-1, 15)))
    assert TENSOR_OPS["mse"].forward(B, [x, B.array([1, 0])], {}) == Fraction(4 + Fraction(9, 16), 2)
    assert TENSOR_OPS["mse"].vjps[0](B, B.one, [x, B.array([1, 0])], None, {}) == pure.Array((2,), (2, Fraction(-3, 4)))
    assert TENSOR_OPS["mse"].jvp(B, [x, None], [x, B.array([1, 0])], None, {}) == Fraction(105, 16)  # <grad, x>
    tie = B.array([Fraction(1), Fraction(3), Fraction(3)])
    assert TENSOR_OPS["max"].vjps[0](B, B.one, [tie], Fraction(3), {}) == pure.Array((3,), (0, Fraction(1, 2),
                                                                                           Fraction(1, 2)))


# -- how the rules read -----------------------------------------------------------------------------------

@pytest.mark.parametrize("op, shapes, params, texts", [
    ("matmul", [(2, 3), (3,)], {}, ("∂L/∂{0} = ∂L/∂{out} · {1}ᵀ", "∂L/∂{1} = {0}ᵀ · ∂L/∂{out}")),
    ("matmul", [(3,), (3,)], {}, ("∂L/∂{0} = ∂L/∂{out} {1}", "∂L/∂{1} = ∂L/∂{out} {0}")),
    ("add", [(4, 3), (3,)], {}, ("∂L/∂{0} = ∂L/∂{out}", "∂L/∂{1} = ∂L/∂{out}, summed to the shape (3,)")),
    ("sub", [(3,), (3,)], {}, ("∂L/∂{0} = ∂L/∂{out}", "∂L/∂{1} = -∂L/∂{out}")),
    ("mul", [(3,), (3,)], {}, ("∂L/∂{0} = ∂L/∂{out} ⊙ {1}", "∂L/∂{1} = ∂L/∂{out} ⊙ {0}")),
    ("tanh", [(3,)], {}, ("∂L/∂{0} = ∂L/∂{out} ⊙ (1 - tanh({0})^2)",)),
    ("relu", [(3,)], {}, ("∂L/∂{0} = ∂L/∂{out} ⊙ (1 if {0} > 0, else 0)",)),
    ("transpose", [(2, 3)], {}, ("∂L/∂{0} = (∂L/∂{out})ᵀ",)),
    ("index", [(3, 4)], {"index": (Slice(), 0)}, ("∂L/∂{0} = ∂L/∂{out} at [:, 0], 0 elsewhere",)),
    ("softmax", [(4,)], {}, ("∂L/∂{0} = {out} ⊙ (∂L/∂{out} − Σ ∂L/∂{out} ⊙ {out})",)),
    ("cross_entropy", [(3, 4), (3,)], {}, ("∂L/∂{0} = ∂L/∂{out} · (softmax({0}) − onehot({1})) / 3", "")),
    ("sum", [(3, 4)], {"axis": 0}, ("∂L/∂{0} = ∂L/∂{out}, copied along the summed axes",)),
])
def test_local_rules_at_tensor_level(op, shapes, params, texts):
    assert TENSOR_OPS[op].rule_text(shapes, params) == texts


def test_every_operation_has_a_rule_text_per_argument():
    for case in CASES:
        texts = TENSOR_OPS[case.op].rule_text([np.shape(a) for a in case.args], case.params)
        assert len(texts) == len(case.args), case
        for k in case.variables:
            assert texts[k].startswith(f"∂L/∂{{{k}}} = "), (case, texts[k])


@pytest.mark.parametrize("op, count, params, written", [
    ("matmul", 2, {}, "{0} @ {1}"),
    ("add", 2, {}, "{0} + {1}"),
    ("leaky_relu", 2, {}, "leaky_relu({0}, {1})"),
    ("max_elementwise", 3, {}, "max({0}, {1}, {2})"),
    ("sum", 1, {"axis": 0}, "sum({0}, axis=0)"),
    ("logsumexp", 1, {}, "logsumexp({0})"),
    ("index", 1, {"index": (Slice(), 0)}, "{0}[:, 0]"),
    ("index", 2, {"index": (Variable(1),)}, "{0}[{1}]"),
    ("index", 1, {"index": (Slice(None, None, -1), Slice(1, 3))}, "{0}[::-1, 1:3]"),
    ("transpose", 1, {}, "{0}ᵀ"),
    ("stack", 3, {}, "[{0}, {1}, {2}]"),
    ("softmax", 1, {"axis": 0}, "softmax({0}, axis=0)"),
])
def test_how_nodes_are_written(op, count, params, written):
    assert TENSOR_OPS[op].written(count, params) == written


# -- shape errors ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("op, shapes, params, labels, message", [
    ("matmul", [(2, 3), (2,)], {}, ["W", "x"], "W @ x: (2, 3) @ (2,) do not fit: the inner sizes 3 and 2 differ"),
    ("add", [(2, 3), (2,)], {}, ["z", "b"], "z + b: the shapes (2, 3) and (2,) do not broadcast: the sizes 3 and 2 of "
     "axis -1 differ and neither is 1 (sizes are matched from the last axis and must be equal or 1)"),
    ("sum", [(2, 3)], {"axis": 2}, ["W"], "sum(W, axis=2): axis 2 is out of range for a tensor of 2 dimensions, "
     "shape (2, 3)"),
    ("sum", [()], {}, ["a"], "sum(a): a is a scalar; sum over a tensor needs at least one axis"),
    ("max", [(0,)], {}, ["x"], "max(x): max of no elements is not defined; x has shape (0,)"),
    ("softmax", [(2, 3)], {"axis": -3}, ["z"], "softmax(z, axis=-3): axis -3 is out of range for a tensor of 2 "
     "dimensions, shape (2, 3)"),
    ("cross_entropy", [(4,), (3,)], {}, ["z", "p"], "cross_entropy(z, p): the target p has shape (3,); for logits of "
     "shape (4,) it is a whole number or probabilities of shape (4,)"),
    ("cross_entropy", [(2, 4), (3,)], {}, ["z", "k"], "cross_entropy(z, k): the target k has shape (3,); for logits "
     "of shape (2, 4) it is a vector of 2 class indices or probabilities of shape (2, 4)"),
    ("cross_entropy", [(), ()], {}, ["z", "k"], "cross_entropy(z, k): the logits z must be a vector of scores or a "
     "matrix with one row of scores per example, and have shape ()"),
    ("mse", [(3, 1), (3,)], {}, ["y", "t"], "mse(y, t): the shapes (3, 1) and (3,) differ; mse compares two tensors "
     "element by element (PyTorch would broadcast them to (3, 3), with a warning)"),
    ("stack", [(2,), (3,)], {}, ["a", "b"], "[a, b]: the elements have the shapes (2,) and (3,) (a and b); the rows "
     "of a tensor have one shape"),
    ("norm", [()], {}, ["x"], "norm(x): x is a scalar; use abs for its size"),
    ("index", [(3,)], {"index": (0, 1)}, ["x"], "x[0, 1]: 2 indices for a tensor of 1 dimension, shape (3,)"),
])
def test_shape_errors_name_the_operation_and_the_shapes(op, shapes, params, labels, message):
    with pytest.raises(ShapeError) as caught:
        TENSOR_OPS[op].shape(tuple(shapes), params)
    assert rule_message(caught.value, labels, "y") == message


@pytest.mark.parametrize("logits, target, message", [
    ([1.0, 2.0], 2.0, "cross_entropy({0}, {1}): the class index {1} = 2 is out of range for 2 classes (from 0 to 1)"),
    ([1.0, 2.0], 0.5, "cross_entropy({0}, {1}): the class index {1} = 0.5 is not a whole number"),
    ([[1.0, 2.0], [3.0, 4.0]], [1.0, -1.0], "cross_entropy({0}, {1}): the class index {1}[1] = -1 is out of range "
                                             "for 2 classes (from 0 to 1)"),
])
def test_class_indices_are_checked(logits, target, message):
    B = pure.backend()
    with pytest.raises(ShapeError) as caught:
        TENSOR_OPS["cross_entropy"].forward(B, [B.array(logits), B.array(target)], {})
    assert str(caught.value) == message


# -- kinks -----------------------------------------------------------------------------------------------

def _kinks(op, args, params=None):
    B = pure.backend()
    args = [B.array(a) for a in args]
    out = TENSOR_OPS[op].forward(B, args, params or {})
    return TENSOR_OPS[op].kinks(B, args, out, params or {})


def test_relu_reports_each_element_at_zero():
    assert _kinks("relu", [[[-1.0, 0.0], [0.0, 2.0]]]) == (
        TensorKink((0, 1), ((0, (0, 1)),), (0.0,), ((0, 1),)),
        TensorKink((1, 0), ((0, (1, 0)),), (0.0,), ((0, 1),)),
    )


def test_leaky_relu_at_zero_takes_the_slope_and_reports_both_arguments():
    assert _kinks("leaky_relu", [[0.0, 1.0], 0.2]) == (TensorKink((0,), ((0, (0,)), (1, ())), (0.2, 0.0),
                                                                  ((0.2, 1), (0, 0))),)


def test_a_tie_of_max_splits_the_gradient_and_is_reported():
    # PyTorch 2.13: torch.amax(t) and torch.max(t) split evenly at a tie (tests/data/tensor_observations.json)
    assert _kinks("max", [[1.0, 3.0, 3.0, 2.0]]) == (TensorKink((), ((0, (1,)), (0, (2,))), (0.5, 0.5),
                                                                ((0, 1), (0, 1))),)
    along = _kinks("min", [[[1.0, 3.0, 0.0], [2.0, 3.0, 0.0]]], {"axis": 0})
    assert along == (TensorKink((1,), ((0, (0, 1)), (0, (1, 1))), (0.5, 0.5), ((1, 0), (1, 0))),
                     TensorKink((2,), ((0, (0, 2)), (0, (1, 2))), (0.5, 0.5), ((1, 0), (1, 0))))
    assert _kinks("max", [[1.0, 3.0, 2.0]]) == ()


def test_pairwise_max_of_tensors_reports_ties_elementwise():
    assert _kinks("max_elementwise", [[1.0, 2.0], [1.0, 0.0]]) == (
        TensorKink((0,), ((0, (0,)), (1, (0,))), (0.5, 0.5), ((0, 1), (0, 1))),)


def test_norm_at_zero_is_a_kink_with_gradient_zero():
    kinks = _kinks("norm", [[0.0, 0.0]])
    assert kinks == (TensorKink((), ((0, (0,)), (0, (1,))), (0.0, 0.0), ((-1, 1), (-1, 1))),)
    assert _kinks("norm", [[3.0, 4.0]]) == ()


def test_smooth_operations_have_no_kink_rule():
    for name in ("matmul", "softmax", "cross_entropy", "tanh", "sum", "mse"):
        assert TENSOR_OPS[name].kinks is None
