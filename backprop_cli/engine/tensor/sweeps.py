"""Sweeps over a graph of tensor operations: shapes, values, gradients (reverse mode), tangents (forward mode).

A graph is a sequence of nodes in evaluation order. A node has `.op` (a key of rules.TENSOR_OPS), `.args`
(positions of earlier nodes) and `.params` (a dict, or (name, value) pairs; absent means none), which is
what engine/tape.py's Node carries (with params added); `Step` is the minimal such node. Leaves (inputs
and constants) are the positions the caller gives values for; their op is never looked up. `variables`
are the leaf positions that are differentiated (the inputs): anything computed from one is active, and
only active arguments get gradients, so `x^2` at x = -3 never asks for log(-3).

Every sweep is one plain loop over the nodes, forwards or backwards; a node used twice sums its
gradients (the rules' VJPs give each argument's gradient in its own shape, summed back over the axes
broadcasting added, so a fork adds tensors of one shape). A rule's error comes out as Failed(position, error), its message over {0}, {1} and {out} for
the caller to fill with the program's names. In floats, a value that leaves float range raises
arithmetic.OutOfRange; `differentiate` then does the whole computation again in wide decimals and rounds
every number back to a float, as engine/compute.py does for scalars.
"""
from __future__ import annotations

from typing import Collection, Mapping, NamedTuple, Sequence

from ...base.errors import MathError
from ..arithmetic import FLOAT, WIDE, OutOfRange
from ..functions import DomainError
from . import pure
from .backend import choose, shape_of
from .rules import TENSOR_OPS
from .shapes import ShapeError

_RULE_ERRORS = (ShapeError, DomainError, MathError)


class Step(NamedTuple):
    """A node of a tensor graph: an operation of rules.TENSOR_OPS over earlier nodes."""
    op: str
    args: tuple = ()
    params: tuple = ()  # (name, value) pairs: ("axis", 0), ("index", (1, Slice()))


class Failed(Exception):
    """The rule of the node at `position` failed; `error` says why (a ShapeError, DomainError or MathError)."""

    def __init__(self, position: int, error: Exception) -> None:
        super().__init__(position, error)
        self.position = position
        self.error = error


def params_of(node) -> dict:
    params = getattr(node, "params", None) or {}
    return params if isinstance(params, dict) else dict(params)


def shapes(nodes: Sequence, leaf_shapes: Mapping[int, tuple]) -> list[tuple]:
    """The shape of every node, from the leaves' shapes alone (no values): a mismatch is Failed(i, ShapeError)."""
    found: list = [None] * len(nodes)
    for i, node in enumerate(nodes):
        if i in leaf_shapes:
            found[i] = tuple(leaf_shapes[i])
            continue
        try:
            found[i] = TENSOR_OPS[node.op].shape(tuple(found[a] for a in node.args), params_of(node))
        except ShapeError as err:
            raise Failed(i, err) from None
    return found


def work(nodes: Sequence, found: Sequence[tuple]) -> int:
    """About how many scalar operations a forward sweep does, from the shapes of the nodes (the rules' costs)."""
    return sum(TENSOR_OPS[node.op].work([found[a] for a in node.args], found[i])
               for i, node in enumerate(nodes) if node.args)


def evaluate(nodes: Sequence, leaves: Mapping[int, object], backend) -> list:
    """The value of every node: leaves converted by backend.array (nested lists, numbers, arrays)."""
    B = backend
    values: list = [None] * len(nodes)
    for i, node in enumerate(nodes):
        if i in leaves:
            values[i] = B.array(leaves[i])
            continue
        values[i] = _value(i, node, values, B)
    return values


def _value(i: int, node, values: Sequence, B):
    op = TENSOR_OPS[node.op]
    args = [values[a] for a in node.args]
    params = params_of(node)
    try:
        op.shape(tuple(B.shape(a) for a in args), params)
        value = op.forward(B, args, params)
    except _RULE_ERRORS as err:
        raise Failed(i, err) from None
    if not B.finite(value):
        raise OutOfRange
    return value


def evaluate_again(nodes: Sequence, values: Sequence, changed: Mapping[int, object], backend,
                   needed: Sequence[bool] | None = None) -> list:
    """The values once the leaves in `changed` take new values: only the nodes computed from them (and
    `needed`, when given) are computed again, the others keep `values` (for finite differences)."""
    B = backend
    found = list(values)
    moved = [False] * len(nodes)
    for i, node in enumerate(nodes):
        if i in changed:
            found[i] = B.array(changed[i])
            moved[i] = True
        elif node.args and (needed is None or needed[i]) and any(moved[a] for a in node.args):
            found[i] = _value(i, node, found, B)
            moved[i] = True
    return found


def active(nodes: Sequence, variables: Collection[int]) -> list[bool]:
    """Per node: is it a variable, or computed from one?"""
    found = [False] * len(nodes)
    for i, node in enumerate(nodes):
        found[i] = i in variables or any(found[a] for a in node.args)
    return found


def gradients(nodes: Sequence, values: Sequence, output: int, backend, variables: Collection[int], seed=None):
    """Reverse mode: (grads, contributions). grads[i] is dL/d node i in node i's shape (None where no gradient
    reaches it), L being the output (or <seed, output> for a tensor output); contributions[i] holds, per
    argument of node i, what node i sent back to it (None where nothing)."""
    B = backend
    is_active = active(nodes, variables)
    grads: list = [None] * len(nodes)
    contributions: list = [None] * len(nodes)
    grads[output] = B.full(B.shape(values[output]), 1) if seed is None else B.array(seed)
    if B.shape(grads[output]) != B.shape(values[output]):
        raise ValueError(f"the seed has shape {B.shape(grads[output])}, the output {B.shape(values[output])}")
    for i in range(output, -1, -1):
        g = grads[i]
        node = nodes[i]
        if g is None or not node.args or i in variables:
            continue
        op = TENSOR_OPS[node.op]
        args = [values[a] for a in node.args]
        params = params_of(node)
        sent = []
        for k, a in enumerate(node.args):
            if not is_active[a]:
                sent.append(None)
                continue
            try:
                contribution = op.vjps[k](B, g, args, values[i], params)
            except _RULE_ERRORS as err:
                raise Failed(i, err) from None
            if contribution is not None:
                if not B.finite(contribution):
                    raise OutOfRange
                grads[a] = contribution if grads[a] is None else B.add(grads[a], contribution)  # a fork sums
            sent.append(contribution)
        contributions[i] = tuple(sent)
    return grads, contributions


def tangents(nodes: Sequence, values: Sequence, backend, seeds: Mapping[int, object]) -> list:
    """Forward mode: the tangent of every node given the tangents `seeds` ({leaf position: tangent}); None
    where the tangent is zero."""
    B = backend
    found: list = [None] * len(nodes)
    for i, node in enumerate(nodes):
        if i in seeds:
            found[i] = B.array(seeds[i])
            continue
        incoming = [found[a] for a in node.args]
        if all(t is None for t in incoming):
            continue
        try:
            t = TENSOR_OPS[node.op].jvp(B, incoming, [values[a] for a in node.args], values[i], params_of(node))
        except _RULE_ERRORS as err:
            raise Failed(i, err) from None
        if t is not None and not B.finite(t):
            raise OutOfRange
        found[i] = t
    return found


def kinks(nodes: Sequence, values: Sequence, backend, grads: Sequence) -> dict:
    """{position: the TensorKinks of that node} for the nodes a gradient went through that sit on a kink."""
    found = {}
    for i, node in enumerate(nodes):
        rule = TENSOR_OPS[node.op].kinks if node.args and grads[i] is not None else None
        if rule is not None:
            at = rule(backend, [values[a] for a in node.args], values[i], params_of(node))
            if at:
                found[i] = at
    return found


def jacobian(nodes: Sequence, values: Sequence, output: int, backend, variables: Collection[int]) -> dict:
    """{variable position: d output / d variable}, of shape output.shape + variable.shape: one reverse sweep
    per element of the output."""
    B = backend
    shape = B.shape(values[output])
    count = 1
    for n in shape:
        count *= n
    rows: dict = {v: [] for v in variables}
    for j in range(count):
        seed = [B.zero] * count
        seed[j] = B.one
        grads, _ = gradients(nodes, values, output, B, variables, seed=B.reshape(B.array(seed), shape))
        for v in variables:
            rows[v].append(B.zeros(B.shape(values[v])) if grads[v] is None else grads[v])
    return {v: B.reshape(B.stack(found), shape + B.shape(values[v])) for v, found in rows.items()}


class Computed(NamedTuple):
    values: list
    grads: list
    contributions: list
    backend: object  # the backend the numbers are in (pure floats after a redo in wide decimals)
    wide: bool  # redone in wide decimals because a float step left float range


def differentiate(nodes: Sequence, leaves: Mapping[int, object], output: int, variables: Collection[int],
                  arithmetic=FLOAT, backend=None, seed=None) -> Computed:
    """Values and gradients in `arithmetic` (on `backend`, or the one backend.choose picks); in floats,
    redone in wide decimals when a step leaves float range, every number then rounded back to a float."""
    if backend is None:
        backend = choose(arithmetic, work(nodes, shapes(nodes, {i: shape_of(v) for i, v in leaves.items()})))
    try:
        values = evaluate(nodes, leaves, backend)
        return Computed(values, *gradients(nodes, values, output, backend, variables, seed), backend, False)
    except OutOfRange:
        if arithmetic is not FLOAT:
            raise MathError("an inexact (floating-point) step of this --exact computation leaves the range of "
                            "64-bit floats; without --exact, backprop redoes such steps in a wider range") from None
    wide = pure.backend(WIDE)
    try:
        with WIDE.context():
            values = evaluate(nodes, leaves, wide)
            grads, contributions = gradients(nodes, values, output, wide, variables, seed)
    except OutOfRange:  # a kernel that goes through floats (erf, atan2) at a wide value beyond float range
        raise MathError("a step of this computation leaves the range of 64-bit floats, even redone in a wider "
                        "range") from None
    floats = pure.backend(FLOAT)
    rounded = [_rounded(floats, i, v, "the value") for i, v in enumerate(values)]
    return Computed(rounded, [_rounded(floats, i, g, "the gradient") for i, g in enumerate(grads)],
                    [None if c is None else tuple(_rounded(floats, i, x, "a gradient") for x in c)
                     for i, c in enumerate(contributions)], floats, True)


def _rounded(floats, i: int, value, what: str):
    if value is None:
        return None
    try:
        result = floats.array(value)
    except OverflowError:
        result = None
    if result is None or not floats.finite(result):
        raise Failed(i, MathError(f"{what} of {{out}} is too large for a 64-bit float (overflow)"))
    return result
