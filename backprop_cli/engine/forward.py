"""Forward sweeps over the tape: the value of every node, and forward-mode tangents.

Both are one plain loop in tape order. A value that does not exist as a finite
real number stops the sweep with a MathError naming the node, its operation and
its operands, with a caret under the part of the program it comes from.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

from ..base.errors import MathError, caret_excerpt
from .arithmetic import FLOAT
from .ops import CONSTANTS, OPS, DomainError
from .tape import CONST, INPUT, Tape

_ARITHMETIC_FAILURES = (DomainError, ZeroDivisionError, OverflowError, ValueError)


def describe_node(tape: Tape, i: int, values: Sequence) -> str:
    """`v7 = v5 / d` with the operand values, for error messages."""
    node = tape.nodes[i]
    operands = ", ".join(
        f"{tape.label(a)} = {_short(values[a])}" for a in dict.fromkeys(node.args) if tape.nodes[a].op != CONST
    )
    head = f"{tape.label(i)} = {tape.expression(i)}" if node.name else f"{node.id} = {tape.expression(i)}"
    return f"{head}" + (f" where {operands}" if operands else "")


def _short(value) -> str:
    from ..base.numbers import format_number

    return repr(value) if isinstance(value, float) else format_number(value, 17)


def node_error(tape: Tape, i: int, values: Sequence, what: str) -> MathError:
    span = tape.nodes[i].span
    where = f"\n{caret_excerpt(tape.source, span.start, span.end)}" if span is not None else ""
    return MathError(f"{what} in {describe_node(tape, i, values)}{where}")


_LEAVES = (INPUT, CONST)


class _NotFinite(Exception):
    pass


def evaluate(tape: Tape, inputs: Mapping[str, object], arithmetic=FLOAT) -> list:
    """The value of every node, in tape order."""
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
            else:
                value = coerce(value)
                if isinstance(value, float) and not isfinite(value):
                    raise _NotFinite
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


def tangents(tape: Tape, partials: Sequence, seed: int) -> list:
    """Forward mode: d node / d (node `seed`) for every node, pushing tangents forward."""
    tangent: list = [0] * len(tape.nodes)
    tangent[seed] = 1
    nodes = tape.nodes
    for i in range(seed + 1, len(nodes)):
        local = partials[i]
        if local is None:
            continue
        args = nodes[i].args
        if len(args) == 2:
            a, b = args
            d, e = local
            total = 0
            if d is not None and tangent[a]:
                total = total + d * tangent[a]
            if e is not None and tangent[b]:
                total = total + e * tangent[b]
        else:
            total = 0
            for a, d in zip(args, local):
                if d is not None and tangent[a]:
                    total = total + d * tangent[a]
        tangent[i] = total
    return tangent


def forward_gradient(tape: Tape, partials: Sequence) -> dict:
    """d output / d input for every input, one forward-mode pass per input."""
    return {name: tangents(tape, partials, i)[tape.output] for name, i in tape.inputs.items()}
