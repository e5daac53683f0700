"""Local derivatives: d node / d argument for every edge that can carry a gradient.

An edge carries a gradient when its argument is *active* (an input, a named
node, or computed from one) and its node lies on a path to the output. Edges
into plain constants are never differentiated, so `a^2` at a = -3 needs no
log(-3). Nodes sitting exactly on a kink (relu or abs at 0, a max/min tie) are
recorded with their one-sided derivatives: there the gradient is a convention.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from .arithmetic import FLOAT
from .errors import MathError
from .forward import node_error
from .ops import OPS, DomainError
from .tape import CONST, INPUT, Tape


@dataclass(frozen=True)
class Kink:
    node: int  # position in the tape
    op: str
    used: tuple  # the conventional derivative used, per argument
    one_sided: tuple  # (left, right) per argument


def active_nodes(tape: Tape) -> list[bool]:
    """Nodes whose gradient is computed: inputs, named nodes, and anything computed from them."""
    active = [False] * len(tape.nodes)
    for i, node in enumerate(tape.nodes):
        active[i] = node.op == INPUT or node.name is not None or any(active[a] for a in node.args)
    return active


def reaches_output(tape: Tape) -> list[bool]:
    """Nodes on some path to the output (the rest get gradient 0 without any work)."""
    reach = [False] * len(tape.nodes)
    reach[tape.output] = True
    for i in range(len(tape.nodes) - 1, -1, -1):
        if reach[i]:
            for a in tape.nodes[i].args:
                reach[a] = True
    return reach


def local_partials(tape: Tape, values: Sequence, arithmetic=FLOAT) -> tuple[list, list[bool], list[Kink]]:
    """Per node: a tuple of d node / d arg (None where not needed), or None for leaves and idle nodes."""
    active = active_nodes(tape)
    reach = reaches_output(tape)
    partials: list = [None] * len(tape.nodes)
    kinks: list[Kink] = []
    for i, node in enumerate(tape.nodes):
        if node.op in (INPUT, CONST) or not reach[i] or not active[i]:
            continue
        op = OPS[node.op]
        args = [values[a] for a in node.args]
        row = []
        for rule, a in zip(op.partials, node.args):
            if not active[a]:
                row.append(None)
                continue
            try:
                d = arithmetic.coerce(rule(*args, values[i]))
            except DomainError as err:
                raise node_error(tape, i, values, f"the derivative does not exist: {err}") from None
            except MathError as err:
                raise node_error(tape, i, values, err.message) from None
            except (ZeroDivisionError, OverflowError, ValueError):
                raise node_error(tape, i, values, f"the derivative of {node.op} is not finite here") from None
            if isinstance(d, float) and not math.isfinite(d):
                raise node_error(tape, i, values, f"the derivative of {node.op} is not finite here")
            row.append(d)
        partials[i] = tuple(row)
        if op.branch is not None and op.branch(*args) == 0:
            kinks.append(Kink(i, node.op, tuple(row), op.one_sided))
    return partials, active, kinks
