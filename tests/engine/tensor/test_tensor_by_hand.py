"""The classic matrix-calculus exercises, derived by hand in NumPy (or worked exactly), against the tensor sweeps.

- cs231n's matrix product: D = W.dot(X) gives dW = dD.dot(X.T) and dX = W.T.dot(dD) (also in exact fractions);
- a bias broadcast over a batch: its gradient sums over the batch;
- softmax's Jacobian diag(s) - s sᵀ, and log_softmax's I - 1 sᵀ;
- a 2-layer MLP with softmax cross-entropy, backpropagated by hand;
- Nielsen's BP1-BP4 on a 2-3-2 sigmoid network;
- Karpathy's 4-logit exercise (his answer key), once with cross_entropy and once step by step;
- log-sum-exp, softmax and cross-entropy at logits (1000, 1001), where the naive formula overflows, against
  mpmath to the last digit;
- Mazur's 2-2-2 network written with matrices gives the scalar engine's gradients and SGD step.
"""
from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest
from conftest import compute
from tensor_helpers import BACKENDS, assert_close, backend

from backprop_cli.engine.arithmetic import EXACT
from backprop_cli.engine.tensor import pure, sweeps
from backprop_cli.engine.tensor.sweeps import Step

np = pytest.importorskip("numpy")
RNG = np.random.default_rng(231)
INPUT = Step("input")


def run(B, nodes, leaves, variables, output=None, seed=None):
    output = len(nodes) - 1 if output is None else output
    values = sweeps.evaluate(nodes, leaves, B)
    grads, _ = sweeps.gradients(nodes, values, output, B, variables, seed=seed)
    return values, grads


@pytest.mark.parametrize("name", BACKENDS)
def test_cs231n_matrix_product(name):
    B = backend(name)
    W, X, dD = RNG.normal(size=(5, 10)), RNG.normal(size=(10, 3)), RNG.normal(size=(5, 3))
    values, grads = run(B, [INPUT, INPUT, Step("matmul", (0, 1))], {0: W.tolist(), 1: X.tolist()}, {0, 1},
                        seed=dD.tolist())
    assert_close(B.tolist(values[2]), W.dot(X).tolist())
    assert_close(B.tolist(grads[0]), dD.dot(X.T).tolist())  # dW = dD.dot(X.T)
    assert_close(B.tolist(grads[1]), W.T.dot(dD).tolist())  # dX = W.T.dot(dD)


def test_cs231n_matrix_product_in_exact_fractions():
    B = pure.backend(EXACT)
    rng = random.Random(231)
    W = [[Fraction(rng.randint(-9, 9), rng.randint(1, 9)) for _ in range(4)] for _ in range(3)]
    X = [[Fraction(rng.randint(-9, 9), rng.randint(1, 9)) for _ in range(2)] for _ in range(4)]
    dD = [[Fraction(rng.randint(-9, 9), rng.randint(1, 9)) for _ in range(2)] for _ in range(3)]
    _, grads = run(B, [INPUT, INPUT, Step("matmul", (0, 1))], {0: W, 1: X}, {0, 1}, seed=dD)
    dW = [[sum(dD[i][k] * X[j][k] for k in range(2)) for j in range(4)] for i in range(3)]
    dX = [[sum(W[k][i] * dD[k][j] for k in range(3)) for j in range(2)] for i in range(4)]
    assert B.tolist(grads[0]) == dW
    assert B.tolist(grads[1]) == dX
    assert all(isinstance(v, Fraction) for v in grads[0].data + grads[1].data)


@pytest.mark.parametrize("name", BACKENDS)
def test_a_bias_broadcast_over_a_batch_gets_the_batch_sum(name):
    B = backend(name)
    X, W, b, V = (RNG.normal(size=s) for s in [(4, 3), (3, 2), (2,), (4, 2)])
    nodes = [INPUT, INPUT, INPUT, Step("matmul", (0, 1)), Step("add", (3, 2))]
    values, grads = run(B, nodes, {0: X.tolist(), 1: W.tolist(), 2: b.tolist()}, {0, 1, 2}, seed=V.tolist())
    assert_close(B.tolist(values[4]), (X @ W + b).tolist())
    assert_close(B.tolist(grads[2]), V.sum(axis=0).tolist())
    assert_close(B.tolist(grads[1]), (X.T @ V).tolist())
    assert_close(B.tolist(grads[0]), (V @ W.T).tolist())


@pytest.mark.parametrize("name", BACKENDS)
def test_the_softmax_jacobian_is_diag_s_minus_s_s_transposed(name):
    B = backend(name)
    x = RNG.normal(size=4)
    s = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    for op, want in [("softmax", np.diag(s) - np.outer(s, s)), ("log_softmax", np.eye(4) - np.outer(np.ones(4), s))]:
        nodes = [INPUT, Step(op, (0,))]
        values = sweeps.evaluate(nodes, {0: x.tolist()}, B)
        jacobian = sweeps.jacobian(nodes, values, 1, B, {0})[0]
        assert_close(B.tolist(jacobian), want.tolist())


def mlp_graph(N=8, D=5, H=6, C=3):
    X, W1, b1 = RNG.normal(size=(N, D)), RNG.normal(size=(D, H)) * 0.5, RNG.normal(size=H)
    W2, b2, y = RNG.normal(size=(H, C)) * 0.5, RNG.normal(size=C), RNG.integers(0, C, size=N)
    nodes = [INPUT] * 6 + [Step("matmul", (0, 1)), Step("add", (6, 2)), Step("tanh", (7,)), Step("matmul", (8, 3)),
                           Step("add", (9, 4)), Step("cross_entropy", (10, 5))]
    leaves = {0: X.tolist(), 1: W1.tolist(), 2: b1.tolist(), 3: W2.tolist(), 4: b2.tolist(), 5: y.astype(float).tolist()}
    return nodes, leaves, (X, W1, b1, W2, b2, y)


@pytest.mark.parametrize("name", BACKENDS)
def test_a_two_layer_mlp_with_softmax_cross_entropy(name):
    B = backend(name)
    nodes, leaves, (X, W1, b1, W2, b2, y) = mlp_graph()
    values, grads = run(B, nodes, leaves, {1, 2, 3, 4})
    # forward and backward by hand
    N = len(y)
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean()
    dz = p.copy()
    dz[np.arange(N), y] -= 1
    dz /= N
    dW2, db2 = h.T @ dz, dz.sum(axis=0)
    da = (dz @ W2.T) * (1 - h ** 2)
    dW1, db1 = X.T @ da, da.sum(axis=0)
    assert_close(B.tolist(values[11]), float(loss))
    for position, want in [(1, dW1), (2, db1), (3, dW2), (4, db2)]:
        assert_close(B.tolist(grads[position]), want.tolist(), what=f"leaf {position}")
    assert grads[0] is None and grads[5] is None  # X and the labels are not differentiated


@pytest.mark.parametrize("name", BACKENDS)
def test_nielsen_bp1_to_bp4_on_a_2_3_2_network(name):
    B = backend(name)
    x, y = np.array([0.3, -0.8]), np.array([1.0, 0.0])
    W1, b1, W2, b2 = RNG.normal(size=(3, 2)), RNG.normal(size=3), RNG.normal(size=(2, 3)), RNG.normal(size=2)
    nodes = [INPUT] * 8 + [
        Step("matmul", (1, 0)), Step("add", (8, 2)), Step("sigmoid", (9,)),  # a1 = σ(W1 x + b1)
        Step("matmul", (3, 10)), Step("add", (11, 4)), Step("sigmoid", (12,)),  # a2 = σ(W2 a1 + b2)
        Step("sub", (13, 5)), Step("pow", (14, 6)), Step("sum", (15,)), Step("mul", (7, 16)),  # C = ½ Σ (a2 - y)²
    ]
    leaves = {0: x.tolist(), 1: W1.tolist(), 2: b1.tolist(), 3: W2.tolist(), 4: b2.tolist(), 5: y.tolist(),
              6: 2.0, 7: 0.5}
    _, grads = run(B, nodes, leaves, {1, 2, 3, 4})
    sigma = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    z1 = W1 @ x + b1
    a1 = sigma(z1)
    z2 = W2 @ a1 + b2
    a2 = sigma(z2)
    delta2 = (a2 - y) * sigma(z2) * (1 - sigma(z2))  # BP1: δᴸ = ∇ₐC ⊙ σ'(zᴸ)
    delta1 = (W2.T @ delta2) * sigma(z1) * (1 - sigma(z1))  # BP2: δˡ = ((wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ'(zˡ)
    assert_close(B.tolist(grads[4]), delta2.tolist())  # BP3: ∂C/∂b = δ
    assert_close(B.tolist(grads[2]), delta1.tolist())
    assert_close(B.tolist(grads[3]), np.outer(delta2, a1).tolist())  # BP4: ∂C/∂w = δ aᵀ
    assert_close(B.tolist(grads[1]), np.outer(delta1, x).tolist())


KARPATHY_KEY = [0.04177, 0.83902, 0.00565, -0.88645]  # dlogits for logits [0, 3, -2, 1] and class 3


@pytest.mark.parametrize("name", BACKENDS)
def test_karpathys_answer_key_with_cross_entropy(name):
    B = backend(name)
    nodes = [INPUT, INPUT, Step("cross_entropy", (0, 1))]
    values, grads = run(B, nodes, {0: [0.0, 3.0, -2.0, 1.0], 1: 3.0}, {0})
    assert [round(g, 5) for g in B.tolist(grads[0])] == KARPATHY_KEY
    assert round(values[2], 4) == 2.1755


@pytest.mark.parametrize("name", BACKENDS)
def test_karpathys_answer_key_step_by_step(name):
    """counts = exp(logits - max), probs = counts / sum(counts), loss = -log(probs[3]): elementwise steps only."""
    B = backend(name)
    nodes = [INPUT, Step("max", (0,)), Step("sub", (0, 1)), Step("exp", (2,)), Step("sum", (3,)), Step("div", (3, 4)),
             Step("log", (5,)), Step("index", (6,), (("index", (3,)),)), Step("neg", (7,))]
    values, grads = run(B, nodes, {0: [0.0, 3.0, -2.0, 1.0]}, {0})
    assert [round(g, 5) for g in B.tolist(grads[0])] == KARPATHY_KEY
    assert round(values[8], 4) == 2.1755


@pytest.mark.parametrize("name", BACKENDS)
def test_large_logits_to_the_last_digit(name):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    B = backend(name)
    with np.errstate(over="ignore"):
        assert np.log(np.sum(np.exp(np.array([1000.0, 1001.0])))) == np.inf  # the naive formula
    tail = mpmath.log(1 + mpmath.exp(-1))  # log(e^1000 + e^1001) = 1001 + log(1 + e^-1)
    e = mpmath.e
    cases = [
        (Step("logsumexp", (0,)), float(1001 + tail)),
        (Step("softmax", (0,)), [float(1 / (1 + e)), float(e / (1 + e))]),
        (Step("cross_entropy", (0, 1)), float(1 + tail)),
    ]
    for step, want in cases:
        values = sweeps.evaluate([INPUT, INPUT, step], {0: [1000.0, 1001.0], 1: 0.0}, B)
        assert B.tolist(values[2]) == want, step.op
    # log_softmax's second element, -log(1 + e^-1) = -0.313261687518222834..., lies almost halfway between two
    # floats (2.5e-17 from one, 3.0e-17 from the other): doubles give the farther one, as PyTorch does, 1 ulp off
    values = sweeps.evaluate([INPUT, Step("log_softmax", (0,))], {0: [1000.0, 1001.0]}, B)
    first, second = B.tolist(values[1])
    assert first == float(-1 - tail)
    assert abs(second - float(-tail)) <= math.ulp(float(tail))


def test_mazurs_network_with_matrices_is_the_scalar_one():
    point = dict(i1=0.05, i2=0.10, w1=0.15, w2=0.20, w3=0.25, w4=0.30, b1=0.35, w5=0.40, w6=0.45, w7=0.50,
                 w8=0.55, b2=0.60, target_o1=0.01, target_o2=0.99)
    scalar = compute("""
h1 = sigmoid(w1*i1 + w2*i2 + b1)
h2 = sigmoid(w3*i1 + w4*i2 + b1)
o1 = sigmoid(w5*h1 + w6*h2 + b2)
o2 = sigmoid(w7*h1 + w8*h2 + b2)
E = 0.5*(target_o1 - o1)^2 + 0.5*(target_o2 - o2)^2
""", **point).gradient()
    B = pure.backend()
    nodes = [INPUT] * 8 + [
        Step("matmul", (1, 0)), Step("add", (8, 2)), Step("sigmoid", (9,)),  # h = sigmoid(W1 @ i + b1)
        Step("matmul", (3, 10)), Step("add", (11, 4)), Step("sigmoid", (12,)),  # o = sigmoid(W2 @ h + b2)
        Step("sub", (5, 13)), Step("pow", (14, 6)), Step("mul", (7, 15)), Step("sum", (16,)),  # E = Σ ½(t - o)²
    ]
    leaves = {0: [0.05, 0.10], 1: [[0.15, 0.20], [0.25, 0.30]], 2: 0.35, 3: [[0.40, 0.45], [0.50, 0.55]], 4: 0.60,
              5: [0.01, 0.99], 6: 2.0, 7: 0.5}
    values, grads = run(B, nodes, leaves, {1, 2, 3, 4})
    assert values[17] == pytest.approx(0.298371109, abs=5e-10)  # Mazur's total error
    tensor = dict(zip(["w1", "w2", "w3", "w4"], B.flat(grads[1])))
    tensor.update(zip(["w5", "w6", "w7", "w8"], B.flat(grads[3])))
    tensor.update(b1=grads[2], b2=grads[4])
    for name, g in tensor.items():
        assert g == pytest.approx(scalar[name], rel=1e-15, abs=1e-17), name
    # one SGD step of learning rate 0.5 on the weights, Mazur's updated weights to his digits
    step = sweeps.evaluate([INPUT, INPUT, INPUT, Step("mul", (1, 2)), Step("sub", (0, 3))],
                           {0: leaves[3], 1: grads[3], 2: 0.5}, B)[4]
    assert B.flat(step) == pytest.approx([0.35891648, 0.408666186, 0.511301270, 0.561370121], abs=5e-9)
