"""The sweeps over a tensor graph (engine/tensor/sweeps.py) and the backend chooser (backend.py).

Gradients sum at forks and are summed back over broadcast axes; only active arguments are differentiated;
forward mode (one tangent sweep per input element) gives reverse mode's numbers; a rule's failure names its
node; a float step out of range makes the whole computation run again in wide decimals; graphs far deeper
than Python's recursion limit work; nodes need only op, args and params. The oracles are closed forms worked
by hand and NumPy.
"""
from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction
from types import SimpleNamespace

import pytest
from tensor_helpers import BACKENDS, HAS_NUMPY, assert_close, backend

from backprop_cli.base.errors import MathError
from backprop_cli.engine.arithmetic import EXACT, FLOAT
from backprop_cli.engine.functions import DomainError, rule_message
from backprop_cli.engine.tensor import backend as chooser
from backprop_cli.engine.tensor import pure, sweeps
from backprop_cli.engine.tensor.rules import TensorKink
from backprop_cli.engine.tensor.shapes import ShapeError
from backprop_cli.engine.tensor.sweeps import Failed, Step

INPUT = Step("input")


@pytest.mark.parametrize("name", BACKENDS)
def test_a_fork_sums_its_gradients(name):
    B = backend(name)
    nodes = [INPUT, Step("mul", (0, 0)), Step("add", (1, 0)), Step("sum", (2,))]  # sum(x*x + x)
    values = sweeps.evaluate(nodes, {0: [1.5, -2.0, 0.25]}, B)
    grads, contributions = sweeps.gradients(nodes, values, 3, B, {0})
    assert B.tolist(grads[0]) == [4.0, -3.0, 1.5]  # 2x + 1
    assert B.tolist(contributions[1][0]) == [1.5, -2.0, 0.25]  # mul sends x to each of its two uses of x
    assert B.tolist(contributions[2][1]) == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("name", BACKENDS)
def test_a_broadcast_argument_gets_its_gradient_summed_back_to_its_shape(name):
    B = backend(name)
    nodes = [INPUT, INPUT, Step("add", (0, 1)), Step("mul", (2, 1)), Step("sum", (3,))]  # sum((Z + b) * b)
    Z = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    values = sweeps.evaluate(nodes, {0: Z, 1: [0.5, -1.0]}, B)
    grads, _ = sweeps.gradients(nodes, values, 4, B, {0, 1})
    # d/db_j sum_i (Z_ij + b_j) b_j = sum_i (Z_ij + 2 b_j)
    assert B.tolist(grads[1]) == [9.0 + 6 * 0.5, 12.0 - 6.0]
    assert B.shape(grads[0]) == (3, 2)


def test_only_active_arguments_are_differentiated():
    B = pure.backend()
    nodes = [INPUT, INPUT, Step("pow", (0, 1)), Step("sum", (2,))]  # sum(x ^ n) at negative x
    values = sweeps.evaluate(nodes, {0: [-2.0, -3.0], 1: 2.0}, B)
    grads, contributions = sweeps.gradients(nodes, values, 3, B, {0})  # n is a constant: no log(-2) is asked for
    assert B.tolist(grads[0]) == [-4.0, -6.0]
    assert grads[1] is None and contributions[2][1] is None
    with pytest.raises(Failed) as caught:
        sweeps.gradients(nodes, values, 3, B, {0, 1})
    assert caught.value.position == 2
    assert isinstance(caught.value.error, DomainError)
    assert rule_message(caught.value.error, ["x", "n"], "y") == (
        "the derivative of y with respect to the exponent n is y·log(x), and log needs x > 0 "
        "(at [0], where x[0] = -2.0, n = 2.0, y[0] = 4.0)")


def test_a_rule_failure_names_its_node():
    nodes = [INPUT, INPUT, Step("matmul", (0, 1))]
    with pytest.raises(Failed) as caught:
        sweeps.evaluate(nodes, {0: [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], 1: [1.0, 2.0]}, pure.backend())
    assert caught.value.position == 2
    assert isinstance(caught.value.error, ShapeError)
    assert rule_message(caught.value.error, ["W", "x"], "y") == "W @ x: (2, 3) @ (2,) do not fit: the inner sizes 3 and 2 differ"
    with pytest.raises(Failed) as caught:
        sweeps.evaluate([INPUT, Step("log", (0,))], {0: [1.0, 0.0]}, pure.backend())
    assert str(caught.value.error) == "log is defined for positive numbers only (at [1], where {0}[1] = 0.0)"


def test_shapes_are_known_before_any_value():
    nodes = [INPUT, INPUT, INPUT, Step("matmul", (0, 1)), Step("add", (3, 2)), Step("softmax", (4,)),
             Step("sum", (5,), (("axis", 0),))]
    assert sweeps.shapes(nodes, {0: (4, 3), 1: (3, 2), 2: (2,)}) == [(4, 3), (3, 2), (2,), (4, 2), (4, 2), (4, 2), (2,)]
    with pytest.raises(Failed) as caught:
        sweeps.shapes(nodes, {0: (4, 3), 1: (3, 2), 2: (3,)})
    assert caught.value.position == 4
    assert str(caught.value.error).startswith("{0} + {1}: the shapes (4, 2) and (3,) do not broadcast")


def small_network():
    nodes = [INPUT, INPUT, INPUT, INPUT, Step("matmul", (1, 0)), Step("add", (4, 2)), Step("tanh", (5,)),
             Step("softmax", (6,)), Step("mul", (7, 3))]  # softmax(tanh(W x + b)) * c: a tensor output
    leaves = {0: [0.5, -1.0, 2.0], 1: [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], 2: [0.05, -0.05], 3: 1.5}
    return nodes, leaves


@pytest.mark.parametrize("name", BACKENDS)
def test_forward_mode_gives_reverse_modes_jacobian(name):
    B = backend(name)
    nodes, leaves = small_network()
    variables = {0, 1, 2, 3}
    values = sweeps.evaluate(nodes, leaves, B)
    reverse = sweeps.jacobian(nodes, values, 8, B, variables)
    for v in variables:
        shape = B.shape(values[v])
        count = math.prod(shape)
        columns = []
        for j in range(count):
            seed = [0.0] * count
            seed[j] = 1.0
            tangent = sweeps.tangents(nodes, values, B, {v: B.reshape(B.array(seed), shape)})[8]
            columns.append(B.flat(tangent))
        # reverse[v] has shape out.shape + v.shape: row i, column j is d out_i / d v_j
        rows = [[columns[j][i] for j in range(count)] for i in range(2)]
        assert_close(B.flat(reverse[v]), [x for row in rows for x in row], rel=1e-13, abs_=1e-15, what=f"leaf {v}")


def test_the_jacobian_of_a_matrix_product_is_the_matrix():
    B = pure.backend(EXACT)
    W = [[Fraction(1, 2), 3, -1], [0, Fraction(2, 3), 5]]
    nodes = [INPUT, INPUT, Step("matmul", (0, 1))]
    values = sweeps.evaluate(nodes, {0: W, 1: [1, 2, 3]}, B)
    assert B.tolist(sweeps.jacobian(nodes, values, 2, B, {1})[1]) == W


@pytest.mark.parametrize("name", BACKENDS)
def test_a_float_step_out_of_range_is_redone_in_wide_decimals(name):
    mpmath = pytest.importorskip("mpmath")
    nodes = [INPUT, INPUT, Step("exp", (1,)), Step("mul", (0, 2)), Step("sum", (3,))]  # sum(x * exp(t))
    done = sweeps.differentiate(nodes, {0: [1e300, 2.0], 1: [-800.0, 0.5]}, 4, {0, 1}, backend=backend(name))
    assert done.wide  # exp(-800) is 0 in floats, and 1e300 * 0 would be 0
    B = done.backend
    product = float(mpmath.mpf(1e300) * mpmath.exp(-800))  # 3.7e-48
    assert B.tolist(done.values[3]) == [product, 2.0 * math.exp(0.5)]
    assert B.tolist(done.grads[1]) == [product, 2.0 * math.exp(0.5)]  # d/dt x exp(t) = x exp(t)
    assert B.tolist(done.grads[0]) == [0.0, math.exp(0.5)]  # exp(-800) itself rounds to 0 as a float
    assert all(type(x) is float for x in B.flat(done.values[2]))
    # a value that does not fit a float at all is an error naming its node, as for scalars
    with pytest.raises(Failed) as caught:
        sweeps.differentiate([INPUT, Step("exp", (0,))], {0: [800.0]}, 1, {0}, backend=backend(name))
    assert caught.value.position == 1
    assert str(caught.value.error) == "the value of {out} is too large for a 64-bit float (overflow)"


def test_an_exact_computation_out_of_float_range_is_a_math_error():
    with pytest.raises(MathError, match="an inexact \\(floating-point\\) step of this --exact computation leaves"):
        sweeps.differentiate([INPUT, Step("exp", (0,))], {0: [800]}, 1, {0}, arithmetic=EXACT)


def test_exact_fractions_through_a_whole_computation():
    nodes = [INPUT, INPUT, INPUT, Step("matmul", (0, 1)), Step("add", (3, 2)), Step("mse", (4, 2))]
    done = sweeps.differentiate(nodes, {0: [[1, 2], [3, 4]], 1: [Fraction(1, 3), Fraction(-1, 2)], 2: [0, 1]}, 5,
                                {0, 1}, arithmetic=EXACT)
    # y = W x + t, so mse(y, t) = mean((W x)^2) = ((1/3 - 1)^2 + (1 - 2)^2) / 2 = (4/9 + 1) / 2
    assert done.values[5] == Fraction(13, 18)
    assert done.grads[0] == pure.Array((2, 2), (Fraction(-2, 9), Fraction(1, 3), Fraction(-1, 3), Fraction(1, 2)))
    assert not done.wide


def test_a_graph_far_deeper_than_the_recursion_limit():
    B = pure.backend()
    nodes, leaves = [INPUT, INPUT], {0: [1.0, 2.0], 1: 0.999}
    last = 0
    for _ in range(10_000):  # y = y * 0.999, 10,000 times
        nodes.append(Step("mul", (last, 1)))
        last = len(nodes) - 1
    nodes.append(Step("sum", (last,)))
    done = sweeps.differentiate(nodes, leaves, len(nodes) - 1, {0}, backend=B)
    assert B.tolist(done.grads[0]) == pytest.approx([0.999 ** 10_000] * 2, rel=1e-12)


def test_nodes_need_only_op_args_and_params():
    B = pure.backend()
    nodes = [SimpleNamespace(op="input", args=()), SimpleNamespace(op="sum", args=(0,), params={"axis": 0}),
             SimpleNamespace(op="max", args=(1,))]  # a tape Node has op and args; params may be a dict or absent
    done = sweeps.differentiate(nodes, {0: [[1.0, 5.0], [2.0, 1.0]]}, 2, {0}, backend=B)
    assert done.values[1] == pure.Array((2,), (3.0, 6.0))
    assert done.grads[0] == pure.Array((2, 2), (0.0, 1.0, 0.0, 1.0))


def test_nodes_off_the_path_to_the_output_get_no_gradient():
    B = pure.backend()
    nodes = [INPUT, Step("exp", (0,)), Step("sum", (0,))]
    done = sweeps.differentiate(nodes, {0: [1.0, 2.0]}, 2, {0}, backend=B)
    assert done.grads[1] is None
    assert done.contributions[1] is None


def test_kinks_are_reported_for_the_nodes_a_gradient_goes_through():
    B = pure.backend()
    nodes = [INPUT, INPUT, Step("matmul", (0, 1)), Step("relu", (2,)), Step("max", (3,))]
    leaves = {0: [[1.0, -1.0], [2.0, 0.5]], 1: [1.0, 1.0]}  # W x = [0, 2.5]: relu sits on its kink at element 0
    values = sweeps.evaluate(nodes, leaves, B)
    grads, _ = sweeps.gradients(nodes, values, 4, B, {0, 1})
    assert sweeps.kinks(nodes, values, B, grads) == {3: (TensorKink((0,), ((0, (0,)),), (0.0,), ((0, 1),)),)}


# -- the chooser ---------------------------------------------------------------------------------------

def test_the_chooser_takes_numpy_only_for_big_float_work(monkeypatch):
    assert chooser.choose(EXACT, 10 ** 9) is pure.backend(EXACT)
    assert chooser.choose(FLOAT, chooser.CROSSOVER - 1) is pure.backend(FLOAT)
    if HAS_NUMPY:
        assert chooser.choose(FLOAT, chooser.CROSSOVER).name == "numpy"
    monkeypatch.setattr(chooser, "numpy_installed", lambda: False)
    assert chooser.choose(FLOAT, 10 ** 9) is pure.backend(FLOAT)


def test_differentiate_chooses_by_the_work():
    nodes = [INPUT, INPUT, Step("matmul", (0, 1)), Step("sum", (2,))]
    small = {0: [[1.0] * 64] * 64, 1: [[0.5] * 64] * 64}
    assert sweeps.work(nodes, sweeps.shapes(nodes, {0: (64, 64), 1: (64, 64)})) == 64 ** 3 + 64 * 64 + 1
    assert sweeps.differentiate(nodes, small, 3, {0, 1}).backend is pure.backend()
    if HAS_NUMPY:
        big = sweeps.differentiate(nodes, {0: [[1.0] * 128] * 128, 1: [[0.5] * 128] * 128}, 3, {0, 1})
        assert big.backend.name == "numpy"  # 128^3 multiply-adds: past the crossover
        assert big.values[3] == 128 ** 3 / 2


def test_the_tensor_engine_loads_no_numpy_until_it_is_chosen():
    probe = ("import sys\n"
             "from backprop_cli.engine.tensor import sweeps\n"
             "from backprop_cli.engine.tensor.sweeps import Step\n"
             "sweeps.differentiate([Step('input'), Step('sum', (0,))], {0: [1.0, 2.0]}, 1, {0})\n"
             "print('numpy' in sys.modules, 'backprop_cli.engine.tensor.fast' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["False", "False"]
