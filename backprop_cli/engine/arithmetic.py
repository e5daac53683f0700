"""The two number systems values are computed in: floats, and exact fractions (--exact).

An arithmetic turns literals into numbers and normalises what the operation
rules return. Exact arithmetic keeps Fractions wherever the rules can (+ - * /
and integer powers); a rule that needs an irrational value returns a float, and
from there on that value is marked inexact.
"""
from __future__ import annotations

import math
import re
from fractions import Fraction

from ..base.errors import MathError

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
