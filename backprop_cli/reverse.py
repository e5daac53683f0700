"""Reverse mode (backpropagation): the tape swept backwards.

Each node's gradient (its adjoint, d output / d node) is the upstream gradient
for its arguments: every edge contributes upstream x local, and contributions
to a node used several times add up.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .tape import Tape


@dataclass(frozen=True)
class Backward:
    grads: list  # d output / d node, None for nodes that are not differentiated (constants)
    contributions: list  # per node: upstream x local for each argument (None where not needed)


def backward(tape: Tape, partials: Sequence, active: Sequence[bool], one=1.0, zero=0.0) -> Backward:
    nodes = tape.nodes
    grads: list = [zero] * len(nodes)
    contributions: list = [None] * len(nodes)
    grads[tape.output] = one
    for i in range(len(nodes) - 1, -1, -1):
        local = partials[i]
        if local is None:
            continue
        upstream = grads[i]
        sent = tuple(None if d is None else upstream * d for d in local)
        contributions[i] = sent
        for a, c in zip(nodes[i].args, sent):
            if c is not None:
                grads[a] = grads[a] + c
    for i, is_active in enumerate(active):
        if not is_active:
            grads[i] = None
    return Backward(grads, contributions)
