"""`--symbolic` and `--direction` of eval (and explain): derivatives as formulas, and a directional derivative.

- `--symbolic`: for each input, d output / d input as a formula in the language
  (symbolic/), keyed `symbolic` in the JSON: {name: formula}.
- `--direction a=1,b=0.5`: the derivative along the vector v (inputs left out
  are 0), from one forward-mode pass seeded with v (second.py). v is used as
  given, not normalised: the value is sum_i v_i * d output / d x_i. Keyed
  `directional` in the JSON: {"direction": {input: v_i}, "value": ...}.

The JSON keys and the tables are written by render/json_report.py and render/formulas.py.
"""
from __future__ import annotations

from dataclasses import dataclass

from .arithmetic import OutOfRange
from .bindings import parse_direction
from .compute import Result
from .forward import exact_out_of_range


@dataclass(frozen=True)
class Extras:
    """What --symbolic and --direction computed (None for the one not asked for)."""

    formulas: dict | None  # input -> symbolic.Formula
    direction: dict | None  # input -> component
    directional: object  # the directional derivative, or None


def compute_extras(result: Result, symbolic: bool, direction: str | None, arithmetic) -> Extras:
    tape = result.tape
    vector = value = None
    if direction is not None:
        from .second import directional_at, directional_derivative

        vector = parse_direction(tape, direction, arithmetic)
        if result.undefined:  # an Undefined where an undefined derivative lies on the way
            from .compute import directional_keeping_undefined

            value = directional_keeping_undefined(result, vector)
        elif arithmetic.exact:
            try:
                value = arithmetic.coerce(directional_derivative(tape, result.partials, vector, arithmetic.coerce(0)))
            except OutOfRange:
                raise exact_out_of_range() from None
        else:
            value = directional_at(tape, result.inputs, result.partials, vector, result.convention)
    formulas = None
    if symbolic:
        from .symbolic.derive import gradient_formulas

        formulas = gradient_formulas(tape)
    return Extras(formulas, vector, value)
