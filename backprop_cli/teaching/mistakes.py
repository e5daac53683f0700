"""The catalogue of usual mistakes behind a wrong gradient, and the wrong local derivatives, as data.

MISTAKES names each mistake diagnosis.py looks for, most specific first (the order diagnoses are listed
in). RULES holds, per operation of engine/ops.py, the wrong local derivatives students write for it:
the quotient rule's d² multiplied, a product's factor from the wrong operand, σ' and tanh' from the
input, the ½ of a squared error and the 2 of a square, sin/cos/tan in degrees. A new usual mistake is
one entry here (and its sentence in diagnosis_words.py); the search never tests an operation by name.
A rule's `applies` is asked of the Diagnoser (its constant, consumers, is_half, squared helpers).
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

# The catalogue, most specific first: the order in which matching diagnoses are listed.
MISTAKES: dict[str, str] = {
    "quotient-power-multiplied": "the quotient rule with the denominator's square multiplied: -f·d² for -f/d²",
    "quotient-sign-dropped": "the quotient rule's minus sign dropped: f/d² for -f/d²",
    "product-wrong-operand": "a product's factor taken from the wrong operand: ∂(a*b)/∂a as a",
    "sigmoid-of-input": "σ'(z) computed as z(1-z) instead of σ(z)(1-σ(z))",
    "tanh-of-input": "tanh'(z) computed as 1-z² instead of 1-tanh(z)²",
    "half-forgotten": "the ½ of a squared error forgotten",
    "square-extra-factor-2": "an extra factor 2 at a square: 4u for ∂u²/∂u",
    "square-factor-2-forgotten": "the 2 of a square's derivative forgotten: u for ∂u²/∂u",
    "degrees-for-radians": "a trigonometric function differentiated in degrees: cos(x·π/180) for ∂sin(x)/∂x",
    "path-left-out": "a path left out where a value is used twice (gradients add at a fork)",
    "value-for-gradient": "the node's value given instead of its gradient",
    "local-without-upstream": "a local derivative without the upstream factor",
    "upstream-without-local": "an upstream gradient without the local derivative",
    "gradient-of-neighbour": "the gradient of a node one step along the chain",
    "sign-flipped": "the sign flipped",
    "value-of-other-node": "the value of another node given instead of the gradient",
}


class Rule(NamedTuple):
    """A wrong local derivative of one operation's argument: the usual mistake, as data."""

    mistake: str
    arg: int  # which argument's derivative is wrong
    local: Callable  # (operands..., out) -> the wrong d node / d argument
    text: str  # the wrong derivative over {0}, {1} (operands) and {out}: "-{0}·{1}^2"
    # (diagnoser, node) -> whether the rule applies there (a square, a ½ over a squared error); None: always
    applies: Callable | None = None
    whole: bool = False  # it replaces the sum over every edge of the node into the argument (u*u: both)


def _degrees(f: Callable) -> Callable:
    return lambda x, out: f(float(x) * math.pi / 180)


def is_square(d, p: int) -> bool:
    """Node p is a square: u * u, or u ^ 2 (d: the Diagnoser)."""
    node = d.tape.nodes[p]
    if node.op == "mul":
        return node.args[0] == node.args[1]
    return node.op == "pow" and d.constant(node.args[1]) == 2


def _plain_square(d, p: int) -> bool:
    """A square that is not the square of a ½·(...)² (there the ½ forgotten tells the same story)."""
    if not is_square(d, p):
        return False
    consumers = d.consumers()[p]
    return not (consumers and all(d.is_half(c) for c in consumers))


def _half_over_square(d, p: int) -> bool:
    return d.is_half(p)


RULES: dict[str, tuple[Rule, ...]] = {
    "div": (
        Rule("quotient-power-multiplied", 1, lambda x, y, out: -x * y * y, "-{0}·{1}^2"),
        Rule("quotient-sign-dropped", 1, lambda x, y, out: x / (y * y), "{0}/{1}^2"),
        Rule("half-forgotten", 0, lambda x, y, out: 1, "1", _half_over_square),
    ),
    "mul": (
        Rule("product-wrong-operand", 0, lambda x, y, out: x, "{0}", lambda d, p: not is_square(d, p)),
        Rule("product-wrong-operand", 1, lambda x, y, out: y, "{1}", lambda d, p: not is_square(d, p)),
        Rule("half-forgotten", 0, lambda x, y, out: 1, "1", _half_over_square),
        Rule("half-forgotten", 1, lambda x, y, out: 1, "1", _half_over_square),
        Rule("square-extra-factor-2", 0, lambda x, y, out: 4 * x, "4·{0}", _plain_square, whole=True),
        Rule("square-factor-2-forgotten", 0, lambda x, y, out: x, "{0}", is_square, whole=True),
    ),
    "pow": (
        Rule("square-extra-factor-2", 0, lambda x, y, out: 4 * x, "4·{0}", _plain_square),
        Rule("square-factor-2-forgotten", 0, lambda x, y, out: x, "{0}", is_square),
    ),
    "sigmoid": (Rule("sigmoid-of-input", 0, lambda z, out: z * (1 - z), "{0}·(1 - {0})"),),
    "tanh": (Rule("tanh-of-input", 0, lambda z, out: 1 - z * z, "1 - {0}^2"),),
    "sin": (Rule("degrees-for-radians", 0, _degrees(math.cos), "cos({0}·π/180)"),),
    "cos": (Rule("degrees-for-radians", 0, _degrees(lambda x: -math.sin(x)), "-sin({0}·π/180)"),),
    "tan": (Rule("degrees-for-radians", 0, _degrees(lambda x: 1 + math.tan(x) ** 2), "1 + tan({0}·π/180)^2"),),
}
