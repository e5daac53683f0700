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
from .arithmetic import FLOAT, TINY, WIDE, OutOfRange
from .forward import exact_out_of_range, number_text, sweep_values, tangents
from .local import local_partials
from .ops import OPS, DomainError, rule_message
from .symbolic.derive import differentiate_symbolically
from .symbolic.evaluate import evaluate
from .symbolic.printer import short_text
from .tape import CONST, INPUT, Tape


def directional_derivative(tape: Tape, partials: Sequence, direction: Mapping[str, object], zero=0):
    """d output in the direction v: one forward-mode pass seeded with v (inputs not in v get 0).

    `partials` are the local derivatives of compute.differentiate's Result. In floats, OutOfRange where a
    product or a sum leaves float range (see directional_at for the whole computation).
    """
    seeds = {tape.inputs[name]: v for name, v in direction.items()}
    return tangents(tape, partials, seeds, zero)[tape.output]


def directional_at(tape: Tape, inputs: Mapping[str, float], partials: Sequence, direction: Mapping[str, object]):
    """The directional derivative in floats at `inputs`, redone in wide decimals where floats leave their range:
    the float nearest the true value, or a MathError when that is beyond float range."""
    try:
        return directional_derivative(tape, partials, direction, 0.0)
    except OutOfRange:
        pass
    with WIDE.context():
        wide_inputs = {name: WIDE.coerce(v) for name, v in inputs.items()}
        values = sweep_values(tape, wide_inputs, WIDE)
        wide_partials, _, _ = local_partials(tape, values, WIDE)
        value = directional_derivative(tape, wide_partials, {k: WIDE.coerce(v) for k, v in direction.items()},
                                       WIDE.coerce(0))
        result = float(value)
        if result - result:
            raise MathError(f"the directional derivative is {number_text(value)}, too large for a 64-bit float "
                            "(overflow)")
        return result


@dataclass(frozen=True)
class Hessian:
    names: list[str]  # the inputs, in the order of the rows and columns
    matrix: list[list]  # matrix[i][j] = d^2 output / d names[i] d names[j]
    asymmetry: float  # the largest |H_ij - H_ji| before averaging (rounding only, for smooth programs)


def hessian(tape: Tape, inputs: Mapping[str, object], wrt: Sequence[str] | None = None, arithmetic=FLOAT) -> Hessian:
    """The matrix of second derivatives of the output over `wrt` (default: every input), at `inputs`.

    In floats, where a step leaves float range (arithmetic.OutOfRange) the matrix is computed again in wide
    decimals and each entry rounded to the nearest float (a MathError for one beyond float range)."""
    names = list(wrt) if wrt is not None else list(tape.inputs)
    derivatives = differentiate_symbolically(tape)
    try:
        return _hessian(derivatives, inputs, names, arithmetic)
    except OutOfRange:
        if arithmetic is not FLOAT:
            raise exact_out_of_range() from None
    with WIDE.context():
        wide = _hessian(derivatives, {name: WIDE.coerce(v) for name, v in inputs.items()}, names, WIDE)
        matrix = [[_entry(names, i, j, value) for j, value in enumerate(row)] for i, row in enumerate(wide.matrix)]
        return Hessian(names, matrix, float(wide.asymmetry))


def _entry(names, i: int, j: int, value) -> float:
    result = float(value)
    if result - result:
        raise MathError(f"the second derivative d^2/d{names[i]} d{names[j]} is {number_text(value)}, too large for a "
                        "64-bit float (overflow)")
    return result


def _checked(value):
    """A float product or sum of the forward sweep, OutOfRange if it left float range."""
    if type(value) is float and (value - value or (-TINY < value < TINY and value)):
        raise OutOfRange
    return value


def _hessian(derivatives, inputs: Mapping[str, object], names: list[str], arithmetic) -> Hessian:
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
                labels = [short_text(graph, b, 30) for b in graph.args[i]]
                raise _second_error(graph, i, rule_message(err, labels, short_text(graph, i, 30))) from None
            except MathError as err:
                raise _second_error(graph, i, err.message) from None
            except (ZeroDivisionError, OverflowError, ValueError):
                raise _second_error(graph, i, f"the derivative of {op} is not finite here") from None
            row.append(_checked(d))
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
                    t = tangent[a]
                    if d is not None and t:
                        product = d * t
                        if type(product) is float and (-TINY < product < TINY and d):
                            raise OutOfRange  # underflowed
                        total = total + product
                tangent[i] = _checked(total) if total else total
        columns.append([tangent[r] for r in roots])

    n = len(names)
    raw = [[columns[j][i] for j in range(n)] for i in range(n)]
    matrix = [[None] * n for _ in range(n)]
    asymmetry = zero
    for i in range(n):
        for j in range(n):
            a, b = raw[i][j], raw[j][i]
            if a == b:
                matrix[i][j] = arithmetic.coerce(a)
            else:
                asymmetry = max(asymmetry, abs(arithmetic.coerce(a) - arithmetic.coerce(b)))
                half = Fraction(1, 2) if isinstance(a, Fraction) and isinstance(b, Fraction) else arithmetic.coerce(0.5)
                matrix[i][j] = arithmetic.coerce((a + b) * half)
            if isinstance(matrix[i][j], float) and not math.isfinite(matrix[i][j]):
                raise OutOfRange
    return Hessian(names, matrix, asymmetry if not isinstance(asymmetry, Fraction) else float(asymmetry))


def _second_error(graph, i: int, reason: str) -> MathError:
    return MathError(f"the second derivative does not exist here: {reason} in {short_text(graph, i)}")
