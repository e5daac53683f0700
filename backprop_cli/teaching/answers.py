"""Reading a student's answers (`backprop check`): `NAME=ANSWER` items, answers files, and targets.

Pure logic, no printing. An answer is written as a student writes it: an
integer (`108`), a decimal (`0.67`, `1e-3`), a fraction (`-4/3`), or a constant
expression in the tool's own language (`sqrt(2)/2`, `1/(1+exp(-1))`), read with
the project's parser, never with Python's eval, by engine/values.py: the same
reader as the values given to inputs on the command line. `undefined` (or `nan`,
what a framework prints there) says that the number does not exist at the point.

Targets (read_target): the output's value is `value` or the output's name (`g`
in `... g = f / d`); a node's value is `NAME.value` (or micrograd's `NAME.data`);
a gradient, d output / d NAME, is `NAME` (an input or intermediate), `NAME.grad`
(micrograd and PyTorch; `g.grad` is 1 for the output), or `dOUT/dNAME`, written
with `d` or `∂` and any spaces (`dg/da`, `d g / d a`, `∂g/∂a`), OUT the output's
name (a program whose output has no name takes its node id or any name the
program does not use: `df/da` for `(a+b)*c/d`). An intermediate written bare
stays its gradient. The target is shown as written, its index spelled `[1, 0]`.

Vectors and matrices: an answer for a tensor is written as nested lists,
`W=[[0.1, 0.2], [0.3, 0.4]]`, each element in any form a number may take; an
element or a block is answered by its index, `W[1, 0]=1/4` (`W[1]` is row 1,
answered by a list; `W[1, 0].value`, `value[2]` for the output's). An answer of
the wrong shape, or an index out of range, is a usage error naming the shapes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from ..base.errors import UsageError
from ..engine.bindings import NAME
from ..engine.tape import Tape
from ..engine.values import Constant, is_list_text, read_constant, read_list

VALUE = "value"  # the output's value
GRADIENT = "gradient"  # d output / d NAME
NODE_VALUE = "node_value"  # NAME.value: the forward value of a named node

TENSOR_ANSWER = "tensor"  # the form of an answer written as nested lists, graded element by element

# a name or one of its versions (c#2: the second assignment of c)
_NAME = NAME.pattern + r"(?:#[0-9]+)?"
_INDEX = r"\[(?P<index>\s*-?[0-9]+\s*(?:,\s*-?[0-9]+\s*)*)\]"
# NAME, an element (W[1, 0]), and .value/.data for the node's value or .grad for its gradient
_TARGET = re.compile(rf"(?P<name>{_NAME})(?:{_INDEX})?(?:\.(?P<suffix>value|data|grad))?")
_SUFFIX_THEN_INDEX = re.compile(rf"(?P<name>{_NAME})\.(?P<suffix>value|data|grad){_INDEX}")  # W.grad[1, 0]
# dOUT/dNAME, d OUT / d NAME, ∂OUT/∂NAME (an element too: dL/dW[1, 0])
_DERIVATIVE = re.compile(rf"(?P<d>[d∂])\s*(?P<out>{_NAME})\s*/\s*[d∂]\s*(?P<name>{_NAME})\s*(?:{_INDEX})?")

BARE, NODE_VALUE_FORM, GRAD_FORM, DERIVATIVE_FORM = "bare", "value", "grad", "derivative"

# the forms, for the messages that list them
FORMS = "value or the output's name for its value, NAME.value for a node's, NAME or dOUT/dNAME for a gradient"


@dataclass(frozen=True)
class Target:
    """A target as written, taken apart: `dL/dW[1, 0]` is name W, index "1, 0", form DERIVATIVE_FORM, out L."""

    name: str
    index: str | None  # the index as written (`1,0`), None for the whole node
    form: str  # BARE, NODE_VALUE_FORM (.value, .data), GRAD_FORM (.grad) or DERIVATIVE_FORM
    out: str | None = None  # OUT in dOUT/dNAME
    suffix: str = ""  # .value, .data or .grad, as written
    d: str = "d"  # d or ∂, as written in dOUT/dNAME

    def at(self, index: tuple[int, ...] | None) -> str:
        """The target spelled the one way the table shows it, for the element `index` (None: as written)."""
        if index is None:
            at = "" if self.index is None else "[" + ", ".join(part.strip() for part in self.index.split(",")) + "]"
        else:
            at = "[" + ", ".join(map(str, index)) + "]" if index else ""
        if self.form == DERIVATIVE_FORM:
            return f"{self.d}{self.out}/{self.d}{self.name}{at}"
        return f"{self.name}{at}{self.suffix}"

    @property
    def text(self) -> str:
        return self.at(None)


def read_target(text: str) -> Target | None:
    """The parts of a target (`value`, `g`, `e.value`, `a.data`, `a.grad`, `dg/da`, `∂g/∂a`, `W[1, 0]`,
    `W.grad[1, 0]`, `dL/dW[1, 0]`), or None when it is none of the forms."""
    text = text.strip()
    match = _DERIVATIVE.fullmatch(text)
    if match is not None:
        return Target(match["name"], match["index"], DERIVATIVE_FORM, match["out"], d=match["d"])
    match = _TARGET.fullmatch(text) or _SUFFIX_THEN_INDEX.fullmatch(text)
    if match is None:
        return None
    suffix = match["suffix"]
    form = BARE if suffix is None else GRAD_FORM if suffix == "grad" else NODE_VALUE_FORM
    return Target(match["name"], match["index"], form, suffix=f".{suffix}" if suffix else "")


Answer = Constant  # one answer as the student wrote it, and the number it stands for


@dataclass(frozen=True)
class Expectation:
    """`NAME=ANSWER` resolved against the program: what is checked, and the answer."""

    target: str  # as written: "value", "d", "e.value"
    kind: str  # VALUE, GRADIENT or NODE_VALUE
    name: str | None  # the node's name (None for `value` of an unnamed output)
    node: int  # position in the tape
    answer: Answer  # for an answer written as nested lists, its text with form TENSOR_ANSWER and no value
    where: str  # how to point at it in a message: "--expect d=108", "answers.txt line 3"
    index: tuple[int, ...] = ()  # the element or block answered (W[1, 0]), from 0; () for the whole node
    shape: tuple[int, ...] = ()  # the shape of what is answered; () for a number
    # An answer written as nested lists: one Expectation per element (W[1, 0], its number), row-major.
    elements: tuple[Expectation, ...] = ()


def _show(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:40]) + "..."


def split_expectation(item: str, where: str) -> tuple[str, str]:
    """`NAME=ANSWER` -> (NAME, ANSWER), or a usage error pointing at `where`."""
    target, sep, answer = item.partition("=")
    target, answer = target.strip(), answer.strip()
    if not sep or not target:
        raise UsageError(f"{where}: expected NAME=ANSWER (as in d=4/3 or value=4), not {_show(item)}")
    parsed = read_target(target)
    if parsed is None:
        element = ", or an element, as W[1, 0]" if "[" in target else ""
        raise UsageError(f"{where}: {_show(target)} is not a name: write value, an input or intermediate "
                         f"name (d), NAME.value, NAME.grad or dOUT/dNAME (dg/dd){element}")
    target = parsed.text
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


def resolve_target(tape: Tape, target: Target, where: str) -> tuple[str, str | None, int]:
    """(kind, name, node) of a target (with or without an element's index); an unknown name, or a derivative
    of something other than the output, is a usage error."""
    named = tape.named
    if target.form == BARE and target.name == "value" and (target.index is None or "value" not in named):
        return VALUE, tape.output_name, tape.output
    if target.name not in named:
        names = ", ".join(named) or "none"
        raise UsageError(f"{where}: the program has no input or intermediate named {target.name}; the names "
                         f"are: {names} (write {FORMS})")
    node = tape.latest(target.name)  # c is its last version (as at the end of the program), c#2 that version
    name = tape.nodes[node].name
    if target.form == DERIVATIVE_FORM:
        _check_out(tape, target, where)
        return GRADIENT, name, node
    if target.form == NODE_VALUE_FORM:
        return NODE_VALUE, name, node
    if target.form == BARE and node == tape.output and tape.output_name is not None:
        return VALUE, name, node  # g=4: the output's name with its value, as every textbook writes the answer
    return GRADIENT, name, node


def _check_out(tape: Tape, target: Target, where: str) -> None:
    """OUT in dOUT/dNAME is the output: its name, or for an output without one its node id or any name the
    program does not use (the student's own name for it, f in df/da)."""
    out, named = target.out, tape.named
    if out in named and tape.latest(out) == tape.output:
        return
    if tape.output_name is None and out not in named:
        return
    label = tape.output_name or tape.label(tape.output)
    if out in named:
        what = (f"{out} is {'an input' if tape.nodes[named[out]].op == 'input' else 'an intermediate'} of the "
                "program, not its output")
    else:
        what = f"the output is {label}, not {out}"
    right = Target(target.name, target.index, DERIVATIVE_FORM, label, d=target.d).text
    bare = Target(target.name, target.index, BARE).text
    raise UsageError(f"{where}: {target.text} is a derivative of {out}, and check grades derivatives of the "
                     f"output: {what}; write {right} (or {bare}, or {bare}.grad)")


def expectations(tape: Tape, items: Sequence[tuple[str, str]]) -> list[Expectation]:
    """Resolve (NAME=ANSWER, where) items against the program: names checked, answers read."""
    if not items:
        raise UsageError("nothing to check: give at least one answer with --expect NAME=ANSWER "
                         "(as in --expect d=4/3) or --answers FILE")
    seen: dict[tuple, str] = {}
    out = []
    for item, where in items:
        written, text = split_expectation(item, where)
        parsed = read_target(written)
        kind, name, node = resolve_target(tape, parsed, where)
        target = parsed.text  # W[1,0] is W[1, 0]: one spelling, in the table and for "answered twice"
        # a, a.grad and dg/da are one answer; value and g (the output's name) another
        key = (kind, Target("value" if kind == VALUE else parsed.name, parsed.index, BARE).text)
        if key in seen:
            raise UsageError(f"{where}: {target} is answered twice (first at {seen[key]}); give each answer once")
        seen[key] = where
        if not tape.tensor and parsed.index is None and not is_list_text(text):  # a number, as always
            out.append(Expectation(target, kind, name, node, parse_answer(text, where, target), where))
            continue
        out.append(_tensor_expectation(tape, parsed, kind, name, node, text, where))
    return out


# ---------------------------------------------------------------- vectors and matrices


def _subject(tape: Tape, kind: str, name: str | None, node: int) -> str:
    """What an answer is about, in a message: `W's gradient`, `W's value`, `the output's value`."""
    if kind == VALUE:
        return "the output's value"
    label = name or tape.label(node)
    return f"{label}'s gradient" if kind == GRADIENT else f"{label}'s value"


def _shape_text(shape: tuple) -> str:
    from ..engine.tensor.shapes import shape_text

    return shape_text(shape)


def _tensor_expectation(tape: Tape, parsed: Target, kind: str, name: str | None, node: int, text: str,
                        where: str) -> Expectation:
    """An answer in a program with vectors or matrices, or an answer written as a list or for an element: the
    element or block it answers, its shape checked against that block's, its elements read one by one."""
    target, written_index = parsed.text, parsed.index
    node_shape = tuple(getattr(tape.nodes[node], "shape", ()))
    subject = _subject(tape, kind, name, node)
    if kind == GRADIENT:
        _check_gradient(tape, target, name, node, where)
    index: tuple[int, ...] = ()
    if written_index is not None:
        index = _index(written_index, node_shape, subject, target, where)
        subject = f"{Target(parsed.name, parsed.index, BARE).text} (of {subject})"
    shape = node_shape[len(index):]
    what = f"{where}: the answer for {target}"
    if not is_list_text(text):
        if shape:
            raise UsageError(f"{what} is a number, and {subject} has shape {_shape_text(shape)}: write it as a "
                             "list of that shape (as [[0.1, 0.2], [0.3, 0.4]] for a 2 x 2 matrix), or answer an "
                             f"element, as {_example_element(parsed, index, node_shape)}=...")
        return Expectation(target, kind, name, node, parse_answer(text, where, target), where, index, ())
    given_shape, texts = read_list(text, what)
    if not shape:
        raise UsageError(f"{what} is a list of shape {_shape_text(given_shape)}, and {subject} is a number")
    if given_shape != shape:
        hint = (" (your answer has the shape of its transpose)"
                if len(shape) == 2 and given_shape == shape[::-1] else "")
        raise UsageError(f"{what} has shape {_shape_text(given_shape)}, and {subject} has shape "
                         f"{_shape_text(shape)}{hint}")
    from ..engine.tensor.shapes import unravel

    elements = []
    for j, element in enumerate(texts):
        at = index + unravel(j, shape)
        element_target = parsed.at(at)
        elements.append(Expectation(element_target, kind, name, node, parse_answer(element, where, element_target),
                                    where, at))
    return Expectation(target, kind, name, node, Answer(text.strip(), TENSOR_ANSWER, None), where, index, shape,
                       tuple(elements))


def _example_element(parsed: Target, index: tuple, node_shape: tuple) -> str:
    return parsed.at(index + (0,) * (len(node_shape) - len(index)))


def _check_gradient(tape: Tape, target: str, name: str | None, node: int, where: str) -> None:
    """A gradient is answered for a scalar output only, and for a node a gradient flows to."""
    out_shape = tuple(getattr(tape.nodes[tape.output], "shape", ()))
    if out_shape:
        out = tape.output_name or "the output"
        raise UsageError(f"{where}: {out} is a tensor of shape {_shape_text(out_shape)}, so there is no gradient to "
                         f"answer: check grades the gradients of a scalar output (a loss), and the values of any "
                         f"(value=..., NAME.value=...)")
    if tape.tensor and tape.nodes[node].op == "input":
        from ..engine.shaping import index_only, index_uses

        if name in index_only(tape):
            raise UsageError(f"{where}: {name} is used only as an index (in {index_uses(tape)[name]}), so it has "
                             f"no gradient; its value can be checked with {name}.value=...")


def _index(written: str, shape: tuple, subject: str, target: str, where: str) -> tuple[int, ...]:
    """The index written in a target (`1, 0`), each part from 0 (a negative part counts from the end, as in
    NumPy); more parts than the node has axes, or a part out of range, is a usage error."""
    parts = [int(part) for part in written.split(",")]
    if not shape:
        raise UsageError(f"{where}: {target} is an element, and {subject} is a number: answer it without an index")
    if len(parts) > len(shape):
        raise UsageError(f"{where}: {target} has {len(parts)} indices, and {subject} has shape "
                         f"{_shape_text(shape)}: at most {len(shape)}")
    index = []
    for axis, (part, n) in enumerate(zip(parts, shape)):
        if not -n <= part < n:
            raise UsageError(f"{where}: in {target}, the index {part} is out of range for axis {axis} of {subject}, "
                             f"of shape {_shape_text(shape)} (0 to {n - 1}, or -{n} to -1 from the end)")
        index.append(part % n)
    return tuple(index)
