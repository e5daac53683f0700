"""The steps that lead to a correct value, for `backprop check`'s wrong answers.

The steps are the worked solution's (steps.py) and are written by explain's text
renderer, so `check` and `explain` show a step the same way. More than MAX_LINES
steps are elided in the middle, as eval's tables are past --max-rows: the first
and the last MAX_LINES / 2 are shown, and a line says how many are left out and
which command shows them all. So is a sum of more than MAX_TERMS terms (an input
used thousands of times), within its line.
"""
from __future__ import annotations

from ..engine.compute import Result
from ..engine.local import ancestors
from ..teaching.steps import INPUT_STEP, backward_steps, forward_steps, slice_steps
from .explain import TextDialect, forward_line
from .explain_parts import backward_part_terms, dedupe, unreached_note

MAX_LINES = 200
MAX_TERMS = 12


def _elided(items: list, whole: str, write=lambda line: line) -> list[str]:
    """The lines `write` makes of `items`, elided in the middle past MAX_LINES (only the lines shown are
    written: a wrong answer's steps on a 100,000-node program cost what 200 lines cost)."""
    if len(items) <= MAX_LINES:
        return [write(item) for item in items]
    half = MAX_LINES // 2
    left_out = len(items) - 2 * half
    return [*map(write, items[:half]), f"... {left_out:,} more steps, not shown here ({whole} shows every step)",
            *map(write, items[-half:])]


def _sum(terms: tuple[str, ...]) -> str:
    if len(terms) <= MAX_TERMS:
        return " + ".join(terms)
    half = MAX_TERMS // 2
    return " + ".join([*terms[:half], f"... ({len(terms) - 2 * half:,} more terms)", *terms[-half:]])


def _backward_line(step, dialect: TextDialect) -> str:
    """explain.backward_line, with long sums elided."""
    line = " = ".join(dedupe([_sum(terms) for terms in backward_part_terms(step, dialect)]))
    note = unreached_note(step)
    return f"{line}   ({note})" if note else line


# The last result's backward steps: every wrong answer of one check slices the same list (teaching/steps.py
# slice_steps), so the chain rule over the whole tape is worked out once, not once per wrong answer.
_computed: list = [None, None]


def _all_steps(result: Result) -> list:
    if _computed[0] is not result:
        _computed[:] = [result, backward_steps(result)]
    return _computed[1]


def gradient_steps(result: Result, name: str, digits: int | None) -> list[str]:
    """The chain rule from the output down to `name`, one line a node (only the paths that reach it)."""
    dialect = TextDialect(digits)
    return _elided(slice_steps(result, _all_steps(result), name), f"`backprop explain --wrt {name}`",
                   lambda step: _backward_line(step, dialect))


def value_steps(result: Result, node: int, digits: int | None) -> list[str]:
    """The forward pass up to `node`: the lines of the nodes its value is computed from, and its own."""
    tape = result.tape
    needed = ancestors(tape, node)
    lines = []
    for step in forward_steps(result):
        if not needed[step.node]:
            continue
        if step.kind == INPUT_STEP and step.node != node:
            continue
        line = forward_line(step, digits)
        lines.append(f"{line}   (given)" if step.kind == INPUT_STEP else line)
    return _elided(lines, "`backprop explain`")
