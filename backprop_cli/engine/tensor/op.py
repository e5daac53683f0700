"""The record of one tensor operation (TensorOp), of an element on a kink (TensorKink), and the helpers the
rules share. rules.py explains the contract of each field and holds the table.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple, Optional

from ..ops import PerArgument
from . import shapes as sh

UPSTREAM = "∂L/∂{out}"  # the gradient arriving at a node, in the rule texts


class TensorKink(NamedTuple):
    """An element of a result sitting on a kink of its operation (relu at 0, a tie of a max, a norm at 0)."""
    at: tuple  # the element of the result (() for a scalar result)
    sources: tuple  # the operand elements meeting there: (argument number, element of that argument) each
    used: tuple  # d result[at] / d source, as the VJP takes it (PyTorch's convention), per source
    one_sided: tuple  # (left, right) derivatives per source


@dataclass(frozen=True)
class TensorOp:
    name: str
    arity: int  # the number of arguments (the least number, when variadic)
    shape: Callable  # (shapes, params) -> shape
    forward: Callable  # (B, args, params) -> value
    vjps: tuple | PerArgument  # per argument: (B, g, args, out, params) -> gradient of that argument, or None
    jvp: Callable  # (B, tangents, args, out, params) -> tangent of the result, or None
    texts: Callable  # (shapes, params) -> the local rule per argument
    template: Callable  # (count, params) -> how a node is written
    kinks: Optional[Callable] = None  # (B, args, out, params) -> TensorKinks
    scalar: Optional[str] = None  # the ops.py operation applied elementwise
    variadic: bool = False
    # (shapes, out shape) -> about how many scalar operations the forward function does; None: the numbers
    # read and written (backend.choose weighs the work with it)
    cost: Optional[Callable] = None

    def work(self, shapes, out) -> int:
        if self.cost is not None:
            return self.cost(shapes, out)
        return sh.size(out) + sum(map(sh.size, shapes))

    def written(self, count: int, params: dict | None = None) -> str:
        return self.template(count, params or {})

    def rule_text(self, shapes, params: dict | None = None) -> tuple[str, ...]:
        return self.texts(tuple(shapes), params or {})


def plus(B, a, b):
    """a + b where None is zero."""
    return b if a is None else a if b is None else B.add(a, b)


def as_shape(B, x, shape):
    return x if B.shape(x) == shape else B.reshape(x, shape)


def axis_of(params: dict, shape, written: str = "", default=None):
    """The `axis` parameter normalized for `shape` (None: every axis), or a ShapeError."""
    axis = params.get("axis", default)
    return None if axis is None else sh.normalize_axis(axis, len(shape), written, shape)


def axis_text(params: dict) -> str:
    return "" if params.get("axis") is None else f", axis={params['axis']}"


def spread(B, g, shape, axis):
    """g, the result of a reduction over `axis` (None: all), broadcast back to `shape`."""
    if axis is not None:
        g = B.reshape(g, shape[:axis] + (1,) + shape[axis + 1:])
    return B.broadcast_to(g, shape)


def scalar_jvp(vjps):
    """The JVP of an operation with a scalar result: the sum over k of <gradient of argument k, tangent k>."""
    def jvp(B, tangents, args, out, params):
        total = None
        for rule, t in zip(vjps, tangents):
            grad = None if t is None else rule(B, B.one, args, out, params)
            if grad is not None:
                total = plus(B, total, B.sum(B.mul(grad, t)))
        return total

    return jvp


def fixed(*texts: str):
    """Rule texts that do not depend on the shapes."""
    return lambda shapes, params: texts


def called(name: str):
    """How a node of a function of one tensor is written: sum({0}), sum({0}, axis=0)."""
    return lambda count, params: f"{name}({{0}}{axis_text(params)})"
