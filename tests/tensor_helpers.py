"""Shared by the tensor tests (tests/engine/tensor): the backends to run on, comparisons, finite differences.

The finite differences here use only a rule's forward function, never its VJP or JVP, so they are an
oracle independent of the derivative rules under test.
"""
from __future__ import annotations

import importlib.util
import math
import random

import pytest

from backprop_cli.engine.tensor import pure

HAS_NUMPY = importlib.util.find_spec("numpy") is not None

# Per scalar operation of ops.py, where its arguments are drawn from (default -2..2): inside the domain of
# the value and of every derivative.
DOMAINS = {
    "log": [(0.2, 3)], "sqrt": [(0.2, 3)], "log2": [(0.2, 3)], "log10": [(0.2, 3)], "log1p": [(-0.5, 3)],
    "asin": [(-0.9, 0.9)], "acos": [(-0.9, 0.9)], "atanh": [(-0.9, 0.9)], "acosh": [(1.2, 3)], "tan": [(-1, 1)],
    "cbrt": [(0.2, 2)], "pow": [(0.5, 2), (-1.5, 2.5)], "div": [(-2, 2), (0.5, 2)],
    "log_base": [(0.2, 3), (1.5, 4)], "softplus": [(-2, 2), (0.5, 2)], "elu": [(-2, 2), (0.5, 2)],
    "leaky_relu": [(-2, 2), (0.05, 0.5)], "atan2": [(-2, 2), (0.5, 2)], "hypot": [(0.5, 2), (-2, 2)],
}


def domain(name: str, k: int) -> tuple:
    ranges = DOMAINS.get(name, [])
    return ranges[k] if k < len(ranges) else (-2.0, 2.0)
BACKENDS = [
    pytest.param("pure", id="pure"),
    pytest.param("numpy", id="numpy", marks=pytest.mark.skipif(not HAS_NUMPY, reason="NumPy is not installed")),
]


def backend(name: str):
    if name == "pure":
        return pure.backend()
    from backprop_cli.engine.tensor import fast

    return fast.backend()


def flat(value) -> list:
    """Nested lists (or a number) as a flat list of floats, row-major."""
    out, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        else:
            out.append(float(item))
    return out


def shape_of(value) -> tuple:
    shape = []
    while isinstance(value, (list, tuple)):
        shape.append(len(value))
        value = value[0] if value else None
    return tuple(shape)


def assert_close(got, want, rel: float = 1e-12, abs_: float = 1e-13, what: str = "") -> None:
    """got and want (nested lists or numbers) have one shape and agree elementwise."""
    assert shape_of(got) == shape_of(want), f"{what}: shape {shape_of(got)} != {shape_of(want)}"
    for k, (a, b) in enumerate(zip(flat(got), flat(want))):
        assert math.isclose(a, b, rel_tol=rel, abs_tol=abs_), f"{what}: element {k}: {a!r} != {b!r}"


def random_nested(shape: tuple, rng: random.Random, low: float = -2.0, high: float = 2.0):
    """Nested lists of `shape` with random values (a number for ())."""
    if not shape:
        return rng.uniform(low, high)
    count = math.prod(shape)
    values = [rng.uniform(low, high) for _ in range(count)]
    return pure.Array(shape, values).tolist()


def inner(B, a, b) -> float:
    """<a, b>: the sum of the elementwise products."""
    return math.fsum(x * y for x, y in zip(flat(B.tolist(a)), flat(B.tolist(b))))


def numeric_vjp(f, args: list, k: int, upstream, h: float = 1e-6) -> list:
    """d <upstream, f(args)> / d args[k] by central differences, as a flat list (f takes nested lists)."""
    base = args[k]
    shape = shape_of(base)
    values = flat(base)
    grads = []
    for j in range(len(values)):
        step = h * max(1.0, abs(values[j]))
        sides = []
        for sign in (1, -1):
            moved = list(values)
            moved[j] += sign * step
            trial = list(args)
            trial[k] = pure.Array(shape, moved).tolist() if shape else moved[0]
            sides.append(math.fsum(u * y for u, y in zip(flat(upstream), flat(f(trial)))))
        grads.append((sides[0] - sides[1]) / (2 * step))
    return grads
