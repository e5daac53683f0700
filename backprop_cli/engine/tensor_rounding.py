"""How far a float in an exact tensor result can be from the true number, for grading (`check`).

engine/rounding.py answers this for programs of numbers with a running error analysis: one number per
node, swept through each node's local derivatives from ops.py. A node of a tensor program (a matrix
product, a softmax, a sum along an axis) has no such per-element rule to sweep, so here the program is
computed once more in 40-digit decimals (arithmetic.WIDE), from the same exact inputs and literals
(pi and tau to 40 digits), and each float of the exact result is as far from the true number as it is
from its wide twin, whose own error is some 24 digits smaller. That is an estimate, not a bound, and it
is generous only through the caller's safety factor; it sees every rounding of the float computation but
one: the trigonometric functions (and erf, atan2 and the like) are computed through floats even in WIDE
(wide.py), so the rounding of their own step is not seen. An exact fraction has no error at all.
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from ..base.errors import BackpropError
from .arithmetic import EXACT, WIDE, OutOfRange
from .ops import CONST
from .tensor import pure, sweeps
from .tensor_compute import TensorResult, leaves

# 40 digits, as many as WIDE keeps (math.pi has 16)
WIDE_CONSTANTS = {"pi": Decimal("3.141592653589793238462643383279502884197"),
                  "tau": Decimal("6.283185307179586476925286766559005768394")}


def rounding_errors(result: TensorResult) -> tuple[list, list] | None:
    """(per node, per element row-major: an estimate of |value - true value|; the same for the gradients, None
    where a node has none) for a result computed in exact arithmetic (floats where a step is not rational);
    None when the wide computation cannot be done (a step beyond even its range)."""
    tape = result.tape
    wide = pure.backend(WIDE)
    given = leaves(tape, result.inputs, EXACT)  # the inputs as the exact result had them: fractions
    for i, node in enumerate(tape.nodes):
        if node.op == CONST and node.text in WIDE_CONSTANTS:
            given[i] = WIDE_CONSTANTS[node.text]
    try:
        with WIDE.context():
            computed = sweeps.differentiate(tape.nodes, {i: wide.array(v) for i, v in given.items()}, tape.output,
                                            set(tape.inputs.values()), WIDE, backend=wide)
            values = [_distances(result, v, w) for v, w in zip(result.values, computed.values)]
            grads = [_distances(result, g, w) for g, w in zip(result.grads, computed.grads)]
    except (sweeps.Failed, OutOfRange, BackpropError, ArithmeticError):
        return None
    return values, grads


def _distances(result: TensorResult, computed, wide) -> list[float] | None:
    if computed is None or wide is None:
        return None
    return [0.0 if isinstance(x, (Fraction, int)) else float(abs(Decimal(x) - w))
            for x, w in zip(result.flat(computed), pure.backend(WIDE).flat(wide))]
