"""`eval --check` on vectors and matrices: every element of every gradient against finite differences (issue 14).

The oracles are computed here, never with the tool's own constants: the gradients of the classic exercises
by hand in NumPy (cs231n's D = W.dot(X), a bias over a batch, a 2-layer MLP with softmax cross-entropy),
and the central difference of each element, (f(x + h e_j) - f(x - h e_j)) / 2h with h = cbrt(eps) *
max(1, |x_j|), taken in NumPy over the same function written by hand. The point of --check is to catch a
wrong derivative: a VJP of the tensor table is swapped for a wrong one (matmul's with the transpose
dropped, as students write it) and the check must fail exactly at the elements it makes wrong.
"""
from __future__ import annotations

import dataclasses
import random

import pytest

from backprop_cli.engine.arithmetic import EXACT, FLOAT
from backprop_cli.engine.bindings import value_of
from backprop_cli.engine.compute import differentiate
from backprop_cli.engine.tape import lower
from backprop_cli.engine.tensor import rules, structural
from backprop_cli.engine.tensor.op import as_shape
from backprop_cli.engine.tensor_finite_differences import DEFAULT_LIMIT, counts, tensor_check
from backprop_cli.language.parser import parse

np = pytest.importorskip("numpy")
RNG = np.random.default_rng(1414)
CBRT_EPS = 6.055454452393343e-06  # cbrt(2^-52), as a number: not the tool's EPS ** (1/3)


def text(array) -> str:
    return repr(np.asarray(array, dtype=float).tolist())


def result_of(source: str, arithmetic=FLOAT, **given):
    inputs = {name: value_of(arithmetic, v if isinstance(v, str) else text(v), name) for name, v in given.items()}
    return differentiate(lower(parse(source)), inputs, arithmetic)


def central(f, x: np.ndarray, index: tuple) -> float:
    """The central difference of f along element `index` of x, by hand."""
    h = CBRT_EPS * max(1.0, abs(x[index]))
    up, down = x.copy(), x.copy()
    up[index] += h
    down[index] -= h
    return (f(up) - f(down)) / (up[index] - down[index])


def elements(report, name) -> dict:
    return {index: c for index, c in report.inputs[name].elements}


def assert_checked_against(report, name, f, x, gradient):
    """Every element of `name` was checked, passed, and has the hand-made difference and gradient."""
    entry = report.inputs[name]
    assert entry.ok is True and entry.checked == entry.size == x.size, name
    for index, c in elements(report, name).items():
        assert c.ok, (name, index, c)
        assert c.analytic == pytest.approx(gradient[index], rel=1e-12, abs=1e-15), (name, index)
        assert c.numeric == pytest.approx(central(f, x, index), rel=1e-7, abs=1e-9), (name, index)
        assert c.name == name + "[" + ", ".join(map(str, index)) + "]"


# -- the classic programs pass, element by element ---------------------------------------------------------

def test_cs231n_matrix_product():
    W, X, G = RNG.normal(size=(3, 4)), RNG.normal(size=(4, 2)), RNG.normal(size=(3, 2))
    report = tensor_check(result_of("D = dot(W, X); L = sum(D * G)", W=W, X=X, G=G), 1e-6, 1e-9)
    assert report.ok and report.checked == 12 + 8 + 6 and report.sampled == []
    assert_checked_against(report, "W", lambda w: np.sum(w @ X * G), W, G @ X.T)
    assert_checked_against(report, "X", lambda x: np.sum(W @ x * G), X, W.T @ G)
    assert_checked_against(report, "G", lambda g: np.sum(W @ X * g), G, W @ X)


def test_a_bias_broadcast_over_a_batch():
    X, W, b, G = RNG.normal(size=(5, 3)), RNG.normal(size=(3, 2)), RNG.normal(size=2), RNG.normal(size=(5, 2))
    report = tensor_check(result_of("Y = dot(X, W) + b; L = sum(Y * G)", X=X, W=W, b=b, G=G), 1e-6, 1e-9)
    assert report.ok
    assert_checked_against(report, "b", lambda v: np.sum((X @ W + v) * G), b, G.sum(axis=0))
    assert_checked_against(report, "W", lambda w: np.sum((X @ w + b) * G), W, X.T @ G)


def mlp_loss(X, W1, b1, W2, b2, y):
    scores = np.tanh(X @ W1 + b1) @ W2 + b2
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(y)), y].mean()


MLP = "h = tanh(dot(X, W1) + b1); scores = dot(h, W2) + b2; L = cross_entropy(scores, y)"


def test_a_two_layer_mlp_with_softmax_cross_entropy():
    N, D, H, C = 4, 3, 5, 3
    X, W1, b1, W2, b2 = (RNG.normal(size=s) for s in [(N, D), (D, H), (H,), (H, C), (C,)])
    y = RNG.integers(0, C, size=N)
    report = tensor_check(result_of(MLP, X=X, W1=W1, b1=b1, W2=W2, b2=b2, y=str(y.tolist())), 1e-6, 1e-9)
    # the gradients by hand (cs231n's two-layer net)
    h = np.tanh(X @ W1 + b1)
    p = np.exp(h @ W2 + b2)
    p /= p.sum(axis=1, keepdims=True)
    dscores = p.copy()
    dscores[np.arange(N), y] -= 1
    dscores /= N
    dz = (dscores @ W2.T) * (1 - h ** 2)
    point = dict(X=X, W1=W1, b1=b1, W2=W2, b2=b2)
    for name, want in [("X", dz @ W1.T), ("W1", X.T @ dz), ("b1", dz.sum(axis=0)), ("W2", h.T @ dscores),
                       ("b2", dscores.sum(axis=0))]:
        f = lambda v, name=name: mlp_loss(**{**point, name: v}, y=y)  # noqa: E731
        assert_checked_against(report, name, f, point[name], want)
    # the class indices have no gradient: not checked, and not a failure
    assert report.inputs["y"].ok is None and report.inputs["y"].checked == 0
    assert report.inputs["y"].reason == "not checked: y is used as an index, a whole number with no gradient"
    assert report.ok


def test_exact_values_are_checked_in_floats():
    report = tensor_check(result_of("y = sum(x * x) / 3", EXACT, x="[1/3, 1/2, 2]"), 1e-6, 1e-9)
    assert report.ok
    assert [c.analytic for _, c in report.inputs["x"].elements] == [2 / 9, 1 / 3, 4 / 3]


# -- and fails when a derivative is wrong -------------------------------------------------------------------

def _vjp_b_without_transpose(B, g, args, out, params):
    """∂L/∂B = A · ∂L/∂Y: the transpose of A dropped (right only for a symmetric A)."""
    a, b = args
    pa, pb, po = structural._promoted(B, a, b)
    grad = B.matmul(pa, as_shape(B, g, po))
    return as_shape(B, B.unbroadcast(grad, B.shape(pb)), B.shape(b))


@pytest.fixture
def matmul_without_transpose(monkeypatch):
    right = rules.TENSOR_OPS["matmul"]
    monkeypatch.setitem(rules.TENSOR_OPS, "matmul", dataclasses.replace(right, vjps=(right.vjps[0],
                                                                                       _vjp_b_without_transpose)))


CS231N = "D = dot(W, X); L = sum(D * G)"
W_SQUARE, X_SQUARE, G_SQUARE = [[1, 2], [0, -1]], [[1, 0], [2, 1]], [[1, -1], [0, 2]]


def test_a_dropped_transpose_in_matmuls_vjp_fails_at_the_elements_it_makes_wrong(matmul_without_transpose):
    W, X, G = (np.array(m, dtype=float) for m in (W_SQUARE, X_SQUARE, G_SQUARE))
    result = result_of(CS231N, W=W, X=X, G=G)
    wrong = np.array(result.nested(result.gradient()["X"]))
    assert np.array_equal(wrong, W @ G) and not np.array_equal(wrong, W.T @ G)  # the planted mistake
    report = tensor_check(result, 1e-6, 1e-9)
    assert report.ok is False
    assert report.inputs["W"].ok and report.inputs["G"].ok  # their VJPs are right
    failed = {index for index, _ in report.inputs["X"].failed()}
    assert failed == {tuple(i) for i in np.argwhere(~np.isclose(W @ G, W.T @ G))} == {(0, 1), (1, 0), (1, 1)}
    for index, c in report.inputs["X"].failed():
        assert c.numeric == pytest.approx((W.T @ G)[index], abs=1e-8)  # the differences know the right answer
        assert c.analytic == (W @ G)[index]
        assert c.reason.startswith("the difference over h = ")
    index, worst = report.inputs["X"].worst()  # the largest relative error: 3 against -1
    assert index == (0, 1) and worst.rel_error == pytest.approx(4 / 3, rel=1e-9)


def test_the_command_reports_the_wrong_elements_and_exits_1(cli, matmul_without_transpose):
    run = cli("eval", CS231N, f"W={W_SQUARE}", f"X={X_SQUARE}", f"G={G_SQUARE}", "--check", "--max-rows", "0")
    assert run.code == 1, run.err
    out = " ".join(run.out.split())
    assert "X 4 of 4 X[0, 1] 3 -1 1.3 3 FAILED" in out
    assert "W 4 of 4" in out and "G 4 of 4" in out
    assert ("check X[0, 1]: FAILED: reverse mode 3, finite difference -1 (the difference over h = 6.06e-06 "
            "disagrees with the gradient beyond the tolerance") in out
    assert "finite-difference check FAILED on 3 of 12 elements" in out
    doc = cli("eval", CS231N, f"W={W_SQUARE}", f"X={X_SQUARE}", f"G={G_SQUARE}", "--check", "--json").json()
    assert doc["check"]["ok"] is False and doc["check"]["inputs"]["W"]["ok"] is True
    entries = doc["check"]["inputs"]["X"]["elements"]
    assert [e["at"] for e in entries if not e["ok"]] == [[0, 1], [1, 0], [1, 1]]
    assert [e["gradient"] for e in entries] == [1.0, 3.0, 0.0, -2.0]  # W @ G, the wrong one
    assert [e["numeric"] for e in entries] == pytest.approx([1.0, -1.0, 2.0, -4.0], abs=1e-8)  # Wᵀ @ G


def test_a_wrong_elementwise_derivative_is_caught_too(monkeypatch):
    right = rules.TENSOR_OPS["tanh"]

    def doubled(B, g, args, out, params):
        return B.mul(right.vjps[0](B, g, args, out, params), 2.0)

    monkeypatch.setitem(rules.TENSOR_OPS, "tanh", dataclasses.replace(right, vjps=(doubled,)))
    report = tensor_check(result_of("sum(tanh(x) * w)", x="[0.5, -1]", w="[1, 2]"), 1e-6, 1e-9)
    assert not report.inputs["x"].ok and report.inputs["w"].ok
    assert len(report.inputs["x"].failed()) == 2


# -- kinks, points off the output, one-sided differences ------------------------------------------------------

def test_an_element_on_a_kink_fails_and_says_which():
    report = tensor_check(result_of("sum(relu(x) * w)", x="[0, 1, -1]", w="[2, 3, 4]"), 1e-6, 1e-9)
    assert [index for index, _ in report.inputs["x"].failed()] == [(0,)]
    reason = dict(report.inputs["x"].elements)[(0,)].reason
    assert reason == ("a kink lies within the step h = 6.06e-06: relu at v2 = relu(x) (element [0]); there the "
                      "gradient is a convention and differences do not measure it")
    assert report.inputs["w"].ok


def test_a_max_whose_largest_element_changes_within_the_step_is_a_kink_crossed():
    """x[0] and x[1] differ by 1e-6, less than the step: the max changes hands within it. The difference
    is then about 2 * (1 + (1e-6 / h)) / 2, not the gradient's 0 or 2."""
    report = tensor_check(result_of("max(x) * 2", x="[1, 1.000001, 0.5]"), 1e-6, 1e-9)
    checks = dict(report.inputs["x"].elements)
    assert [index for index, _ in report.inputs["x"].failed()] == [(0,), (1,)]
    for index in [(0,), (1,)]:
        assert checks[index].reason.startswith("a kink lies within the step h = 6.06e-06: max at v2 = max(x); ")
    h = CBRT_EPS * 1.000001
    assert checks[(1,)].numeric == pytest.approx(2 * (h + 1e-6) / (2 * h), rel=1e-6)
    assert checks[(2,)].ok and checks[(2,)].analytic == 0


def test_an_input_that_does_not_reach_the_output_passes_with_gradient_0():
    report = tensor_check(result_of("u = sum(log(a)); L = sum(w * w)", a="[1, 2]", w="[1, 3]"), 1e-6, 1e-9)
    assert report.ok and report.inputs["a"].checked == 2
    assert report.inputs["a"].reason == ("a does not reach the output L, so its gradient is 0 exactly; no "
                                         "difference is taken")
    assert all(c.numeric == 0.0 and c.analytic == 0.0 for _, c in report.inputs["a"].elements)


def test_an_element_whose_other_side_has_no_value_takes_a_smaller_or_one_sided_step():
    report = tensor_check(result_of("sum(sqrt(x))", x="[1e-6, 4]"), 1e-6, 1e-9)
    near = dict(report.inputs["x"].elements)[(0,)]
    assert near.ok and near.reason is not None
    assert near.numeric == pytest.approx(0.5 / np.sqrt(1e-6), rel=1e-4)
    assert dict(report.inputs["x"].elements)[(1,)].reason is None


def test_only_the_part_of_the_program_after_the_input_is_evaluated_again(monkeypatch):
    """The cost of the check: perturbing b2 reruns the last layer only, never dot(X, W1)."""
    N, D, H, C = 3, 2, 4, 2
    X, W1, b1, W2, b2 = (RNG.normal(size=s) for s in [(N, D), (D, H), (H,), (H, C), (C,)])
    result = result_of(MLP, X=X, W1=W1, b1=b1, W2=W2, b2=b2, y="[0, 1, 1]")
    right = rules.TENSOR_OPS["matmul"]
    calls = []

    def forward(B, args, params):
        calls.append(B.shape(args[0]))
        return right.forward(B, args, params)

    monkeypatch.setitem(rules.TENSOR_OPS, "matmul", dataclasses.replace(right, forward=forward))
    report = tensor_check(result, 1e-6, 1e-9, sample=1)
    assert report.ok
    # once each at the point; then twice for the element of X and of W1, and the second for those of b1 and W2
    assert calls.count((N, D)) == 1 + 2 * 2 and calls.count((N, H)) == 1 + 4 * 2


# -- which elements ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("sizes, sample, limit, want", [
    ({"W": 6, "b": 2}, None, 1000, {"W": 6, "b": 2}),  # everything, under the limit
    ({"W": 4096, "b": 64, "V": 640, "c": 10}, None, 1000, {"W": 463, "b": 64, "V": 463, "c": 10}),
    ({"a": 10, "b": 10, "c": 10}, None, 12, {"a": 4, "b": 4, "c": 4}),
    ({"a": 10, "b": 10}, None, 1, {"a": 1, "b": 1}),  # at least one of each
    ({"W": 4096, "b": 64}, 100, 1000, {"W": 100, "b": 64}),  # --sample N: N of each, all of a smaller one
])
def test_counts(sizes, sample, limit, want):
    assert counts(sizes, sample, limit) == want
    if sample is None and sum(sizes.values()) > limit >= len(sizes):
        assert sum(want.values()) == limit


def big_point():
    return dict(W=RNG.normal(size=(30, 40)), b=RNG.normal(size=40), x=RNG.normal(size=30))


BIG = "L = sum(tanh(dot(x, W) + b))"


def test_past_the_limit_a_sample_is_checked_and_said():
    point = big_point()
    report = tensor_check(result_of(BIG, **point), 1e-6, 1e-9)
    assert report.ok and report.checked == DEFAULT_LIMIT and report.sampled == ["W"]
    assert (report.inputs["b"].checked, report.inputs["x"].checked) == (40, 30)  # the small inputs whole
    assert report.inputs["W"].checked == DEFAULT_LIMIT - 70
    z = point["x"] @ point["W"] + point["b"]
    want = np.outer(point["x"], 1 - np.tanh(z) ** 2)
    for index, c in report.inputs["W"].elements:
        assert c.ok and c.analytic == pytest.approx(want[index], rel=1e-12)


def test_a_sample_is_reproducible_and_the_seed_changes_it():
    result = result_of(BIG, **big_point())
    chosen = lambda report: [index for index, _ in report.inputs["W"].elements]  # noqa: E731
    first, again = tensor_check(result, 1e-6, 1e-9, sample=7), tensor_check(result, 1e-6, 1e-9, sample=7)
    other = tensor_check(result, 1e-6, 1e-9, sample=7, seed=1)
    assert chosen(first) == chosen(again) != chosen(other)
    assert len(set(chosen(first))) == 7 and chosen(first) == sorted(chosen(first))
    assert (first.seed, other.seed, first.sample) == (0, 1, 7)
    assert first.sampled == ["x", "W", "b"]
    # drawn from Python's own generator seeded with "SEED:NAME": the same elements on every machine
    want = sorted(random.Random("0:W").sample(range(1200), 7))
    assert chosen(first) == [(j // 40, j % 40) for j in want]


def test_sample_and_seed_on_the_command_line(cli):
    argv = ["eval", "L = sum(x * x)", "x=[1, 2, 3, 4, 5, 6]", "--check", "--json"]
    one, two = cli(*argv, "--sample", "2", "--seed", "5").json(), cli(*argv, "--sample", "2", "--seed", "5").json()
    assert one["check"] == two["check"]
    check = one["check"]
    assert (check["seed"], check["sample"], check["limit"], check["sampled"]) == (5, 2, 1000, ["x"])
    x = check["inputs"]["x"]
    assert (x["shape"], x["size"], x["checked"], x["ok"]) == ([6], 6, 2, True)
    assert [e["at"] for e in x["elements"]] == [[j] for j in sorted(random.Random("5:x").sample(range(6), 2))]
    assert all(e["numeric"] == pytest.approx(2 * (e["at"][0] + 1), rel=1e-9) for e in x["elements"])
    run = cli(*argv[:-1], "--sample", "2", "--seed", "5")
    assert run.code == 0
    assert ("check: elements chosen at random with seed 5 (--seed S draws others) from x (2 of 6): --sample 2 "
            "checks that many elements of each input") in " ".join(run.out.split())


@pytest.mark.parametrize("argv, message", [
    (["--sample", "3"], "--sample N chooses the elements --check compares: use it with --check"),
    (["--seed", "3"], "--seed S chooses the elements --check compares: use it with --check"),
])
def test_sample_and_seed_need_check(cli, argv, message):
    run = cli("eval", "sum(x * x)", "x=[1, 2]", *argv)
    assert (run.code, run.out) == (2, "")
    assert run.err == f"backprop: usage error: {message}\n"


def test_the_table_and_its_notes(cli):
    run = cli("eval", "sum(relu(x) * w)", "x=[0, 1, -1]", "w=[2, 3, 4]", "--check", "--max-rows", "0")
    assert run.code == 1
    table = run.out[run.out.index("Finite-difference check"):]
    assert table.splitlines()[:5] == [
        "Finite-difference check, element by element                              ",
        "input   checked   worst   gradient   finite diff.   rel. error   check   ",
        "─────────────────────────────────────────────────────────────────────────",
        "x        3 of 3   x[0]           0              1            1   1 FAILED",
        "w        3 of 3   w[0]           0              0            0   ok      ",
    ]
    assert " ".join(run.out.split()).endswith(
        "finite-difference check FAILED on 1 of 6 elements (central differences, tolerance: abs error <= 1e-9 + "
        "1e-6 × |gradient| + rounding error)")


def test_a_scalar_program_keeps_its_check(cli):
    """--sample and --seed change nothing for numbers: each input is one element."""
    plain = cli("eval", "tanh(w*x + b)", "-w", "0.5", "-x", "2", "-b", "-1", "--check", "--json")
    sampled = cli("eval", "tanh(w*x + b)", "-w", "0.5", "-x", "2", "-b", "-1", "--check", "--json", "--sample", "1",
                  "--seed", "3")
    assert plain.out == sampled.out and set(plain.json()["check"]) == {"ok", "rtol", "atol", "inputs"}


def test_exact_values_too_large_for_floats_fail_saying_why(cli):
    run = cli("eval", "sum(x - x) + sum(w)", "x=[1e400, 1]", "w=[1, 2]", "--exact", "--check", "--json")
    assert run.code == 1
    check = run.json()["check"]
    assert check["ok"] is False and check["sampled"] == []
    for name in ("x", "w"):
        assert check["inputs"][name]["checked"] == 0 and check["inputs"][name]["ok"] is False
        assert check["inputs"][name]["reason"] == ("finite differences are taken in 64-bit floats, and the exact "
                                                   "values here are too large for them")
    text = " ".join(cli("eval", "sum(x - x) + sum(w)", "x=[1e400, 1]", "w=[1, 2]", "--exact", "--check").out.split())
    assert "finite-difference check FAILED (central differences" in text and "chosen at random" not in text
