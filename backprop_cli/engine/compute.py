"""One call from a tape and its input values to every value and gradient, in both modes.

In floats, a step that leaves float range where the answer need not (arithmetic.OutOfRange) makes the
whole computation run again in wide decimals; every number of the Result is then the float nearest
its true value, and one that does not fit a float is a MathError naming its node.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

from ..base.gc_pause import paused_gc
from ..base.records import FrozenRecord
from .arithmetic import FLOAT, WIDE, OutOfRange
from .conventions import DEFAULT, check_convention, follow
from .forward import exact_out_of_range, forward_gradient, sweep_values, to_float
from .local import Kink, local_partials
from .reverse import Contributions, backward, reverse_pass
from .tape import Tape

# Forward mode costs one sweep per input; past this many node-visits it is skipped
# (the reverse-mode gradients are still exact; the JSON carries null).
FORWARD_MODE_BUDGET = 20_000_000


# eq and repr come from FrozenRecord (the same methods a dataclass writes, without creating them on each start)
@dataclass(frozen=True, eq=False, repr=False)
class Result(FrozenRecord):
    tape: Tape
    inputs: dict  # input name -> value
    values: list  # per node
    partials: list  # per node: local derivatives per argument, or None
    grads: list  # per node: d output / d node, None where not differentiated
    contributions: list  # per node: upstream x local per argument
    forward_gradient: dict | None  # input -> d output / d input by forward mode
    kinks: list[Kink]
    exact: bool = False
    convention: str = DEFAULT  # whose derivatives the kinks got (conventions.py); elsewhere they change nothing

    @property
    def value(self):
        return self.values[self.tape.output]

    def received(self) -> list[list[tuple[int, object]]]:
        """Per node: the (consumer, contribution) pairs its gradient is the sum of."""
        incoming: list[list] = [[] for _ in self.tape.nodes]
        for i, sent in enumerate(self.contributions):
            if sent is not None:
                for a, c in zip(self.tape.nodes[i].args, sent):
                    if c is not None:
                        incoming[a].append((i, c))
        return incoming

    def first_inexact(self) -> tuple[int, str] | None:
        """In --exact mode: where exactness ended, as (node, "value" or "derivative"), or None if it never did."""
        if not self.exact:
            return None
        for i, value in enumerate(self.values):
            if not isinstance(value, Fraction):
                return i, "value"
        for i, local in enumerate(self.partials):
            if local is not None and any(d is not None and not isinstance(d, Fraction) for d in local):
                return i, "derivative"
        return None

    def gradient(self) -> dict:
        """d output / d name for every input and named intermediate, in tape order."""
        return {
            node.name: self.grads[i]
            for i, node in enumerate(self.tape.nodes)
            if node.name is not None and self.grads[i] is not None
        }


def differentiate(tape: Tape, inputs: Mapping[str, object], arithmetic=FLOAT, forward_mode: bool = True,
                  convention: str = DEFAULT) -> Result:
    """Every value and gradient; at a kink, the derivatives `convention` gives (conventions.py: PyTorch's by default)."""
    check_convention(convention)
    defaults = getattr(tape, "defaults", None)
    if defaults and any(name not in inputs for name in defaults):  # `x = 3` in the program, no value given
        inputs = {**{name: arithmetic.literal(text) for name, text in defaults.items() if name not in inputs},
                  **inputs}
    with paused_gc():  # lists of numbers and tuples: nothing for the cycle collector to find
        return _differentiate(tape, inputs, arithmetic, forward_mode, convention)


def _differentiate(tape: Tape, inputs: Mapping[str, object], arithmetic, forward_mode: bool, convention: str) -> Result:
    try:
        return _sweeps(tape, inputs, arithmetic, forward_mode, convention)
    except OutOfRange:
        if arithmetic is not FLOAT:
            raise exact_out_of_range() from None
    with WIDE.context():
        wide = _sweeps(tape, {name: WIDE.coerce(v) for name, v in inputs.items()}, WIDE, forward_mode, convention)
        return as_floats(wide)


def _sweeps(tape: Tape, inputs: Mapping[str, object], arithmetic, forward_mode: bool, convention: str) -> Result:
    values = sweep_values(tape, inputs, arithmetic)
    if arithmetic is FLOAT:
        partials, active, kinks, back = reverse_pass(tape, values)
    else:
        partials, active, kinks = local_partials(tape, values, arithmetic)
        back = None
    if kinks and convention != DEFAULT:  # nodes on a kink take the convention's derivatives: sweep back again
        partials, kinks = follow(convention, partials, kinks, arithmetic.coerce)
        back = None
    if back is None:
        one, zero = arithmetic.coerce(1), arithmetic.coerce(0)
        back = backward(tape, partials, active, one, zero)
    fwd = None
    if forward_mode and len(tape.inputs) * len(tape.nodes) <= FORWARD_MODE_BUDGET:
        fwd = {name: arithmetic.coerce(g) for name, g in forward_gradient(tape, partials).items()}
    return Result(tape, dict(inputs), values, partials, back.grads, back.contributions, fwd, kinks, arithmetic.exact,
                  convention)


def as_floats(wide: Result) -> Result:
    """A Result computed in wide decimals or exact fractions, every number rounded to the nearest float;
    MathError for one that does not fit (the node's value, a local derivative, a gradient)."""
    tape = wide.tape
    values = [to_float(tape, i, wide.values, v, "the result") for i, v in enumerate(wide.values)]
    partials = [
        None if row is None else tuple(
            None if d is None else to_float(tape, i, wide.values, d, f"the derivative d {tape.label(i)} / d {tape.label(a)}")
            for a, d in zip(tape.nodes[i].args, row))
        for i, row in enumerate(wide.partials)
    ]
    out = tape.label(tape.output)
    grads = [None if g is None else to_float(tape, i, wide.values, g, f"the gradient d {out} / d {tape.label(i)}")
             for i, g in enumerate(wide.grads)]
    fwd = None
    if wide.forward_gradient is not None:
        fwd = {name: to_float(tape, tape.inputs[name], wide.values, g, f"d {out} / d {name} by forward mode")
               for name, g in wide.forward_gradient.items()}
    kinks = [Kink(k.node, k.op, partials[k.node], k.one_sided, k.convention) for k in wide.kinks]
    return Result(tape, {name: float(v) for name, v in wide.inputs.items()}, values, partials, grads,
                  Contributions(grads, partials), fwd, kinks, False, wide.convention)
