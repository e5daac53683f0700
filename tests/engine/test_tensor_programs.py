"""Programs with vectors and matrices, through the whole engine: syntax tree -> tape -> shapes -> sweeps -> result.

- lowering: the tensor records of the syntax tree (matmul, transpose, stack, Index, Slice; built by hand
  here, as the contract with the parser has them) and the tensor functions, with their params; a list of
  plain numbers is one constant; `x = [1, 2]` is an input with a default; scalar programs lower as before;
- shapes: inferred from the values bound, a mismatch a usage error in the program's names with a caret;
- the classic exercises, each against an oracle independent of the engine: NumPy by hand (cs231n's
  D = W.dot(X), a bias over a batch, a 2-layer MLP with softmax cross-entropy), Karpathy's answer key
  (once with cross_entropy, once step by step), log-sum-exp at (1000, 1001) against mpmath, Mazur's
  network written with matrices against the scalar program the training tests check, exact fractions
  worked by hand;
- forward mode (at most 64 input elements), kinks, errors naming the node.
"""
from __future__ import annotations

import math
from fractions import Fraction

import pytest
from conftest import compute

from backprop_cli.base.errors import MathError, ProgramError, UsageError
from backprop_cli.engine.arithmetic import EXACT, FLOAT
from backprop_cli.engine.bindings import value_of
from backprop_cli.engine.compute import differentiate
from backprop_cli.engine.tape import lower
from backprop_cli.engine.tensor.shapes import Slice as SliceSpec
from backprop_cli.engine.tensor.shapes import Variable
from backprop_cli.engine.tensor_compute import FORWARD_MODE_ELEMENTS, jacobian
from backprop_cli.language.parser import parse
from backprop_cli.language.syntax_tree import Apply, Assign, Index, Name, Number, Program, Slice, Span

np = pytest.importorskip("numpy")
RNG = np.random.default_rng(14)


def values(arithmetic=FLOAT, **given) -> dict:
    """Bindings as the command line gives them: text ("[1, 2]", "1/3") or numbers."""
    return {name: value_of(arithmetic, v if isinstance(v, str) else repr(v), f"the value of {name}")
            if isinstance(v, (str, float, int)) else value_of(arithmetic, _text(v), name) for name, v in given.items()}


def _text(array) -> str:
    return repr(np.asarray(array, dtype=float).tolist())


def run(source_or_program, arithmetic=FLOAT, **given):
    program = parse(source_or_program) if isinstance(source_or_program, str) else source_or_program
    return differentiate(lower(program), values(arithmetic, **given), arithmetic)


def grad(result, name):
    return np.array(result.nested(result.gradient()[name]))


# -- records by hand, as the parser will make them: spans point into the source ------------------------

class Hand:
    """Builds syntax-tree records over `source`, each span found in it (the n-th occurrence of a text)."""

    def __init__(self, source: str) -> None:
        self.source = source

    def span(self, text: str, nth: int = 0) -> Span:
        at = -1
        for _ in range(nth + 1):
            at = self.source.index(text, at + 1)
        return Span(at, at + len(text))

    def number(self, text, nth=0):
        return Number(text, self.span(text, nth))

    def name(self, text, nth=0):
        return Name(text, self.span(text, nth))

    def apply(self, op, args, text, nth=0, call=False):
        return Apply(op, tuple(args), self.span(text, nth), call)

    def index(self, target, items, text, nth=0):
        return Index(target, tuple(items), self.span(text, nth))

    def program(self, *statements):
        return Program(tuple(statements), self.source)


# -- lowering ---------------------------------------------------------------------------------------------

def test_a_scalar_program_lowers_as_before():
    tape = lower(parse("y = sum(a, b) * max(a, 2); z = y^2"))
    assert not tape.tensor and not tape.shaped
    assert [node.op for node in tape.nodes] == ["input", "input", "sum", "const", "max", "mul", "const", "pow"]
    assert all(node.shape == () and node.params == () for node in tape.nodes)


def test_a_list_of_plain_numbers_is_one_constant_written_canonically():
    h = Hand("[[1,  -2], [+3, 4.50]] @ x")
    rows = [h.apply("stack", [h.number("1"), h.apply("neg", [h.number("2")], "-2")], "[1,  -2]"),
            h.apply("stack", [h.apply("pos", [h.number("3")], "+3"), h.number("4.50")], "[+3, 4.50]")]
    matrix = h.apply("stack", rows, "[[1,  -2], [+3, 4.50]]")
    tape = lower(h.program(h.apply("matmul", [matrix, h.name("x")], "[[1,  -2], [+3, 4.50]] @ x")))
    assert tape.tensor
    assert [(n.op, n.text) for n in tape.nodes] == [("const", "[[1, -2], [3, 4.50]]"), ("input", None),
                                                   ("matmul", None)]
    result = differentiate(tape, values(x="[1, 1]"))
    assert result.nested(result.value) == [-1.0, 7.5]
    assert result.tape.nodes[0].shape == (2, 2)


def test_a_list_with_an_expression_is_a_stack_node():
    h = Hand("sum([a, 2*a, 3])")
    literal = h.apply("stack", [h.name("a"), h.apply("mul", [h.number("2"), h.name("a", 1)], "2*a"),
                                h.number("3")], "[a, 2*a, 3]")
    tape = lower(h.program(h.apply("sum", [literal], "sum([a, 2*a, 3])", call=True)))
    assert [n.op for n in tape.nodes] == ["input", "const", "mul", "const", "stack", "sum"]
    result = differentiate(tape, values(a=5))
    assert result.value == 18.0  # 5 + 10 + 3
    assert result.gradient()["a"] == 3.0
    assert result.tape.expression(4) == "[a, v3, 3]"


def test_transpose_and_matmul_records():
    h = Hand("W.T @ v")
    program = h.program(h.apply("matmul", [h.apply("transpose", [h.name("W")], "W.T"), h.name("v")], "W.T @ v"))
    result = run(program, W="[[1, 2, 3], [4, 5, 6]]", v="[1, -1]")
    assert result.nested(result.value) == [-3.0, -3.0, -3.0]
    assert [n.op for n in result.tape.nodes] == ["input", "transpose", "input", "matmul"]


def test_index_items_become_the_tensor_engines_index_spec():
    h = Hand("sum(W[-1, ::-1] + W[:, k] + x[1:3])")
    neg = h.apply("neg", [h.number("1")], "-1")
    reverse = Slice(None, None, h.apply("neg", [h.number("1", 1)], "-1", 1), h.span("::-1"))
    items = [
        (h.index(h.name("W"), [neg, reverse], "W[-1, ::-1]"), (-1, SliceSpec(None, None, -1))),
        (h.index(h.name("W", 1), [Slice(None, None, None, h.span(":")), h.name("k")], "W[:, k]"),
         (SliceSpec(None, None, None), Variable(1))),
        (h.index(h.name("x"), [Slice(h.number("1", 2), h.number("3"), None, h.span("1:3"))], "x[1:3]"),
         (SliceSpec(1, 3, None),)),
    ]
    total = h.apply("add", [h.apply("add", [items[0][0], items[1][0]], "W[-1, ::-1] + W[:, k]"), items[2][0]],
                    "W[-1, ::-1] + W[:, k] + x[1:3]")
    tape = lower(h.program(h.apply("sum", [total], h.source, call=True)))
    indexes = [n for n in tape.nodes if n.op == "index"]
    assert [dict(n.params)["index"] for n in indexes] == [spec for _, spec in items]
    assert indexes[1].args == (tape.inputs["W"], tape.inputs["k"])
    result = differentiate(tape, values(W="[[1, 2], [3, 4]]", k=0, x="[10, 20, 30, 40]"))
    assert result.nested(result.values[-2]) == [4 + 1 + 20, 3 + 3 + 30]  # [4, 3] + [1, 3] + [20, 30]
    assert result.tape.expression(tape.nodes.index(indexes[1])) == "W[:, k]"
    assert result.no_gradient == {"k"}
    assert result.nested(grad_of(result, "W")) == [[1.0, 0.0], [2.0, 1.0]]  # row 1 reversed, and column 0
    assert result.nested(grad_of(result, "x")) == [0.0, 1.0, 1.0, 0.0]


def grad_of(result, name):
    return result.gradient()[name]


@pytest.mark.parametrize("item, message", [
    ("1.5", "an index is a whole number, not 1.5"),
    ("i + 1", "an index is a whole number (x[0], x[-1]), a slice (x[1:3]) or the name of an integer input (x[k])"),
])
def test_an_index_that_is_not_a_whole_number_or_a_name_is_refused_with_a_caret(item, message):
    source = f"x[{item}]"
    h = Hand(source)
    expr = h.number("1.5") if item == "1.5" else h.apply("add", [h.name("i"), h.number("1")], "i + 1")
    with pytest.raises(ProgramError) as caught:
        lower(h.program(h.index(h.name("x"), [expr], source)))
    assert caught.value.message == f"{message} (line 1, column 3)\n  {source}\n    {'^' * len(item)}"


def test_a_slice_with_a_name_in_it_is_refused():
    h = Hand("x[0:n]")
    with pytest.raises(ProgramError, match=r"a slice's start, stop and step are whole numbers"):
        lower(h.program(h.index(h.name("x"), [Slice(h.number("0"), h.name("n"), None, h.span("0:n"))], "x[0:n]")))


@pytest.mark.parametrize("source, params", [
    ("sum(W, axis=0)", (("axis", 0),)),
    ("W.sum(axis=-1)", (("axis", -1),)),
    ("F.softmax(W, dim=1)", (("axis", 1),)),
    ("np.max(W, axis=1)", (("axis", 1),)),
    ("logsumexp(W, axis=0)", (("axis", 0),)),
])
def test_axis_keywords_become_params_and_leave_no_nodes(source, params):
    tape = lower(parse(source))
    assert [n.op for n in tape.nodes][0] == "input" and len(tape.nodes) == 2
    assert tape.nodes[1].params == params


@pytest.mark.parametrize("source, fragment", [
    ("sum(W, axis=k)", "axis is a whole number written as one, as in sum(W, axis=0) or axis=-1"),
    ("sum(W, axis=0.5)", "axis is a whole number written as one"),
    ("sum(W, x, axis=0)", "sum takes 1 argument, not 2"),
    ("norm(W, axis=0)", "norm takes no argument by keyword (axis=...)"),
    ("softmax(W, axes=0)", "unknown keyword axes for softmax (did you mean axis?)"),
    ("softmax(W, axis=0, dim=1)", "the axis is given twice"),
    ("cross_entropy(z)", "cross_entropy takes 2 arguments, not 1"),
    ("dot(W, x, y)", "dot takes 2 arguments, not 3"),
])
def test_tensor_calls_are_checked_when_lowered(source, fragment):
    with pytest.raises(ProgramError) as caught:
        lower(parse(source))
    assert fragment in caught.value.message and "^" in caught.value.message


@pytest.mark.parametrize("source", ["dot(W, x)", "np.dot(W, x)", "(W).dot(x)", "matmul(W, x)", "torch.matmul(W, x)"])
def test_every_spelling_of_the_matrix_product_is_matmul(source):
    result = run(source, W="[[1, 2], [3, 4]]", x="[1, 1]")
    assert result.tape.nodes[result.tape.output].op == "matmul"
    assert result.nested(result.value) == [3.0, 7.0]


def test_a_plain_list_assigned_to_a_name_is_an_input_with_that_default():
    h = Hand("x = [1, 2, 3]; y = sum(x * x)")
    literal = h.apply("stack", [h.number("1"), h.number("2"), h.number("3")], "[1, 2, 3]")
    square = h.apply("mul", [h.name("x", 1), h.name("x", 2)], "x * x")
    program = h.program(Assign("x", h.span("x"), literal, h.span("x = [1, 2, 3]")),
                        Assign("y", h.span("y"), h.apply("sum", [square], "sum(x * x)", call=True),
                               h.span("y = sum(x * x)")))
    tape = lower(program)
    assert tape.defaults == {"x": "[1, 2, 3]"} and tape.nodes[0].op == "input"
    result = differentiate(tape, {})
    assert result.value == 14.0 and result.nested(grad_of(result, "x")) == [2.0, 4.0, 6.0]
    result = differentiate(tape, values(x="[1, 1]"))  # a binding overrides it
    assert result.value == 2.0


def test_the_programs_own_function_may_use_tensor_functions():
    result = run("probs(z) = softmax(z); L = -sum(t * log(probs(z)))", z="[1, 2, 3]", t="[0, 0, 1]")
    s = np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum()
    assert result.value == pytest.approx(-math.log(s[2]), rel=1e-15)
    assert np.allclose(grad(result, "z"), s - [0, 0, 1], rtol=1e-14)
    assert any(node.call == "probs(z)" for node in result.tape.nodes)


def test_max_of_one_tensor_reduces_and_of_several_is_elementwise():
    result = run("sum(maximum(0, h)) + max(h) + sum(max(h, 0.5)) + max(c)", h="[-1, 2, 0.25]", c=3)
    ops = [n.op for n in result.tape.nodes]
    assert ops.count("max_elementwise") == 3 and ops.count("max") == 1  # max(c) of a number: elementwise
    assert result.value == 2.25 + 2 + 3 + 3
    assert result.nested(grad_of(result, "h")) == [0.0, 3.0, 1.0]  # relu' + the largest + (h > 0.5)


# -- shapes -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("source, given, message, caret", [
    ("tanh(dot(W, x) + b)", dict(W="[[1, 2, 3], [4, 5, 6]]", x="[1, 2]", b="[0, 0]"),
     "W @ x: (2, 3) @ (2,) do not fit: the inner sizes 3 and 2 differ (line 1, column 6)", "dot(W, x)"),
    ("y = a + b", dict(a="[1, 2, 3]", b="[1, 2]"),
     "a + b: the shapes (3,) and (2,) do not broadcast: the sizes 3 and 2 of axis -1 differ and neither is 1 "
     "(sizes are matched from the last axis and must be equal or 1) (line 1, column 5)", "a + b"),
    ("softmax(s) * x", dict(s=2, x="[1, 2]"),
     "softmax(s): s is a scalar; softmax needs a vector of scores (line 1, column 1)", "softmax(s)"),
    ("sum(W, axis=2)", dict(W="[[1, 2]]"),
     "sum(W, axis=2): axis 2 is out of range for a tensor of 2 dimensions, shape (1, 2) (line 1, column 1)",
     "sum(W, axis=2)"),
    ("cross_entropy(z, t)", dict(z="[1, 2, 3]", t="[1, 0]"),
     "cross_entropy(z, t): the target t has shape (2,); for logits of shape (3,) it is a whole number or "
     "probabilities of shape (3,) (line 1, column 1)", "cross_entropy(z, t)"),
])
def test_shapes_that_do_not_fit_are_a_usage_error_with_a_caret(source, given, message, caret):
    with pytest.raises(UsageError) as caught:
        run(source, **given)
    start = source.index(caret)
    assert caught.value.message == f"{message}\n  {source}\n  {' ' * start}{'^' * len(caret)}"


def test_shapes_are_known_for_every_node():
    result = run("h = tanh(dot(W, x) + b); L = sum(h * h, axis=0)", W="[[1, 2], [3, 4], [5, 6]]", x="[1, 0]",
                 b="[0, 0, 0]")
    assert [n.shape for n in result.tape.nodes] == [(3, 2), (2,), (3,), (3,), (3,), (3,), (3,), ()]
    assert result.tape.shaped and result.tape.tensor


def test_an_index_input_must_be_a_whole_number():
    with pytest.raises(UsageError) as caught:
        run("cross_entropy(z, k)", z="[1, 2, 3]", k=1.5)
    assert caught.value.message == "k is an index in cross_entropy(z, k), so its value is a whole number, not 1.5"
    result = run("cross_entropy(z, k)", z="[1, 2, 3]", k="2")
    assert result.no_gradient == {"k"} and "k" not in result.gradient()


def test_an_index_out_of_range_at_run_time_names_the_index_and_its_value():
    h = Hand("x[k] * 2")
    program = h.program(h.apply("mul", [h.index(h.name("x"), [h.name("k")], "x[k]"), h.number("2")], "x[k] * 2"))
    with pytest.raises(UsageError) as caught:
        run(program, x="[1, 2, 3]", k=3)
    assert caught.value.message == ("x[k]: the index k = 3 is out of range for axis 0 of size 3 (from -3 to 2) "
                                    "(line 1, column 1)\n  x[k] * 2\n  ^^^^")


def test_a_math_error_names_the_element_and_the_node():
    with pytest.raises(MathError) as caught:
        run("sum(log(x - 1))", x="[3, 0.5, 2]")
    assert caught.value.message.startswith(
        "log is defined for positive numbers only (at [1], where x - 1[1] = -0.5) in v4 = log(v3)")
    assert caught.value.message.endswith("\n  sum(log(x - 1))\n      ^^^^^^^^^^")


# -- the classic exercises ---------------------------------------------------------------------------------

def test_cs231n_matrix_product_gradients():
    """cs231n, "Derivatives, Backpropagation, and Vectorization": D = W.dot(X), dW = dD.dot(X.T), dX = W.T.dot(dD);
    L = sum(D * G) makes the upstream gradient dD equal G."""
    W, X, G = RNG.normal(size=(5, 10)), RNG.normal(size=(10, 3)), RNG.normal(size=(5, 3))
    result = run("D = dot(W, X); L = sum(D * G)", W=W, X=X, G=G)
    assert np.allclose(np.array(result.nested(result.values[2])), W.dot(X), rtol=1e-13, atol=1e-13)
    assert np.allclose(grad(result, "D"), G, rtol=0, atol=0)
    assert np.allclose(grad(result, "W"), G.dot(X.T), rtol=1e-13, atol=1e-13)
    assert np.allclose(grad(result, "X"), W.T.dot(G), rtol=1e-13, atol=1e-13)
    assert result.rules(2) == [(0, "∂L/∂W = ∂L/∂D · Xᵀ"), (1, "∂L/∂X = Wᵀ · ∂L/∂D")]


def test_a_bias_broadcast_over_a_batch_gets_the_batch_sum():
    X, W, b, G = RNG.normal(size=(4, 3)), RNG.normal(size=(3, 2)), RNG.normal(size=2), RNG.normal(size=(4, 2))
    result = run("Y = dot(X, W) + b; L = sum(Y * G)", X=X, W=W, b=b, G=G)
    assert np.allclose(grad(result, "b"), G.sum(axis=0), rtol=1e-13)
    assert np.allclose(grad(result, "W"), X.T @ G, rtol=1e-13)
    assert result.rules(4)[1] == (3, "∂L/∂b = ∂L/∂Y, summed to the shape (2,)")


def test_a_two_layer_mlp_with_softmax_cross_entropy_against_numpy_by_hand():
    N, D, H, C = 6, 5, 4, 3
    X, W1, b1, W2, b2 = (RNG.normal(size=s) for s in [(N, D), (D, H), (H,), (H, C), (C,)])
    y = RNG.integers(0, C, size=N)
    result = run("h = relu(dot(X, W1) + b1); scores = dot(h, W2) + b2; L = cross_entropy(scores, y)",
                 X=X, W1=W1, b1=b1, W2=W2, b2=b2, y=str(y.tolist()))
    # by hand (cs231n's two-layer net): forward, then every gradient
    z = X @ W1 + b1
    h = np.maximum(0, z)
    scores = h @ W2 + b2
    shifted = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean()
    dscores = p.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    dW2, db2 = h.T @ dscores, dscores.sum(axis=0)
    dz = (dscores @ W2.T) * (z > 0)
    dW1, db1 = X.T @ dz, dz.sum(axis=0)
    assert result.value == pytest.approx(loss, rel=1e-13)
    for name, want in [("W1", dW1), ("b1", db1), ("W2", dW2), ("b2", db2), ("X", dz @ W1.T)]:
        assert np.allclose(grad(result, name), want, rtol=1e-12, atol=1e-14), name
    assert result.no_gradient == {"y"}


NIELSEN = "z1 = dot(W1, x) + b1; a1 = sigmoid(z1); z2 = dot(W2, a1) + b2; a2 = sigmoid(z2); C = 0.5 * sum((a2 - y)^2)"
NIELSEN_POINT = dict(x="[0.3, -0.8]", y="[1, 0]", W1="[[0.1, 0.4], [-0.3, 0.2], [0.5, -0.6]]", b1="[0.1, 0, -0.1]",
                     W2="[[0.2, -0.5, 0.3], [0.4, 0.1, -0.2]]", b2="[0, 0.1]")  # docs/nielsen.json, docs/tensors.md


def test_nielsens_bp1_to_bp4_on_a_2_3_2_network():
    """Nielsen, "Neural Networks and Deep Learning", chapter 2: the four equations of backpropagation."""
    result = run(NIELSEN, **NIELSEN_POINT)
    x, y = np.array([0.3, -0.8]), np.array([1.0, 0.0])
    W1, b1 = np.array([[0.1, 0.4], [-0.3, 0.2], [0.5, -0.6]]), np.array([0.1, 0, -0.1])
    W2, b2 = np.array([[0.2, -0.5, 0.3], [0.4, 0.1, -0.2]]), np.array([0, 0.1])
    sigma = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    z1 = W1 @ x + b1
    a1 = sigma(z1)
    z2 = W2 @ a1 + b2
    a2 = sigma(z2)
    delta2 = (a2 - y) * sigma(z2) * (1 - sigma(z2))  # BP1: δᴸ = ∇ₐC ⊙ σ'(zᴸ)
    delta1 = (W2.T @ delta2) * sigma(z1) * (1 - sigma(z1))  # BP2: δˡ = ((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ'(zˡ)
    assert result.value == pytest.approx(0.5 * np.sum((a2 - y) ** 2), rel=1e-15)
    for name, want in [("z2", delta2), ("z1", delta1), ("b2", delta2), ("b1", delta1),  # BP3: ∂C/∂b = δ
                       ("W2", np.outer(delta2, a1)), ("W1", np.outer(delta1, x))]:  # BP4: ∂C/∂w = δ aᵀ
        assert np.allclose(grad(result, name), want, rtol=1e-14, atol=1e-17), name
    at = result.tape.inputs["W2"] + 1  # W2 @ a1
    assert result.rules(at) == [(6, "∂C/∂W2 = ∂C/∂v8 · a1ᵀ"), (5, "∂C/∂a1 = W2ᵀ · ∂C/∂v8")]


KARPATHY_LOGITS = "[0, 3, -2, 1]"
KARPATHY_KEY = [0.04177, 0.83902, 0.00565, -0.88645]  # "Yes you should understand backprop" (Karpathy, 2016)


def test_karpathys_answer_key_with_cross_entropy():
    result = run("loss = cross_entropy(logits, k)", logits=KARPATHY_LOGITS, k=3)
    assert [round(g, 5) for g in result.nested(grad_of(result, "logits"))] == KARPATHY_KEY
    assert round(result.value, 4) == 2.1755


def test_karpathys_answer_key_step_by_step():
    source = "counts = exp(logits - max(logits)); probs = counts / sum(counts); loss = -log(probs[3])"
    h = Hand(source)
    first = parse("counts = exp(logits - max(logits)); probs = counts / sum(counts)").statements
    picked = h.index(h.name("probs", 1), [h.number("3")], "probs[3]")
    last = Assign("loss", h.span("loss"), h.apply("neg", [h.apply("log", [picked], "log(probs[3])", call=True)],
                                                  "-log(probs[3])"), h.span("loss = -log(probs[3])"))
    result = run(Program((*first, last), source), logits=KARPATHY_LOGITS)
    assert [round(g, 5) for g in result.nested(grad_of(result, "logits"))] == KARPATHY_KEY
    # and with a one-hot vector instead of the index, no indexing at all
    result = run("counts = exp(logits - max(logits)); probs = counts / sum(counts); loss = -sum(log(probs) * t)",
                 logits=KARPATHY_LOGITS, t="[0, 0, 0, 1]")
    assert [round(g, 5) for g in result.nested(grad_of(result, "logits"))] == KARPATHY_KEY


def test_log_sum_exp_at_large_logits_to_the_last_digit():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    result = run("logsumexp(z)", z="[1000, 1001]")
    tail = mpmath.log(1 + mpmath.exp(-1))
    assert result.value == float(1001 + tail)
    e = mpmath.e
    # the gradient exp(z - out) has the rounding of out = 1001.31... (an ulp is 1.1e-13) in its exponent
    assert result.nested(grad_of(result, "z")) == pytest.approx([float(1 / (1 + e)), float(e / (1 + e))], rel=2e-13)
    with pytest.raises(MathError, match=r"the value of exp\(z\) is too large for a 64-bit float"):
        run("log(sum(exp(z)))", z="[1000, 1001]")  # the naive formula: e^1000 is no float


MAZUR = """
h1 = sigmoid(w1*i1 + w2*i2 + b1)
h2 = sigmoid(w3*i1 + w4*i2 + b1)
o1 = sigmoid(w5*h1 + w6*h2 + b2)
o2 = sigmoid(w7*h1 + w8*h2 + b2)
E = 0.5*(target_o1 - o1)^2 + 0.5*(target_o2 - o2)^2
"""  # tests/training/test_training.py's network (Matt Mazur, "A Step by Step Backpropagation Example")
MAZUR_POINT = dict(i1=0.05, i2=0.10, w1=0.15, w2=0.20, w3=0.25, w4=0.30, b1=0.35, w5=0.40, w6=0.45, w7=0.50,
                   w8=0.55, b2=0.60, target_o1=0.01, target_o2=0.99)


def test_mazurs_network_with_matrices_gives_the_scalar_programs_gradients():
    scalar = compute(MAZUR, **MAZUR_POINT).gradient()
    p = MAZUR_POINT
    result = run("h = sigmoid(dot(W1, i) + b1); o = sigmoid(dot(W2, h) + b2); E = sum(0.5*(t - o)^2)",
                 i=f"[{p['i1']}, {p['i2']}]", W1=f"[[{p['w1']}, {p['w2']}], [{p['w3']}, {p['w4']}]]", b1=p["b1"],
                 W2=f"[[{p['w5']}, {p['w6']}], [{p['w7']}, {p['w8']}]]", b2=p["b2"],
                 t=f"[{p['target_o1']}, {p['target_o2']}]")
    assert result.value == pytest.approx(0.298371109, abs=5e-10)  # Mazur's total error
    tensor = dict(zip(["w1", "w2", "w3", "w4"], result.flat(grad_of(result, "W1"))))
    tensor.update(zip(["w5", "w6", "w7", "w8"], result.flat(grad_of(result, "W2"))))
    tensor.update(b1=grad_of(result, "b1"), b2=grad_of(result, "b2"))
    for name, g in tensor.items():
        assert g == pytest.approx(scalar[name], rel=1e-14, abs=1e-17), name


def test_exact_fractions_through_a_matrix_product():
    result = run("y = dot(W, x) / 3; L = sum(y * y)", EXACT, W="[[1/2, 1], [2, -1/3]]", x="[3, 6]")
    # by hand: W x = [3/2 + 6, 6 - 2] = [15/2, 4], y = [5/2, 4/3], L = 25/4 + 16/9 = 289/36;
    # dL/dy = 2y = [5, 8/3]; dL/dx = Wᵀ (dL/dy / 3) = Wᵀ [5/3, 8/9] = [5/6 + 16/9, 5/3 - 8/27] = [47/18, 37/27]
    assert result.value == Fraction(289, 36)
    assert result.nested(grad_of(result, "y")) == [Fraction(5), Fraction(8, 3)]
    assert result.nested(grad_of(result, "x")) == [Fraction(47, 18), Fraction(37, 27)]
    assert result.first_inexact() is None
    inexact = run("sum(exp(x))", EXACT, x="[0, 1/2]")
    assert inexact.first_inexact() == (1, "value")


def test_forward_mode_agrees_with_reverse_mode_up_to_64_elements():
    W = RNG.normal(size=(8, 8))
    small = run("sum(tanh(dot(W, x)))", W=W[:7, :7], x="[1, 2, 3, 4, 5, 6, 7]")  # 49 + 7 = 56 numbers
    assert small.forward_skipped is None
    for name in ("W", "x"):
        assert np.allclose(np.array(small.nested(small.forward_gradient[name])), grad(small, name), rtol=1e-13)
    big = run("sum(tanh(dot(W, x)))", W=W, x="[1, 2, 3, 4, 5, 6, 7, 8]")  # 64 + 8 = 72 numbers
    assert big.forward_gradient is None
    assert big.forward_skipped == "the inputs hold 72 numbers, more than 64: forward mode would take a sweep per number"
    assert FORWARD_MODE_ELEMENTS == 64


def test_a_kink_is_reported_element_by_element():
    result = run("sum(relu(x) * w)", x="[1, 0, -1]", w="[2, 3, 4]")
    (kink,) = result.kinks
    assert (kink.node, kink.at, kink.sources, kink.used, kink.one_sided) == (1, (1,), ((0, (1,)),), (0,), ((0, 1),))
    with pytest.raises(UsageError, match="--convention jax is not yet for vectors and matrices"):
        differentiate(result.tape, result.inputs, convention="jax")


def test_a_tensor_output_has_values_and_no_gradients():
    result = run("softmax(z)", z="[1, 2, 3]")
    assert not result.differentiated and all(g is None for g in result.grads)
    s = np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum()
    assert np.allclose(result.nested(result.value), s, rtol=1e-15)


def test_the_jacobian_of_softmax_is_diag_s_minus_s_s_transposed():
    result = jacobian(lower(parse("softmax(z)")), values(z="[1, 2, 3]"))
    s = np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum()
    assert np.allclose(np.array(result.nested(result.jacobians["z"])), np.diag(s) - np.outer(s, s), rtol=1e-14,
                       atol=1e-16)


def test_a_scalar_program_runs_unchanged_beside_tensors():
    result = run("x*y + 1", x=2, y=3)
    assert not result.tensor and result.value == 7.0


def _nodes(tape):
    return [(n.op, n.args, n.name, n.text, n.params) for n in tape.nodes]


def test_the_parser_makes_the_records_the_contract_says():
    """The records built by hand above are those the parser makes: the same tapes."""
    h = Hand("sum(W[-1, ::-1] + W[:, k] + x[1:3])")
    a = h.index(h.name("W"), [h.apply("neg", [h.number("1")], "-1"),
                              Slice(None, None, h.apply("neg", [h.number("1", 1)], "-1", 1), h.span("::-1"))],
                "W[-1, ::-1]")
    b = h.index(h.name("W", 1), [Slice(None, None, None, h.span(":")), h.name("k")], "W[:, k]")
    c = h.index(h.name("x"), [Slice(h.number("1", 2), h.number("3"), None, h.span("1:3"))], "x[1:3]")
    total = h.apply("add", [h.apply("add", [a, b], "W[-1, ::-1] + W[:, k]"), c], "W[-1, ::-1] + W[:, k] + x[1:3]")
    assert _nodes(lower(parse(h.source))) == _nodes(lower(h.program(h.apply("sum", [total], h.source, call=True))))
    h = Hand("[[1,  -2], [+3, 4.50]] @ x.T")
    rows = [h.apply("stack", [h.number("1"), h.apply("neg", [h.number("2")], "-2")], "[1,  -2]"),
            h.apply("stack", [h.apply("pos", [h.number("3")], "+3"), h.number("4.50")], "[+3, 4.50]")]
    matrix = h.apply("stack", rows, "[[1,  -2], [+3, 4.50]]")
    product = h.apply("matmul", [matrix, h.apply("transpose", [h.name("x")], "x.T")], h.source)
    assert _nodes(lower(parse(h.source))) == _nodes(lower(h.program(product)))
