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
from ..teaching.steps import INPUT_STEP, backward_steps, forward_steps
from .explain import TextDialect, forward_line
from .explain_parts import backward_part_terms, dedupe, unreached_note

MAX_LINES = 200
MAX_TERMS = 12


def _elided(lines: list[str], whole: str) -> list[str]:
    if len(lines) <= MAX_LINES:
        return lines
    half = MAX_LINES // 2
    left_out = len(lines) - 2 * half
    return [*lines[:half], f"... {left_out:,} more steps, not shown here ({whole} shows every step)", *lines[-half:]]


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


def gradient_steps(result: Result, name: str, digits: int | None) -> list[str]:
    """The chain rule from the output down to `name`, one line a node (only the paths that reach it)."""
    dialect = TextDialect(digits)
    return _elided([_backward_line(step, dialect) for step in backward_steps(result, wrt=name)],
                   f"`backprop explain --wrt {name}`")


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
