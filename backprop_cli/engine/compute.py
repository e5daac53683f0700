"""One call from a tape and its input values to every value and gradient, in both modes."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

from ..base.gc_pause import paused_gc
from ..base.records import FrozenRecord
from .arithmetic import FLOAT
from .forward import evaluate, forward_gradient
from .local import Kink, local_partials
from .reverse import backward, reverse_pass
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


def differentiate(tape: Tape, inputs: Mapping[str, object], arithmetic=FLOAT, forward_mode: bool = True) -> Result:
    with paused_gc():  # lists of numbers and tuples: nothing for the cycle collector to find
        return _differentiate(tape, inputs, arithmetic, forward_mode)


def _differentiate(tape: Tape, inputs: Mapping[str, object], arithmetic, forward_mode: bool) -> Result:
    values = evaluate(tape, inputs, arithmetic)
    if arithmetic is FLOAT:
        partials, active, kinks, back = reverse_pass(tape, values)
    else:
        partials, active, kinks = local_partials(tape, values, arithmetic)
        one, zero = arithmetic.coerce(1), arithmetic.coerce(0)
        back = backward(tape, partials, active, one, zero)
    fwd = None
    if forward_mode and len(tape.inputs) * len(tape.nodes) <= FORWARD_MODE_BUDGET:
        fwd = {name: arithmetic.coerce(g) for name, g in forward_gradient(tape, partials).items()}
    return Result(tape, dict(inputs), values, partials, back.grads, back.contributions, fwd, kinks, arithmetic.exact)
