"""One call from a tape and its input values to every value and gradient, in both modes.

In floats, a step that leaves float range where the answer need not (arithmetic.OutOfRange) makes the
whole computation run again in wide decimals; every number of the Result is then the float nearest
its true value, and one that does not fit a float is a MathError naming its node.

A value or derivative that does not exist at the point is a MathError too, unless the caller can show
the rest (`keep_undefined=True`: eval, explain, check): then the computation is done again by the sweeps
of undefined.py, and the Result holds an `Undefined` with its reason wherever a number is missing (one
that does not fit a float included), every other number as usual, and the causes in `undefined`.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar, Mapping

from ..base.errors import MathError
from ..base.gc_pause import paused_gc
from ..base.records import FrozenRecord
from ..base.undefined import TOO_LARGE, Undefined
from .arithmetic import EXACT, FLOAT, WIDE, OutOfRange
from .conventions import DEFAULT, check_convention, follow
from .forward import exact_out_of_range, forward_gradient, node_reason, sweep_values, to_float, too_large
from .local import Kink, local_partials
from .reverse import Contributions, backward, received, reverse_pass
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
    # Where numbers are missing (keep_undefined): each Undefined that starts at a node (a value, a local
    # derivative, a number too large for a float), in the order the sweeps meet them. Empty: nothing is.
    undefined: tuple = ()

    tensor: ClassVar[bool] = False  # tensor_compute.TensorResult's is True: the renderers dispatch on it

    @property
    def value(self):
        return self.values[self.tape.output]

    def received(self) -> list[list[tuple[int, object]]]:
        """Per node: the (consumer, contribution) pairs its gradient is the sum of."""
        return received(self.tape, self.contributions)

    def first_inexact(self) -> tuple[int, str] | None:
        """In --exact mode: where exactness ended, as (node, "value" or "derivative"), or None if it never did."""
        if not self.exact:
            return None
        for i, value in enumerate(self.values):
            if not isinstance(value, (Fraction, Undefined)):  # an undefined value is not an inexact one
                return i, "value"
        for i, local in enumerate(self.partials):
            if local is not None and any(d is not None and not isinstance(d, (Fraction, Undefined)) for d in local):
                return i, "derivative"
        return None

    def gradient(self) -> dict:
        """d output / d name for every input and named intermediate, in tape order."""
        return {
            node.name: self.grads[i]
            for i, node in enumerate(self.tape.nodes)
            if node.name is not None and self.grads[i] is not None
        }

    def causes(self) -> list:
        """Where numbers go missing and what is missing because of it (undefined.Cause), for the notes."""
        from .undefined import causes

        return causes(self)

    def error(self) -> MathError | None:
        """The MathError the computation raises without keep_undefined (the first missing number), or None."""
        if not self.undefined:
            return None
        from .undefined import first_error

        return first_error(self.tape, self.undefined)


def differentiate(tape: Tape, inputs: Mapping[str, object], arithmetic=FLOAT, forward_mode: bool = True,
                  convention: str = DEFAULT, keep_undefined: bool = False) -> Result:
    """Every value and gradient; at a kink, the derivatives `convention` gives (conventions.py: PyTorch's by default).
    Where a value or a derivative does not exist: a MathError, or with `keep_undefined` an Undefined in its place.
    A program with vectors or matrices goes to tensor_compute.py, whose TensorResult has the same fields (and
    raises the MathError: it keeps no Undefined yet)."""
    if tape.tensor or any(type(v) is list for v in inputs.values()):
        from .tensor_compute import differentiate as differentiate_tensors

        return differentiate_tensors(tape, inputs, arithmetic, forward_mode, convention)
    check_convention(convention)
    defaults = getattr(tape, "defaults", None)
    if defaults and any(name not in inputs for name in defaults):  # `x = 3` in the program, no value given
        inputs = {**{name: arithmetic.literal(text) for name, text in defaults.items() if name not in inputs},
                  **inputs}
    with paused_gc():  # lists of numbers and tuples: nothing for the cycle collector to find
        return _differentiate(tape, inputs, arithmetic, forward_mode, convention, keep_undefined)


def _differentiate(tape: Tape, inputs: Mapping[str, object], arithmetic, forward_mode: bool, convention: str,
                   keep: bool) -> Result:
    try:
        try:
            return _sweeps(tape, inputs, arithmetic, forward_mode, convention)
        except MathError:
            if not keep:
                raise
        # something is undefined: only now the slower sweeps that go on past it (the fast ones pay nothing)
        return _sweeps_keeping_undefined(tape, inputs, arithmetic, forward_mode, convention)
    except OutOfRange:
        if arithmetic is not FLOAT:
            raise exact_out_of_range() from None
    with WIDE.context():
        inputs = {name: WIDE.coerce(v) for name, v in inputs.items()}
        try:
            wide = _sweeps(tape, inputs, WIDE, forward_mode, convention)
        except (MathError, ArithmeticError):  # (ArithmeticError: beyond even wide decimals, 10^10^10)
            if not keep:
                raise
            wide = _sweeps_keeping_undefined(tape, inputs, WIDE, forward_mode, convention)
        return as_floats(wide, keep)


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
    if forward_mode and _forward_affordable(tape):
        fwd = {name: arithmetic.coerce(g) for name, g in forward_gradient(tape, partials).items()}
    return Result(tape, dict(inputs), values, partials, back.grads, back.contributions, fwd, kinks, arithmetic.exact,
                  convention)


def _forward_affordable(tape: Tape) -> bool:
    return len(tape.inputs) * len(tape.nodes) <= FORWARD_MODE_BUDGET


def _sweeps_keeping_undefined(tape: Tape, inputs: Mapping[str, object], arithmetic, forward_mode: bool,
                              convention: str) -> Result:
    """_sweeps by the sweeps of undefined.py: an Undefined wherever a number is missing, the rest as usual."""
    from .undefined import (backward_keeping_undefined, forward_gradient_keeping_undefined,
                            partials_keeping_undefined, values_keeping_undefined)

    values, missing_values = values_keeping_undefined(tape, inputs, arithmetic)
    partials, active, kinks, missing_partials = partials_keeping_undefined(tape, values, arithmetic)
    if kinks and convention != DEFAULT:
        partials, kinks = follow(convention, partials, kinks, arithmetic.coerce)
    one, zero = arithmetic.coerce(1), arithmetic.coerce(0)
    back = backward_keeping_undefined(tape, values, partials, active, one, zero)
    fwd = None
    if forward_mode and _forward_affordable(tape):
        fwd = forward_gradient_keeping_undefined(tape, values, partials, one, zero)
    return Result(tape, dict(inputs), values, partials, back.grads, back.contributions, fwd, kinks, arithmetic.exact,
                  convention, tuple(missing_values + missing_partials))


def as_floats(wide: Result, keep_undefined: bool = False) -> Result:
    """A Result computed in wide decimals or exact fractions, every number rounded to the nearest float;
    MathError for one that does not fit (the node's value, a local derivative, a gradient), or with
    `keep_undefined` an Undefined (too large) in its place. Undefined entries stay as they are."""
    tape = wide.tape
    found: list[Undefined] = []

    def fit(i: int, value, what: str):
        if value is None or type(value) is Undefined:
            return value
        if not keep_undefined:
            return to_float(tape, i, wide.values, value, what)
        try:
            return to_float(tape, i, wide.values, value, what)
        except MathError:
            missing = Undefined(node_reason(tape, i, wide.values, too_large(what, value)), i, word=TOO_LARGE)
            found.append(missing)
            return missing

    values = [fit(i, v, "the result") for i, v in enumerate(wide.values)]
    partials = [
        None if row is None else tuple(
            fit(i, d, f"the derivative d {tape.label(i)} / d {tape.label(a)}") for a, d in zip(tape.nodes[i].args, row))
        for i, row in enumerate(wide.partials)
    ]
    out = tape.label(tape.output)
    grads = [fit(i, g, f"the gradient d {out} / d {tape.label(i)}") for i, g in enumerate(wide.grads)]
    fwd = None
    if wide.forward_gradient is not None:
        fwd = {}
        for name, g in wide.forward_gradient.items():
            i = tape.inputs[name]
            if type(grads[i]) is Undefined and type(g) is not Undefined:
                fwd[name] = grads[i]  # the same number as the gradient, so too large for the same reason
            else:
                fwd[name] = fit(i, g, f"d {out} / d {name} by forward mode")
    kinks = [Kink(k.node, k.op, partials[k.node], k.one_sided, k.convention) for k in wide.kinks]
    inputs = {name: values[tape.inputs[name]] if type(values[tape.inputs[name]]) is Undefined else float(v)
              for name, v in wide.inputs.items()}  # (an exact input beyond float range is too large, as its node)
    return Result(tape, inputs, values, partials, grads, Contributions(grads, partials), fwd, kinks, False,
                  wide.convention, wide.undefined + tuple(found))


def directional_keeping_undefined(result: Result, direction: Mapping[str, object]):
    """The derivative along `direction` (inputs left out are 0) at a point where some numbers are missing:
    an Undefined when an undefined local derivative lies on the way from an input the direction moves to the
    output, else the number (in floats, redone in wide decimals where a float step leaves its range)."""
    from .undefined import tangents_keeping_undefined

    tape = result.tape
    moved = {name: v for name, v in direction.items() if v}  # an input the direction does not move adds no term
    arithmetic = EXACT if result.exact else FLOAT
    try:
        seeds = {tape.inputs[name]: arithmetic.coerce(v) for name, v in moved.items()}
        return tangents_keeping_undefined(tape, result.values, result.partials, seeds,
                                          arithmetic.coerce(0))[tape.output]
    except OutOfRange:
        if result.exact:
            raise exact_out_of_range() from None
    with WIDE.context():
        wide = _sweeps_keeping_undefined(tape, {name: WIDE.coerce(v) for name, v in result.inputs.items()}, WIDE,
                                         False, result.convention)
        seeds = {tape.inputs[name]: WIDE.coerce(v) for name, v in moved.items()}
        value = tangents_keeping_undefined(tape, wide.values, wide.partials, seeds, WIDE.coerce(0))[tape.output]
        if type(value) is Undefined:
            return value
        try:
            return to_float(tape, tape.output, wide.values, value, "the directional derivative")
        except MathError as err:
            return Undefined(err.message.splitlines()[0], tape.output, word=TOO_LARGE)
