"""Grading a student's answers against the computed values and gradients (`backprop check`).

Pure logic, no printing. The answers come read and resolved from answers.py.

The grading rule gives one of three verdicts (Verdict.status):
- CORRECT: an integer, fraction or expression that matches to 1e-9 relative
  (1e-12 absolute when the true value is 0), or a decimal correctly rounded:
  within half a unit of its last written digit (`0.67` has unit 0.01, so 0.67
  is 2/3 rounded; `2.5e-3` has unit 1e-4), never stricter than 1e-12 relative;
- ACCEPTED: a decimal within one unit of its last written digit but not half:
  cut off instead of rounded (0.66 for 2/3), or a rounding carried from an
  earlier step (1.4 for 4/3); the verdict's note says which digit is off and
  what correct rounding gives. `strict=True` (--strict) makes it WRONG;
- WRONG: anything further off;
- `--tolerance T` replaces the rule (correct or wrong, no accepted):
  |given - true| <= T * |true| (<= T when the true value is 0);
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

from ..base.numbers import exact_text, format_number
from ..base.undefined import Undefined
from ..engine.compute import Result
from ..engine.local import ancestors
from ..engine.tape import Tape
from .answers import GRADIENT, TENSOR_ANSWER, UNDEFINED_ANSWER, Expectation

CORRECT, ACCEPTED, WRONG = "correct", "accepted", "wrong"  # Verdict.status, best first
EXACT_RELATIVE = Fraction(1, 10**9)  # integers, fractions and expressions
DECIMAL_FLOOR_RELATIVE = Fraction(1, 10**12)  # a decimal is never held to more than this
ZERO_FLOOR = Fraction(1, 10**12)  # absolute tolerance when the true value is 0
ROUNDING_SAFETY = 4  # the first-order rounding bound, made generous


@dataclass(frozen=True)
class Verdict:
    expectation: Expectation
    correct: object  # the true value (Fraction in exact mode where rational, else float)
    status: str  # CORRECT, ACCEPTED or WRONG (ACCEPTED is WRONG under --strict)
    tolerance: Fraction | None  # the largest |given - correct| of its status (None for an answer of many elements)
    rule: str  # the rule applied, in words: "±0.005 (half the last digit)"
    # An answer written as nested lists: a verdict per element, row-major (then `correct` holds the correct
    # elements, and status is the worst of theirs); () for a number.
    elements: tuple[Verdict, ...] = ()
    transposed: bool = False  # a wrong square matrix whose every element is right in the transpose
    # For an accepted decimal: which digit is off and what correct rounding gives ("0.6 is 2/3 cut off, not
    # rounded: to 1 decimal it rounds to 0.7"); "" otherwise.
    note: str = ""

    @property
    def ok(self) -> bool:
        """Not wrong: correct, or accepted (an accepted answer is wrong under --strict)."""
        return self.status != WRONG

    @property
    def accepted_elements(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.elements if v.status == ACCEPTED)

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
    strict: bool  # --strict: an accepted answer is wrong
    first_wrong: Verdict | None  # the wrong gradient answer that comes first in backward order
    first_wrong_value: Verdict | None  # the wrong value answer that comes first in forward order
    right_before: tuple[Verdict, ...] = ()  # right gradients between first_wrong and the output
    carried: tuple[Verdict, ...] = ()  # other wrong gradients computed through first_wrong's node
    separate: tuple[Verdict, ...] = ()  # other wrong gradients on paths that avoid it
    kinks: tuple[KinkUse, ...] = ()  # the kinks a graded gradient goes through (kinks_used)
    # (target, conventions): a wrong gradient answer that is right under another --convention (right_under)
    right_under: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.verdicts)

    @property
    def wrong(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if not v.ok)

    @property
    def accepted(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if v.status == ACCEPTED)

    def count(self, status: str) -> int:
        return sum(1 for v in self.verdicts if v.status == status)

    @property
    def gradient_answers(self) -> int:
        return sum(1 for v in self.verdicts if v.kind == GRADIENT)


def _as_fraction(value) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(value)


def _relative_words(relative: Fraction | float) -> str:
    return f"{format_number(float(relative), 3)} relative"


def grade_one(expectation: Expectation, correct, tolerance: float | None = None, truth=None,
              rounding: float = 0.0, strict: bool = False) -> Verdict:
    """The verdict on one answer. `correct` is the value shown; `truth` (default: `correct`) the one compared
    with, exact where it can be; `rounding` bounds how far a float truth can be from the true value."""
    answer = expectation.answer
    true = correct if truth is None else truth
    if type(true) is Undefined or answer.form == UNDEFINED_ANSWER:
        return _grade_undefined(expectation, correct, true)
    true = _as_fraction(true)
    given = _as_fraction(answer.value)
    size = abs(true)
    accept = None  # the band of an accepted answer, past the correct one: (allowed, rule), for a decimal
    if tolerance is not None:
        relative = _as_fraction(tolerance)
        if true == 0:
            allowed, rule = relative, f"±{format_number(tolerance, 3)} (--tolerance, true value 0)"
        else:
            allowed, rule = relative * size, f"{_relative_words(tolerance)} (--tolerance)"
    elif answer.form == "decimal":
        floor = DECIMAL_FLOOR_RELATIVE * size
        half = answer.unit / 2
        if half >= floor:
            allowed, rule = half, f"±{format_number(float(half), 3)} (half the last digit)"
            accept = (answer.unit, f"±{format_number(float(answer.unit), 3)} (one unit, last digit)")
        elif answer.unit > floor:
            allowed, rule = floor, _relative_words(DECIMAL_FLOOR_RELATIVE)
            accept = (answer.unit, f"±{format_number(float(answer.unit), 3)} (one unit, last digit)")
        else:
            allowed, rule = floor, _relative_words(DECIMAL_FLOOR_RELATIVE)
    elif true == 0:
        allowed, rule = ZERO_FLOOR, f"±{format_number(float(ZERO_FLOOR), 3)} (true value 0)"
    else:
        allowed, rule = EXACT_RELATIVE * size, _relative_words(EXACT_RELATIVE)
    # A bound that is not finite (the error of cbrt near 0, whose derivative is infinite) bounds nothing: the
    # answer is graded against the value shown, without a rounding allowance.
    slack = _as_fraction(rounding) if rounding and math.isfinite(rounding) else Fraction(0)
    off = abs(given - true)
    if off <= allowed:
        return Verdict(expectation, correct, CORRECT, allowed, rule)
    if off <= allowed + slack:
        allowed += slack
        return Verdict(expectation, correct, CORRECT, allowed,
                       f"±{format_number(float(allowed), 3)} (with the rounding error of floating point)")
    if accept is not None and off <= accept[0] + slack:
        status = WRONG if strict else ACCEPTED
        rule = accept[1] + (" (--strict: wrong)" if strict else "")
        return Verdict(expectation, correct, status, accept[0], rule, note=_rounding_note(answer, true, truth
                                                                                         if truth is not None
                                                                                         else correct))
    return Verdict(expectation, correct, WRONG, allowed, rule)


def _rounding_note(answer, true: Fraction, shown) -> str:
    """Why a decimal one unit off its last digit is accepted, not correct: `0.6 is 2/3 cut off, not rounded: to 1
    decimal it rounds to 0.7`, or `1.4 is one unit off in its last digit (a rounding carried from an earlier
    step?): to 1 decimal 4/3 rounds to 1.3`."""
    unit = answer.unit
    steps = true / unit
    rounded = math.floor(steps + Fraction(1, 2)) * unit  # (a tie is within half a unit: correct, never here)
    cut = math.trunc(steps) * unit
    places = _places(unit)
    where = (f"to {places} decimal{'s' * (places != 1)}" if places > 0 else "to a whole number" if unit == 1
             else f"to the nearest {_plain(unit, 0)}")
    truth = exact_text(shown) if isinstance(shown, Fraction) and shown.denominator <= 1000 else format_number(
        float(true))
    written = _plain(rounded, places)
    if _as_fraction(answer.value) == cut:
        return f"{answer.text} is {truth} cut off, not rounded: {where} it rounds to {written}"
    return (f"{answer.text} is one unit off in its last digit (a rounding carried from an earlier step?): "
            f"{where} {truth} rounds to {written}")


def _places(unit: Fraction) -> int:
    """How many decimals a unit of the last digit stands for: 2 for 0.01, 0 for 1 or 10."""
    places = 0
    while unit < 1:
        unit *= 10
        places += 1
    return places


def _plain(value: Fraction, places: int) -> str:
    """A multiple of a unit written out with `places` decimals: 0.7, -1.30, 150."""
    if places == 0:
        return str(int(value))
    sign = "-" if value < 0 else ""
    scaled = abs(value) * 10**places
    whole, frac = divmod(int(scaled), 10**places)
    return f"{sign}{whole}.{frac:0{places}d}"


def _grade_undefined(expectation: Expectation, correct, true) -> Verdict:
    """An answer where the true value is undefined, or the answer `undefined`: right when both are."""
    missing = type(true) is Undefined
    if expectation.answer.form == UNDEFINED_ANSWER:
        rule = "undefined at this point" if missing else "it is a number at this point"
        return Verdict(expectation, correct, CORRECT if missing else WRONG, Fraction(0), rule)
    return Verdict(expectation, correct, WRONG, Fraction(0), f"no number is right: it is {true.word} here")


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
          backward_order: Sequence[int] | None = None, truth: Result | None = None, strict: bool = False) -> Grade:
    """Grade each expectation; find where a chain of answers first went wrong.

    result: the values shown; truth: the same program computed exactly where it is rational (default:
    result), which answers are compared with. backward_order: node positions in the order the backward
    pass visits them (default: the reverse sweep, from the output down the tape). A program with vectors or
    matrices (a TensorResult) is graded element by element (grade_tensors). strict: an answer one unit off its
    last digit is wrong, not accepted (--strict).
    """
    items = list(items)
    truth = truth if truth is not None else result
    tensor = getattr(truth, "tensor", False)
    if tensor:
        verdicts = grade_tensors(result, items, tolerance, truth, strict)
    else:
        truths = [correct_value(truth, e) for e in items]
        errors = _rounding_errors(truth, items, truths)
        verdicts = tuple(
            grade_one(e, correct_value(result, e), tolerance, t, errors[k] * ROUNDING_SAFETY if errors else 0.0,
                      strict)
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
    return Grade(verdicts, tolerance, strict, first_wrong, first_wrong_value, tuple(right_before), tuple(carried),
                 tuple(separate), kinks_used(result, verdicts))


# ---------------------------------------------------------------- vectors and matrices


def grade_tensors(result, items: Sequence[Expectation], tolerance: float | None, truth,
                  strict: bool = False) -> tuple[Verdict, ...]:
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
            verdicts.append(grade_one(e, shown[0], tolerance, block[0], rounding[0], strict))
            continue
        elements = tuple(grade_one(element, shown[j], tolerance, block[j], rounding[j], strict)
                         for j, element in enumerate(e.elements))
        status = worst(v.status for v in elements)
        rule = _rules_in_words([v.rule for v in elements])
        verdicts.append(Verdict(e, tuple(shown), status, None, rule, elements,
                                status == WRONG and _transposed(e, block, shown, tolerance, rounding)))
    return tuple(verdicts)


def worst(statuses: Iterable[str]) -> str:
    """The verdict on an answer of many elements: the worst of theirs (CORRECT when there are none)."""
    statuses = set(statuses)
    return WRONG if WRONG in statuses else ACCEPTED if ACCEPTED in statuses else CORRECT


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


def rule_statement(tolerance: float | None, strict: bool = False) -> str:
    """The grading rule in one sentence, for under the table and the JSON."""
    if tolerance is not None:
        return (f"every answer must be within {format_number(tolerance, 3)} relative of the true value "
                f"(--tolerance; {format_number(tolerance, 3)} absolute when the true value is 0)")
    one_unit = "wrong (--strict)" if strict else "accepted (cut off, or rounded from a rounded step)"
    return ("a decimal is correct when rounded right, within half a unit of its last written digit (0.67 for 2/3; "
            f"never stricter than 1e-12 relative), and one unit off (0.66) is {one_unit}; integers, fractions and "
            "expressions are correct within 1e-9 relative (1e-12 absolute when the true value is 0)")


# ---------------------------------------------------------------- kinks: whose convention the grading used

KINKS_TOLD = 5  # kinks a graded gradient goes through that the output names; past this, how many more


@dataclass(frozen=True)
class KinkUse:
    """A node on its kink that a graded gradient goes through: the derivatives the grading used there (the
    result's --convention) and what each other convention gives instead."""

    node: int  # position in the tape
    convention: str
    used: tuple  # the derivative per argument under `convention` (None: an argument not differentiated)
    one_sided: tuple  # (left, right) per argument
    others: tuple[tuple[str, tuple], ...]  # (convention, derivatives per argument), for those that differ
    answers: tuple[Verdict, ...]  # the graded gradients that go through it


def kinks_used(result: Result, verdicts: Sequence[Verdict]) -> tuple[KinkUse, ...]:
    """The kinks (scalar programs) between a graded gradient and the output: there the true value is a
    convention's, and the output says whose. The work is one pass over the tape per gradient answered."""
    kinks = getattr(result, "kinks", None)
    if not kinks or getattr(result, "tensor", False):
        return ()
    from ..engine.conventions import CONVENTIONS, TABLE

    gradients = [v for v in verdicts if v.kind == GRADIENT]
    below = kinks_below(result.tape, [kink.node for kink in kinks])
    answered: list[list] = [[] for _ in kinks]
    for v in gradients:
        mask = below[v.expectation.node]
        while mask:
            low = mask & -mask
            answered[low.bit_length() - 1].append(v)
            mask ^= low
    out = []
    for kink, through in zip(kinks, answered):
        if not through:
            continue
        entry = TABLE.get(kink.op)
        others = []
        if entry is not None:
            for convention in CONVENTIONS:
                picked = tuple(None if u is None else d
                               for u, d in zip(kink.used, entry.rules[convention].pick(tuple(kink.one_sided))))
                if convention != kink.convention and picked != tuple(kink.used):
                    others.append((convention, picked))
        out.append(KinkUse(kink.node, kink.convention, tuple(kink.used), tuple(kink.one_sided), tuple(others),
                           tuple(through)))
    return tuple(out)


def kinks_below(tape: Tape, kink_nodes: Sequence[int]) -> list[int]:
    """Per node, the kinks computed from it (not counting the node itself), as a bit set: bit k stands for
    kink_nodes[k]. One backward pass over the tape whatever the number of answers (a pass per answer made
    check quadratic on a program with a kink and an answer per name)."""
    below = [0] * len(tape.nodes)
    for k, node in enumerate(kink_nodes):
        below[node] |= 1 << k
    nodes = tape.nodes
    for i in range(max(kink_nodes, default=-1), -1, -1):
        mask = below[i]
        if mask:
            for a in nodes[i].args:
                below[a] |= mask
    for k, node in enumerate(kink_nodes):
        below[node] &= ~(1 << k)  # a kink's own gradient does not go through its derivative
    return below
