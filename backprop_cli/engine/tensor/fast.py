"""The NumPy array backend: pure.PureBackend's interface over float64 ndarrays (floats only).

Imported only when backend.choose picks it (big float work with NumPy installed), never at start-up.
Scalars are Python floats, never 0-d arrays, as in the pure backend. Elementwise functions are
vectorized.vector_rules: NumPy arithmetic for + - * / (checked against ops.py's rules when that module
loads) and ops.py's own scalar kernels mapped over the elements for everything else, so the elements are
the scalar engine's numbers. Where such a rule gives a non-finite element, the scalar rule is asked at that
element: its DomainError names the element (as the pure backend's does); anything else is OutOfRange and
the sweeps redo the work in wide decimals. Sums and products are NumPy's (pairwise sums, BLAS), so they
can differ from the pure backend's correctly rounded sums in the last bits.
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np

from ..arithmetic import FLOAT, TINY, OutOfRange
from ..ops import OPS, DomainError
from ..vectorized import vector_rules
from . import shapes as sh
from .pure import partial_labels, read_nested
from .shapes import ShapeError

_NUMBERS = (int, float, Fraction, Decimal)


def _out(x):
    """A 0-d result as a Python float; arrays as they are."""
    return float(x) if np.ndim(x) == 0 else x


def _slice(r: range) -> slice:
    """A range of valid indices as a slice: a negative stop (or start, when empty) means 'before index 0',
    which a slice writes as None (or as an empty slice)."""
    if not r:
        return slice(0, 0)
    return slice(r.start, r.stop if r.stop >= 0 else None, r.step)


def _index(picks: tuple) -> tuple:
    """shapes.resolve_index's picks as a NumPy basic index."""
    return tuple(_slice(p) if isinstance(p, range) else p for p in picks)


class NumpyBackend:
    """Arithmetic over float64 ndarrays and floats, with the methods of pure.PureBackend."""

    name = "numpy"
    arithmetic = FLOAT
    zero, one = 0.0, 1.0

    def __init__(self) -> None:
        self._rules: dict = {}

    # -- building and reading ------------------------------------------------------------------------
    def array(self, value):
        if isinstance(value, np.ndarray):
            return _out(value.astype(np.float64))
        if hasattr(value, "tolist"):  # a pure Array or a NumPy number
            value = value.tolist()
        if isinstance(value, (list, tuple)):
            shape, flat = read_nested(value)
            return np.array([float(x) for x in flat], dtype=np.float64).reshape(shape)
        if isinstance(value, bool) or not isinstance(value, _NUMBERS):
            raise ShapeError(f"{value!r} is not a number")
        return float(value)

    @staticmethod
    def tolist(a):
        return a.tolist() if isinstance(a, np.ndarray) else a

    @staticmethod
    def shape(a) -> tuple:
        return np.shape(a)

    @staticmethod
    def size(a) -> int:
        return int(np.size(a))

    @staticmethod
    def ndim(a) -> int:
        return np.ndim(a)

    @staticmethod
    def flat(a) -> list:
        return a.ravel().tolist() if isinstance(a, np.ndarray) else [float(a)]

    def full(self, shape: tuple, value):
        return np.full(shape, float(value)) if shape else float(value)

    def zeros(self, shape: tuple):
        return self.full(shape, 0.0)

    def reshape(self, a, shape: tuple):
        return _out(np.reshape(a, shape))

    def broadcast_to(self, a, shape: tuple):
        return _out(np.broadcast_to(a, shape))

    def unbroadcast(self, g, shape: tuple):
        have = np.shape(g)
        if have == shape:
            return g
        lead = len(have) - len(shape)
        axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and have[lead + i] != 1)
        return _out(np.sum(g, axis=axes).reshape(shape))

    # -- elementwise --------------------------------------------------------------------------------
    def map(self, f, *args, coerce: bool = False, labels: tuple = ()):
        """f (a scalar function) over the elements, in Python, NumPy-broadcast; errors as the pure backend's."""
        shapes = [np.shape(a) for a in args]
        target = sh.broadcast(shapes)
        columns = [np.broadcast_to(np.asarray(a, dtype=np.float64), target).ravel().tolist() for a in args]
        try:
            data = [float(v) for v in map(f, *columns)]
        except DomainError:
            raise self._located(f, columns, shapes, target, labels) from None
        except OverflowError:
            raise OutOfRange from None
        return _out(np.array(data, dtype=np.float64).reshape(target))

    @staticmethod
    def _located(f, columns, shapes, target, labels=()):
        for j, operands in enumerate(zip(*columns)):
            try:
                value = f(*operands)
            except DomainError as found:
                return sh.located(found, sh.unravel(j, target), shapes, operands, labels)
            except OverflowError:
                return OutOfRange()
            if value - value != 0:
                return OutOfRange()
        return OutOfRange()

    def _vector(self, rule, scalar_rule, args, labels=()):
        shapes = [np.shape(a) for a in args]
        target = sh.broadcast(shapes)
        flat = [np.broadcast_to(np.asarray(a, dtype=np.float64), target).reshape(-1) for a in args]
        with np.errstate(all="ignore"):
            result = rule(*flat)
        if not np.all(np.isfinite(result)):
            raise self._located(scalar_rule, [c.tolist() for c in flat], shapes, target, labels)
        if np.ndim(result) == 0:  # a constant derivative (1, -1): left a number, broadcasting does the rest
            return float(result)
        return _out(result.reshape(target))

    def scalar_rules(self, name: str, count: int):
        key = (name, count)
        if key not in self._rules:
            op = OPS[name]
            value, partials = vector_rules(name, count)
            labels = partial_labels(count)
            self._rules[key] = (
                lambda *a: self._vector(value, op.value, a),
                tuple((lambda *a, rule=rule, k=k: self._vector(rule, op.partials[k], a, labels))
                      for k, rule in enumerate(partials)),
            )
        return self._rules[key]

    @staticmethod
    def _arith(ufunc, *args):
        with np.errstate(all="ignore"):
            try:
                return _out(ufunc(*args))
            except ValueError:  # shapes that do not broadcast: the pure backend's message
                sh.broadcast([np.shape(a) for a in args])
                raise

    def add(self, a, b):
        return self._arith(np.add, a, b)

    def sub(self, a, b):
        return self._arith(np.subtract, a, b)

    def mul(self, a, b):
        return self._arith(np.multiply, a, b)

    def div(self, a, b):
        return self._arith(np.divide, a, b)

    def neg(self, a):
        return self._arith(np.negative, a)

    def exp(self, a):
        return self._arith(np.exp, a)

    def log(self, a):
        return self._arith(np.log, a)

    def sqrt(self, a):
        return self._arith(np.sqrt, a)

    def equal(self, a, b):
        return _out(np.equal(a, b).astype(np.float64))

    @staticmethod
    def finite(a) -> bool:
        return bool(np.all(np.isfinite(a)))

    @staticmethod
    def underflowed(value, args) -> bool:
        tiny = np.abs(value) < TINY
        if not np.any(tiny):
            return False
        for a in args:
            tiny = tiny & (np.asarray(a) != 0)
        return bool(np.any(tiny))

    # -- reductions ---------------------------------------------------------------------------------
    def sum(self, a, axis: int | None = None, keepdims: bool = False):
        return self._arith(lambda x: np.sum(x, axis=axis, keepdims=keepdims), a)

    def max(self, a, axis: int | None = None, keepdims: bool = False):
        return _out(np.max(a, axis=axis, keepdims=keepdims))

    def min(self, a, axis: int | None = None, keepdims: bool = False):
        return _out(np.min(a, axis=axis, keepdims=keepdims))

    # -- products and rearrangements ---------------------------------------------------------------
    def matmul(self, a, b):
        sh.matmul(np.shape(a), np.shape(b))  # the same message as the pure backend's when they do not fit
        return self._arith(np.matmul, a, b)

    @staticmethod
    def transpose(a):
        return a if np.ndim(a) < 2 else np.transpose(a)

    @staticmethod
    def swap_last(a):
        return np.swapaxes(a, -1, -2)

    @staticmethod
    def take(a, picks: tuple):
        return _out(a[_index(picks)])

    @staticmethod
    def put(g, shape: tuple, picks: tuple):
        out = np.zeros(shape)
        out[_index(picks)] += g
        return out

    @staticmethod
    def stack(items):
        return np.stack([np.asarray(item, dtype=np.float64) for item in items])

    @staticmethod
    def one_hot(classes, width: int):
        if isinstance(classes, int):
            out = np.zeros(width)
            out[classes] = 1.0
            return out
        out = np.zeros((len(classes), width))
        out[np.arange(len(classes)), classes] = 1.0
        return out

    @staticmethod
    def pick_rows(a, classes: list):
        return a[np.arange(len(classes)), classes]


BACKEND = NumpyBackend()


def backend() -> NumpyBackend:
    return BACKEND
