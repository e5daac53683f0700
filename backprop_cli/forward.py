"""Forward sweeps over the tape: the value of every node, and forward-mode tangents.

Both are one plain loop in tape order. A value that does not exist as a finite
real number stops the sweep with a MathError naming the node, its operation and
its operands, with a caret under the part of the program it comes from.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

from .arithmetic import FLOAT
from .errors import MathError, caret_excerpt
from .ops import CONSTANTS, OPS, DomainError
from .render.numbers import format_number
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
    return repr(value) if isinstance(value, float) else format_number(value, 17)


def node_error(tape: Tape, i: int, values: Sequence, what: str) -> MathError:
    span = tape.nodes[i].span
    where = f"\n{caret_excerpt(tape.source, span.start, span.end)}" if span is not None else ""
    return MathError(f"{what} in {describe_node(tape, i, values)}{where}")


def evaluate(tape: Tape, inputs: Mapping[str, object], arithmetic=FLOAT) -> list:
    """The value of every node, in tape order."""
    values: list = [None] * len(tape.nodes)
    for i, node in enumerate(tape.nodes):
        if node.op == INPUT:
            values[i] = inputs[node.name]
            continue
        if node.op == CONST:
            if node.text in CONSTANTS:
                values[i] = arithmetic.constant(CONSTANTS[node.text])
            else:
                values[i] = arithmetic.literal(node.text)
            continue
        args = [values[a] for a in node.args]
        try:
            value = arithmetic.coerce(OPS[node.op].value(*args))
        except DomainError as err:
            raise node_error(tape, i, values, str(err)) from None
        except MathError as err:  # an exact value too large to hold
            raise node_error(tape, i, values, err.message) from None
        except OverflowError:
            raise node_error(tape, i, values, "the result is too large for a 64-bit float (overflow)") from None
        except (ZeroDivisionError, ValueError):
            raise node_error(tape, i, values, f"{node.op} is not defined here") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise node_error(tape, i, values, "the result is too large for a 64-bit float (overflow)")
        values[i] = value
    return values


def tangents(tape: Tape, partials: Sequence, seed: int) -> list:
    """Forward mode: d node / d (node `seed`) for every node, pushing tangents forward."""
    tangent: list = [0] * len(tape.nodes)
    tangent[seed] = 1
    nodes = tape.nodes
    for i in range(seed + 1, len(nodes)):
        local = partials[i]
        if local is None:
            continue
        total = 0
        for a, d in zip(nodes[i].args, local):
            if d is not None and tangent[a]:
                total = total + d * tangent[a]
        tangent[i] = total
    return tangent


def forward_gradient(tape: Tape, partials: Sequence) -> dict:
    """d output / d input for every input, one forward-mode pass per input."""
    return {name: tangents(tape, partials, i)[tape.output] for name, i in tape.inputs.items()}
