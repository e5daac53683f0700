"""Grading a student's answers against the computed values and gradients (`backprop check`).

Pure logic, no printing. The answers come read and resolved from answers.py.

The grading rule:
- a decimal is right when it is within one unit of its last written digit of
  the true value (`0.67` has unit 0.01; `2.5e-3` has unit 1e-4), which forgives
  rounding along the way, and never stricter than 1e-12 relative;
- integers, fractions and expressions must match to 1e-9 relative (1e-12
  absolute when the true value is 0);
- `--tolerance T` replaces both: |given - true| <= T * |true| (<= T when the
  true value is 0);
- where the true value is undefined (log(-1), d x^y / d y at x < 0), the answer
  `undefined` (or `nan`) is right and every number is wrong; where it is a number,
  `undefined` is wrong.

The true value is exact wherever the program is rational at the point (inputs
are the decimals the user wrote: 0.1 + 0.2 - 0.3 is 0, not 5.6e-17); where it
is not (sin(pi*x)), it is a float, and an answer within the rounding error that
float can carry (engine/rounding.py, times ROUNDING_SAFETY) is also right.

An answer for a vector or a matrix (`W=[[...], [...]]`) is graded element by
element, each element by the rule above (grade_one, the one rule), against the
tensor engine's exact numbers; where an element is a float, its rounding error is
estimated by engine/tensor_rounding.py. Its verdict holds one verdict per
element, and says whether a wrong square matrix is right as its transpose.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Sequence

from ..base.numbers import format_number
from ..base.undefined import Undefined
from ..engine.compute import Result
from ..engine.local import ancestors
from ..engine.tape import Tape
from .answers import GRADIENT, TENSOR_ANSWER, UNDEFINED_ANSWER, Expectation

EXACT_RELATIVE = Fraction(1, 10**9)  # integers, fractions and expressions
DECIMAL_FLOOR_RELATIVE = Fraction(1, 10**12)  # a decimal is never held to more than this
ZERO_FLOOR = Fraction(1, 10**12)  # absolute tolerance when the true value is 0
ROUNDING_SAFETY = 4  # the first-order rounding bound, made generous


@dataclass(frozen=True)
class Verdict:
    expectation: Expectation
    correct: object  # the true value (Fraction in exact mode where rational, else float)
    ok: bool
    tolerance: Fraction | None  # the largest |given - correct| accepted (None for an answer of many elements)
    rule: str  # the rule applied, in words: "±0.01 (one unit of the last digit)"
    # An answer written as nested lists: a verdict per element, row-major (then `correct` holds the correct
    # elements, and ok is whether all are right); () for a number.
    elements: tuple[Verdict, ...] = ()
    transposed: bool = False  # a wrong square matrix whose every element is right in the transpose

    @property
    def target(self) -> str:
        return self.expectation.target

    @property
    def kind(self) -> str:
        return self.expectation.kind

    @property
    def wrong_elements(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.elements if not v.ok)

    @property
    def off_by(self):
        """given - correct for a number (a Fraction where both are exact); None where either is undefined."""
        given = self.expectation.answer.value
        if given is None or self.elements or type(self.correct) is Undefined:
            return None
        if isinstance(self.correct, float):
            return float(given) - self.correct
        return given - self.correct


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


def _as_fraction(value) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(value)


def _relative_words(relative: Fraction | float) -> str:
    return f"{format_number(float(relative), 3)} relative"


def grade_one(expectation: Expectation, correct, tolerance: float | None = None, truth=None,
              rounding: float = 0.0) -> Verdict:
    """The verdict on one answer. `correct` is the value shown; `truth` (default: `correct`) the one compared
    with, exact where it can be; `rounding` bounds how far a float truth can be from the true value."""
    answer = expectation.answer
    true = correct if truth is None else truth
    if type(true) is Undefined or answer.form == UNDEFINED_ANSWER:
        return _grade_undefined(expectation, correct, true)
    true = _as_fraction(true)
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
    ok = abs(given - true) <= allowed
    # A bound that is not finite (the error of cbrt near 0, whose derivative is infinite) bounds nothing: the
    # answer is graded against the value shown, without a rounding allowance.
    if not ok and rounding and math.isfinite(rounding) and abs(given - true) <= allowed + _as_fraction(rounding):
        ok, allowed = True, allowed + _as_fraction(rounding)
        rule = f"±{format_number(float(allowed), 3)} (with the rounding error of floating point)"
    return Verdict(expectation, correct, ok, allowed, rule)


def _grade_undefined(expectation: Expectation, correct, true) -> Verdict:
    """An answer where the true value is undefined, or the answer `undefined`: right when both are."""
    missing = type(true) is Undefined
    if expectation.answer.form == UNDEFINED_ANSWER:
        rule = "undefined at this point" if missing else "it is a number at this point"
        return Verdict(expectation, correct, missing, Fraction(0), rule)
    return Verdict(expectation, correct, False, Fraction(0), f"no number is right: it is {true.word} here")


def correct_value(result: Result, expectation: Expectation):
    """The number (or, in a program with vectors or matrices, the whole tensor) an answer is about."""
    if expectation.kind == GRADIENT:
        grad = result.grads[expectation.node]
        zero = Fraction(0) if result.exact else 0.0
        if grad is None and getattr(result, "tensor", False):  # a node the output does not depend on
            return _zeros(result, expectation.node, zero)
        return zero if grad is None else grad
    return result.values[expectation.node]


def _zeros(result, node: int, zero):
    shape = result.shape(node)
    return result.backend.zeros(shape) if shape else zero


def grade(result: Result, items: Iterable[Expectation], tolerance: float | None = None,
          backward_order: Sequence[int] | None = None, truth: Result | None = None) -> Grade:
    """Grade each expectation; find where a chain of answers first went wrong.

    result: the values shown; truth: the same program computed exactly where it is rational (default:
    result), which answers are compared with. backward_order: node positions in the order the backward
    pass visits them (default: the reverse sweep, from the output down the tape). A program with vectors or
    matrices (a TensorResult) is graded element by element (grade_tensors).
    """
    items = list(items)
    truth = truth if truth is not None else result
    tensor = getattr(truth, "tensor", False)
    if tensor:
        verdicts = grade_tensors(result, items, tolerance, truth)
    else:
        truths = [correct_value(truth, e) for e in items]
        errors = _rounding_errors(truth, items, truths)
        verdicts = tuple(
            grade_one(e, correct_value(result, e), tolerance, t, errors[k] * ROUNDING_SAFETY if errors else 0.0)
            for k, (e, t) in enumerate(zip(items, truths))
        )
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
            if v is not first_wrong and not (tensor and v.expectation.node == node):  # (W and W[1, 0]: one node)
                (carried if feeding[v.expectation.node] else separate).append(v)
    return Grade(verdicts, tolerance, first_wrong, first_wrong_value, tuple(right_before), tuple(carried),
                 tuple(separate))


# ---------------------------------------------------------------- vectors and matrices


def grade_tensors(result, items: Sequence[Expectation], tolerance: float | None, truth) -> tuple[Verdict, ...]:
    """The verdicts on answers to a program with vectors or matrices (TensorResults: `result` shown, `truth`
    exact where rational): every element by grade_one, with its float's rounding error where it has one."""
    blocks = [_block(truth, e) for e in items]
    errors = None
    if any(not isinstance(x, (Fraction, int)) for block in blocks for x in block):
        from ..engine.tensor_rounding import rounding_errors

        errors = rounding_errors(truth) if truth.exact else None
    verdicts = []
    for e, block in zip(items, blocks):
        shown = _block(result, e)
        rounding = [0.0] * len(block)
        if errors is not None:
            found = (errors[1] if e.kind == GRADIENT else errors[0])[e.node]
            if found is not None:
                start = _offset(truth, e)
                rounding = [x * ROUNDING_SAFETY for x in found[start:start + len(block)]]
        if e.answer.form != TENSOR_ANSWER:
            verdicts.append(grade_one(e, shown[0], tolerance, block[0], rounding[0]))
            continue
        elements = tuple(grade_one(element, shown[j], tolerance, block[j], rounding[j])
                         for j, element in enumerate(e.elements))
        ok = all(v.ok for v in elements)
        rule = _rules_in_words([v.rule for v in elements])
        verdicts.append(Verdict(e, tuple(shown), ok, None, rule, elements,
                                not ok and _transposed(e, block, shown, tolerance, rounding)))
    return tuple(verdicts)


def _rules_in_words(rules: list[str]) -> str:
    """The rules applied to a tensor's elements, in one cell: the rule they share (elements whose true value is
    0 aside: the rule under the table says what holds there), or the kind of rule they share when its
    amount differs by element (`last digit, by element`), else `by element`."""
    distinct = list(dict.fromkeys(rules))
    if len(distinct) > 1:
        distinct = [rule for rule in distinct if not rule.endswith("(true value 0)")] or distinct
    if len(distinct) == 1:
        return distinct[0]
    kinds = {rule.partition(" (")[2] for rule in distinct if rule.startswith("±")}
    if len(kinds) == 1 and all(rule.startswith("±") for rule in distinct):  # ±0.01 (last digit), ±0.001 (...)
        return f"{kinds.pop().rstrip(')')}, by element"
    return "by element"


def _offset(result, e: Expectation) -> int:
    """The row-major position of the first element of the block an answer is about (its index, then 0s)."""
    node_shape = result.shape(e.node)
    position = 0
    for axis, n in enumerate(node_shape):
        position = position * n + (e.index[axis] if axis < len(e.index) else 0)
    return position


def _block(result, e: Expectation) -> list:
    """The numbers an answer is about, row-major: the whole node's, or its element or block (W[1] is row 1)."""
    whole = result.flat(correct_value(result, e))
    start = _offset(result, e)
    count = 1
    for n in e.shape:
        count *= n
    return whole[start:start + count]


def _transposed(e: Expectation, block: list, shown: list, tolerance, rounding: list) -> bool:
    """Whether a wrong square matrix answer is right element by element as the transpose of the truth."""
    if len(e.shape) != 2 or e.shape[0] != e.shape[1] or e.shape[0] < 2:
        return False
    n = e.shape[0]
    for j, element in enumerate(e.elements):
        r, c = divmod(j, n)
        k = c * n + r
        if not grade_one(element, shown[k], tolerance, block[k], rounding[k]).ok:
            return False
    return True


def _rounding_errors(truth: Result, items: list[Expectation], truths: list) -> list[float] | None:
    """Per expectation, how far a float truth can be from the true value; None when every truth is exact."""
    if all(isinstance(t, (Fraction, int, Undefined)) for t in truths):  # (an undefined truth has no error)
        return None
    from ..engine.rounding import gradient_errors, value_errors

    value_error = value_errors(truth)
    gradient_error = gradient_errors(truth, value_error) if any(e.kind == GRADIENT for e in items) else None
    return [(gradient_error if e.kind == GRADIENT else value_error)[e.node] for e in items]


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
