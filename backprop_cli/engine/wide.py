"""The functions of the operation table on wide decimals (arithmetic.WIDE), for ops.py's rules.

Called only inside `with WIDE.context():`, when a float computation left float
range (arithmetic.OutOfRange). exp, log, sqrt and powers are decimal's own,
correctly rounded to 40 digits; tanh, sigmoid and sech^2 are built from exp
without cancellation. The trigonometric functions take a float argument (a
decimal beyond float range has no float sine here) and use the float library:
their values are in [-1, 1] (tan aside), so range is never their problem.
"""
from __future__ import annotations

import math
from decimal import Decimal

ONE = Decimal(1)
TWO = Decimal(2)
# Past this, exp overflows even the wide exponent range (about e^(2.3e9)): say so as a float would.
_EXP_LIMIT = Decimal(10) ** 9


def _float(x: Decimal) -> float:
    value = float(x)
    if not math.isfinite(value):
        raise OverflowError("the argument is too large for a 64-bit float")
    return value


def exp(x: Decimal) -> Decimal:
    if x > _EXP_LIMIT:
        raise OverflowError("exp overflows")
    return x.exp()


def log(x: Decimal) -> Decimal:
    return x.ln()


def sqrt(x: Decimal) -> Decimal:
    return x.sqrt()


def power(x: Decimal, y: Decimal) -> Decimal:
    """x ** y for x > 0, or an integer y (the caller has checked the domain)."""
    if y == y.to_integral_value():
        return x ** int(y)
    return x ** y


# Near 0 a float argument may be subnormal (1e-312 keeps 4 of its digits): there the functions are
# their Taylor series, summed in decimals, which at |x| < 1e-3 reach 40 digits in a few terms.
_SMALL = Decimal("1e-3")


def _series(x: Decimal, coefficients) -> Decimal:
    """sum of c_k * x^(2k+1): the odd series of sin, tan, sinh, tanh near 0."""
    total, power, square = Decimal(0), x, x * x
    for c in coefficients:
        total += c * power
        power *= square
    return total


_SIN = [Decimal(1), Decimal(-1) / 6, Decimal(1) / 120, Decimal(-1) / 5040, Decimal(1) / 362880,
        Decimal(-1) / 39916800, Decimal(1) / 6227020800]
_SINH = [abs(c) for c in _SIN]
_TAN = [Decimal(1), Decimal(1) / 3, Decimal(2) / 15, Decimal(17) / 315, Decimal(62) / 2835,
        Decimal(1382) / 155925, Decimal(21844) / 6081075]
_TANH = [c if k % 2 == 0 else -c for k, c in enumerate(_TAN)]


def sin(x: Decimal) -> Decimal:
    if abs(x) < _SMALL:
        return _series(x, _SIN)
    return Decimal(math.sin(_float(x)))


def cos(x: Decimal) -> Decimal:
    return Decimal(math.cos(_float(x)))


def tan(x: Decimal) -> Decimal:
    if abs(x) < _SMALL:
        return _series(x, _TAN)
    return Decimal(math.tan(_float(x)))


def sinh(x: Decimal) -> Decimal:
    if abs(x) < _SMALL:
        return _series(x, _SINH)
    if abs(x) < 1:
        return Decimal(math.sinh(_float(x)))  # (e^x - e^-x)/2 would cancel here
    return (exp(x) - exp(-x)) / TWO


def cosh(x: Decimal) -> Decimal:
    return (exp(x) + exp(-x)) / TWO


def tanh(x: Decimal) -> Decimal:
    if abs(x) < _SMALL:
        return _series(x, _TANH)
    if abs(x) < 1:
        return Decimal(math.tanh(_float(x)))  # no cancellation here, and a float's 17 digits are plenty
    e = exp(-TWO * abs(x))
    value = (ONE - e) / (ONE + e)
    return value if x > 0 else -value


def sech2(x: Decimal) -> Decimal:
    """1 - tanh(x)^2, as 4e/(1+e)^2 with e = exp(-2|x|): no cancellation, no overflow."""
    e = exp(-TWO * abs(x))
    return 4 * e / ((ONE + e) * (ONE + e))


def sigmoid(x: Decimal) -> Decimal:
    if x >= 0:
        return ONE / (ONE + exp(-x))
    z = exp(x)
    return z / (ONE + z)
