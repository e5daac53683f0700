"""Second derivatives (the Hessian) and directional derivatives.

The Hessian is forward-over-reverse: reverse mode, done symbolically
(symbolic.py), gives d output / d x_i for every input as one expression graph;
forward mode over that graph, one pass per input x_j with the operations'
local derivative rules from ops.py, gives d/dx_j (d output / d x_i) for every i
at once: column j of the Hessian. The matrix is symmetric in exact arithmetic;
in floats the two mixed partials can differ in the last bits, and each pair is
averaged so the matrix printed is exactly symmetric.

The directional derivative is one forward-mode pass over the program's own tape
with the seed vector v on the inputs: sum_i v_i * d output / d x_i.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping, Sequence

from ..base.errors import MathError
from .arithmetic import FLOAT
from .ops import OPS, DomainError
from .symbolic.derive import differentiate_symbolically
from .symbolic.evaluate import evaluate
from .symbolic.printer import short_text
from .tape import CONST, INPUT, Tape


def directional_derivative(tape: Tape, partials: Sequence, direction: Mapping[str, object], zero=0):
    """d output in the direction v: one forward-mode pass seeded with v (inputs not in v get 0).

    `partials` are the local derivatives of compute.differentiate's Result.
    """
    nodes = tape.nodes
    tangent: list = [zero] * len(nodes)
    for name, v in direction.items():
        tangent[tape.inputs[name]] = v
    for i, node in enumerate(nodes):
        local = partials[i]
        if local is None:
            continue
        total = zero
        for a, d in zip(node.args, local):
            if d is not None and tangent[a]:
                total = total + d * tangent[a]
        tangent[i] = total
    return tangent[tape.output]


@dataclass(frozen=True)
class Hessian:
    names: list[str]  # the inputs, in the order of the rows and columns
    matrix: list[list]  # matrix[i][j] = d^2 output / d names[i] d names[j]
    asymmetry: float  # the largest |H_ij - H_ji| before averaging (rounding only, for smooth programs)


def hessian(tape: Tape, inputs: Mapping[str, object], wrt: Sequence[str] | None = None, arithmetic=FLOAT) -> Hessian:
    """The matrix of second derivatives of the output over `wrt` (default: every input), at `inputs`."""
    names = list(wrt) if wrt is not None else list(tape.inputs)
    derivatives = differentiate_symbolically(tape)
    graph = derivatives.graph
    roots = [derivatives.gradient[name] for name in names]
    values = evaluate(graph, roots, inputs, arithmetic, what="the first derivative")
    order = sorted(values)
    zero, one = arithmetic.coerce(0), arithmetic.coerce(1)

    # The local derivatives of every node of the gradient graph, from the rules of ops.py.
    local: dict[int, list] = {}
    for i in order:
        op = graph.op[i]
        if op in (INPUT, CONST) or not graph.depends[i]:
            continue
        args = [values[a] for a in graph.args[i]]
        row = []
        for k, a in enumerate(graph.args[i]):
            if not graph.depends[a]:
                row.append(None)
                continue
            try:
                d = arithmetic.coerce(OPS[op].partials[k](*args, values[i]))
            except DomainError as err:
                raise _second_error(graph, i, str(err)) from None
            except MathError as err:
                raise _second_error(graph, i, err.message) from None
            except (ZeroDivisionError, OverflowError, ValueError):
                raise _second_error(graph, i, f"the derivative of {op} is not finite here") from None
            if isinstance(d, float) and not math.isfinite(d):
                raise _second_error(graph, i, f"the derivative of {op} is not finite here")
            row.append(d)
        local[i] = row

    # Forward mode over the gradient graph, once per input: column j of the matrix.
    columns = []
    for name in names:
        tangent: dict[int, object] = {}
        for i in order:
            op = graph.op[i]
            if op == INPUT:
                tangent[i] = one if graph.payload[i] == name else zero
            elif i not in local:
                tangent[i] = zero
            else:
                total = zero
                for a, d in zip(graph.args[i], local[i]):
                    if d is not None and tangent[a]:
                        total = total + d * tangent[a]
                tangent[i] = total
        columns.append([tangent[r] for r in roots])

    n = len(names)
    raw = [[columns[j][i] for j in range(n)] for i in range(n)]
    matrix = [[None] * n for _ in range(n)]
    asymmetry = 0.0
    for i in range(n):
        for j in range(n):
            a, b = raw[i][j], raw[j][i]
            if a == b:
                matrix[i][j] = arithmetic.coerce(a)
            else:
                asymmetry = max(asymmetry, abs(float(a) - float(b)))
                half = Fraction(1, 2) if isinstance(a, Fraction) and isinstance(b, Fraction) else 0.5
                matrix[i][j] = arithmetic.coerce((a + b) * half)
            if isinstance(matrix[i][j], float) and not math.isfinite(matrix[i][j]):
                raise MathError(f"the second derivative d^2/d{names[i]} d{names[j]} is too large for a 64-bit "
                                "float (overflow)")
    return Hessian(names, matrix, asymmetry)


def _second_error(graph, i: int, reason: str) -> MathError:
    return MathError(f"the second derivative does not exist here: {reason} in {short_text(graph, i)}")
