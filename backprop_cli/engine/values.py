"""Numbers the user writes outside a program: values of inputs (`-x 1/3`, `a=pi`), `--direction` values and
`check` answers. One reader for all of them.

A number is an integer (`108`), a decimal (`0.67`, `-2e-3`), a fraction (`-4/3`), or a constant expression
in the tool's own language (`pi`, `sqrt(2)/2`, `2^-10`, `1/(1+exp(-1))`), read with the project's parser,
never with Python's eval.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from ..base.errors import BackpropError, UsageError
from .arithmetic import EXACT, FLOAT
from .ops import ALIASES, CONSTANTS, FUNCTIONS

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_WORD = re.compile(r"[^\W\d]\w*")


_TRANSPOSE = re.compile(r"(?<=[\])\w])\s*(\.\s*T\b|ᵀ)")  # [[1, 2]].T, [[1, 2]]ᵀ: no name, the transpose


def looks_like_constant(text: str) -> bool:
    """Whether `text` can be a number, or a vector or matrix of them, rather than a program: it names no
    variable (only the constants and functions of the language). `x^2`, `[x, 1]` and `a; b` cannot; `1/3`,
    `pi`, `sqrt(2)/2`, `[1, 2, 3]`, `[[0.1, 0.2], [0.3, 0.4]]`, `[pi, 1/3]` and `abc` (a bad number rather than a
    program) can. Lexical only: the text is read for real when the value is used."""
    words = _WORD.findall(_NUMBER.sub(" ", _TRANSPOSE.sub(" ", text)))
    if ";" in text or "\n" in text or "=" in text:
        return False
    if not words:
        return True
    known = {*CONSTANTS, *FUNCTIONS, *ALIASES}
    # one unknown word alone (`abc`, `nan`, `inf`) is a number written wrong, not a program
    return all(word in known for word in words) or (len(words) == 1 and text.strip().lstrip("+-") == words[0])


# ---------------------------------------------------------------- reading a number

_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?P<whole>\d*)(?:\.(?P<frac>\d*))?(?:[eE](?P<exp>[+-]?\d+))?", re.ASCII)
_FRACTION = re.compile(r"(?P<num>[+-]?\d+)/(?P<den>\d+)", re.ASCII)
LONGEST_LITERAL = 400  # characters of a plain number; longer ones are refused, not computed
EXAMPLES = "such as 4/3, 0.67, pi or sqrt(2)/2"


@dataclass(frozen=True)
class Constant:
    """A number as the user wrote it, and the number it stands for."""

    text: str
    form: str  # "integer", "decimal", "fraction" or "expression"
    value: object  # Fraction when the number is rational as written, else float
    unit: Fraction | None = None  # decimals: one unit of the last written digit


def _show(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


def read_constant(text: str, what: str) -> Constant:
    """Read a number: integer, decimal, fraction or constant expression; anything else is a usage error whose
    message starts with `what` (`the value of x`, `--expect d=4/3: the answer for d`)."""
    text = text.strip().replace("\u2212", "-")  # a typographic minus, as pasted from a worksheet
    if _INTEGER.fullmatch(text):
        return Constant(text, "integer", _exact_literal(text, what))
    match = _DECIMAL.fullmatch(text)
    if match is not None and (match["whole"] or match["frac"]):
        value = _exact_literal(text, what)
        places = len(match["frac"] or "")
        exponent = int(match["exp"] or 0) - places
        if abs(exponent) > 4 * LONGEST_LITERAL:
            raise UsageError(f"{what} is out of range")
        return Constant(text, "decimal", value, Fraction(10) ** exponent)
    match = _FRACTION.fullmatch(text)
    if match is not None:
        numerator = _exact_literal(match["num"], what)
        denominator = _exact_literal(match["den"], what)
        if denominator == 0:
            raise UsageError(f"{what}, {_show(text)}, divides by zero")
        return Constant(text, "fraction", numerator / denominator)
    return Constant(text, "expression", _constant_expression(text, what))


def _exact_literal(text: str, what: str) -> Fraction:
    if len(text) > LONGEST_LITERAL:
        raise UsageError(f"{what} is too long to be a number")
    try:
        value = EXACT.literal(text)
    except BackpropError:
        raise UsageError(f"{what}, {_show(text)}, is too large to read exactly") from None
    _check_float_range(value, what)
    return value


def _check_float_range(value, what: str) -> None:
    try:
        finite = math.isfinite(float(value))
    except OverflowError:
        finite = False
    if not finite:
        raise UsageError(f"{what} is too large (at most about 1.8e308)")


def _constant_expression(text: str, what: str):
    """The value of a constant expression, read by the project's own parser (never eval)."""
    from ..language.parser import parse
    from ..language.syntax_tree import Assign, Define
    from .forward import evaluate
    from .tape import lower

    head = f"{what}, {_show(text)},"
    try:
        program = parse(text)
        if len(program.statements) != 1 or isinstance(program.statements[0], (Assign, Define)):
            raise UsageError(f"{head} is not a number: write one number or constant expression, {EXAMPLES}")
        tape = lower(program)
    except BackpropError as err:
        if isinstance(err, UsageError):
            raise
        raise UsageError(f"{head} is not a number or a constant expression: {err.message}") from None
    if tape.inputs and len(tape.nodes) == 1 and "e" not in tape.inputs:  # one word (`abc`, `nan`, `inf`)
        raise UsageError(f"{head} is not a number: write a number or a constant expression, {EXAMPLES}")
    if tape.inputs:
        names = ", ".join(tape.inputs)
        hint = " (e is a variable name here, not Euler's number: write exp(1))" if "e" in tape.inputs else ""
        raise UsageError(f"{head} uses {'the variable' if len(tape.inputs) == 1 else 'the variables'} {names}; "
                         f"write a number or a constant expression, {EXAMPLES}{hint}")
    value = None
    for arithmetic in (EXACT, FLOAT):  # exact where it can be; a huge exact power falls back to floats
        try:
            value = evaluate(tape, {}, arithmetic)[tape.output]
            break
        except BackpropError as err:
            failure = err.message.splitlines()[0]
    if value is None:
        raise UsageError(f"{head} has no finite value: {failure}")
    _check_float_range(value, what)
    return value


def as_number(constant: Constant, arithmetic, what: str):
    """The number of the arithmetic a read constant stands for: exact thirds stay exact under EXACT; in
    floats, a value that would become 0 is refused, as 1e-400 is."""
    value = constant.value
    if arithmetic.exact:
        return arithmetic.coerce(value)
    number = float(value)  # finite: read_constant checked the float range
    if number == 0 and value != 0:
        raise UsageError(f"{what} is out of range: {constant.text} is too small for a 64-bit float: it would "
                         "be 0 (the smallest is about 4.9e-324)")
    return arithmetic.coerce(number)
