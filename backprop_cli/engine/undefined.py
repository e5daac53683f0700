"""The sweeps at a point where something is undefined: every number that exists, and why the others do not.

compute.py runs the fast sweeps first; they stop at the first value or derivative that does not exist
(a MathError). With `keep_undefined`, the computation is then done again by the sweeps here, which put
an `Undefined` (base/undefined.py) where the number would be and carry on:

- a value that does not exist (log(-1)) makes every value computed from it undefined, and so its
  local derivatives;
- a local derivative that does not exist (d x^y / d y at x = -2, sqrt's at 0) makes the gradient
  through that edge undefined, and every gradient it reaches: an undefined term is never dropped,
  not even against a zero factor (0 * undefined is undefined, as NaN is in PyTorch);
- when the output itself is undefined, so is every gradient.

They are plain loops over the tape like the fast ones, written for clarity: they run only where the fast
sweeps stopped. Float steps that leave float range raise OutOfRange here too (a value that overflows
included), and compute.py redoes the computation in wide decimals.
"""
from __future__ import annotations

import decimal
import math
from typing import Mapping, Sequence

from ..base.errors import MathError
from ..base.records import FrozenRecord, set_field
from ..base.undefined import TOO_LARGE, UNDEFINED, Undefined
from .arithmetic import FLOAT, TINY, OutOfRange
from .forward import _LEAVES, _leaf, _underflowed, located_error, node_error, node_reason
from .local import _kinks, failure_text, structure
from .ops import OPS, DomainError
from .reverse import Backward, Contributions
from .tape import Tape

OVERFLOW = "the result is too large for a 64-bit float (overflow)"
# beyond even wide decimals (an exponent past a billion: 10^10^10), or an int too large for a float
_TOO_LARGE = (OverflowError, decimal.Overflow)
_NOT_DEFINED = (ZeroDivisionError, ValueError, decimal.InvalidOperation)  # (DomainError is a ValueError)


def values_keeping_undefined(tape: Tape, inputs: Mapping[str, object], arithmetic=FLOAT) -> tuple[list, list]:
    """(the value of every node, an Undefined where it has none; the Undefined values that start there, in
    tape order)."""
    nodes = tape.nodes
    values: list = [None] * len(nodes)
    roots: list[Undefined] = []
    derived: dict[int, Undefined] = {}  # per root: what the values computed from it hold
    as_float = arithmetic is FLOAT
    for i, node in enumerate(nodes):
        op = node.op
        if op in _LEAVES:
            values[i] = _leaf(node, inputs, arithmetic)
            continue
        operands = [values[a] for a in node.args]
        missing = next((v for v in operands if type(v) is Undefined), None)
        if missing is not None:
            if missing.node not in derived:
                derived[missing.node] = missing.because(
                    f"depends on {tape.label(missing.node)}, which is {missing.word}: {missing.cause}")
            values[i] = derived[missing.node]
            continue
        what = word = None
        try:
            value = arithmetic.coerce(OPS[op].value(*operands))
            if type(value) is float:
                if not math.isfinite(value):
                    if as_float:
                        raise OutOfRange  # wide decimals hold it; compute.py rounds each number back
                    what, word = OVERFLOW, TOO_LARGE
                elif -TINY < value < TINY and _underflowed(op, operands, value):
                    raise OutOfRange
        except DomainError as err:
            what = str(err)
        except MathError as err:  # an exact value too large to hold: no point has an answer, stop
            raise node_error(tape, i, values, err.message) from None
        except _TOO_LARGE:
            if as_float:
                raise OutOfRange from None
            what, word = OVERFLOW, TOO_LARGE
        except _NOT_DEFINED:
            what = f"{op} is not defined here"
        if what is None:
            values[i] = value
        else:
            values[i] = Undefined(node_reason(tape, i, values, what), i, word=word or UNDEFINED)
            roots.append(values[i])
    return values, roots


def partials_keeping_undefined(tape: Tape, values: Sequence, arithmetic=FLOAT) -> tuple[list, list, list, list]:
    """local.local_partials where values may be Undefined: (partials, active, kinks, the Undefined local
    derivatives where the rules failed, in tape order)."""
    nodes = tape.nodes
    active, needed = structure(tape)
    partials: list = [None] * len(nodes)
    branching: list[int] = []
    roots: list[Undefined] = []
    coerce = arithmetic.coerce
    for i, op, _, _ in needed:
        args = nodes[i].args
        out = values[i]
        if type(out) is Undefined:  # no value, no slope
            partials[i] = tuple(out if active[a] else None for a in args)
            continue
        rule = OPS[op]
        if rule.branch is not None:
            branching.append(i)
        operands = [values[a] for a in args]
        row = []
        for partial, a in zip(rule.partials, args):
            d = None
            if active[a]:
                try:
                    d = coerce(partial(*operands, out))
                    if type(d) is float and (d - d or (-TINY < d < TINY and d)):
                        raise OutOfRange
                except MathError as err:  # an exact value too large to hold
                    raise node_error(tape, i, values, err.message) from None
                except _TOO_LARGE:
                    if arithmetic is FLOAT:
                        raise OutOfRange from None
                    d = Undefined(node_reason(tape, i, values, "the derivative is too large for a 64-bit float "
                                                               "(overflow)"), i, word=TOO_LARGE)
                    roots.append(d)
                except _NOT_DEFINED as err:
                    d = _missing_derivative(tape, i, values, err)
                    roots.append(d)
            row.append(d)
        partials[i] = tuple(row)
    return partials, list(active), _kinks(tape, values, partials, branching), roots


def _missing_derivative(tape: Tape, i: int, values: Sequence, err: Exception) -> Undefined:
    """A local derivative of node i whose rule raised `err`. Its reason leaves out "the derivative does not
    exist" (the entry says it is one); its cause, the MathError's line, keeps it."""
    return Undefined(node_reason(tape, i, values, failure_text(tape, i, err, lead="")), i,
                     node_reason(tape, i, values, failure_text(tape, i, err)))


def _through(tape: Tape, consumer: int, arg: int, local: Undefined) -> Undefined:
    """A gradient or tangent that the chain rule takes through the undefined local derivative d consumer / d arg."""
    return local.because(f"depends on ∂{tape.label(consumer)}/∂{tape.label(arg)}, which is {local.word}: "
                         f"{local.reason}")


def _output_undefined(tape: Tape, values: Sequence) -> Undefined | None:
    """What every gradient holds when the output has no value (None when it has one)."""
    out = values[tape.output]
    if type(out) is not Undefined:
        return None
    label = tape.label(tape.output)
    if out.node == tape.output:
        return out.because(f"the output {label} is {out.word}: {out.reason}")
    return out.because(f"the output {label} {out.reason}")  # "... depends on a, which is undefined: ..."


def backward_keeping_undefined(tape: Tape, values: Sequence, partials: Sequence, active: Sequence[bool],
                               one=1.0, zero=0.0) -> Backward:
    """reverse.backward where values and local derivatives may be Undefined."""
    nodes = tape.nodes
    none = _output_undefined(tape, values)
    if none is not None:  # d out / d anything needs out
        grads = [none if is_active else None for is_active in active]
        return Backward(grads, Contributions(grads, partials))
    grads: list = [zero] * len(nodes)
    grads[tape.output] = one
    for i, _, _, _ in reversed(structure(tape)[1]):
        local = partials[i]
        if local is None:
            continue
        upstream = grads[i]
        for a, d in zip(nodes[i].args, local):
            if d is None or type(grads[a]) is Undefined:
                continue
            if type(upstream) is Undefined:
                grads[a] = upstream
            elif type(d) is Undefined:
                grads[a] = _through(tape, i, a, d)
            else:
                try:
                    c = upstream * d
                    if type(c) is float and (-TINY < c < TINY and upstream and d):
                        raise OutOfRange
                    grads[a] = grads[a] + c
                except decimal.Overflow:  # beyond even wide decimals
                    grads[a] = Undefined(f"the gradient of {tape.label(a)} is too large (overflow)", a, word=TOO_LARGE)
    for i, is_active in enumerate(active):
        if not is_active:
            grads[i] = None
        elif type(grads[i]) is float and grads[i] - grads[i]:
            raise OutOfRange
    return Backward(grads, Contributions(grads, partials))


def tangents_keeping_undefined(tape: Tape, values: Sequence, partials: Sequence, seeds: Mapping[int, object],
                               zero=0) -> list:
    """forward.tangents where values and local derivatives may be Undefined: a node's tangent is undefined
    when an undefined derivative or tangent lies on a path from a seed to it (never dropped for a zero)."""
    nodes = tape.nodes
    none = _output_undefined(tape, values)
    if none is not None:
        return [none] * len(nodes)
    tangent: list = [zero] * len(nodes)
    seeded = [False] * len(nodes)  # computed from a seed: where an undefined factor counts
    for node, value in seeds.items():
        tangent[node] = value
        seeded[node] = True
    for i in range(min(seeds, default=len(nodes)) + 1, len(nodes)):
        local = partials[i]
        if local is None:
            continue
        total = zero
        for a, d in zip(nodes[i].args, local):
            if d is None or not seeded[a]:
                continue
            seeded[i] = True
            t = tangent[a]
            if type(total) is Undefined:
                continue
            if type(t) is Undefined:
                total = t
            elif type(d) is Undefined:
                total = _through(tape, i, a, d)
            elif t:
                try:
                    product = d * t
                    if type(product) is float and ((-TINY < product < TINY and d) or product - product):
                        raise OutOfRange  # underflowed or overflowed
                    total = total + product
                except decimal.Overflow:  # beyond even wide decimals
                    total = Undefined(f"the tangent of {tape.label(i)} is too large (overflow)", i, word=TOO_LARGE)
        if type(total) is float and total - total:
            raise OutOfRange
        tangent[i] = total
    return tangent


def forward_gradient_keeping_undefined(tape: Tape, values: Sequence, partials: Sequence, one=1, zero=0) -> dict:
    return {name: tangents_keeping_undefined(tape, values, partials, {i: one}, zero)[tape.output]
            for name, i in tape.inputs.items()}


def first_error(tape: Tape, undefined: Sequence[Undefined]) -> MathError:
    """The MathError the fast sweeps raise for this point: the first place where a number is missing."""
    first = undefined[0]
    return located_error(tape, first.node, first.cause)


class Cause(FrozenRecord):
    """One place where numbers go missing, and what is missing because of it (for the notes under a table)."""

    __slots__ = __match_args__ = ("missing", "subjects", "output", "gradients")
    missing: Undefined  # the first Undefined that starts there: its reason, its word
    subjects: tuple  # what has no number there: "the value of a", "∂v3/∂y", "the gradient of x"
    output: bool  # the output's value is missing because of it (and so every gradient)
    gradients: tuple  # the inputs whose gradient is missing because of it

    def __init__(self, missing: Undefined, subjects: tuple, output: bool, gradients: tuple) -> None:
        set_field(self, "missing", missing)
        set_field(self, "subjects", subjects)
        set_field(self, "output", output)
        set_field(self, "gradients", gradients)


def causes(result) -> list[Cause]:
    """The places where a compute.Result's numbers go missing, in the order the sweeps met them; entries
    that started at the same node for the same reason (atan2's two derivatives at the origin) are one."""
    tape = result.tape
    out = tape.label(tape.output)
    subjects: dict[tuple, list[str]] = {}
    first: dict[tuple, Undefined] = {}
    for missing in result.undefined:
        key = (missing.node, missing.cause)
        first.setdefault(key, missing)
        subjects.setdefault(key, []).append(_subject(result, missing, out))
    output_value = result.values[tape.output]
    found = []
    for key, missing in first.items():
        gradients = tuple(name for name, i in tape.inputs.items()  # those missing because of it, not it
                          if type(result.grads[i]) is Undefined and result.grads[i] is not missing
                          and (result.grads[i].node, result.grads[i].cause) == key)
        output = type(output_value) is Undefined and (output_value.node, output_value.cause) == key
        found.append(Cause(missing, tuple(dict.fromkeys(subjects[key])), output, gradients))
    return found


def _subject(result, missing: Undefined, out: str) -> str:
    tape = result.tape
    i = missing.node
    label = tape.label(i)
    if result.values[i] is missing:
        return f"the value of {label}"
    for a, d in zip(tape.nodes[i].args, result.partials[i] or ()):
        if d is missing:
            return f"∂{label}/∂{tape.label(a)}"
    if result.grads[i] is missing:
        return f"the gradient of {label}"
    return f"∂{out}/∂{label} by forward mode"
