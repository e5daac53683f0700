"""The two number systems values are computed in: floats, and exact fractions (--exact).

An arithmetic turns literals into numbers and normalises what the operation
rules return. Exact arithmetic keeps Fractions wherever the rules can (+ - * /
and integer powers); a rule that needs an irrational value returns a float, and
from there on that value is marked inexact.
"""
from __future__ import annotations

import math
from fractions import Fraction

from .errors import MathError


class FloatArithmetic:
    exact = False

    def literal(self, text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise MathError(f"the number {text} is too large for a 64-bit float (at most about 1.8e308)")
        return value

    def constant(self, value: float) -> float:
        return value

    def coerce(self, value) -> float:
        return float(value)

    @staticmethod
    def is_exact(value) -> bool:
        return False


FLOAT = FloatArithmetic()
