"""Reverse mode (backpropagation): the tape swept backwards.

Each node's gradient (its adjoint, d output / d node) is the upstream gradient
for its arguments: every edge contributes upstream x local, and contributions
to a node used several times add up.
"""
from __future__ import annotations

from typing import Sequence

from ..base.records import FrozenRecord, set_field
from ..base.undefined import TOO_LARGE, Undefined
from .arithmetic import TINY, OutOfRange
from .local import structure
from .tape import Tape


class Backward(FrozenRecord):
    __slots__ = __match_args__ = ("grads", "contributions")
    grads: list  # d output / d node, None for nodes that are not differentiated (constants)
    contributions: list  # per node: upstream x local for each argument (None where not needed)

    def __init__(self, grads: list, contributions: list) -> None:
        set_field(self, "grads", grads)
        set_field(self, "contributions", contributions)


class Contributions:
    """Per node: upstream x local for each argument (None where not needed), computed when asked for.

    The upstream gradient of node i is its own final gradient (every consumer of i comes after it
    on the tape, so the backward sweep has finished it before it reaches i), so each product is
    the very number the sweep added: storing them all would double the sweep's time and memory.
    """

    __slots__ = ("_grads", "_partials")

    def __init__(self, grads: list, partials: Sequence) -> None:
        self._grads = grads
        self._partials = partials

    def __len__(self) -> int:
        return len(self._partials)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        local = self._partials[i]
        if local is None:
            return None
        upstream = self._grads[i]
        if type(upstream) is Undefined:  # an undefined factor makes the product undefined, whatever the other
            return tuple(None if d is None else upstream for d in local)
        return tuple(None if d is None else d if type(d) is Undefined else self._product(i, upstream, d)
                     for d in local)

    def _product(self, i: int, upstream, d):
        c = upstream * d
        if type(c) is float and c - c:  # two floats of a wide computation whose product is not one (5e349)
            return Undefined(f"the contribution {upstream!r} × {d!r} is too large for a 64-bit float (overflow)", i,
                             word=TOO_LARGE)
        return c

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __eq__(self, other):
        return list(self) == list(other)

    def __repr__(self) -> str:
        return repr(list(self))


def backward(tape: Tape, partials: Sequence, active: Sequence[bool], one=1.0, zero=0.0) -> Backward:
    """The backward sweep over `partials` as local.local_partials gives them (a tuple for each node it
    differentiates, None elsewhere): only those nodes are visited, last to first. Any arithmetic: floats
    (exact mode's inexact steps), fractions, wide decimals; a float that leaves its range is OutOfRange."""
    nodes = tape.nodes
    grads: list = [zero] * len(nodes)
    grads[tape.output] = one
    for i, _, _, _ in reversed(structure(tape)[1]):
        local = partials[i]
        if local is None:
            continue
        upstream = grads[i]
        args = nodes[i].args
        for a, d in zip(args, local):
            if d is not None:
                c = upstream * d
                if type(c) is float and (-TINY < c < TINY and upstream and d):
                    raise OutOfRange  # a float contribution underflowed (exact mode's inexact steps)
                grads[a] = grads[a] + c
    for i, is_active in enumerate(active):
        if not is_active:
            grads[i] = None
        elif type(grads[i]) is float and grads[i] - grads[i]:
            raise OutOfRange
    return Backward(grads, Contributions(grads, partials))


def reverse_pass(tape: Tape, values: Sequence) -> tuple[list, list, list, Backward]:
    """Floats: the local derivatives and the backward sweep in one sweep, last node to first.

    The same numbers as local_partials then backward (each node's derivatives come from its
    forward values alone, and the gradients add up in the same order), one loop instead of two.
    If a derivative fails anywhere, local_partials sweeps in tape order and names the first
    failure, exactly as it always does. Returns (partials, active, kinks, Backward)."""
    from .local import _FAILURES, _FLOAT_OF, _kinks, local_partials
    from .ops import OPS

    nodes = tape.nodes
    active, sweep = structure(tape)
    rules_of = {name: (op.partials, op.branch is not None) for name, op in OPS.items()}
    partials: list = [None] * len(nodes)
    grads: list = [0.0] * len(nodes)
    grads[tape.output] = 1.0
    branching: list = []
    try:
        for i, op, a, b in reversed(sweep):
            rules, branches = rules_of[op]
            if branches:
                branching.append(i)
            out = values[i]
            upstream = grads[i]
            if b >= 0:
                x = values[a]
                y = values[b]
                if active[a]:
                    d = rules[0](x, y, out)
                    if type(d) is not float:
                        d = _FLOAT_OF.get(d) or float(d)  # an int or a fraction: finite (or OverflowError)
                    elif d - d or (-TINY < d < TINY and d):  # inf - inf and nan - nan are nan, which is
                        raise OutOfRange  # true; finite - itself is 0.0: infinite, NaN or subnormal
                    c = upstream * d
                    if -TINY < c < TINY and upstream and d:
                        raise OutOfRange  # the contribution underflowed
                    grads[a] = grads[a] + c
                else:
                    d = None
                if active[b]:
                    e = rules[1](x, y, out)
                    if type(e) is not float:
                        e = _FLOAT_OF.get(e) or float(e)
                    elif e - e or (-TINY < e < TINY and e):
                        raise OutOfRange
                    c = upstream * e
                    if -TINY < c < TINY and upstream and e:
                        raise OutOfRange
                    grads[b] = grads[b] + c
                else:
                    e = None
                partials[i] = (d, e)
            elif b == -2:
                raise ArithmeticError  # an operation of more than two arguments: the general sweeps do it
            elif active[a]:
                d = rules[0](values[a], out)
                if type(d) is not float:
                    d = _FLOAT_OF.get(d) or float(d)
                elif d - d or (-TINY < d < TINY and d):
                    raise OutOfRange
                partials[i] = (d,)
                c = upstream * d
                if -TINY < c < TINY and upstream and d:
                    raise OutOfRange
                grads[a] = grads[a] + c
            else:  # `y = sqrt(2)`: y is named, its constant argument is not differentiated
                partials[i] = (None,)
    except _FAILURES + (ArithmeticError,):  # a rule failed (or an operation of 3+ arguments): the first
        partials, active, kinks = local_partials(tape, values)  # failure in tape order is the one reported
        return partials, active, kinks, backward(tape, partials, active)
    for i, is_active in enumerate(active):
        if not is_active:
            grads[i] = None
        elif grads[i] - grads[i]:
            raise OutOfRange  # a gradient overflowed: wide decimals say whether it truly does not fit
    branching.reverse()
    return partials, list(active), _kinks(tape, values, partials, branching), Backward(grads, Contributions(grads, partials))


def received(tape: Tape, contributions: Sequence) -> list[list[tuple[int, object]]]:
    """Per node: the (consumer, contribution) pairs its gradient is the sum of, from the contributions each
    node sent to its arguments (None where nothing was sent); for scalar and tensor results alike."""
    incoming: list[list] = [[] for _ in tape.nodes]
    for i, sent in enumerate(contributions):
        if sent is not None:
            for a, c in zip(tape.nodes[i].args, sent):
                if c is not None:
                    incoming[a].append((i, c))
    return incoming
