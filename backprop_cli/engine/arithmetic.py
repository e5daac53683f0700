"""The number systems values are computed in: floats, exact fractions (--exact), and wide decimals.

An arithmetic turns literals into numbers and normalises what the operation
rules return. Exact arithmetic keeps Fractions wherever the rules can (+ - * /
and integer powers); a rule that needs an irrational value returns a float, and
from there on that value is marked inexact.

Floats are the default. Where a float step leaves the range of 64-bit floats
although the answer may not (1e300 * exp(-800) underflows to 0 in its middle,
x/y's -x/y^2 overflows at y = 1e200), the sweeps raise OutOfRange and the whole
computation is done again in WIDE: 40-digit decimals whose exponent is bounded
only by memory. Every number reported is then rounded back to a float, and one
that does not fit is a MathError naming its node. Exact arithmetic does not
fall back: its inexact float steps stop with a MathError instead.
"""
from __future__ import annotations

import decimal
import math
import re
import sys
from fractions import Fraction

from ..base.errors import MathError

# The smallest normal float: a result below it (and not 0) has lost digits to gradual underflow.
TINY = sys.float_info.min


class OutOfRange(Exception):
    """A float step overflowed, or underflowed to 0 or a subnormal, where the true value need not:
    the computation is redone in WIDE. Never seen by the user: the engine catches it."""


def in_range(value):
    """`value` itself if it is a float that lost nothing to the limits of 64-bit floats (or not a float);
    OutOfRange if it is infinite, NaN, or a nonzero value below the normal range (0 passes: call this
    where 0 is a legitimate result, or check for 0 yourself)."""
    if type(value) is float and (value - value or (-TINY < value < TINY and value)):
        raise OutOfRange
    return value

_NONZERO_DIGIT = re.compile("[1-9]")


def _shown(text: str) -> str:
    """A literal for a message: in full when short, else its ends and its length (a message is one paragraph)."""
    return text if len(text) <= 40 else f"{text[:20]}...{text[-10:]} ({len(text):,} characters)"


class FloatArithmetic:
    exact = False

    def literal(self, text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise MathError(f"the number {_shown(text)} is too large for a 64-bit float (at most about 1.8e308)")
        if value == 0 and _NONZERO_DIGIT.search(text.split("e")[0].split("E")[0]):
            # 1e-400 would silently become 0 (and every gradient through it too): refuse, as 1e400 is
            raise MathError(f"the number {_shown(text)} is too small for a 64-bit float: it would be 0 "
                            "(the smallest is about 4.9e-324)")
        return value

    def constant(self, value: float) -> float:
        return value

    def coerce(self, value) -> float:
        return float(value)

    @staticmethod
    def is_exact(value) -> bool:
        return False


FLOAT = FloatArithmetic()


# Exact values larger than this are refused: 2^2^2^2^2^2 or 10^10^10 would
# otherwise run the machine out of memory. About 4,200 decimal digits, which
# also keeps every exact value printable under Python's int-to-str limit.
MAX_EXACT_BITS = 14_000
_LITERAL = re.compile(r"[+-]?(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?", re.ASCII)


def exact_size_error(what: str) -> MathError:
    digits = int(MAX_EXACT_BITS * 0.30103)
    return MathError(f"{what} has more than {digits} digits, too large for exact arithmetic "
                     "(leave out --exact for a floating-point answer)")


def _bits(value: Fraction) -> int:
    return max(value.numerator.bit_length(), value.denominator.bit_length())


def exact_power(base: Fraction, exponent: int) -> Fraction:
    """base ** exponent for an integer exponent, refusing results too large to hold."""
    if abs(exponent) > 1 and _bits(base) > 1 and abs(exponent) * (_bits(base) - 1) > MAX_EXACT_BITS:
        raise exact_size_error(f"{base}^{exponent}")
    return base ** exponent


class ExactArithmetic:
    """Fractions wherever the rules allow; floats (marked inexact) where a value is irrational."""

    exact = True

    def literal(self, text: str) -> Fraction:
        match = _LITERAL.fullmatch(text.strip())
        if match is not None:
            whole, fraction, exponent = match.groups()
            size = len(whole) + len(fraction) + abs(int(exponent or 0))
            if size * 3.33 > MAX_EXACT_BITS:
                raise exact_size_error(f"the number {_shown(text)}")
        return Fraction(text)

    def constant(self, value: float) -> float:
        return value  # pi: irrational, so inexact from the start

    def coerce(self, value):
        if isinstance(value, Fraction):
            if _bits(value) > MAX_EXACT_BITS:
                raise exact_size_error("an intermediate value")
            return value
        if isinstance(value, int):
            return Fraction(value)
        return float(value)

    @staticmethod
    def is_exact(value) -> bool:
        return isinstance(value, Fraction)


EXACT = ExactArithmetic()


# -- wide decimals ---------------------------------------------------------------------------------

# 40 significant digits (a float has 17) and an exponent range of a billion decades: no intermediate of
# a program over float inputs comes near it. Overflow, division by zero and invalid operations raise.
WIDE_CONTEXT = decimal.Context(prec=40, Emax=10**9, Emin=-10**9, rounding=decimal.ROUND_HALF_EVEN,
                               traps=[decimal.Overflow, decimal.DivisionByZero, decimal.InvalidOperation])


class WideArithmetic:
    """Decimals with a huge exponent range, used only when float steps leave float range (see OutOfRange).
    Values start as the same floats the float computation used (inputs and literals rounded to floats),
    so the answer is that of an ideal float engine: exact math on the float inputs, rounded once."""

    exact = False

    def literal(self, text: str) -> decimal.Decimal:
        return decimal.Decimal(FLOAT.literal(text))

    def constant(self, value: float) -> decimal.Decimal:
        return decimal.Decimal(value)

    def coerce(self, value) -> decimal.Decimal:
        if type(value) is decimal.Decimal:
            return value
        if isinstance(value, Fraction):
            return WIDE_CONTEXT.divide(decimal.Decimal(value.numerator), decimal.Decimal(value.denominator))
        return decimal.Decimal(value)

    @staticmethod
    def is_exact(value) -> bool:
        return False

    @staticmethod
    def context():
        """`with WIDE.context():` the operators on decimals use WIDE_CONTEXT."""
        return decimal.localcontext(WIDE_CONTEXT)


WIDE = WideArithmetic()
