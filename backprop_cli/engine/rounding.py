"""How far a computed value or gradient can be from the true one: a first-order running error analysis.

For grading (`check`): where a program is not rational (sin(pi*x)), its floats carry rounding error,
and a student who answers 0 for sin(pi) = 1.2e-16 is right. The bound is built as the numbers were:

- a value: its own rounding (half a unit in the last place, doubled for a library function, none for
  an exact fraction) plus, for each operand, |d node / d operand| times that operand's error;
- a gradient, swept backwards: for each use, |local| times the user's gradient error, |upstream|
  times the local derivative's error (the rule evaluated with its operands moved by their errors),
  and the rounding of the product and of the sum.

First order only, and deliberately generous (the caller multiplies by a safety factor): it decides
whether a number is zero *up to rounding*, not how many digits are right. One sweep each way.
An undefined entry has no error to bound; what is computed from it is undefined too, so it is skipped.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Sequence

from ..base.undefined import Undefined
from .compute import Result
from .ops import OPS
from .tape import CONST, INPUT

UNIT = 2.0 ** -53  # half a unit in the last place of a 64-bit float, relative


def _float(value) -> float:
    """A value as a float; an exact one beyond the float range (x^y with y = -2 at x = 4e-106) is +-inf, which
    bounds nothing (the caller gives no allowance from an infinite bound)."""
    try:
        return float(value)
    except OverflowError:
        return -math.inf if value < 0 else math.inf


def _inexact(value) -> bool:
    return not isinstance(value, (Fraction, int))


def _partial(op: str, k: int, args: Sequence[float], out: float) -> float:
    try:
        return abs(_float(OPS[op].partials[k](*args, out)))
    except Exception:  # noqa: BLE001 - any failure of a rule at a moved point: no bound from it
        return math.inf


def value_errors(result: Result) -> list[float]:
    """Per node: a bound on |computed value - true value| (0 for exact fractions)."""
    tape = result.tape
    values = result.values
    errors = [0.0] * len(tape.nodes)
    for i, node in enumerate(tape.nodes):
        v = values[i]
        if type(v) is Undefined:
            errors[i] = math.inf
            continue
        own = 0.0 if not _inexact(v) else UNIT * abs(_float(v)) * (1 if node.op in (INPUT, CONST, "add", "sub",
                                                                                     "mul", "div") else 2)
        if node.args:
            args = [_float(values[a]) for a in node.args]
            for k, a in enumerate(node.args):
                if errors[a]:
                    own += _partial(node.op, k, args, _float(v)) * errors[a]
        errors[i] = own
    return errors


def gradient_errors(result: Result, value_error: Sequence[float]) -> list[float]:
    """Per node: a bound on |computed d output / d node - true gradient| (reverse sweep)."""
    tape = result.tape
    values, partials, grads = result.values, result.partials, result.grads
    errors = [0.0] * len(tape.nodes)
    for i in range(tape.output, -1, -1):
        local = partials[i]
        if local is None or grads[i] is None or type(grads[i]) is Undefined:  # (its arguments' are undefined too)
            continue
        node = tape.nodes[i]
        upstream = abs(_float(grads[i]))
        args = [_float(values[a]) for a in node.args]
        moved = [(k, a) for k, a in enumerate(node.args) if value_error[a]]
        for k, (a, d) in enumerate(zip(node.args, local)):
            if d is None or type(d) is Undefined:
                continue
            d = abs(_float(d))
            d_error = UNIT * d if _inexact(local[k]) else 0.0
            if moved:  # the local derivative at operands moved by their errors, both ways
                for sign in (1, -1):
                    shifted = list(args)
                    for m, b in moved:
                        shifted[m] = args[m] + sign * value_error[b]
                    out = _float(values[i])
                    try:
                        out = _float(OPS[node.op].value(*shifted))
                    except Exception:  # noqa: BLE001 - outside the domain: no bound
                        d_error = math.inf
                        break
                    d_error = max(d_error, abs(_partial(node.op, k, shifted, out) - d) + UNIT * d)
            errors[a] += d * errors[i] + upstream * d_error + 2 * UNIT * upstream * d
    return errors
