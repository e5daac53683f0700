"""How numbers are written: to a chosen number of significant digits, fractions as p/q, exact decimals.

Shared by the messages of every layer and by the renderers, so it sits in base/."""
from __future__ import annotations

from fractions import Fraction

from .undefined import Undefined

DEFAULT_DIGITS = 6
LONGEST_FRACTION = 32  # longer exact values are shown approximately in tables (in full in --json)


def _decimal_approximation(value: Fraction, digits: int) -> str:
    import decimal  # only for fractions too long to show whole

    context = decimal.Context(prec=digits)
    quotient = context.divide(decimal.Decimal(value.numerator), decimal.Decimal(value.denominator))
    return f"{quotient:.{digits - 1}e}"


def format_number(value, digits: int | None = DEFAULT_DIGITS) -> str:
    """`4`, `0.666667`, `-1.5e-07`; a Fraction as `2/3`; None as an em dash; an Undefined as its word.

    digits=None writes a float with every digit it has (repr).
    """
    if value is None:
        return "—"
    if isinstance(value, Fraction):
        text = exact_text(value)
        if len(text) <= LONGEST_FRACTION:
            return text
        return "≈" + _decimal_approximation(value, digits or 17)
    if isinstance(value, int):
        return str(value)
    try:
        value = float(value)
    except TypeError:  # (checked here, not first: the common case pays nothing)
        if type(value) is Undefined:
            return value.word
        raise
    if value == 0:
        return "0"  # never -0
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if digits is None:
        return repr(value)
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else ""
        text = f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"
    return text


def json_number(value):
    """Full precision for JSON: floats as floats, exact fractions as floats too (the exact text goes alongside);
    null for None and for an Undefined (its reason goes under the document's "undefined" key)."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        try:
            as_float = float(value)
        except OverflowError:  # an exact value beyond any float (10^400/3): null here, in full under "exact"
            return None
        if value.denominator == 1:
            return int(value)
        value = as_float
    try:
        value = float(value)
    except TypeError:  # (checked here, not first: the common case pays nothing)
        if type(value) is Undefined:
            return None
        raise
    return 0.0 if value == 0 else value


def exact_text(value) -> str | None:
    """A Fraction as "p/q" (or "p"); None for anything that is not exact."""
    if not isinstance(value, Fraction):
        return None
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def decimal_text(value: Fraction) -> str | None:
    """The shortest exact decimal spelling of a fraction, or None if it has none (1/3)."""
    import decimal  # only for formulas (--symbolic, hessian): start-up stays light

    d = value.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        return None
    places = max(twos, fives)
    digits = len(str(abs(value.numerator))) + places + 2
    exact = decimal.Context(prec=digits).divide(decimal.Decimal(value.numerator), decimal.Decimal(value.denominator))
    plain = format(exact, "f")
    if "." in plain:
        plain = plain.rstrip("0").rstrip(".")
    scientific = format(exact.normalize(), "e").replace("e+", "e")
    if "e" in scientific:
        mantissa, exponent = scientific.split("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        scientific = f"{mantissa}e{exponent}"
    return min((plain, scientific), key=len) if scientific != plain else plain


def number_text(value) -> str:
    """A number for a message: a float as Python writes it, a wide decimal beyond float range with 7 digits."""
    if isinstance(value, float):
        return repr(value)
    if type(value).__name__ == "Decimal":  # a wide value: its float when it has one, else its digits
        as_float = float(value)
        if as_float - as_float == 0 and (as_float or not value):
            return repr(as_float)
        mantissa, _, exponent = f"{value:.7e}".partition("e")  # beyond float range: 7 digits, zeros dropped
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent):+d}"
    return format_number(value, 17)
