"""The operation table: the only file that knows calculus.

Each operation is one `Op` entry: its arity, how its value is computed, one
local-derivative rule per argument, how it is written, and (for the non-smooth
ones) which side of its kink the arguments are on. The evaluators in forward.py
and reverse.py only look entries up; adding a function means adding one entry.

Rules are written once for floats and for exact fractions: they use plain
arithmetic, `math` functions (which turn fractions into floats, and so mark the
point where exactness ends), and `power` below for `^`.

Non-smooth points follow PyTorch: relu'(0) = 0, abs'(0) = 0, and max/min split
the gradient evenly between tied arguments.

`symbolic_partials` are the same local derivatives written in the language
itself (over the placeholders {0}, {1} for the arguments and {out} for the
node's value), so that they parse with the tool's own parser and derivatives
can be built as formulas and differentiated again (symbolic.py, second.py).
Their values agree with `partials` everywhere, kinks included: that is why the
language has `step` (relu's derivative, step(0) = 0) and `sign` (abs's
derivative, sign(0) = 0), and why max/min use (1 +- sign(x - y))/2, which is
1/2 at a tie. step and sign jump at 0; their derivative is 0 on both sides
(PyTorch's convention), and the jump itself is flagged like a kink.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Optional

from .arithmetic import exact_power

HALF = Fraction(1, 2)


class DomainError(ValueError):
    """An operand outside the operation's domain; the message says which rule it breaks."""


def _integer_root(n: int, q: int):
    """The q-th root of n >= 0 if it is an integer, else None."""
    if q == 2:
        r = math.isqrt(n)
    else:
        r = int(round(n ** (1.0 / q))) if n.bit_length() < 1000 else None
        if r is None:
            return None
        r = next((c for c in (r - 1, r, r + 1) if c >= 0 and c ** q == n), None)
        return r
    return r if r * r == n else None


def _exact_root(x: Fraction, q: int):
    """x^(1/q) as a Fraction when it is rational (x >= 0), else None."""
    if q > 64:
        return None
    top, bottom = _integer_root(x.numerator, q), _integer_root(x.denominator, q)
    return Fraction(top, bottom) if top is not None and bottom is not None else None


def power(x, y):
    """x ** y for real numbers: exact for fractions where the result is rational, a float otherwise."""
    if x == 0 and y < 0:
        raise DomainError("0 to a negative power is a division by zero")
    if isinstance(y, Fraction) and isinstance(x, Fraction):
        if y.denominator == 1:
            return exact_power(x, int(y))
        if x >= 0:
            root = _exact_root(x, y.denominator)
            if root is not None:
                return exact_power(root, y.numerator)
    if x < 0 and float(y) != int(float(y)):
        raise DomainError("a negative number to a non-integer power is not a real number")
    return math.pow(x, y)


# Functions at the points where an irrational function has a rational value,
# so that --exact keeps exp(0) = 1 and sqrt(9/4) = 3/2 exact.
def _exp(x):
    return 1 if x == 0 else math.exp(x)


def _sin(x):
    return 0 if x == 0 else math.sin(x)


def _cos(x):
    return 1 if x == 0 else math.cos(x)


def _tan(x):
    return 0 if x == 0 else math.tan(x)


def _tanh(x):
    return 0 if x == 0 else math.tanh(x)


def _log(x):
    if x <= 0:
        raise DomainError("log is defined for positive numbers only")
    return 0 if x == 1 else math.log(x)


def _sqrt(x):
    if x < 0:
        raise DomainError("sqrt is defined for numbers >= 0 only")
    if isinstance(x, Fraction):
        root = _exact_root(x, 2)
        if root is not None:
            return root
    return math.sqrt(x)


def _div(x, y):
    if y == 0:
        raise DomainError("division by zero")
    return x / y


def _sigmoid(x):
    if x == 0:
        return HALF
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _d_tanh(x, out):
    # 1 - out^2 is the same number, but once tanh(x) rounds close to 1 (|x| > 1 or so) the
    # subtraction cancels its digits: at x = 10 it is wrong in the 8th digit. sech(x)^2 is not.
    if x == 0:
        return 1 - out * out  # exactly 1, and exact under --exact
    if abs(x) > 400:
        return 0.0  # sech(x)^2 < 1e-347: below the smallest float
    c = math.cosh(x)
    return 1 / (c * c)


def _d_sigmoid(x, out):
    # out * (1 - out), with 1 - out computed as sigmoid(-x): no cancellation when out is near 1
    if x == 0:
        return out * (1 - out)  # exactly 1/4, and exact under --exact
    return out * _sigmoid(-x)


def _sign(x):
    return (x > 0) - (x < 0)


def _d_pow_base(x, y, out):
    if y == 0:
        return 0  # PyTorch: d/dx x^0 = 0, even at x = 0
    if y == 1:
        return 1
    return y * power(x, y - 1)


def _d_pow_exponent(x, y, out):
    if x == 0 and y > 0:
        return 0  # x^y is 0 for every y > 0, so it does not change with y
    if x <= 0:
        raise DomainError("the derivative of x^y with respect to y is out * log(x), which needs x > 0")
    return out * _log(x)


def _d_sqrt(x, out):
    if out == 0:
        raise DomainError("sqrt has an infinite derivative at 0")
    return 1 / (2 * out)


@dataclass(frozen=True)
class Op:
    name: str
    arity: int
    value: Callable  # (*args) -> value
    partials: tuple[Callable, ...]  # one per argument: (*args, out) -> d out / d arg
    template: str  # how the node is written, "{0} + {1}"
    derivative_text: tuple[str, ...]  # d out / d arg written with operand names {0}, {1}, {out}
    branch: Optional[Callable] = None  # (*args) -> -1, 0, +1; 0 means on the kink
    one_sided: tuple[tuple, ...] = ()  # per argument: (left, right) derivatives at the kink
    is_function: bool = False  # called by name in the language: exp(x)
    # d out / d arg per argument, in the language over {0}, {1} and {out}: "-{0}/{1}^2", "step({0})"
    symbolic_partials: tuple[str, ...] = ()


def _function(name, value, partials, derivative_text, branch=None, one_sided=(), symbolic_partials=()):
    arity = len(partials)
    args = ", ".join(f"{{{i}}}" for i in range(arity))
    return Op(name, arity, value, partials, f"{name}({args})", derivative_text, branch, one_sided, True,
              symbolic_partials)


OPS: dict[str, Op] = {
    op.name: op
    for op in (
        Op("add", 2, lambda x, y: x + y, (lambda x, y, o: 1, lambda x, y, o: 1), "{0} + {1}", ("1", "1"),
           symbolic_partials=("1", "1")),
        Op("sub", 2, lambda x, y: x - y, (lambda x, y, o: 1, lambda x, y, o: -1), "{0} - {1}", ("1", "-1"),
           symbolic_partials=("1", "-1")),
        Op("mul", 2, lambda x, y: x * y, (lambda x, y, o: y, lambda x, y, o: x), "{0} * {1}", ("{1}", "{0}"),
           symbolic_partials=("{1}", "{0}")),
        Op(
            "div", 2, _div,
            (lambda x, y, o: 1 / y, lambda x, y, o: -x / (y * y)),
            "{0} / {1}", ("1/{1}", "-{0}/{1}^2"),
            symbolic_partials=("1/{1}", "-{0}/{1}^2"),
        ),
        Op("neg", 1, lambda x: -x, (lambda x, o: -1,), "-{0}", ("-1",), symbolic_partials=("-1",)),
        Op("pos", 1, lambda x: x, (lambda x, o: 1,), "+{0}", ("1",), symbolic_partials=("1",)),
        Op("pow", 2, power, (_d_pow_base, _d_pow_exponent), "{0}^{1}", ("{1}*{0}^({1} - 1)", "{0}^{1}*log({0})"),
           symbolic_partials=("{1}*{0}^({1} - 1)", "{out}*log({0})")),
        Op("copy", 1, lambda x: x, (lambda x, o: 1,), "{0}", ("1",), symbolic_partials=("1",)),
        _function("exp", _exp, (lambda x, o: o,), ("exp({0})",), symbolic_partials=("{out}",)),
        _function("log", _log, (lambda x, o: 1 / x,), ("1/{0}",), symbolic_partials=("1/{0}",)),
        _function("sqrt", _sqrt, (_d_sqrt,), ("1/(2*sqrt({0}))",), symbolic_partials=("1/(2*{out})",)),
        _function("sin", _sin, (lambda x, o: _cos(x),), ("cos({0})",), symbolic_partials=("cos({0})",)),
        _function("cos", _cos, (lambda x, o: -_sin(x),), ("-sin({0})",), symbolic_partials=("-sin({0})",)),
        _function("tan", _tan, (lambda x, o: 1 + o * o,), ("1 + tan({0})^2",), symbolic_partials=("1 + {out}^2",)),
        _function("tanh", _tanh, (_d_tanh,), ("1 - tanh({0})^2",), symbolic_partials=("1 - {out}^2",)),
        _function("sigmoid", _sigmoid, (_d_sigmoid,), ("sigmoid({0})*(1 - sigmoid({0}))",),
                  symbolic_partials=("{out}*(1 - {out})",)),
        _function(
            "relu", lambda x: x if x > 0 else 0, (lambda x, o: 1 if x > 0 else 0,),
            ("1 if {0} > 0, else 0",), branch=_sign, one_sided=((0, 1),), symbolic_partials=("step({0})",),
        ),
        _function(
            "abs", abs, (lambda x, o: _sign(x),),
            ("sign({0})",), branch=_sign, one_sided=((-1, 1),), symbolic_partials=("sign({0})",),
        ),
        _function(
            "max", lambda x, y: x if x >= y else y,
            (lambda x, y, o: 1 if x > y else 0 if x < y else HALF, lambda x, y, o: 1 if y > x else 0 if y < x else HALF),
            ("1 if {0} > {1}, 0 if {0} < {1}, 1/2 if equal", "1 if {1} > {0}, 0 if {1} < {0}, 1/2 if equal"),
            branch=lambda x, y: _sign(x - y), one_sided=((0, 1), (0, 1)),
            symbolic_partials=("(1 + sign({0} - {1}))/2", "(1 - sign({0} - {1}))/2"),
        ),
        _function(
            "min", lambda x, y: x if x <= y else y,
            (lambda x, y, o: 1 if x < y else 0 if x > y else HALF, lambda x, y, o: 1 if y < x else 0 if y > x else HALF),
            ("1 if {0} < {1}, 0 if {0} > {1}, 1/2 if equal", "1 if {1} < {0}, 0 if {1} > {0}, 1/2 if equal"),
            branch=lambda x, y: _sign(x - y), one_sided=((1, 0), (1, 0)),
            symbolic_partials=("(1 - sign({0} - {1}))/2", "(1 + sign({0} - {1}))/2"),
        ),
        # relu's and abs's derivatives, so that derivative formulas can be written in the language
        _function(
            "step", lambda x: 1 if x > 0 else 0, (lambda x, o: 0,),
            ("0",), branch=_sign, one_sided=((0, 0),), symbolic_partials=("0",),
        ),
        _function(
            "sign", _sign, (lambda x, o: 0,),
            ("0",), branch=_sign, one_sided=((0, 0),), symbolic_partials=("0",),
        ),
    )
}

# Named constants of the language. `e` is deliberately not here: it is an ordinary variable.
CONSTANTS: dict[str, float] = {"pi": math.pi}

FUNCTIONS = tuple(sorted(name for name, op in OPS.items() if op.is_function))
