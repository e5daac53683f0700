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
from .conventions import DEFAULT, at_kink, follow, piece
from .forward import exact_out_of_range, number_text, sweep_values, tangents
from .local import local_partials, structure
from .ops import OPS, DomainError, rule_message
from .symbolic.derive import Derivatives, build_formula, differentiate_symbolically, reverse
from .symbolic.evaluate import evaluate
from .symbolic.graph import Graph
from .symbolic.printer import short_text
from .tape import CONST, INPUT, Tape


def directional_derivative(tape: Tape, partials: Sequence, direction: Mapping[str, object], zero=0):
    """d output in the direction v: one forward-mode pass seeded with v (inputs not in v get 0).

    `partials` are the local derivatives of compute.differentiate's Result. In floats, OutOfRange where a
    product or a sum leaves float range (see directional_at for the whole computation).
    """
    seeds = {tape.inputs[name]: v for name, v in direction.items()}
    return tangents(tape, partials, seeds, zero)[tape.output]


def directional_at(tape: Tape, inputs: Mapping[str, float], partials: Sequence, direction: Mapping[str, object],
                   convention: str = DEFAULT):
    """The directional derivative in floats at `inputs`, redone in wide decimals where floats leave their range:
    the float nearest the true value, or a MathError when that is beyond float range. `partials` follow
    `convention` at kinks (compute.differentiate's); so do the wide decimals'."""
    try:
        return directional_derivative(tape, partials, direction, 0.0)
    except OutOfRange:
        pass
    with WIDE.context():
        wide_inputs = {name: WIDE.coerce(v) for name, v in inputs.items()}
        values = sweep_values(tape, wide_inputs, WIDE)
        wide_partials, _, kinks = local_partials(tape, values, WIDE)
        wide_partials, _ = follow(convention, wide_partials, kinks, WIDE.coerce)
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


def hessian(tape: Tape, inputs: Mapping[str, object], wrt: Sequence[str] | None = None, arithmetic=FLOAT,
            convention: str = DEFAULT) -> Hessian:
    """The matrix of second derivatives of the output over `wrt` (default: every input), at `inputs`.

    In floats, where a step leaves float range (arithmetic.OutOfRange) the matrix is computed again in wide
    decimals and each entry rounded to the nearest float (a MathError for one beyond float range).

    The derivative formulas of ops.py follow PyTorch at kinks. Under another `convention`, a node sitting exactly
    on its kink is differentiated as the piece whose derivatives the convention takes there (_kink_derivatives), so
    the matrix agrees with the gradient `differentiate` gives under that convention."""
    names = list(wrt) if wrt is not None else list(tape.inputs)
    derivatives = None
    if convention != DEFAULT:
        derivatives = _kink_derivatives(tape, inputs, arithmetic, convention)
    if derivatives is None:
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


def _kink_derivatives(tape: Tape, inputs: Mapping[str, object], arithmetic, convention: str):
    """The gradient as an expression graph, as differentiate_symbolically gives it, but with every differentiated
    node that sits on its kink at `inputs` replaced by the piece `convention` differentiates there: the linear
    function with the convention's derivatives (conventions.at_kink) and the node's value at the point, or the
    nonlinear piece of conventions.PIECES (leaky_relu's slope*x left of 0). None when no node is on a kink."""
    try:
        values = sweep_values(tape, inputs, arithmetic)
    except OutOfRange:
        with WIDE.context():
            values = sweep_values(tape, {name: WIDE.coerce(v) for name, v in inputs.items()}, WIDE)
    on_kink = {}
    for i, op, _, _ in structure(tape)[1]:
        rule = OPS[op]
        args = [values[a] for a in tape.nodes[i].args]
        if rule.branch is not None and rule.branch(*args) == 0:
            on_kink[i] = rule.one_sided(*args) if callable(rule.one_sided) else rule.one_sided
    if not on_kink:
        return None
    graph = Graph()
    primal: list[int] = []
    for i, node in enumerate(tape.nodes):
        if node.op == INPUT:
            primal.append(graph.input(node.name))
        elif node.op == CONST:
            primal.append(graph.literal(node.text))
        elif i in on_kink:
            primal.append(_piece(graph, convention, node.op, [primal[a] for a in node.args],
                                 [values[a] for a in node.args], values[i], on_kink[i]))
        else:
            primal.append(graph.apply(node.op, *(primal[a] for a in node.args)))
    # symbolic reverse mode over the graph itself (its ids are a topological order; those past the output do not
    # feed it), since a piece is several operations where the tape had one node
    output = primal[tape.output]
    adjoint = reverse(graph, list(graph.op[:output + 1]), list(graph.args[:output + 1]), range(output + 1), output)
    gradient = {name: graph.zero if primal[i] > output or adjoint[primal[i]] is None else adjoint[primal[i]]
                for name, i in tape.inputs.items()}
    return Derivatives(graph, output, gradient, {}, frozenset())


def _exactly(value) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(value)


def _piece(graph, convention: str, op: str, args: list[int], at: list, value, sides) -> int:
    """The graph node of the piece `op` is differentiated as, on its kink (at `at`, where it is `value`)."""
    text = piece(convention, op)
    if text is not None:
        return build_formula(graph, text, args)
    node = graph.const(_exactly(value))
    for arg, a, d in zip(args, at, at_kink(convention, op, sides, (0,) * len(args))):
        if d:  # + d * (arg - a): the value at the point, the convention's derivative in arg
            term = graph.apply("mul", graph.const(_exactly(d)), graph.apply("sub", arg, graph.const(_exactly(a))))
            node = graph.apply("add", node, term)
    return node


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
    graph.seal()  # only read from here on: its hash-consing table is a third of its memory
    roots = [derivatives.gradient[name] for name in names]
    # lists by node, not dicts: at 100,000 tape nodes the gradient graph has 270,000 nodes
    values = evaluate(graph, roots, inputs, arithmetic, what="the first derivative", dense=True)
    order = [i for i, value in enumerate(values) if value is not None]
    zero, one = arithmetic.coerce(0), arithmetic.coerce(1)

    # The local derivatives of every node of the gradient graph, from the rules of ops.py.
    local: list = [None] * len(graph)
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
        tangent: list = [zero] * len(graph)
        for i in order:
            op = graph.op[i]
            if op == INPUT:
                tangent[i] = one if graph.payload[i] == name else zero
            elif local[i] is not None:
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
