"""Reading a student's answers (`backprop check`): `NAME=ANSWER` items, answers files, and targets.

Pure logic, no printing. An answer is written as a student writes it: an
integer (`108`), a decimal (`0.67`, `1e-3`), a fraction (`-4/3`), or a constant
expression in the tool's own language (`sqrt(2)/2`, `1/(1+exp(-1))`), read with
the project's parser, never with Python's eval, by engine/values.py: the same
reader as the values given to inputs on the command line. `undefined` (or `nan`,
what a framework prints there) says that the number does not exist at the point.

Targets: `value` is the output's value, `NAME` is d output / d NAME (inputs and
named intermediates), `NAME.value` is the forward value of a named node.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from ..base.errors import UsageError
from ..engine.bindings import NAME
from ..engine.tape import Tape
from ..engine.values import Constant, read_constant

VALUE = "value"  # the output's value
GRADIENT = "gradient"  # d output / d NAME
NODE_VALUE = "node_value"  # NAME.value: the forward value of a named node

# a name, one of its versions (c#2: the second assignment of c), and .value for the node's value
_TARGET = re.compile(r"(?P<name>" + NAME.pattern + r"(?:#[0-9]+)?)(?P<suffix>\.value)?")

Answer = Constant  # one answer as the student wrote it, and the number it stands for


@dataclass(frozen=True)
class Expectation:
    """`NAME=ANSWER` resolved against the program: what is checked, and the answer."""

    target: str  # as written: "value", "d", "e.value"
    kind: str  # VALUE, GRADIENT or NODE_VALUE
    name: str | None  # the node's name (None for `value` of an unnamed output)
    node: int  # position in the tape
    answer: Answer
    where: str  # how to point at it in a message: "--expect d=108", "answers.txt line 3"


def _show(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


def split_expectation(item: str, where: str) -> tuple[str, str]:
    """`NAME=ANSWER` -> (NAME, ANSWER), or a usage error pointing at `where`."""
    target, sep, answer = item.partition("=")
    target, answer = target.strip(), answer.strip()
    if not sep or not target:
        raise UsageError(f"{where}: expected NAME=ANSWER (as in d=4/3 or value=4), not {_show(item)}")
    if _TARGET.fullmatch(target) is None:
        raise UsageError(f"{where}: {_show(target)} is not a name: write value, an input or intermediate "
                         "name (d), or NAME.value")
    if not answer:
        raise UsageError(f"{where}: the answer for {target} is empty")
    return target, answer


def parse_answers_text(text: str, filename: str) -> list[tuple[str, str]]:
    """The lines of an answers file as (NAME=ANSWER, where); `#` comments and blank lines are skipped."""
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        where = f"{filename} line {number}"
        split_expectation(content, where)  # a bad line is reported with its number, before anything runs
        items.append((content, where))
    return items


UNDEFINED_ANSWER = "undefined"  # the form of an answer that says the number does not exist
UNDEFINED_WORDS = ("undefined", "nan")  # in any case: `nan` is what PyTorch and NumPy print there


def parse_answer(text: str, where: str, target: str) -> Answer:
    """Read an answer: integer, decimal, fraction or constant expression (engine/values.py, the reader of
    the values on the command line too), or `undefined`/`nan` (value None); anything else is a usage error."""
    if text.strip().lower() in UNDEFINED_WORDS:
        return Answer(text.strip(), UNDEFINED_ANSWER, None)
    return read_constant(text, f"{where}: the answer for {target}")


# ---------------------------------------------------------------- targets


def resolve_target(tape: Tape, target: str, where: str) -> tuple[str, str | None, int]:
    """(kind, name, node) of `value`, `NAME` or `NAME.value`; an unknown name is a usage error."""
    if target == "value":
        return VALUE, tape.output_name, tape.output
    match = _TARGET.fullmatch(target)
    named = tape.named
    if match is not None and match["name"] in named:
        name = match["name"]
        node = tape.latest(name)  # c is its last version (as at the end of the program), c#2 that version
        return (NODE_VALUE if match["suffix"] else GRADIENT), tape.nodes[node].name, node
    names = ", ".join(named) or "none"
    raise UsageError(f"{where}: the program has no input or intermediate named "
                     f"{match['name'] if match else target}; the names are: {names} "
                     "(and value for the output's value, NAME.value for a node's value)")


def expectations(tape: Tape, items: Sequence[tuple[str, str]]) -> list[Expectation]:
    """Resolve (NAME=ANSWER, where) items against the program: names checked, answers read."""
    if not items:
        raise UsageError("nothing to check: give at least one answer with --expect NAME=ANSWER "
                         "(as in --expect d=4/3) or --answers FILE")
    seen: dict[str, str] = {}
    out = []
    for item, where in items:
        target, text = split_expectation(item, where)
        kind, name, node = resolve_target(tape, target, where)
        if target in seen:
            raise UsageError(f"{where}: {target} is answered twice (first at {seen[target]}); give each answer once")
        seen[target] = where
        out.append(Expectation(target, kind, name, node, parse_answer(text, where, target), where))
    return out


