"""The pure-Python array backend: tensors of floats, exact fractions or wide decimals, with NumPy's semantics.

An `Array` is immutable: a shape (a tuple of at least one size) and its elements as a flat row-major
tuple. A scalar is never an Array: it is a plain number, and every operation that would give shape ()
(a full reduction, `x[0]` of a vector, a dot product) gives a number. `PureBackend(arithmetic)` does the
arithmetic over Arrays and numbers in one number system (arithmetic.FLOAT, EXACT or WIDE; call WIDE's
inside `with WIDE.context():`). fast.py offers the same methods over NumPy arrays; rules.py is written
once against them.

Sums of floats are math.fsum (correctly rounded, whatever the order); sums of fractions are exact.
Elementwise functions are the scalar kernels of ops.py, so a tensor's elements are the numbers the scalar
engine gives, exact fractions included. No recursion: nested lists are read level by level.
"""
from __future__ import annotations

import math
from fractions import Fraction
from itertools import repeat
from operator import add, mul, neg, sub, truediv
from decimal import Decimal

from ...base.records import FrozenRecord, set_field
from .. import functions as fn
from ..arithmetic import FLOAT, TINY, OutOfRange
from ..ops import OPS, DomainError
from . import shapes as sh
from .shapes import ShapeError

# Nested lists deeper than this are refused with a message (a tensor of 32 dimensions is already absurd)
MAX_NESTING = 32
_NUMBERS = (int, float, Fraction, Decimal)


class Array(FrozenRecord):
    """A tensor of at least one dimension: its shape and its elements, flat and row-major."""

    __slots__ = __match_args__ = ("shape", "data")
    shape: tuple
    data: tuple

    def __init__(self, shape: tuple, data) -> None:
        data = tuple(data)
        if not shape or len(data) != sh.size(shape):
            raise ValueError(f"an Array of shape {shape} cannot hold {len(data)} elements")
        set_field(self, "shape", tuple(shape))
        set_field(self, "data", data)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return len(self.data)

    def tolist(self) -> list:
        rows: list = list(self.data)
        for axis in range(len(self.shape) - 1, 0, -1):
            n, count = self.shape[axis], sh.size(self.shape[:axis])
            rows = [rows[i * n:(i + 1) * n] for i in range(count)]
        return rows


def read_nested(value) -> tuple[tuple, list]:
    """(shape, flat elements) of nested lists of numbers, level by level; a ragged or non-numeric value is a
    ShapeError naming the position."""
    level, shape = [value], []
    while level and isinstance(level[0], (list, tuple)):
        if len(shape) == MAX_NESTING:
            raise ShapeError(f"the value is nested more than {MAX_NESTING} lists deep")
        n = len(level[0])
        children: list = []
        for j, item in enumerate(level):
            where = sh.element_text(sh.unravel(j, tuple(shape)))
            if not isinstance(item, (list, tuple)):
                raise ShapeError(f"the value is ragged: at {where} there is a number where a list of {n} is expected")
            if len(item) != n:
                first = sh.element_text(sh.unravel(0, tuple(shape)))
                raise ShapeError(f"the value is ragged: the list at {where} has {len(item)} elements, "
                                 f"the list at {first} has {n}")
            children.extend(item)
        shape.append(n)
        level = children
    for j, item in enumerate(level):
        if not isinstance(item, _NUMBERS) or isinstance(item, bool):
            where = sh.element_text(sh.unravel(j, tuple(shape)))
            what = "a list" if isinstance(item, (list, tuple)) else repr(item)
            raise ShapeError(f"the value is ragged or not numeric: at {where} there is {what} where a number is "
                             "expected")
    return tuple(shape), level


def partial_labels(count: int) -> tuple[str, ...]:
    """How a derivative rule's operands are named in its errors: the arguments {0}, {1}..., then {out}."""
    return tuple(f"{{{k}}}" for k in range(count)) + ("{out}",)


class PureBackend:
    """Arithmetic over Arrays and numbers in one number system (see the module's docstring)."""

    name = "pure"

    def __init__(self, arithmetic=FLOAT) -> None:
        self.arithmetic = arithmetic
        self.coerce = arithmetic.coerce
        self.zero, self.one = self.coerce(0), self.coerce(1)
        self._rules: dict = {}

    # -- building and reading ------------------------------------------------------------------------
    def array(self, value):
        """Nested lists (or tuples) of numbers, an Array, a NumPy array, or a number, in this number system."""
        if isinstance(value, Array):
            return Array(value.shape, map(self.coerce, value.data))
        if hasattr(value, "tolist"):  # a NumPy array or NumPy number
            value = value.tolist()
        if isinstance(value, (list, tuple)):
            shape, flat = read_nested(value)
            return Array(shape, map(self.coerce, flat))
        if not isinstance(value, _NUMBERS) or isinstance(value, bool):
            raise ShapeError(f"{value!r} is not a number")
        return self.coerce(value)

    @staticmethod
    def tolist(a):
        return a.tolist() if isinstance(a, Array) else a

    @staticmethod
    def shape(a) -> tuple:
        return a.shape if isinstance(a, Array) else ()

    def size(self, a) -> int:
        return a.size if isinstance(a, Array) else 1

    def ndim(self, a) -> int:
        return len(self.shape(a))

    @staticmethod
    def flat(a) -> list:
        """The elements, row-major, as a list of numbers."""
        return list(a.data) if isinstance(a, Array) else [a]

    def _make(self, shape: tuple, data):
        if not shape:
            (value,) = data
            return value
        return Array(shape, data)

    def full(self, shape: tuple, value):
        return self._make(shape, [self.coerce(value)] * sh.size(shape))

    def zeros(self, shape: tuple):
        return self.full(shape, 0)

    def reshape(self, a, shape: tuple):
        return self._make(shape, self.flat(a))

    def broadcast_to(self, a, shape: tuple):
        return self._make(shape, self._expanded(a, shape))

    def _expanded(self, a, target: tuple) -> list:
        """The elements of `a` broadcast to `target` (a valid broadcast), row-major."""
        if not isinstance(a, Array):
            return [a] * sh.size(target)
        if a.shape == target:
            return list(a.data)
        shape = (1,) * (len(target) - a.ndim) + a.shape
        out, block = list(a.data), 1
        for axis in range(len(target) - 1, -1, -1):
            m = target[axis]
            if shape[axis] == 1 and m != 1:  # each block of the axes inside repeated m times
                out = [x for start in range(0, len(out), block) for _ in range(m) for x in out[start:start + block]]
            block *= m
        return out

    def unbroadcast(self, g, shape: tuple):
        """The adjoint of broadcasting to g's shape: g summed over the axes broadcasting added or stretched."""
        have = self.shape(g)
        if have == shape:
            return g
        if not shape:
            return self.sum(g)
        for _ in range(len(have) - len(shape)):
            g = self.sum(g, 0)
        for axis, n in enumerate(shape):
            if n == 1 and self.shape(g)[axis] != 1:
                g = self.sum(g, axis, keepdims=True)
        return g

    # -- elementwise --------------------------------------------------------------------------------
    def map(self, f, *args, coerce: bool = False, labels: tuple = ()):
        """f over the elements, NumPy-broadcast. A DomainError names the element and the operands there (as
        `labels`, by default {0}, {1}...). `coerce`: the results into this number system (for ops.py's rules)."""
        shapes = [self.shape(a) for a in args]
        target = sh.broadcast(shapes)
        if not target:
            columns = [(a,) for a in args]
        else:
            columns = [repeat(a) if not isinstance(a, Array) else
                       a.data if a.shape == target else self._expanded(a, target) for a in args]
        try:
            data = list(map(f, *columns))
        except DomainError as err:
            raise self._located(f, args, shapes, target, err, labels) from None
        except OverflowError:  # a float step of a kernel (math.exp(800)): wide decimals may hold it
            raise OutOfRange from None
        if coerce:
            data = list(map(self.coerce, data))
        return self._make(target, data)

    def _located(self, f, args, shapes, target, err, labels) -> DomainError:
        columns = [self._expanded(a, target) for a in args]
        for j, operands in enumerate(zip(*columns)):
            try:
                f(*operands)
            except DomainError as found:
                return sh.located(found, sh.unravel(j, target), shapes, operands, labels)
        return err

    def scalar_rules(self, name: str, count: int):
        """(value, partials) of ops.py's scalar operation `name` over `count` arguments, elementwise:
        value(*args) and partials[k](*args, out), with results in this number system."""
        key = (name, count)
        if key not in self._rules:  # the rules are looked up in OPS at each call: it is the one table
            labels = partial_labels(count)
            self._rules[key] = (
                lambda *a: self.map(OPS[name].value, *a, coerce=True),
                tuple((lambda *a, k=k: self.map(OPS[name].partials[k], *a, coerce=True, labels=labels))
                      for k in range(count)),
            )
        return self._rules[key]

    def add(self, a, b):
        return a + b if not isinstance(a, Array) and not isinstance(b, Array) else self.map(add, a, b)

    def sub(self, a, b):
        return a - b if not isinstance(a, Array) and not isinstance(b, Array) else self.map(sub, a, b)

    def mul(self, a, b):
        return a * b if not isinstance(a, Array) and not isinstance(b, Array) else self.map(mul, a, b)

    def div(self, a, b):
        return self.map(truediv, a, b)

    def neg(self, a):
        return self.map(neg, a)

    def exp(self, a):
        return self.map(fn.exp, a, coerce=True)

    def log(self, a):
        return self.map(fn.log, a, coerce=True)

    def sqrt(self, a):
        return self.map(fn.sqrt, a, coerce=True)

    def equal(self, a, b):
        """1 where a == b, else 0 (in this number system)."""
        one, zero = self.one, self.zero
        return self.map(lambda x, y: one if x == y else zero, a, b)

    def finite(self, a) -> bool:
        """False if an element is infinite or NaN."""
        flat = self.flat(a)
        if self.arithmetic is FLOAT:
            return all(map(math.isfinite, flat))
        return all(x - x == 0 for x in flat if type(x) is float)

    def underflowed(self, value, args) -> bool:
        """True if a float element of `value` is 0 or subnormal where none of `args` (its operands, broadcast)
        is 0: a product or quotient that lost its digits (the sweeps then redo the work in wide decimals)."""
        data = self.flat(value)
        if all(v >= TINY or v <= -TINY or type(v) is not float for v in data):
            return False
        target = self.shape(value)
        columns = [self._expanded(a, target) for a in args]
        return any(type(v) is float and -TINY < v < TINY and all(operands) for v, *operands in zip(data, *columns))

    # -- reductions ---------------------------------------------------------------------------------
    def _total(self, items) -> object:
        if self.arithmetic is FLOAT:
            try:
                return math.fsum(items)
            except (OverflowError, ValueError):  # an intermediate overflow, or inf - inf
                raise OutOfRange from None
        return sum(items, self.zero)

    def _reduce(self, a, axis, keepdims, combine):
        if not isinstance(a, Array):
            return a  # a number is its own sum, max and min
        if axis is None:
            return self._make((1,) * a.ndim if keepdims else (), [combine(a.data)])
        shape, data = a.shape, a.data
        outer, n, inner = sh.size(shape[:axis]), shape[axis], sh.size(shape[axis + 1:])
        block = n * inner
        out = [combine(data[o * block + i:(o + 1) * block:inner]) for o in range(outer) for i in range(inner)]
        return self._make(sh.reduced(shape, axis, keepdims), out)

    def sum(self, a, axis: int | None = None, keepdims: bool = False):
        """The sum over `axis` (normalized: 0 <= axis < ndim), or over every element (a number) for None."""
        return self._reduce(a, axis, keepdims, self._total)

    def max(self, a, axis: int | None = None, keepdims: bool = False):
        return self._reduce(a, axis, keepdims, max)

    def min(self, a, axis: int | None = None, keepdims: bool = False):
        return self._reduce(a, axis, keepdims, min)

    # -- products and rearrangements ---------------------------------------------------------------
    def _dot(self, row, column):
        return self._total(map(mul, row, column))

    def _matmul2(self, a, m: int, k: int, b, n: int) -> list:
        columns = [b[j::n] for j in range(n)]
        dot = self._dot
        return [dot(a[i * k:(i + 1) * k], column) for i in range(m) for column in columns]

    def matmul(self, a, b):
        """NumPy's a @ b: matrix products, vectors promoted (row on the left, column on the right), batches."""
        sa, sb = self.shape(a), self.shape(b)
        out_shape = sh.matmul(sa, sb)
        pa = (1,) + sa if len(sa) == 1 else sa
        pb = sb + (1,) if len(sb) == 1 else sb
        m, k, n = pa[-2], pa[-1], pb[-1]
        batch = sh.broadcast([pa[:-2], pb[:-2]])
        da = self._expanded(Array(pa, a.data), batch + pa[-2:])  # the vectors promoted, then the batches broadcast
        db = self._expanded(Array(pb, b.data), batch + pb[-2:])
        out: list = []
        for j in range(sh.size(batch)):
            out.extend(self._matmul2(da[j * m * k:(j + 1) * m * k], m, k, db[j * k * n:(j + 1) * k * n], n))
        return self._make(out_shape, out)

    def transpose(self, a):
        """NumPy's .T: the axes reversed (a matrix transposed; vectors and scalars unchanged)."""
        if not isinstance(a, Array) or a.ndim == 1:
            return a
        if a.ndim == 2:
            return self.swap_last(a)
        order = tuple(range(a.ndim - 1, -1, -1))
        shape = tuple(a.shape[i] for i in order)
        picks = [range(a.shape[i]) for i in order]
        strides = [sh.size(a.shape[i + 1:]) for i in order]
        found = [0]
        for pick, stride in zip(picks, strides):
            found = [p + i * stride for p in found for i in pick]
        return Array(shape, [a.data[p] for p in found])

    def swap_last(self, a):
        """The last two axes swapped (each matrix of a batch transposed); a matrix's transpose."""
        *batch, m, n = a.shape
        data, out = a.data, []
        for j in range(0, len(data), m * n):
            block = data[j:j + m * n]
            out.extend(x for col in range(n) for x in block[col::n])
        return Array((*batch, n, m), out)

    def take(self, a, picks: tuple):
        """The elements `picks` (shapes.resolve_index) selects: an Array, or a number when no range is left."""
        return self._make(sh.picked_shape(picks), [a.data[p] for p in sh.positions(a.shape, picks)])

    def put(self, g, shape: tuple, picks: tuple):
        """The adjoint of take: zeros of `shape` with g added at the elements `picks` selects."""
        out = [self.zero] * sh.size(shape)
        for p, v in zip(sh.positions(shape, picks), self.flat(g)):
            out[p] = out[p] + v
        return Array(shape, out)

    def stack(self, items):
        """Numbers or Arrays of one shape, stacked along a new first axis."""
        first = self.shape(items[0])
        data: list = []
        for item in items:
            data.extend(self.flat(item))
        return Array((len(items),) + first, data)

    def one_hot(self, classes, width: int):
        """Rows of `width` zeros with a 1 at each class: (width,) for one class, (N, width) for a list of N."""
        if isinstance(classes, int):
            return self.put(self.one, (width,), (classes,))
        out = [self.zero] * (len(classes) * width)
        for row, c in enumerate(classes):
            out[row * width + c] = self.one
        return Array((len(classes), width), out)

    def pick_rows(self, a, classes: list):
        """a[i, classes[i]] for each row i of a matrix: a vector."""
        width = a.shape[1]
        return Array((len(classes),), [a.data[row * width + c] for row, c in enumerate(classes)])


_BACKENDS: dict = {}


def backend(arithmetic=FLOAT) -> PureBackend:
    """The pure backend of a number system (one per arithmetic, made on first use)."""
    if arithmetic not in _BACKENDS:
        _BACKENDS[arithmetic] = PureBackend(arithmetic)
    return _BACKENDS[arithmetic]
