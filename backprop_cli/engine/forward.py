"""Forward sweeps over the tape: the value of every node, and forward-mode tangents.

Both are one plain loop in tape order. A value that does not exist as a finite
real number stops the sweep with a MathError naming the node, its operation and
its operands, with a caret under the part of the program it comes from.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

from ..base.errors import MathError, caret_excerpt, line_and_column
from ..base.numbers import number_text  # noqa: F401 (forward.number_text, as the sweeps' messages use it)
from .arithmetic import FLOAT, TINY, WIDE, OutOfRange
from .ops import CONSTANTS, OPS, DomainError
from .tape import CONST, INPUT, Tape

_ARITHMETIC_FAILURES = (DomainError, ZeroDivisionError, OverflowError, ValueError)


def describe_node(tape: Tape, i: int, values: Sequence) -> str:
    """`v7 = v5 / d` with the operand values, for error messages."""
    node = tape.nodes[i]
    if node.op == INPUT:
        return f"the input {node.name} = {number_text(values[i])}"
    operands = ", ".join(
        f"{tape.label(a)} = {number_text(values[a])}" for a in dict.fromkeys(node.args) if tape.nodes[a].op != CONST
    )
    head = f"{tape.label(i)} = {tape.expression(i)}" if node.display_name else f"{node.id} = {tape.expression(i)}"
    return f"{head}" + (f" where {operands}" if operands else "")


def node_reason(tape: Tape, i: int, values: Sequence, what: str) -> str:
    """`what` went wrong at node i, in one line: `log is defined for positive numbers only in a = log(x) where x = -1.0`."""
    return f"{what} in {describe_node(tape, i, values)}"


def node_error(tape: Tape, i: int, values: Sequence, what: str) -> MathError:
    return located_error(tape, i, node_reason(tape, i, values, what))


def located_error(tape: Tape, i: int, reason: str) -> MathError:
    """A MathError with `reason` and a caret under node i's part of the program."""
    span = tape.nodes[i].span
    where = f"\n{caret_excerpt(tape.source, span.start, span.end)}" if span is not None else ""
    error = MathError(f"{reason}{where}")
    if span is not None:  # for the JSON error document (cli.py)
        error.line, error.column = line_and_column(tape.source, span.start)
    return error


_LEAVES = (INPUT, CONST)


class _NotFinite(Exception):
    pass


def evaluate(tape: Tape, inputs: Mapping[str, object], arithmetic=FLOAT) -> list:
    """The value of every node, in tape order: in floats, each the float nearest its true value even where
    a step on the way leaves float range (1e300 * exp(-800) is 3.7e-48, not 1e300 * 0)."""
    try:
        return sweep_values(tape, inputs, arithmetic)
    except OutOfRange:
        if arithmetic is not FLOAT:
            raise exact_out_of_range() from None
        with WIDE.context():
            wide = sweep_values(tape, {name: WIDE.coerce(v) for name, v in inputs.items()}, WIDE)
        return [to_float(tape, i, wide, v, "the result") for i, v in enumerate(wide)]


def exact_out_of_range() -> MathError:
    return MathError("an inexact (floating-point) step of this --exact computation leaves the range of 64-bit "
                     "floats; without --exact, backprop redoes such steps in a wider range")


def to_float(tape: Tape, i: int, values: Sequence, value, what: str) -> float:
    """A wide decimal as the nearest float, or a MathError naming node i when it does not fit."""
    try:
        result = float(value)
    except OverflowError:  # a fraction beyond float range
        result = math.inf
    if result - result:
        raise node_error(tape, i, values, too_large(what, value))
    return result


def too_large(what: str, value) -> str:
    return f"{what} is {number_text(value)}, too large for a 64-bit float (overflow)"


def _underflowed(op: str, operands, value) -> bool:
    """A float result that is 0 or subnormal although its true value is a normal, nonzero number (or may be):
    an operation that can underflow, applied to nonzero operands."""
    return OPS[op].underflows and all(operands) and (value == 0 or -TINY < value < TINY)


def sweep_values(tape: Tape, inputs: Mapping[str, object], arithmetic=FLOAT) -> list:
    """The value of every node, in tape order; in floats, OutOfRange where a value underflowed."""
    nodes = tape.nodes
    values: list = [None] * len(nodes)
    coerce = arithmetic.coerce
    as_float = arithmetic is FLOAT  # the common case: one type check instead of a call per node
    rules = {name: op.value for name, op in OPS.items()}  # looked up per call: OPS is the one table
    isfinite = math.isfinite
    i = -1
    try:
        for i, node in enumerate(nodes):
            op = node.op
            args = node.args
            if op in _LEAVES:
                values[i] = _leaf(node, inputs, arithmetic)
                continue
            if len(args) == 2:
                value = rules[op](values[args[0]], values[args[1]])
            elif len(args) == 1:
                value = rules[op](values[args[0]])
            else:
                value = rules[op](*[values[a] for a in args])
            if as_float:
                if type(value) is not float:
                    value = float(value)
                if not isfinite(value):
                    raise _NotFinite
                if -TINY < value < TINY and _underflowed(op, [values[a] for a in args], value):
                    raise OutOfRange
            else:
                value = coerce(value)
                if isinstance(value, float):
                    if not isfinite(value):
                        raise _NotFinite
                    if -TINY < value < TINY and _underflowed(op, [values[a] for a in args], value):
                        raise OutOfRange
            values[i] = value
    except _NotFinite:
        raise node_error(tape, i, values, "the result is too large for a 64-bit float (overflow)") from None
    except (DomainError, MathError, OverflowError, ZeroDivisionError, ValueError) as err:
        if nodes[i].op in _LEAVES:
            raise  # a literal or an input value: its own message
        if isinstance(err, DomainError):
            raise node_error(tape, i, values, str(err)) from None
        if isinstance(err, MathError):  # an exact value too large to hold
            raise node_error(tape, i, values, err.message) from None
        if isinstance(err, OverflowError):
            raise node_error(tape, i, values, "the result is too large for a 64-bit float (overflow)") from None
        raise node_error(tape, i, values, f"{nodes[i].op} is not defined here") from None
    return values


def _leaf(node, inputs: Mapping[str, object], arithmetic):
    if node.op == INPUT:
        return inputs[node.name]
    if node.text in CONSTANTS:
        return arithmetic.constant(CONSTANTS[node.text])
    return arithmetic.literal(node.text)


def tangents(tape: Tape, partials: Sequence, seeds: Mapping[int, object], zero=0) -> list:
    """Forward mode: pushing tangents forward from `seeds` ({node: tangent}); d node / d (seed) for a single
    seed of 1. In floats, OutOfRange where a product or a sum leaves float range."""
    tangent: list = [zero] * len(tape.nodes)
    for node, value in seeds.items():
        tangent[node] = value
    nodes = tape.nodes
    # unrolled for one and two arguments (nearly every node): forward mode runs once per input
    for i in range(min(seeds, default=len(nodes)) + 1, len(nodes)):
        local = partials[i]
        if local is None:
            continue
        args = nodes[i].args
        if len(args) == 2:
            a, b = args
            d, e = local
            total = zero
            t = tangent[a]
            if d is not None and t:
                total = d * t
                if -TINY < total < TINY and d and type(total) is float:  # the float product underflowed
                    raise OutOfRange
            t = tangent[b]
            if e is not None and t:
                product = e * t
                if -TINY < product < TINY and e and type(product) is float:
                    raise OutOfRange
                total = total + product
        else:
            total = zero
            for a, d in zip(args, local):
                t = tangent[a]
                if d is not None and t:
                    product = d * t
                    if -TINY < product < TINY and d and type(product) is float:
                        raise OutOfRange
                    total = total + product
        if total and type(total) is float and total - total:
            raise OutOfRange  # overflowed
        tangent[i] = total
    return tangent


def forward_gradient(tape: Tape, partials: Sequence) -> dict:
    """d output / d input for every input, one forward-mode pass per input."""
    return {name: tangents(tape, partials, {i: 1})[tape.output] for name, i in tape.inputs.items()}
