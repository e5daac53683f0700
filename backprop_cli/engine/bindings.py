"""Values for a program's inputs, and the options that name inputs, checked against the tape.

- bindings: `-a 5` and `NAME=VALUE` on the command line (resolve, check_bindings);
- `--direction a=1,b=0.5` (parse_direction);
- `--update`/`--wrt` lists of input names (select_inputs).

A value is a number as engine/values.py reads it (the reader of `check` answers too): a decimal (`-2`,
`0.5`, `1e-3`), a fraction (`1/3`, exact under --exact) or a constant expression (`pi`, `sqrt(2)/2`, `2^-10`);
or a vector or matrix of them, written as nested lists (`[1, 2/3, pi]`, `[[0.1, 0.2], [0.3, 0.4]]`), which
is given to the program as nested lists of numbers. Every input needs exactly one value, and every value
needs an input.
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

from ..base.errors import BackpropError, UsageError
from .ops import CONSTANTS
from .tape import Tape
from .values import as_number, is_list_text, nested, position_text, read_constant, read_list

# Names as the grammar has them (grammar/backprop.lark's NAME): ASCII letters and Greek (θ, α), digits after
_LETTER = "A-Za-z_\u0391-\u03A9\u03B1-\u03C9\u03D1\u03D5\u03D6\u03F5"
NAME = re.compile(f"[{_LETTER}][{_LETTER}0-9]*")
DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
SHORT_BINDING = re.compile(r"-[A-Za-z]", re.ASCII)  # -a VALUE
LONG_BINDING = re.compile(f"([{_LETTER}][{_LETTER}0-9]*)=(.*)", re.DOTALL)  # NAME=VALUE


def _show(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


def check_value(name: str, text: str) -> str:
    """The value text of `name` if it is a number (a decimal, or anything values.read_constant reads); a list's
    elements are read, and checked, when it is turned into numbers (literals)."""
    if not DECIMAL.fullmatch(text) and not is_list_text(text):
        if not text.strip():
            raise UsageError(f"the value of {name} is empty: write a number, such as 5, -2, 0.5, 1/3 or pi")
        read_constant(text, f"the value of {name}")
    return text


def from_program(tape: Tape, pairs: Iterable[tuple[str, str]]) -> list[str]:
    """The inputs whose value comes from the program (`x = 3`, the tape's defaults), not from a binding."""
    defaults = getattr(tape, "defaults", None) or {}
    bound = {name for name, _ in pairs}
    return [name for name in tape.inputs if name in defaults and name not in bound]


def resolve(tape: Tape, pairs: Iterable[tuple[str, str]], arithmetic) -> dict:
    """Check the bindings against the program's inputs and turn them into numbers; an input the program
    assigns a plain number (`x = 3`, the tape's defaults) takes that number unless a binding overrides it."""
    given = check_bindings(tape, pairs)
    defaults = getattr(tape, "defaults", None) or {}
    given = {**{name: defaults[name] for name in tape.inputs if name in defaults and name not in given}, **given}
    missing = [name for name in tape.inputs if name not in given]
    if missing:
        example = " ".join(f"-{n} VALUE" if SHORT_BINDING.fullmatch(f"-{n}") else f"{n}=VALUE" for n in missing)
        noun = "a value" if len(missing) == 1 else "values"
        hint = ""
        if "e" in missing and any(node.op == "pow" and node.args[0] == tape.inputs["e"] for node in tape.nodes):
            hint = " (e is a variable here, not Euler's number: e^x is written exp(x))"
        raise UsageError(f"{', '.join(missing)} {'needs' if len(missing) == 1 else 'need'} {noun}: add {example}{hint}")
    return literals(given, tape.inputs, arithmetic)


def literals(given: dict, names: Iterable[str], arithmetic) -> dict:
    """The checked value texts of `names` as numbers of the arithmetic."""
    return {name: value_of(arithmetic, given[name], f"the value of {name}") for name in names}


def value_of(arithmetic, text: str, what: str):
    """A checked value text as a number of the arithmetic, or a list's as nested lists of them."""
    if not is_list_text(text):
        return _number(arithmetic, text, what)
    shape, elements = read_list(text, what)
    flat = []
    literal = arithmetic.literal
    for item in elements:
        try:  # the common case, a decimal, read directly; anything else (or a failure) as a value is, named
            flat.append(literal(item) if DECIMAL.fullmatch(item) else None)
        except (BackpropError, ArithmeticError, ValueError):
            flat.append(None)
        if flat[-1] is None:
            flat[-1] = _number(arithmetic, item, f"{what} at {position_text(len(flat) - 1, shape)}")
    return nested(shape, flat)


def _number(arithmetic, text: str, what: str):
    """A checked value text as a number of the arithmetic; one it cannot hold (1e400, 1e-400 in floats) is a
    usage error naming the value, as any other bad value is, not a math error."""
    try:
        if not DECIMAL.fullmatch(text):  # a fraction or constant expression: exact where it is rational
            return as_number(read_constant(text, what), arithmetic, what)
        return arithmetic.literal(text)
    except UsageError:
        raise
    except (BackpropError, ArithmeticError, ValueError) as err:
        message = getattr(err, "message", None) or str(err)
        raise UsageError(f"{what} is out of range: {message}") from None


def check_bindings(tape: Tape, pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """name -> value text for the bindings given, each one an input of the program given once
    (`eval --batch` binds the rest from its file)."""
    given: dict[str, str] = {}
    for name, text in pairs:
        if name in given:
            raise UsageError(f"{name} is given a value twice ({given[name]} and {text}); give each input one value")
        given[name] = check_value(name, text)
    named = tape.named
    for name in given:
        if name in tape.inputs:
            continue
        if name in named:
            raise UsageError(f"{name} is assigned by the program, so it is not an input and takes no value")
        if name in CONSTANTS:
            raise UsageError(f"{name} is a constant of the language, not an input, and takes no value")
        inputs = ", ".join(tape.inputs) or "none"
        raise UsageError(f"{name} is not used by the program (its inputs are: {inputs})")
    return given


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
        given[name] = _number(arithmetic, check_value(f"{name} in --direction", value), f"--direction {name}={value}")
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
