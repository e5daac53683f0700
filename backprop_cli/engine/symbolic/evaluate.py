"""The value of an expression graph's nodes at a point (for second derivatives, and to check formulas).

A value that does not exist stops with a MathError that writes the node out as a formula. In floats, a
value that overflows or underflows raises arithmetic.OutOfRange: the caller redoes the work in WIDE.
"""
from __future__ import annotations

import decimal
from fractions import Fraction
from typing import Mapping

from ...base.errors import MathError
from ..arithmetic import FLOAT, TINY, OutOfRange
from ..ops import CONSTANTS, OPS, DomainError
from ..tape import CONST, INPUT
from .graph import Graph
from .printer import short_text


def evaluate(graph: Graph, roots, inputs: Mapping[str, object], arithmetic=FLOAT,
             what: str = "the formula", dense: bool = False) -> dict[int, object] | list:
    """The value of every node the roots need, at the given inputs: node -> value, or with `dense` a list
    by node (None where not needed), which for a big graph is a third of the dict's memory."""
    needed = bytearray(len(graph))
    stack = list(roots)
    while stack:
        i = stack.pop()
        if needed[i]:
            continue
        needed[i] = 1
        stack.extend(graph.args[i])
    values: dict[int, object] | list = [None] * len(graph) if dense else {}
    for i in [i for i, wanted in enumerate(needed) if wanted]:
        op = graph.op[i]
        payload = graph.payload[i]
        try:
            if op == INPUT:
                values[i] = inputs[payload]
            elif op == CONST:
                if isinstance(payload, Fraction):
                    values[i] = arithmetic.coerce(payload)
                elif payload in CONSTANTS:
                    values[i] = arithmetic.constant(CONSTANTS[payload])
                else:
                    values[i] = arithmetic.literal(payload)
            else:
                operands = [values[a] for a in graph.args[i]]
                value = arithmetic.coerce(OPS[op].value(*operands))
                if type(value) is float and (value - value or (
                        -TINY < value < TINY and OPS[op].underflows and all(operands))):
                    raise OutOfRange  # overflowed, or underflowed to 0 or a subnormal
                values[i] = value
        except DomainError as err:
            raise _graph_error(graph, i, values, what, str(err)) from None
        except MathError as err:
            raise _graph_error(graph, i, values, what, err.message) from None
        except (OverflowError, decimal.Overflow):  # (decimal's: beyond even wide decimals)
            if arithmetic is FLOAT:
                raise OutOfRange from None  # an intermediate of the formula: wide decimals may hold it
            reason = "the result is too large for a 64-bit float (overflow)"
            raise _graph_error(graph, i, values, what, reason) from None
        except (ZeroDivisionError, ValueError, decimal.InvalidOperation):
            raise _graph_error(graph, i, values, what, f"{op} is not defined here") from None
    return values


def _graph_error(graph: Graph, i: int, values, what: str, reason: str) -> MathError:
    operands = ", ".join(
        f"{short_text(graph, a, 30)} = {values[a]!r}" for a in dict.fromkeys(graph.args[i])
        if graph.op[a] != CONST
    )
    where = f"{short_text(graph, i)}" + (f" where {operands}" if operands else "")
    return MathError(f"{what} cannot be evaluated here: {reason} in {where}")
