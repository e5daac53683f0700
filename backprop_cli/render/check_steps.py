"""The steps that lead to a correct value, for `backprop check`'s wrong answers.

The steps are the worked solution's (steps.py) and are written by explain's text
renderer, so `check` and `explain` show a step the same way.
"""
from __future__ import annotations

from ..engine.compute import Result
from ..engine.local import ancestors
from ..teaching.steps import INPUT_STEP, backward_steps, forward_steps
from .explain import backward_line, forward_line


def gradient_steps(result: Result, name: str, digits: int | None) -> list[str]:
    """The chain rule from the output down to `name`, one line a node (only the paths that reach it)."""
    return [backward_line(step, digits) for step in backward_steps(result, wrt=name)]


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
    return lines
