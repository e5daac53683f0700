"""The array backends (engine/tensor/pure.py and fast.py): reading nested lists, broadcasting, products,
reductions, indexing and its adjoint, each against NumPy's own results, with pinned error messages.

The same test runs on both backends (the NumPy one where NumPy is installed); NumPy is the oracle for
the pure backend, and the exact-fraction tests need no oracle: their answers are worked by hand.
"""
from __future__ import annotations

import math
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from tensor_helpers import BACKENDS, assert_close, backend, random_nested

from backprop_cli.engine.arithmetic import EXACT, FLOAT, WIDE
from backprop_cli.engine.functions import DomainError
from backprop_cli.engine.tensor import pure
from backprop_cli.engine.tensor.backend import INTERFACE
from backprop_cli.engine.tensor.shapes import ShapeError, Slice, Variable, resolve_index

np = pytest.importorskip("numpy")

RNG = random.Random(2024)


def values(shape):
    return random_nested(shape, RNG)


def pair(B, shape):
    """Random values of `shape` on backend B and as a NumPy array (built flat, so an empty shape is kept)."""
    flat = [RNG.uniform(-2.0, 2.0) for _ in range(math.prod(shape))]
    return B.reshape(B.array(flat), shape), np.array(flat, dtype=float).reshape(shape)


def test_both_backends_offer_the_whole_interface():
    from backprop_cli.engine.tensor import fast

    for name in INTERFACE:
        assert callable(getattr(pure.PureBackend, name)), name
        assert callable(getattr(fast.NumpyBackend, name)), name


# -- reading and writing nested lists ---------------------------------------------------------------------

@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("value, shape", [
    ([1.0, 2.0, 3.0], (3,)),
    ([[1, 2], [3, 4], [5, 6]], (3, 2)),
    ([[[1.5], [2.5]]], (1, 2, 1)),
    ([], (0,)),
    ([[], []], (2, 0)),
    ((1, 2), (2,)),
])
def test_nested_lists_round_trip(name, value, shape):
    B = backend(name)
    a = B.array(value)
    assert B.shape(a) == shape
    assert B.size(a) == math.prod(shape)
    assert B.ndim(a) == len(shape)
    assert B.tolist(a) == np.array(value, dtype=float).tolist()


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("value, message", [
    ([[1, 2], [3]], "the value is ragged: the list at [1] has 1 elements, the list at [0] has 2"),
    ([[1, 2], 3], "the value is ragged: at [1] there is a number where a list of 2 is expected"),
    ([1, [2]], "the value is ragged or not numeric: at [1] there is a list where a number is expected"),
    ([[1, "a"]], "the value is ragged or not numeric: at [0, 1] there is 'a' where a number is expected"),
    ([[[1, 2], [3, 4]], [[5, 6], [7]]], "the value is ragged: the list at [1, 1] has 1 elements, the list at [0, 0] has 2"),
    ([True, 1.0], "the value is ragged or not numeric: at [0] there is True where a number is expected"),
])
def test_ragged_or_non_numeric_values_are_refused_naming_the_position(name, value, message):
    with pytest.raises(ShapeError) as caught:
        backend(name).array(value)
    assert str(caught.value) == message


@pytest.mark.parametrize("name", BACKENDS)
def test_deep_nesting_is_refused_without_recursion(name):
    value = [1.0]
    for _ in range(100_000):  # far deeper than Python's recursion limit
        value = [value]
    with pytest.raises(ShapeError, match="the value is nested more than 32 lists deep"):
        backend(name).array(value)
    ok = [1.0]
    for _ in range(31):
        ok = [ok]
    assert backend(name).shape(backend(name).array(ok)) == (1,) * 32


@pytest.mark.parametrize("name", BACKENDS)
def test_scalars_are_plain_numbers(name):
    B = backend(name)
    x = B.array([1.0, 2.0, 3.0])
    W = B.array([[1.0, 2.0], [3.0, 4.0]])
    for number in (B.sum(x), B.max(W), B.matmul(x, x), B.take(x, (1,)), B.take(W, (1, 0)), B.array(2.5)):
        assert type(number) is float


def test_the_pure_backend_keeps_the_number_system():
    exact = pure.backend(EXACT).array([1, 0.5])
    assert exact.data == (Fraction(1), Fraction(1, 2))
    with WIDE.context():
        wide = pure.backend(WIDE).array([0.1, 2])
    assert wide.data == (Decimal(0.1), Decimal(2))
    assert pure.backend(FLOAT).array([1, Fraction(1, 4)]).data == (1.0, 0.25)


def test_arrays_are_immutable_records():
    a = pure.Array((2,), [1.0, 2.0])
    with pytest.raises(AttributeError):
        a.data = (3.0, 4.0)
    assert a == pure.Array((2,), (1.0, 2.0))
    with pytest.raises(ValueError):
        pure.Array((2, 2), [1.0])


# -- broadcasting -----------------------------------------------------------------------------------------

BROADCASTS = [((2, 3), (3,)), ((2, 1), (3,)), ((3, 1, 2), (4, 1)), ((), (2, 2)), ((1,), (5,)), ((2, 3), (2, 3)),
              ((4, 1, 3), (1, 5, 1))]


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("left, right", BROADCASTS)
def test_elementwise_arithmetic_broadcasts_as_numpy(name, left, right):
    B = backend(name)
    a, b = values(left), values(right)
    na, nb = np.array(a), np.array(b)
    assert_close(B.tolist(B.add(B.array(a), B.array(b))), (na + nb).tolist())
    assert_close(B.tolist(B.mul(B.array(a), B.array(b))), (na * nb).tolist())
    assert_close(B.tolist(B.map(lambda x, y: x - 2 * y, B.array(a), B.array(b))), (na - 2 * nb).tolist())


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("shape, target", [((3,), (2, 3)), ((2, 1), (2, 4)), ((), (3,)), ((1, 3), (2, 2, 3))])
def test_broadcast_to_and_its_adjoint(name, shape, target):
    B = backend(name)
    a = values(shape)
    g = values(target)
    assert_close(B.tolist(B.broadcast_to(B.array(a), target)), np.broadcast_to(np.array(a), target).tolist())
    # unbroadcast sums over the stretched axes: <broadcast(a), g> == <a, unbroadcast(g)>
    summed = np.array(g)
    while summed.ndim > len(shape):
        summed = summed.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1:
            summed = summed.sum(axis=axis, keepdims=True)
    assert_close(B.tolist(B.unbroadcast(B.array(g), shape)), summed.tolist())


@pytest.mark.parametrize("name", BACKENDS)
def test_shapes_that_do_not_broadcast_name_both(name):
    B = backend(name)
    with pytest.raises(ShapeError) as caught:
        B.add(B.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), B.array([1.0, 2.0]))
    assert str(caught.value) == ("the shapes (2, 3) and (2,) do not broadcast: the sizes 3 and 2 of axis -1 differ "
                                 "and neither is 1 (sizes are matched from the last axis and must be equal or 1)")


@pytest.mark.parametrize("name", BACKENDS)
def test_an_elementwise_domain_error_names_the_element(name):
    B = backend(name)
    log = B.scalar_rules("log", 1)[0]
    with pytest.raises(DomainError) as caught:
        log(B.array([[1.0, 2.0], [3.0, -2.0]]))
    assert str(caught.value) == ("log is defined for positive numbers only (at [1, 1], where {0}[1, 1] = -2.0)")
    div = B.scalar_rules("div", 2)[0]
    with pytest.raises(DomainError) as caught:
        div(B.array([[1.0, 2.0], [3.0, 4.0]]), B.array([1.0, 0.0]))
    assert str(caught.value) == "division by zero (at [0, 1], where {0}[0, 1] = 2.0, {1}[1] = 0.0)"


# -- products ---------------------------------------------------------------------------------------------

MATMULS = [((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 2)), ((3,), (3,)), ((2, 2, 3), (3, 4)), ((1, 2, 3), (4, 3, 2)),
           ((2, 2, 3), (3,)), ((3,), (2, 3, 4)), ((1, 1), (1, 1)), ((0, 3), (3, 2))]


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("left, right", MATMULS)
def test_matmul_is_numpys(name, left, right):
    B = backend(name)
    (a, na), (b, nb) = pair(B, left), pair(B, right)
    got = B.tolist(B.matmul(a, b))
    want = np.matmul(na, nb)
    assert_close(got, want.tolist() if want.ndim else float(want))


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("left, right, message", [
    ((2, 3), (2,), "{0} @ {1}: (2, 3) @ (2,) do not fit: the inner sizes 3 and 2 differ"),
    ((3,), (2, 4), "{0} @ {1}: (3,) @ (2, 4) do not fit: the inner sizes 3 and 2 differ"),
    ((), (2,), "{0} @ {1}: @ multiplies vectors and matrices, and {0} is a scalar: use * to scale"),
    ((2, 2, 3), (3, 3, 4), "{0} @ {1}: the batch axes of (2, 2, 3) and (3, 3, 4): the shapes (2,) and (3,) do not "
                           "broadcast: the sizes 2 and 3 of axis -1 differ and neither is 1 (sizes are matched from "
                           "the last axis and must be equal or 1)"),
])
def test_matmul_refuses_shapes_that_do_not_fit(name, left, right, message):
    B = backend(name)
    with pytest.raises(ShapeError) as caught:
        B.matmul(B.array(values(left)), B.array(values(right)))
    assert str(caught.value) == message


def test_matmul_of_fractions_stays_exact():
    B = pure.backend(EXACT)
    W = B.array([[Fraction(1, 3), Fraction(2, 7)], [Fraction(-1, 2), 5]])
    x = B.array([Fraction(3, 4), Fraction(-7, 10)])
    # by hand: 1/3*3/4 + 2/7*(-7/10) = 1/4 - 1/5 = 1/20;  -1/2*3/4 + 5*(-7/10) = -3/8 - 7/2 = -31/8
    assert B.matmul(W, x) == pure.Array((2,), (Fraction(1, 20), Fraction(-31, 8)))
    assert B.matmul(x, x) == Fraction(9, 16) + Fraction(49, 100)
    assert B.matmul(W, W).data == (Fraction(1, 9) - Fraction(1, 7), Fraction(2, 21) + Fraction(10, 7),
                                   Fraction(-1, 6) - Fraction(5, 2), Fraction(-1, 7) + 25)


def test_sums_of_floats_are_correctly_rounded():
    B = pure.backend()
    x = B.array([1e16, 1.0, -1e16])
    assert B.sum(x) == 1.0  # math.fsum; a left-to-right sum gives 0.0
    assert B.matmul(x, B.array([1.0, 1.0, 1.0])) == 1.0


def test_wide_decimals_multiply_within_their_context():
    B = pure.backend(WIDE)
    with WIDE.context():
        W = B.array([[1e200, 2.0], [3.0, 4.0]])
        y = B.matmul(W, W)
        assert y.data[0] == Decimal(1e200) * Decimal(1e200) + 6  # 1e400: beyond float range, to 40 digits
    assert isinstance(y.data[0], Decimal)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 3, 4)])
def test_transpose_is_numpys_T(name, shape):
    B = backend(name)
    a = values(shape)
    got = B.tolist(B.transpose(B.array(a)))
    assert_close(got, np.array(a).T.tolist())


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4)])
def test_swap_last_transposes_each_matrix_of_a_batch(name, shape):
    B = backend(name)
    a = values(shape)
    assert_close(B.tolist(B.swap_last(B.array(a))), np.swapaxes(np.array(a), -1, -2).tolist())


# -- reductions -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("reduction", ["sum", "max", "min"])
@pytest.mark.parametrize("shape, axis", [((5,), None), ((5,), 0), ((3, 4), None), ((3, 4), 0), ((3, 4), 1),
                                         ((2, 3, 4), 1), ((2, 3, 4), 2), ((2, 0), 0)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_are_numpys(name, reduction, shape, axis, keepdims):
    if reduction != "sum" and (0 in shape):
        pytest.skip("max and min of no elements are refused by the shape rules")
    B = backend(name)
    a = values(shape)
    got = getattr(B, reduction)(B.array(a), axis, keepdims=keepdims)
    want = getattr(np, reduction)(np.array(a, dtype=float), axis=axis, keepdims=keepdims)
    assert_close(B.tolist(got), want.tolist() if np.ndim(want) else float(want))


# -- indexing ---------------------------------------------------------------------------------------------

INDEXES = [
    ((3, 4), (Slice(), 0), np.s_[:, 0]),
    ((3, 4), (1, 0), np.s_[1, 0]),
    ((3, 4), (0,), np.s_[0]),
    ((3, 4), (-1,), np.s_[-1]),
    ((3, 4), (Slice(None, None, -1), Slice(1)), np.s_[::-1, 1:]),
    ((3, 4), (Slice(-2), Slice(None, None, 2)), np.s_[-2:, ::2]),
    ((3, 4), (1, Slice(0, 3, 2)), np.s_[1, 0:3:2]),
    ((3, 4), (Slice(5, 1, -2), -3), np.s_[5:1:-2, -3]),
    ((3, 4), (Slice(10, 20),), np.s_[10:20]),
    ((5,), (Slice(None, None, -2),), np.s_[::-2]),
    ((5,), (Slice(3, None, -1),), np.s_[3::-1]),
    ((1,), (Slice(-2, None, -1),), np.s_[-2::-1]),
    ((4,), (Slice(-9, -7, -1),), np.s_[-9:-7:-1]),
    ((2, 3, 4), (1, Slice(), -1), np.s_[1, :, -1]),
    ((2, 3, 4), (Slice(), 2), np.s_[:, 2]),
]


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("shape, index, numpy_index", INDEXES)
def test_indexing_is_numpys(name, shape, index, numpy_index):
    B = backend(name)
    a = values(shape)
    picks = resolve_index(shape, index)
    want = np.array(a)[numpy_index]
    assert_close(B.tolist(B.take(B.array(a), picks)), want.tolist() if np.ndim(want) else float(want))


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("shape, index, numpy_index", INDEXES)
def test_put_is_the_adjoint_of_take(name, shape, index, numpy_index):
    B = backend(name)
    picks = resolve_index(shape, index)
    x = B.array(values(shape))
    g, ng = pair(B, np.zeros(shape)[numpy_index].shape)
    scattered = B.put(g, shape, picks)
    assert B.shape(scattered) == shape
    # <take(x), g> == <x, put(g)>, and put is NumPy's scatter-add into zeros
    taken = B.take(x, picks)
    left = math.fsum(map(lambda u, v: u * v, B.flat(taken), B.flat(g)))
    right = math.fsum(map(lambda u, v: u * v, B.flat(x), B.flat(scattered)))
    assert math.isclose(left, right, rel_tol=1e-12, abs_tol=1e-13)
    want = np.zeros(shape)
    np.add.at(want, numpy_index, ng)
    assert_close(B.tolist(scattered), want.tolist())


@pytest.mark.parametrize("shape, index, values_, message", [
    ((3, 4), (3,), (), "{0}[3]: the index 3 is out of range for axis 0 of size 3 (from -3 to 2)"),
    ((3, 4), (0, -5), (), "{0}[0, -5]: the index -5 is out of range for axis 1 of size 4 (from -4 to 3)"),
    ((5,), (Variable(1),), (7.0,), "{0}[{1}]: the index {1} = 7 is out of range for axis 0 of size 5 (from -5 to 4)"),
    ((5,), (Variable(1),), (2.5,), "{0}[{1}]: the index {1} = 2.5 is not a whole number"),
])
def test_an_index_out_of_range_names_the_index_and_the_size(shape, index, values_, message):
    from backprop_cli.engine.tensor.shapes import index_shape

    with pytest.raises(ShapeError) as caught:
        index_shape(shape, index, [()] * len(values_))
        resolve_index(shape, index, values_)
    assert str(caught.value) == message


@pytest.mark.parametrize("shape, index, message", [
    ((3, 4), (1, 2, 0), "{0}[1, 2, 0]: 3 indices for a tensor of 2 dimensions, shape (3, 4)"),
    ((), (0,), "{0}[0]: {0} is a scalar, which has no elements to index"),
    ((3,), (Slice(None, None, 0),), "{0}[::0]: a slice's step cannot be 0"),
])
def test_index_shape_errors(shape, index, message):
    from backprop_cli.engine.tensor.shapes import index_shape

    with pytest.raises(ShapeError) as caught:
        index_shape(shape, index)
    assert str(caught.value) == message


def test_a_variable_index_is_read_from_its_value():
    B = pure.backend(EXACT)
    x = B.array([10, 20, 30, 40])
    assert B.take(x, resolve_index((4,), (Variable(1),), (Fraction(-1),))) == 40
    assert B.take(x, resolve_index((4,), (Variable(1),), (Decimal(2),))) == 30


@pytest.mark.parametrize("name", BACKENDS)
def test_stack_is_numpys(name):
    B = backend(name)
    rows = [values((2, 3)) for _ in range(3)]
    assert_close(B.tolist(B.stack([B.array(r) for r in rows])), np.stack(rows).tolist())
    assert B.tolist(B.stack([1.5, 2.0])) == [1.5, 2.0]


@pytest.mark.parametrize("name", BACKENDS)
def test_one_hot_and_pick_rows(name):
    B = backend(name)
    assert B.tolist(B.one_hot(2, 4)) == [0.0, 0.0, 1.0, 0.0]
    assert B.tolist(B.one_hot([1, 0], 3)) == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    a = B.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert B.tolist(B.pick_rows(a, [2, 0])) == [3.0, 4.0]
