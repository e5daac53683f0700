"""The numbers behind the operation table: each function's value and derivative on floats, exact fractions
and wide decimals.

ops.py's table names these; the sweeps never call them directly. Each is written for accuracy and range,
not only for the formula: a rule that leaves float range raises arithmetic.OutOfRange, a rule outside its
domain raises DomainError with a message whose {0}, {1}, {out} become the program's own names
(rule_message), and a rational value stays a fraction under --exact (exp(0) = 1, sqrt(9/4) = 3/2).

It stays one module: the kernels share the exact-root and range helpers at its top.
"""
from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction
from typing import Sequence

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
def exp(x):
    if x == 0:
        return 1
    if type(x) is Decimal:
        return wide.exp(x)
    return math.exp(x)


def sin(x):
    if x == 0:
        return 0
    return wide.sin(x) if type(x) is Decimal else math.sin(x)


def cos(x):
    if x == 0:
        return 1
    return wide.cos(x) if type(x) is Decimal else math.cos(x)


def tan(x):
    if x == 0:
        return 0
    return wide.tan(x) if type(x) is Decimal else math.tan(x)


def tanh(x):
    if x == 0:
        return 0
    return wide.tanh(x) if type(x) is Decimal else math.tanh(x)


def sinh(x):
    if x == 0:
        return 0
    return wide.sinh(x) if type(x) is Decimal else math.sinh(x)


def cosh(x):
    if x == 0:
        return 1
    return wide.cosh(x) if type(x) is Decimal else math.cosh(x)


def log(x):
    if x <= 0:
        raise DomainError("log is defined for positive numbers only")
    if x == 1:
        return 0
    if type(x) is Decimal:
        return wide.log(x)
    if isinstance(x, Fraction):
        return _log_of_fraction(x)
    return math.log(x)


def sqrt(x):
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


def div(x, y):
    if y == 0:
        raise DomainError("division by zero")
    return x / y


def d_div_denominator(x, y, out):
    # -x/y^2 as -(x/y)/y: y^2 overflows at |y| > 1.3e154 (and underflows below 1e-162) where the
    # derivative itself is an ordinary number (x = 1e300, y = 1e200: -1e-100)
    d = -(out / y)
    if d == 0 and out != 0 and type(d) is float:
        raise OutOfRange  # underflowed: x = 1e-150, y = 1e150 gives -1e-450
    return d


def sigmoid(x):
    if x == 0:
        return HALF
    if type(x) is Decimal:
        return wide.sigmoid(x)
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def d_tanh(x, out):
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


def d_sigmoid(x, out):
    # out * (1 - out), with 1 - out computed as sigmoid(-x): no cancellation when out is near 1
    if x == 0:
        return out * (1 - out)  # exactly 1/4, and exact under --exact
    d = out * sigmoid(-x)
    if type(d) is float and d < TINY:
        raise OutOfRange  # |x| > 708: the derivative is a subnormal or 0 in floats
    return d


def sign(x):
    return (x > 0) - (x < 0)


def compare(x, y):
    """-1, 0, 1 as x <, =, > y: compared as numbers (a fraction and a float exactly), never as x - y."""
    return (x > y) - (x < y)


def d_pow_base(x, y, out):
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


def d_pow_exponent(x, y, out):
    if x == 0 and y >= 0:
        return 0  # x^y is 0 for every y > 0, so it does not change with y; at 0^0 PyTorch gives 0 too
    if x <= 0:
        raise DomainError("the derivative of {out} with respect to the exponent {1} is {out}·log({0}), "
                          "and log needs {0} > 0")
    d = out * log(x)
    if d == 0 and x != 1 and type(d) is float:
        raise OutOfRange
    return d


def d_sqrt(x, out):
    if out == 0:
        raise DomainError("sqrt has an infinite derivative at 0")
    return 1 / (2 * out)


def rule_message(err: DomainError, labels: Sequence[str], out: str) -> str:
    """A rule's DomainError in the program's own words: {0}, {1} and {out} in its message become the
    operands' and the node's labels (`x^n`, `n`), never the placeholder names of a rule."""
    labels = list(labels)
    return _PLACEHOLDER.sub(lambda m: out if m.group(1) == "out" else labels[int(m.group(1))], str(err))


_PLACEHOLDER = re.compile(r"\{(\d+|out)\}")
