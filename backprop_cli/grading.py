"""Grading a student's answers against the computed values and gradients (`backprop check`).

Pure logic, no printing. An answer is written as a student writes it: an
integer (`108`), a decimal (`0.67`, `1e-3`), a fraction (`-4/3`), or a constant
expression in the tool's own language (`sqrt(2)/2`, `1/(1+exp(-1))`), read with
the project's parser, never with Python's eval.

The grading rule:
- a decimal is right when it is within one unit of its last written digit of
  the true value (`0.67` has unit 0.01; `2.5e-3` has unit 1e-4), which forgives
  rounding along the way, and never stricter than 1e-12 relative;
- integers, fractions and expressions must match to 1e-9 relative (1e-12
  absolute when the true value is 0);
- `--tolerance T` replaces both: |given - true| <= T * |true| (<= T when the
  true value is 0).

Targets: `value` is the output's value, `NAME` is d output / d NAME (inputs and
named intermediates), `NAME.value` is the forward value of a named node.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Sequence

from .arithmetic import EXACT, FLOAT
from .compute import Result
from .errors import BackpropError, UsageError
from .forward import evaluate
from .local import ancestors
from .nodes import Assign
from .parser import parse
from .render.numbers import format_number
from .tape import Tape, lower

EXACT_RELATIVE = Fraction(1, 10**9)  # integers, fractions and expressions
DECIMAL_FLOOR_RELATIVE = Fraction(1, 10**12)  # a decimal is never held to more than this
ZERO_FLOOR = Fraction(1, 10**12)  # absolute tolerance when the true value is 0

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


@dataclass(frozen=True)
class Verdict:
    expectation: Expectation
    correct: object  # the true value (Fraction in exact mode where rational, else float)
    ok: bool
    tolerance: Fraction  # the largest |given - correct| accepted
    rule: str  # the rule applied, in words: "±0.01 (one unit of the last digit)"

    @property
    def target(self) -> str:
        return self.expectation.target

    @property
    def kind(self) -> str:
        return self.expectation.kind


@dataclass(frozen=True)
class Grade:
    verdicts: tuple[Verdict, ...]
    tolerance: float | None  # the --tolerance override, if any
    first_wrong: Verdict | None  # the wrong gradient answer that comes first in backward order
    first_wrong_value: Verdict | None  # the wrong value answer that comes first in forward order
    right_before: tuple[Verdict, ...] = ()  # right gradients between first_wrong and the output
    carried: tuple[Verdict, ...] = ()  # other wrong gradients computed through first_wrong's node
    separate: tuple[Verdict, ...] = ()  # other wrong gradients on paths that avoid it

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.verdicts)

    @property
    def wrong(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if not v.ok)

    @property
    def gradient_answers(self) -> int:
        return sum(1 for v in self.verdicts if v.kind == GRADIENT)


# ---------------------------------------------------------------- reading NAME=ANSWER


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


# ---------------------------------------------------------------- grading


def _as_fraction(value) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(value)


def _relative_words(relative: Fraction | float) -> str:
    return f"{format_number(float(relative), 3)} relative"


def grade_one(expectation: Expectation, correct, tolerance: float | None = None) -> Verdict:
    answer = expectation.answer
    true = _as_fraction(correct)
    given = _as_fraction(answer.value)
    size = abs(true)
    if tolerance is not None:
        relative = _as_fraction(tolerance)
        if true == 0:
            allowed, rule = relative, f"±{format_number(tolerance, 3)} (--tolerance, true value 0)"
        else:
            allowed, rule = relative * size, f"{_relative_words(tolerance)} (--tolerance)"
    elif answer.form == "decimal":
        floor = DECIMAL_FLOOR_RELATIVE * size
        if answer.unit >= floor:
            allowed, rule = answer.unit, f"±{format_number(float(answer.unit), 3)} (last digit)"
        else:
            allowed, rule = floor, _relative_words(DECIMAL_FLOOR_RELATIVE)
    elif true == 0:
        allowed, rule = ZERO_FLOOR, f"±{format_number(float(ZERO_FLOOR), 3)} (true value 0)"
    else:
        allowed, rule = EXACT_RELATIVE * size, _relative_words(EXACT_RELATIVE)
    return Verdict(expectation, correct, abs(given - true) <= allowed, allowed, rule)


def correct_value(result: Result, expectation: Expectation):
    if expectation.kind == GRADIENT:
        grad = result.grads[expectation.node]
        zero = Fraction(0) if result.exact else 0.0
        return zero if grad is None else grad
    return result.values[expectation.node]


def grade(result: Result, items: Iterable[Expectation], tolerance: float | None = None,
          backward_order: Sequence[int] | None = None) -> Grade:
    """Grade each expectation; find where a chain of answers first went wrong.

    backward_order: node positions in the order the backward pass visits them
    (default: the reverse sweep, from the output down the tape).
    """
    verdicts = tuple(grade_one(e, correct_value(result, e), tolerance) for e in items)
    if backward_order is None:
        backward_order = range(len(result.tape.nodes) - 1, -1, -1)
    rank = {node: r for r, node in enumerate(backward_order)}
    wrong_grads = [v for v in verdicts if not v.ok and v.kind == GRADIENT]
    first_wrong = min(wrong_grads, key=lambda v: rank.get(v.expectation.node, len(rank)), default=None)
    wrong_values = [v for v in verdicts if not v.ok and v.kind != GRADIENT]
    first_wrong_value = min(wrong_values, key=lambda v: v.expectation.node, default=None)
    right_before, carried, separate = [], [], []
    if first_wrong is not None:
        node = first_wrong.expectation.node
        feeding, fed = feeds_into(result.tape, node), computed_from(result.tape, node)
        right_before = [v for v in verdicts if v.ok and v.kind == GRADIENT and fed[v.expectation.node]]
        for v in wrong_grads:
            if v is not first_wrong:
                (carried if feeding[v.expectation.node] else separate).append(v)
    return Grade(verdicts, tolerance, first_wrong, first_wrong_value, tuple(right_before), tuple(carried),
                 tuple(separate))


def computed_from(tape: Tape, node: int) -> list[bool]:
    """Per node: is it computed from `node` (so it lies between `node` and the output, backward)?"""
    fed = [False] * len(tape.nodes)
    fed[node] = True
    for i in range(node + 1, len(tape.nodes)):
        fed[i] = any(fed[a] for a in tape.nodes[i].args)
    fed[node] = False
    return fed


def feeds_into(tape: Tape, node: int) -> list[bool]:
    """Per node: is `node` computed from it (so its gradient flows through `node`)?"""
    feeding = ancestors(tape, node)
    feeding[node] = False
    return feeding


def rule_statement(tolerance: float | None) -> str:
    """The grading rule in one sentence, for under the table and the JSON."""
    if tolerance is not None:
        return (f"every answer must be within {format_number(tolerance, 3)} relative of the true value "
                f"(--tolerance; {format_number(tolerance, 3)} absolute when the true value is 0)")
    return ("a decimal is right within one unit of its last written digit (0.67 for 2/3), never stricter than "
            "1e-12 relative; integers, fractions and expressions within 1e-9 relative (1e-12 absolute when the "
            "true value is 0)")
