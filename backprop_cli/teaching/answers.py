"""Reading a student's answers (`backprop check`): `NAME=ANSWER` items, answers files, and targets.

Pure logic, no printing. An answer is written as a student writes it: an
integer (`108`), a decimal (`0.67`, `1e-3`), a fraction (`-4/3`), or a constant
expression in the tool's own language (`sqrt(2)/2`, `1/(1+exp(-1))`), read with
the project's parser, never with Python's eval.

Targets: `value` is the output's value, `NAME` is d output / d NAME (inputs and
named intermediates), `NAME.value` is the forward value of a named node.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from ..base.errors import BackpropError, UsageError
from ..engine.arithmetic import EXACT, FLOAT
from ..engine.forward import evaluate
from ..engine.tape import Tape, lower
from ..language.parser import parse
from ..language.syntax_tree import Assign

VALUE = "value"  # the output's value
GRADIENT = "gradient"  # d output / d NAME
NODE_VALUE = "node_value"  # NAME.value: the forward value of a named node

_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?P<whole>\d*)(?:\.(?P<frac>\d*))?(?:[eE](?P<exp>[+-]?\d+))?", re.ASCII)
_FRACTION = re.compile(r"(?P<num>[+-]?\d+)/(?P<den>\d+)", re.ASCII)
_TARGET = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<suffix>\.value)?", re.ASCII)
_LONGEST_LITERAL = 400  # characters of a plain number; longer answers are refused, not computed


@dataclass(frozen=True)
class Answer:
    """One answer as the student wrote it, and the number it stands for."""

    text: str
    form: str  # "integer", "decimal", "fraction" or "expression"
    value: object  # Fraction when the answer is rational as written, else float
    unit: Fraction | None = None  # decimals: one unit of the last written digit


@dataclass(frozen=True)
class Expectation:
    """`NAME=ANSWER` resolved against the program: what is checked, and the answer."""

    target: str  # as written: "value", "d", "e.value"
    kind: str  # VALUE, GRADIENT or NODE_VALUE
    name: str | None  # the node's name (None for `value` of an unnamed output)
    node: int  # position in the tape
    answer: Answer
    where: str  # how to point at it in a message: "--expect d=108", "answers.txt line 3"


def _show(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


def split_expectation(item: str, where: str) -> tuple[str, str]:
    """`NAME=ANSWER` -> (NAME, ANSWER), or a usage error pointing at `where`."""
    target, sep, answer = item.partition("=")
    target, answer = target.strip(), answer.strip()
    if not sep or not target:
        raise UsageError(f"{where}: expected NAME=ANSWER (as in d=4/3 or value=4), not {_show(item)}")
    if _TARGET.fullmatch(target) is None:
        raise UsageError(f"{where}: {_show(target)} is not a name: write value, an input or intermediate "
                         "name (d), or NAME.value")
    if not answer:
        raise UsageError(f"{where}: the answer for {target} is empty")
    return target, answer


def parse_answers_text(text: str, filename: str) -> list[tuple[str, str]]:
    """The lines of an answers file as (NAME=ANSWER, where); `#` comments and blank lines are skipped."""
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        where = f"{filename} line {number}"
        split_expectation(content, where)  # a bad line is reported with its number, before anything runs
        items.append((content, where))
    return items


def _exact_literal(text: str, where: str, target: str) -> Fraction:
    if len(text) > _LONGEST_LITERAL:
        raise UsageError(f"{where}: the answer for {target} is too long to be a number")
    try:
        value = EXACT.literal(text)
    except BackpropError:
        raise UsageError(f"{where}: the answer for {target}, {_show(text)}, is too large to grade") from None
    _check_float_range(value, where, target)
    return value


def _check_float_range(value, where: str, target: str) -> None:
    try:
        finite = math.isfinite(float(value))
    except OverflowError:
        finite = False
    if not finite:
        raise UsageError(f"{where}: the answer for {target} is too large (at most about 1.8e308)")


def parse_answer(text: str, where: str, target: str) -> Answer:
    """Read an answer: integer, decimal, fraction or constant expression; anything else is a usage error."""
    text = text.strip().replace("\u2212", "-")  # a typographic minus, as pasted from a worksheet
    if _INTEGER.fullmatch(text):
        return Answer(text, "integer", _exact_literal(text, where, target))
    match = _DECIMAL.fullmatch(text)
    if match is not None and (match["whole"] or match["frac"]):
        value = _exact_literal(text, where, target)
        places = len(match["frac"] or "")
        exponent = int(match["exp"] or 0) - places
        if abs(exponent) > 4 * _LONGEST_LITERAL:
            raise UsageError(f"{where}: the answer for {target} is out of range")
        return Answer(text, "decimal", value, Fraction(10) ** exponent)
    match = _FRACTION.fullmatch(text)
    if match is not None:
        numerator = _exact_literal(match["num"], where, target)
        denominator = _exact_literal(match["den"], where, target)
        if denominator == 0:
            raise UsageError(f"{where}: the answer for {target}, {_show(text)}, divides by zero")
        return Answer(text, "fraction", numerator / denominator)
    return Answer(text, "expression", _constant_expression(text, where, target))


def _constant_expression(text: str, where: str, target: str):
    """The value of a constant expression, read by the project's own parser (never eval)."""
    head = f"{where}: the answer for {target}, {_show(text)},"
    try:
        program = parse(text)
        if len(program.statements) != 1 or isinstance(program.statements[0], Assign):
            raise UsageError(f"{head} is not a number: write one number or constant expression, "
                             "such as 4/3, 0.67 or sqrt(2)/2")
        tape = lower(program)
    except BackpropError as err:
        if isinstance(err, UsageError):
            raise
        raise UsageError(f"{head} is not a number or a constant expression: {err.message}") from None
    if tape.inputs:
        names = ", ".join(tape.inputs)
        hint = " (e is a variable name here, not Euler's number: write exp(1))" if "e" in tape.inputs else ""
        raise UsageError(f"{head} uses {'the variable' if len(tape.inputs) == 1 else 'the variables'} {names}; "
                         f"an answer is a number or a constant expression such as sqrt(2)/2{hint}")
    value = None
    for arithmetic in (EXACT, FLOAT):  # exact where it can be; a huge exact power falls back to floats
        try:
            value = evaluate(tape, {}, arithmetic)[tape.output]
            break
        except BackpropError as err:
            failure = err.message.splitlines()[0]
    if value is None:
        raise UsageError(f"{head} has no finite value: {failure}")
    _check_float_range(value, where, target)
    return value


# ---------------------------------------------------------------- targets


def resolve_target(tape: Tape, target: str, where: str) -> tuple[str, str | None, int]:
    """(kind, name, node) of `value`, `NAME` or `NAME.value`; an unknown name is a usage error."""
    if target == "value":
        return VALUE, tape.output_name, tape.output
    match = _TARGET.fullmatch(target)
    named = tape.named
    if match is not None and match["name"] in named:
        name = match["name"]
        return (NODE_VALUE if match["suffix"] else GRADIENT), name, named[name]
    names = ", ".join(named) or "none"
    raise UsageError(f"{where}: the program has no input or intermediate named "
                     f"{match['name'] if match else target}; the names are: {names} "
                     "(and value for the output's value, NAME.value for a node's value)")


def expectations(tape: Tape, items: Sequence[tuple[str, str]]) -> list[Expectation]:
    """Resolve (NAME=ANSWER, where) items against the program: names checked, answers read."""
    if not items:
        raise UsageError("nothing to check: give at least one answer with --expect NAME=ANSWER "
                         "(as in --expect d=4/3) or --answers FILE")
    seen: dict[str, str] = {}
    out = []
    for item, where in items:
        target, text = split_expectation(item, where)
        kind, name, node = resolve_target(tape, target, where)
        if target in seen:
            raise UsageError(f"{where}: {target} is answered twice (first at {seen[target]}); give each answer once")
        seen[target] = where
        out.append(Expectation(target, kind, name, node, parse_answer(text, where, target), where))
    return out


