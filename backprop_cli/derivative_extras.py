"""`--symbolic` and `--direction` of eval (and explain): derivatives as formulas, and a directional derivative.

- `--symbolic`: for each input, d output / d input as a formula in the language
  (symbolic.py), keyed `symbolic` in the JSON: {name: formula}.
- `--direction a=1,b=0.5`: the derivative along the vector v (inputs left out
  are 0), from one forward-mode pass seeded with v (second.py). v is used as
  given, not normalised: the value is sum_i v_i * d output / d x_i. Keyed
  `directional` in the JSON: {"direction": {input: v_i}, "value": ...}.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .bindings import check_value
from .compute import Result
from .errors import UsageError
from .tape import Tape


def parse_direction(tape: Tape, text: str, arithmetic) -> dict:
    """`a=1,b=0.5` -> {input: value} over every input (0 where not given)."""
    given: dict = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            raise UsageError(f"--direction takes NAME=VALUE pairs separated by commas (a=1,b=0.5), not {item!r}")
        if name not in tape.inputs:
            if name in tape.named:
                raise UsageError(f"--direction {name}: {name} is assigned by the program, so it is not an input")
            inputs = ", ".join(tape.inputs) or "none"
            raise UsageError(f"--direction {name}: the program has no input {name} (its inputs are: {inputs})")
        if name in given:
            raise UsageError(f"--direction gives {name} twice")
        given[name] = arithmetic.literal(check_value(f"{name} in --direction", value))
    if not given:
        raise UsageError("--direction needs at least one NAME=VALUE (a=1,b=0.5)")
    zero = arithmetic.coerce(0)
    return {name: given.get(name, zero) for name in tape.inputs}


def select_inputs(tape: Tape, update: Sequence[str] | None, option: str = "--update") -> list[str]:
    """The inputs named by an option such as --update or --wrt (repeatable, comma lists allowed), or every
    input when it is not given. A name that is not an input is a usage error."""
    if not update:
        return list(tape.inputs)
    names: list[str] = []
    for item in update:
        for name in (part.strip() for part in item.split(",")):
            if not name:
                continue
            if name not in tape.inputs:
                if name in tape.named:
                    raise UsageError(f"{option} {name}: {name} is assigned by the program, so it is not an input")
                inputs = ", ".join(tape.inputs) or "none"
                raise UsageError(f"{option} {name}: the program has no input {name} (its inputs are: {inputs})")
            if name not in names:
                names.append(name)
    if not names:
        raise UsageError(f"{option} names no input")
    return names


@dataclass(frozen=True)
class Extras:
    formulas: dict | None  # input -> symbolic.Formula
    direction: dict | None  # input -> component
    directional: object  # the directional derivative, or None

    def document(self) -> dict:
        from .render.numbers import exact_text, json_number

        doc: dict = {}
        if self.formulas is not None:
            doc["symbolic"] = {name: f.text for name, f in self.formulas.items()}
        if self.direction is not None:
            doc["directional"] = {
                "direction": {name: json_number(v) for name, v in self.direction.items()},
                "value": json_number(self.directional),
            }
            exact = exact_text(self.directional)
            if exact is not None:
                doc["directional"]["exact"] = exact
        return doc

    def view(self, output_label: str, digits: int | None):
        from .render.formulas import extras_view

        return extras_view(self, output_label, digits)


def compute_extras(result: Result, symbolic: bool, direction: str | None, arithmetic) -> Extras:
    tape = result.tape
    vector = value = None
    if direction is not None:
        from .second import directional_derivative

        vector = parse_direction(tape, direction, arithmetic)
        value = arithmetic.coerce(directional_derivative(tape, result.partials, vector, arithmetic.coerce(0)))
    formulas = None
    if symbolic:
        from .symbolic import gradient_formulas

        formulas = gradient_formulas(tape)
    return Extras(formulas, vector, value)
