"""Exercise sets for `backprop generate`: the records, the drawing loop and the answers.

A template (exercise_templates.py) draws a `Draft` from a seeded `random.Random`: the program, the
given inputs as a student would type them (`0.5`, `log(3)`, `[0, log(2), log(3)]`) and what to
compute. `solve` then computes every answer with the engine, the same sweeps `eval` and `check` run,
and refuses a draft whose point sits on a kink, whose numbers are undefined, whose answers include a
0 (a gradient that teaches nothing) or are not short: each must be a decimal of at most 4 significant
digits or a fraction with a small denominator, or, where the template knows the value is irrational
(the loss of a softmax, log(6)), the closed form it gives, which must agree with the engine's number.
A refused draft is drawn again from the same generator, so a seed always gives the same set.
"""
from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import NamedTuple

from ..base.errors import BackpropError, UsageError
from ..engine.arithmetic import EXACT, FLOAT
from ..engine.bindings import resolve, value_of
from ..engine.compute import differentiate
from ..engine.tape import lower
from ..language.parser import parse
from .exercise_templates import TEMPLATES, Draft, Template

COUNT_RANGE = (1, 1000)
MAX_SEED = 2 ** 63 - 1
# "Short": a decimal of at most SIGNIFICANT_DIGITS digits and MAX_PLACES places (0.25, -0.0045, 0.00025),
# else a fraction whose denominator is at most MAX_DENOMINATOR (2/3, 7/640); 1/123456 is neither.
SIGNIFICANT_DIGITS = 4
MAX_PLACES = 8
MAX_DENOMINATOR = 2000
RATIONAL_DENOMINATOR = 10 ** 9  # what a float past a log or a sigmoid may stand for, before "short" is asked
CLOSED_FORM_TOLERANCE = 1e-12  # relative: the closed form of an irrational answer against the engine's float
TRIES = 200  # drafts drawn for one exercise before giving up (the templates need a handful at most)


class Exercise(NamedTuple):
    """A drawn and solved exercise: the draft and its answers as `check --answers` reads them."""

    template: str
    number: int
    draft: Draft
    answers: tuple[tuple[str, str], ...]  # (target, answer text), in the order of draft.targets

    @property
    def program(self) -> str:
        """The program on one line, as it is passed to explain and check."""
        return "; ".join(self.draft.statements)

    @property
    def bindings(self) -> tuple[str, ...]:
        return tuple(f"{name}={text}" for name, text in self.draft.given)


class ExerciseSet(NamedTuple):
    template: str
    seed: int
    exercises: tuple[Exercise, ...]


class Unfit(Exception):
    """A draft the engine shows is not a good exercise (a kink, an undefined number, a long answer)."""


def generate(template: str, seed: int, count: int = 1) -> ExerciseSet:
    """`count` exercises of `template`, drawn from random.Random(seed); the same arguments, the same set."""
    found = find_template(template)
    check_seed(seed)
    check_count(count)
    rng = random.Random(seed)
    exercises: list[Exercise] = []
    seen: set[tuple] = set()
    for number in range(1, count + 1):
        exercise = None
        for attempt in range(TRIES):
            draft = found.draw(rng)
            if draft is None or (_key(draft) in seen and attempt < TRIES // 2):  # repeats only when forced
                continue
            try:
                exercise = Exercise(found.name, number, draft, solve(draft))
            except Unfit:
                continue
            break
        if exercise is None:  # pragma: no cover - the tests draw thousands of sets of every template
            raise RuntimeError(f"template {found.name} drew no fit exercise in {TRIES} tries")
        seen.add(_key(exercise.draft))
        exercises.append(exercise)
    return ExerciseSet(found.name, seed, tuple(exercises))


def _key(draft: Draft) -> tuple:
    return draft.statements, draft.given


def templates() -> dict[str, Template]:
    return TEMPLATES


def find_template(name: str) -> Template:
    table = templates()
    if name in table:
        return table[name]
    import difflib

    close = difflib.get_close_matches(name, list(table), n=1, cutoff=0.5)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise UsageError(f"no template named {name!r}{hint}; the templates are {', '.join(table)} "
                     "(backprop generate --list describes each)")


def check_seed(seed: int) -> None:
    if not 0 <= seed <= MAX_SEED:
        raise UsageError(f"--seed must be a whole number from 0 to {MAX_SEED}, not {seed}: the same seed "
                         "always gives the same exercises")


def check_count(count: int) -> None:
    low, high = COUNT_RANGE
    if not low <= count <= high:
        raise UsageError(f"--count must be from {low} to {high}, not {count}: it is how many exercises the set has")


# ---------------------------------------------------------------------------------------------
# Solving: the engine's numbers, written short

def solve(draft: Draft) -> tuple[tuple[str, str], ...]:
    """Each target's answer as check reads it, computed by the engine; Unfit if the draft is not a good exercise."""
    program = "; ".join(draft.statements)
    try:
        tape = lower(parse(program))
        inputs = resolve(tape, draft.given, EXACT)
        if tape.tensor or any(type(v) is list for v in inputs.values()):
            from ..engine.shaping import shaped

            tape = shaped(tape, inputs)
        result = differentiate(tape, inputs, EXACT, forward_mode=False)
    except BackpropError as err:  # undefined at the point (a division by 0): draw again
        raise Unfit(err.message) from err
    if result.kinks:
        raise Unfit("a node sits on a kink")
    closed = dict(draft.closed_forms)
    answers = []
    for target in draft.targets:
        number = _number(result, target)
        if target in closed:
            answers.append((target, _closed_form(closed[target], number)))
        else:
            answers.append((target, _short(number, result)))
        if answers[-1][1] == "0":  # a zero gradient (or loss) teaches nothing: y = t, a dead relu, a symmetry
            raise Unfit(f"{target} is 0")
    return tuple(answers)


def _node(tape, name: str) -> int:
    for i, node in enumerate(tape.nodes):
        if node.name == name:
            return i
    raise ValueError(f"the program has no node {name}")  # a template's mistake, caught by the tests


def _number(result, target: str):
    if target == "value":
        return result.value
    if target.endswith(".value"):
        return result.values[_node(result.tape, target[:-len(".value")])]
    return result.grads[_node(result.tape, target)]


def _short(number, result) -> str:
    if result.tensor:
        nested = result.nested(number)
        if type(nested) is list:
            return _list_text(nested)
        number = nested
    return short_text(number)


def _list_text(nested) -> str:
    # nested lists of numbers, written as check reads them; short_text for each element (explicit stack)
    parts: list[str] = []
    stack: list = [("open", nested)]
    while stack:
        kind, item = stack.pop()
        if kind == "text":
            parts.append(item)
        elif type(item) is list:
            stack.append(("text", "]"))
            for k in range(len(item) - 1, -1, -1):
                stack.append(("open", item[k]))
                if k:
                    stack.append(("text", ", "))
            stack.append(("text", "["))
        else:
            parts.append(short_text(item))
    return "".join(parts)


def exact_fraction(number) -> Fraction:
    """The engine's number as the short fraction it stands for; Unfit if it is not one.

    In exact arithmetic a rational value is a Fraction already; past a log or a sigmoid it is a float,
    which is the fraction the template designed (σ(log 3) = 3/4) within rounding, or no short fraction."""
    if isinstance(number, Fraction):
        fraction = number
    elif isinstance(number, (int, float)) and math.isfinite(number):
        fraction = Fraction(number).limit_denominator(RATIONAL_DENOMINATOR)
        if abs(float(fraction) - number) > 1e-12 * max(1.0, abs(number)):
            raise Unfit(f"{number!r} is no short fraction")
    else:
        raise Unfit(f"{number!r} is not a number")
    return fraction


def short_text(number) -> str:
    """An answer as short as it is exact: 3, -0.25, 0.00025 (a decimal of at most 4 significant digits),
    else a fraction: 2/3, -7/640, 3/64."""
    fraction = exact_fraction(number)
    if fraction.denominator == 1:
        if len(str(abs(fraction.numerator))) > MAX_PLACES:
            raise Unfit(f"{fraction} is not short")
        return str(fraction)
    places = next((p for p in range(1, MAX_PLACES + 1) if (fraction * 10 ** p).denominator == 1), None)
    if places is not None:
        digits = str(abs(fraction * 10 ** places).numerator)
        if len(digits) <= SIGNIFICANT_DIGITS:
            sign = "-" if fraction < 0 else ""
            whole, rest = divmod(abs(int(fraction * 10 ** places)), 10 ** places)
            return f"{sign}{whole}.{str(rest).rjust(places, '0')}"
    if fraction.denominator > MAX_DENOMINATOR:
        raise Unfit(f"{fraction} is not short")
    return str(fraction)


def _closed_form(text: str, number) -> str:
    """The template's closed form of an irrational answer, after checking it against the engine's number."""
    expected = float(value_of(FLOAT, text, f"the closed form {text}"))
    if abs(expected - float(number)) > CLOSED_FORM_TOLERANCE * max(1.0, abs(expected)):
        raise ValueError(f"closed form {text} = {expected!r}, the engine says {number!r}")  # a template's bug
    return text
