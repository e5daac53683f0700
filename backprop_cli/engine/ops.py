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
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Callable, Optional, Sequence

from . import wide
from .arithmetic import TINY, WIDE, OutOfRange, exact_power

HALF = Fraction(1, 2)


class DomainError(ValueError):
    """An operand outside the operation's domain; the message says which rule it breaks."""


def _integer_root(n: int, q: int):
    """The q-th root of n >= 0 if it is an integer, else None (integer Newton iteration: exact at any size)."""
    if n < 2:
        return n
    if q == 2:
        r = math.isqrt(n)
        return r if r * r == n else None
    r = 1 << -(-n.bit_length() // q)  # at or above the root: Newton's steps come down to it
    while True:
        s = ((q - 1) * r + n // r ** (q - 1)) // q
        if s >= r:
            break
        r = s
    return r if r ** q == n else None


def _exact_root(x: Fraction, q: int):
    """x^(1/q) as a Fraction when it is rational (x >= 0), else None."""
    if q > 64:
        return None
    top, bottom = _integer_root(x.numerator, q), _integer_root(x.denominator, q)
    return Fraction(top, bottom) if top is not None and bottom is not None else None


# -- fractions beyond float range (--exact with 10^400): their floats computed without overflow -------

def _beyond_float(x) -> bool:
    """A nonzero fraction whose float would overflow or underflow."""
    if not isinstance(x, Fraction) or x == 0:
        return False
    return not -1000 < x.numerator.bit_length() - x.denominator.bit_length() < 1000


def _log_of_fraction(x: Fraction) -> float:
    d = x - 1
    if abs(d) < HALF:
        return math.log1p(float(d))  # near 1, from x - 1 computed exactly: no digit is lost
    if _beyond_float(x):
        return math.log(x.numerator) - math.log(x.denominator)  # math.log takes integers of any size
    return math.log(x)


def _float_power(x, y):
    """x ** y as a float (x > 0, or y an integer), also for a fraction beyond float range."""
    if not _beyond_float(x):
        return math.pow(x, y)
    sign = -1.0 if x < 0 and int(float(y)) % 2 else 1.0
    x = abs(x)
    k = x.numerator.bit_length() - x.denominator.bit_length()  # x = m * 2^k with m near 1
    m = float(x / Fraction(2) ** k if k >= 0 else x * Fraction(2) ** -k)
    whole = math.floor(k * float(y))
    return sign * math.ldexp(math.pow(m, y) * 2.0 ** (k * float(y) - whole), whole)


def power(x, y):
    """x ** y for real numbers: exact for fractions where the result is rational, a float otherwise."""
    if type(x) is Decimal or type(y) is Decimal:
        return _wide_power(WIDE.coerce(x), WIDE.coerce(y))
    if x == 0 and y < 0:
        raise DomainError("0 to a negative power is a division by zero")
    if y == 0:
        return 1  # 0^0 too: PyTorch's value (tests/data/framework_observations.json); exact under --exact
    if isinstance(x, Fraction):
        if x == 0 or x == 1:
            return x  # 0^y (y > 0) and 1^y are rational whatever y is: exact under --exact
        if isinstance(y, Fraction):
            if y.denominator == 1:
                return exact_power(x, int(y))
            if x >= 0:
                root = _exact_root(x, y.denominator)
                if root is not None:
                    return exact_power(root, y.numerator)
    if x < 0 and float(y) != int(float(y)):
        raise DomainError("a negative number to a non-integer power is not a real number")
    return _float_power(x, y)


def _wide_power(x: Decimal, y: Decimal) -> Decimal:
    if x == 0 and y < 0:
        raise DomainError("0 to a negative power is a division by zero")
    if y == 0:
        return Decimal(1)
    if x < 0 and y != y.to_integral_value():
        raise DomainError("a negative number to a non-integer power is not a real number")
    return wide.power(x, y)


# Functions at the points where an irrational function has a rational value, so that --exact keeps
# exp(0) = 1 and sqrt(9/4) = 3/2 exact; on wide decimals (after a float left its range) the
# functions of wide.py.
def _exp(x):
    if x == 0:
        return 1
    if type(x) is Decimal:
        return wide.exp(x)
    return math.exp(x)


def _sin(x):
    if x == 0:
        return 0
    return wide.sin(x) if type(x) is Decimal else math.sin(x)


def _cos(x):
    if x == 0:
        return 1
    return wide.cos(x) if type(x) is Decimal else math.cos(x)


def _tan(x):
    if x == 0:
        return 0
    return wide.tan(x) if type(x) is Decimal else math.tan(x)


def _tanh(x):
    if x == 0:
        return 0
    return wide.tanh(x) if type(x) is Decimal else math.tanh(x)


def _sinh(x):
    if x == 0:
        return 0
    return wide.sinh(x) if type(x) is Decimal else math.sinh(x)


def _cosh(x):
    if x == 0:
        return 1
    return wide.cosh(x) if type(x) is Decimal else math.cosh(x)


def _log(x):
    if x <= 0:
        raise DomainError("log is defined for positive numbers only")
    if x == 1:
        return 0
    if type(x) is Decimal:
        return wide.log(x)
    if isinstance(x, Fraction):
        return _log_of_fraction(x)
    return math.log(x)


def _sqrt(x):
    if x < 0:
        raise DomainError("sqrt is defined for numbers >= 0 only")
    if type(x) is Decimal:
        return wide.sqrt(x)
    if isinstance(x, Fraction):
        root = _exact_root(x, 2)
        if root is not None:
            return root
        return _float_power(x, 0.5) if _beyond_float(x) else math.sqrt(x)
    return math.sqrt(x)


def _div(x, y):
    if y == 0:
        raise DomainError("division by zero")
    return x / y


def _d_div_denominator(x, y, out):
    # -x/y^2 as -(x/y)/y: y^2 overflows at |y| > 1.3e154 (and underflows below 1e-162) where the
    # derivative itself is an ordinary number (x = 1e300, y = 1e200: -1e-100)
    d = -(out / y)
    if d == 0 and out != 0 and type(d) is float:
        raise OutOfRange  # underflowed: x = 1e-150, y = 1e150 gives -1e-450
    return d


def _sigmoid(x):
    if x == 0:
        return HALF
    if type(x) is Decimal:
        return wide.sigmoid(x)
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _d_tanh(x, out):
    # 1 - out^2 is the same number, but once tanh(x) rounds close to 1 (|x| > 1 or so) the
    # subtraction cancels its digits: at x = 10 it is wrong in the 8th digit. sech(x)^2 is not.
    if x == 0:
        return 1 - out * out  # exactly 1, and exact under --exact
    if type(x) is Decimal:
        return wide.sech2(x)
    if abs(x) < 20:
        c = math.cosh(x)
        return 1 / (c * c)
    e = math.exp(-2 * abs(float(x)))  # 4e/(1+e)^2: no cosh(x)^2 to overflow
    d = 4 * e / ((1 + e) * (1 + e))
    if d < TINY:
        raise OutOfRange  # below 1e-308 at |x| > 354: a subnormal or 0, where 1e300 * tanh'(x) is not
    return d


def _d_sigmoid(x, out):
    # out * (1 - out), with 1 - out computed as sigmoid(-x): no cancellation when out is near 1
    if x == 0:
        return out * (1 - out)  # exactly 1/4, and exact under --exact
    d = out * _sigmoid(-x)
    if type(d) is float and d < TINY:
        raise OutOfRange  # |x| > 708: the derivative is a subnormal or 0 in floats
    return d


def _sign(x):
    return (x > 0) - (x < 0)


def _compare(x, y):
    """-1, 0, 1 as x <, =, > y: compared as numbers (a fraction and a float exactly), never as x - y."""
    return (x > y) - (x < y)


def _d_pow_base(x, y, out):
    if y == 0:
        return 0  # PyTorch: d/dx x^0 = 0, even at x = 0
    if y == 1:
        return 1
    if x == 0:
        if y > 1:
            return 0
        raise DomainError("{0}^{1} has an infinite slope at {0} = 0 when the exponent is below 1")
    # y * x^(y-1) as y * x^y / x: y - 1 rounds back to y for |y| >= 2^53 (so (-1)^(y-1) would have
    # the wrong sign), and x^(y-1) can leave float range where the derivative does not
    if type(out) is not float:
        return y * out / x
    p = y * out
    d = p / x if not -TINY < p < TINY else y * (out / x)
    if d - d or -TINY < d < TINY:
        raise OutOfRange
    return d


def _d_pow_exponent(x, y, out):
    if x == 0 and y >= 0:
        return 0  # x^y is 0 for every y > 0, so it does not change with y; at 0^0 PyTorch gives 0 too
    if x <= 0:
        raise DomainError("the derivative of {out} with respect to the exponent {1} is {out}·log({0}), "
                          "and log needs {0} > 0")
    d = out * _log(x)
    if d == 0 and x != 1 and type(d) is float:
        raise OutOfRange
    return d


def _d_sqrt(x, out):
    if out == 0:
        raise DomainError("sqrt has an infinite derivative at 0")
    return 1 / (2 * out)


def rule_message(err: DomainError, labels: Sequence[str], out: str) -> str:
    """A rule's DomainError in the program's own words: {0}, {1} and {out} in its message become the
    operands' and the node's labels (`x^n`, `n`), never the placeholder names of a rule."""
    labels = list(labels)
    return _PLACEHOLDER.sub(lambda m: out if m.group(1) == "out" else labels[int(m.group(1))], str(err))


_PLACEHOLDER = re.compile(r"\{(\d+|out)\}")


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
    # a nonzero result can round to 0 or to a subnormal in floats (1e-200 * 1e-200, exp(-800)): the
    # sweeps then redo the computation in wide decimals (arithmetic.OutOfRange)
    underflows: bool = False
    # d out / d arg per argument, in the language over {0}, {1} and {out}: "-{0}/{1}^2", "step({0})"
    symbolic_partials: tuple[str, ...] = ()


def _function(name, value, partials, derivative_text, branch=None, one_sided=(), symbolic_partials=(),
              underflows=False):
    arity = len(partials)
    args = ", ".join(f"{{{i}}}" for i in range(arity))
    return Op(name, arity, value, partials, f"{name}({args})", derivative_text, branch, one_sided, True,
              symbolic_partials=symbolic_partials, underflows=underflows)


OPS: dict[str, Op] = {
    op.name: op
    for op in (
        Op("add", 2, lambda x, y: x + y, (lambda x, y, o: 1, lambda x, y, o: 1), "{0} + {1}", ("1", "1"),
           symbolic_partials=("1", "1")),
        Op("sub", 2, lambda x, y: x - y, (lambda x, y, o: 1, lambda x, y, o: -1), "{0} - {1}", ("1", "-1"),
           symbolic_partials=("1", "-1")),
        Op("mul", 2, lambda x, y: x * y, (lambda x, y, o: y, lambda x, y, o: x), "{0} * {1}", ("{1}", "{0}"),
           symbolic_partials=("{1}", "{0}"), underflows=True),
        Op(
            "div", 2, _div,
            (lambda x, y, o: 1 / y, _d_div_denominator),
            "{0} / {1}", ("1/{1}", "-{0}/{1}^2"),
            symbolic_partials=("1/{1}", "-{0}/{1}^2"), underflows=True,
        ),
        Op("neg", 1, lambda x: -x, (lambda x, o: -1,), "-{0}", ("-1",), symbolic_partials=("-1",)),
        Op("pos", 1, lambda x: x, (lambda x, o: 1,), "+{0}", ("1",), symbolic_partials=("1",)),
        Op("pow", 2, power, (_d_pow_base, _d_pow_exponent), "{0}^{1}", ("{1}*{0}^({1} - 1)", "{0}^{1}*log({0})"),
           symbolic_partials=("{1}*{0}^({1} - 1)", "{out}*log({0})"), underflows=True),
        Op("copy", 1, lambda x: x, (lambda x, o: 1,), "{0}", ("1",), symbolic_partials=("1",)),
        _function("exp", _exp, (lambda x, o: o,), ("exp({0})",), symbolic_partials=("{out}",), underflows=True),
        _function("log", _log, (lambda x, o: 1 / x,), ("1/{0}",), symbolic_partials=("1/{0}",)),
        _function("sqrt", _sqrt, (_d_sqrt,), ("1/(2*sqrt({0}))",), symbolic_partials=("1/(2*{out})",)),
        _function("sin", _sin, (lambda x, o: _cos(x),), ("cos({0})",), symbolic_partials=("cos({0})",)),
        _function("cos", _cos, (lambda x, o: -_sin(x),), ("-sin({0})",), symbolic_partials=("-sin({0})",)),
        _function("tan", _tan, (lambda x, o: 1 + o * o,), ("1 + tan({0})^2",), symbolic_partials=("1 + {out}^2",)),
        _function("sinh", _sinh, (lambda x, o: _cosh(x),), ("cosh({0})",), symbolic_partials=("cosh({0})",)),
        _function("cosh", _cosh, (lambda x, o: _sinh(x),), ("sinh({0})",), symbolic_partials=("sinh({0})",)),
        # the formulas avoid 1 - tanh^2 and 1 - sigmoid, which cancel to 0 where tanh and sigmoid round
        # to 1 (x = 20, x = 40): the formula must give the gradient it stands for
        _function("tanh", _tanh, (_d_tanh,), ("1 - tanh({0})^2",), symbolic_partials=("1/cosh({0})^2",)),
        _function("sigmoid", _sigmoid, (_d_sigmoid,), ("sigmoid({0})*(1 - sigmoid({0}))",),
                  symbolic_partials=("{out}*sigmoid(-{0})",), underflows=True),
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
            branch=_compare, one_sided=((0, 1), (0, 1)),
            symbolic_partials=("(1 + sign({0} - {1}))/2", "(1 - sign({0} - {1}))/2"),
        ),
        _function(
            "min", lambda x, y: x if x <= y else y,
            (lambda x, y, o: 1 if x < y else 0 if x > y else HALF, lambda x, y, o: 1 if y < x else 0 if y > x else HALF),
            ("1 if {0} < {1}, 0 if {0} > {1}, 1/2 if equal", "1 if {1} < {0}, 0 if {1} > {0}, 1/2 if equal"),
            branch=_compare, one_sided=((1, 0), (1, 0)),
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
