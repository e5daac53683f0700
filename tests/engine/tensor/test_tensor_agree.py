"""The pure and NumPy backends agree on every operation: a property test over random shapes and values.

Hypothesis draws an operation of the tensor table, shapes that fit it (broadcast pairs, matrix products of
every kind and batches, reductions along random axes, random indices and slices, softmax along an axis,
cross-entropy with class indices or probabilities...) and values (sometimes whole numbers, so that max and
relu meet ties and zeros); the value, every VJP and the JVP must agree between the backends to rounding
(NumPy sums pairwise and with BLAS, the pure backend sums exactly rounded).
"""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tensor_helpers import HAS_NUMPY, assert_close, backend, domain

from backprop_cli.engine.ops import OPS
from backprop_cli.engine.tensor.rules import TENSOR_OPS
from backprop_cli.engine.tensor.shapes import Slice

pytestmark = pytest.mark.skipif(not HAS_NUMPY, reason="NumPy is not installed")

EXAMPLES = 40  # per operation


def sizes(data, ndim, low=1, high=4):
    return tuple(data.draw(st.integers(low, high)) for _ in range(ndim))


def broadcast_partner(data, shape):
    """A shape that broadcasts with `shape`: leading axes dropped, some sizes made 1."""
    kept = shape[data.draw(st.integers(0, len(shape))):]
    return tuple(1 if data.draw(st.booleans()) else n for n in kept)


@st.composite
def examples(draw, name: str):
    """([(shape, (low, high)) or a fixed value per argument], params, differentiated arguments) for `name`."""
    data = draw(st.data())
    scalar = TENSOR_OPS[name].scalar
    if scalar is not None:  # ops.py's operation over the elements
        op = OPS[scalar]
        count = draw(st.integers(1, 3)) if op.variadic else op.arity
        first = sizes(data, draw(st.integers(0, 3)))
        if op.defaults:  # a parameter (leaky_relu's slope): a scalar
            shapes = [first] + [()] * (count - 1)
        else:
            shapes = [first] + [broadcast_partner(data, first) for _ in range(count - 1)]
            shapes = draw(st.permutations(shapes))
        return [(s, domain(scalar, k)) for k, s in enumerate(shapes)], {}, tuple(range(count))
    if name == "matmul":
        m, k, n = sizes(data, 3)
        left = draw(st.sampled_from([(k,), (m, k), (2, m, k), (1, m, k)]))
        right = draw(st.sampled_from([(k,), (k, n), (2, k, n), (3, 1, k, n)]))
        return [(left, (-2, 2)), (right, (-2, 2))], {}, (0, 1)
    if name in ("transpose", "norm"):
        return [(sizes(data, draw(st.integers(1, 3))), (-2, 2))], {}, (0,)
    if name in ("sum", "mean", "max", "min", "logsumexp", "softmax", "log_softmax"):
        shape = sizes(data, draw(st.integers(1, 3)))
        axis = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
        return [(shape, (-3, 3))], {} if axis is None else {"axis": axis}, (0,)
    if name == "index":
        shape = sizes(data, draw(st.integers(1, 3)), 1, 5)
        index = []
        for n in shape[:draw(st.integers(1, len(shape)))]:
            if draw(st.booleans()):
                index.append(draw(st.integers(-n, n - 1)))
            else:
                bound = st.one_of(st.none(), st.integers(-n - 2, n + 2))
                index.append(Slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1, 2, -1, -2, 3]))))
        return [(shape, (-2, 2))], {"index": tuple(index)}, (0,)
    if name == "stack":
        shape = sizes(data, draw(st.integers(0, 2)))
        count = draw(st.integers(1, 4))
        return [(shape, (-2, 2))] * count, {}, tuple(range(count))
    if name == "cross_entropy":
        rows, classes = draw(st.integers(1, 4)), draw(st.integers(1, 5))
        batched = draw(st.booleans())
        logits = (rows, classes) if batched else (classes,)
        if draw(st.booleans()):  # probabilities
            return [(logits, (-3, 3)), (logits, (0.0, 1.0))], {}, (0, 1)
        target = [float(draw(st.integers(0, classes - 1))) for _ in range(rows)]
        return [(logits, (-3, 3)), target if batched else target[0]], {}, (0,)
    assert name == "mse"
    shape = sizes(data, draw(st.integers(1, 3)))
    return [(shape, (-2, 2)), (shape if draw(st.booleans()) else (), (-2, 2))], {}, (0, 1)


class Value:
    """Random values of a shape, kept flat so that an empty shape such as (0, 2) survives."""

    def __init__(self, flat, shape):
        self.flat, self.shape = flat, shape

    def on(self, B):
        return B.reshape(B.array(self.flat), self.shape)


def realize(spec, rng: random.Random, whole: bool = False):
    """A Value for an argument spec (shape, range), or the fixed value itself (class indices)."""
    if not (isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[1], tuple)):
        return spec
    shape, (low, high) = spec
    count = 1
    for n in shape:
        count *= n
    values = [rng.uniform(low, high) for _ in range(count)]
    if whole and low < -1 and high > 1:  # whole numbers: ties for max and min, zeros for relu and abs
        values = [float(round(v)) for v in values]
    return Value(values, shape)


def on(B, value):
    return value.on(B) if isinstance(value, Value) else B.array(value)


def run(B, op, args, params, variables, upstream, tangents):
    op = TENSOR_OPS[op]
    args = [on(B, a) for a in args]
    out = op.forward(B, args, params)
    grads = [B.flat(op.vjps[k](B, upstream.on(B), args, out, params)) for k in variables]
    jvp = op.jvp(B, [t.on(B) if t is not None else None for t in tangents], args, out, params)
    return B.flat(out), grads, B.flat(jvp)


OPERATIONS = sorted(TENSOR_OPS)


@pytest.mark.parametrize("name", OPERATIONS)
def test_the_backends_agree(name):
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(examples(name), st.integers(0, 2 ** 32 - 1), st.booleans())
    def agree(example, seed, whole):
        specs, params, variables = example
        rng = random.Random(seed)
        args = [realize(spec, rng, whole) for spec in specs]
        pure, fast = backend("pure"), backend("numpy")
        out = TENSOR_OPS[name].forward(pure, [on(pure, a) for a in args], params)
        upstream = realize((pure.shape(out), (-1, 1)), rng)
        tangents = [realize((pure.shape(on(pure, a)), (-1, 1)), rng) if k in variables else None
                    for k, a in enumerate(args)]
        expected = run(pure, name, args, params, variables, upstream, tangents)
        got = run(fast, name, args, params, variables, upstream, tangents)
        for what, a, b in zip(("value", "gradients", "tangent"), got, expected):
            assert_close(a, b, rel=1e-10, abs_=1e-12, what=f"{name} {what}")
        ran.append(1)

    ran: list = []
    agree()
    assert len(ran) >= EXAMPLES // 2, f"only {len(ran)} examples ran"
