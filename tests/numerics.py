"""How far a float computation of a tape may honestly be from the exact answer: a running error bound.

Floating point cannot represent pi, 0.1 or sin(x) exactly, so comparing the
tool's floats with SymPy's exact values needs, besides the relative tolerance,
the error that rounding alone can cause. This module bounds it, to first order,
by a running error analysis over the tape (Wilkinson's method):

- values: every node's value carries the rounding of its own operation
  (2 eps relative, libm included) plus its arguments' errors times its local
  derivatives: E_i = 2 eps |v_i| + sum_k |d v_i / d arg_k| E_arg_k;
- local derivatives: each one is evaluated from rounded arguments, so it is off
  by its own rounding plus its sensitivity to those arguments, measured by
  evaluating the rule again at the arguments moved by their error bounds;
- gradients: the reverse sweep multiplies and adds those, so an adjoint's error
  is G_a = sum over consumers i of (G_i |d| + |adj_i| err(d) + 2 eps |adj_i d|).

Where an argument of a function that jumps or has a kink (step, sign, relu, abs,
max, min) is within its error bound of the jump, the exact and the float answers
may legitimately be on different sides of it: such a point is `ambiguous`, and
the comparison is not made there (the suites count how often that happens).

This is test code: it uses the operation table's value and derivative rules only
to size tolerances, never as the oracle itself.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from fractions import Fraction

from backprop_cli.engine.arithmetic import OutOfRange
from backprop_cli.engine.ops import OPS
from backprop_cli.engine.tape import CONST, INPUT

EPS = sys.float_info.epsilon
ROUNDING = 2 * EPS  # one operation, or one libm call (correctly rounded or nearly so)
SAFETY = 16  # how much larger than the first-order bound a real error may be and still be rounding


@dataclass
class Bounds:
    value_error: list  # per node: bound on |computed value - exact value|
    adjoint: list  # per node: sum over paths of |products of local derivatives| (bounds |adjoint|)
    adjoint_error: list  # per node: bound on |computed adjoint - exact adjoint|
    ambiguous: bool  # some jump or kink lies within rounding of its argument

    def value_tolerance(self, node: int) -> float:
        return SAFETY * self.value_error[node]

    def gradient_tolerance(self, node: int) -> float:
        return SAFETY * self.adjoint_error[node]


def _rule(op, k, args):
    try:
        out = op.value(*args)
        return float(op.partials[k](*args, out))
    except (ArithmeticError, ValueError, OutOfRange):  # OutOfRange: beyond floats, the bound says nothing
        return math.inf


def _literal_error(node, value: float) -> float:
    """How far the float of a literal is from the number written (0 for 3 or 0.5; pi and 0.1 are not floats)."""
    if node.text == "pi":
        return EPS * abs(value)
    try:
        return float(abs(Fraction(node.text) - Fraction(float(node.text))))
    except (ValueError, OverflowError):
        return EPS * abs(value)


def _times(a: float, b: float) -> float:
    """a * b for bounds, where 0 * inf is 0 (a zero derivative carries no error, however large)."""
    return 0.0 if a == 0 or b == 0 else a * b


def rounding_bounds(tape, values) -> Bounds:
    """Error bounds for the float values and adjoints of `tape` at the (float) node `values`."""
    values = [float(v) for v in values]
    n = len(tape.nodes)
    error = [0.0] * n
    local: list = [None] * n
    local_error: list = [None] * n
    ambiguous = False
    for i, node in enumerate(tape.nodes):
        if node.op == INPUT:
            continue  # the oracle is given the same binary value
        if node.op == CONST:
            error[i] = _literal_error(node, values[i])
            continue
        op = OPS[node.op]
        args = [values[a] for a in node.args]
        arg_errors = [error[a] for a in node.args]
        if op.branch is not None:
            if len(args) == 1:
                gap, slack = abs(args[0]), arg_errors[0]
            else:
                gap, slack = abs(args[0] - args[1]), sum(arg_errors) + ROUNDING * max(map(abs, args))
            if gap <= SAFETY * slack:
                ambiguous = True
        row, row_error = [], []
        for k in range(op.arity):
            d = _rule(op, k, args)
            sensitivity = ROUNDING * abs(d)
            for j, e in enumerate(arg_errors):
                if e == 0:
                    continue
                moved = [list(args), list(args)]
                moved[0][j] += e
                moved[1][j] -= e
                sensitivity += max(abs(_rule(op, k, m) - d) for m in moved)
            row.append(abs(d))
            row_error.append(sensitivity)
        local[i], local_error[i] = row, row_error
        propagated = sum(_times(d, e) for d, e in zip(row, arg_errors))
        error[i] = ROUNDING * abs(values[i]) + propagated
    adjoint = [0.0] * n
    adjoint_error = [0.0] * n
    adjoint[tape.output] = 1.0
    for i in range(n - 1, -1, -1):
        if local[i] is None or adjoint[i] == 0:
            continue
        for a, d, de in zip(tape.nodes[i].args, local[i], local_error[i]):
            adjoint[a] += _times(adjoint[i], d)
            adjoint_error[a] += _times(adjoint_error[i], d) + _times(adjoint[i], de) + ROUNDING * _times(adjoint[i], d)
    return Bounds(error, adjoint, adjoint_error, ambiguous)


def agree(computed: float, exact: float, tolerance: float, rel: float) -> bool:
    """|computed - exact| <= rel |exact| + tolerance (the rounding bound), with nan never agreeing (but equal
    numbers always agree, whatever the bound: a bound through inf * 0 is nan)."""
    if float(computed) == float(exact):
        return True
    difference = abs(float(computed) - float(exact))
    return difference <= rel * abs(float(exact)) + tolerance
