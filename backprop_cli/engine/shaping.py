"""A tensor program's tape with its shapes: every node's shape and its operation in the tensor table.

The shapes of a program come from its inputs' values (`x=[1,2,3]` is a vector of 3), so they are found
once the values are bound: `shaped(tape, inputs)` walks the tape once, from the inputs' and literals'
shapes, with each operation's shape rule (engine/tensor/rules.py), and returns the tape whose nodes carry
their shape and the key of their tensor operation (`max(x)` of a vector is the reduction `max`, of two
arguments the elementwise `max_elementwise`). Shapes that do not fit are a usage error in the program's
own names, with a caret under the operation:

    W @ x: (2, 3) @ (2,) do not fit: the inner sizes 3 and 2 differ (line 1, column 6)

An input used as an index (`x[k]`, the class of `cross_entropy(z, k)`) must hold whole numbers.
A scalar program never comes here (`needs_tensors`).
"""
from __future__ import annotations

from typing import Mapping

from ..base.errors import UsageError, program_error
from .functions import rule_message
from .ops import CONST, CONSTANTS, INPUT
from .tape import Tape, TensorNode
from .tensor.rules import TENSOR_OPS
from .tensor.shapes import ShapeError, Variable, shape_text
from .tensor_calls import tensor_key
from .values import read_list

LABEL_WIDTH = 24  # an unnamed operand is named in a message by its text in the program, when this short


def needs_tensors(tape: Tape, inputs: Mapping) -> bool:
    """Whether the tape runs on the tensor engine: tensor syntax, or a value that is a vector or matrix."""
    return tape.tensor or any(type(v) is list for v in inputs.values())


def value_shape(value) -> tuple:
    """The shape of a value given as nested lists (bindings.value_of checked them), or () for a number."""
    shape = []
    while type(value) is list:
        shape.append(len(value))
        value = value[0]
    return tuple(shape)


def literal_shape(text: str) -> tuple:
    """The shape of a literal's text: a number's is (), a list's as written (`[[1, 2], [3, 4]]` is (2, 2))."""
    return read_list(text, text)[0] if text.startswith("[") else ()


def operand_label(tape: Tape, i: int) -> str:
    """How a message names node i: its name or call, else its text in the program when short, else its id."""
    node = tape.nodes[i]
    if node.name or node.call:
        return node.name or node.call
    if node.span is not None:
        text = tape.source[node.span.start:node.span.end]
        if len(text) <= LABEL_WIDTH and "\n" not in text:
            return text
    return node.text if node.text and len(node.text) <= LABEL_WIDTH else node.id


def located_error(tape: Tape, i: int, message: str, kind: type = UsageError):
    """`message` about node i, with a caret under its part of the program."""
    span = tape.nodes[i].span
    if span is None:
        return kind(message)
    return program_error(tape.source, span.start, span.end, message, kind=kind)


def rule_text(tape: Tape, i: int, err: Exception) -> str:
    """A rule's message over {0}, {1}, {out} in the program's names for node i."""
    return rule_message(err, [operand_label(tape, a) for a in tape.nodes[i].args], operand_label(tape, i))


def shaped(tape: Tape, inputs: Mapping) -> Tape:
    """The tape with each node's shape and tensor operation (see the module's docstring); `inputs` holds a
    value for every input (numbers, or nested lists)."""
    if tape.shaped:
        return tape
    shapes: list = [()] * len(tape.nodes)
    nodes = []
    for i, node in enumerate(tape.nodes):
        op, params = node.op, node.params
        if op == INPUT:
            shapes[i] = value_shape(inputs[node.name])
        elif op == CONST:
            shapes[i] = () if node.text in CONSTANTS else literal_shape(node.text)
        else:
            argument_shapes = tuple(shapes[a] for a in node.args)
            op = tensor_key(op, len(node.args), params, argument_shapes)
            try:
                shapes[i] = TENSOR_OPS[op].shape(argument_shapes, dict(params))
            except ShapeError as err:
                raise located_error(tape, i, rule_text(tape, i, err)) from None
        nodes.append(TensorNode(node.id, op, node.args, node.name, node.text, node.span, node.call, params, shapes[i]))
    result = Tape(tuple(nodes), tape.inputs, tape.output, tape.output_name, tape.source, tape.defaults, tape.notes,
                  tape.functions, True, True)
    _check_indices(result, inputs)
    return result


def index_uses(tape: Tape) -> dict[str, str]:
    """The inputs used as an index, each with the first operation it is an index in (`x[k]`,
    `cross_entropy(z, k)`): their values must be whole numbers, and no gradient flows to them there."""
    found: dict[str, str] = {}
    for i, node in enumerate(tape.nodes):
        if node.op == "index":
            used = [a for item in dict(node.params)["index"] if isinstance(item, Variable)
                    for a in (node.args[item.argument],)]
        elif node.op == "cross_entropy" and tape.nodes[node.args[1]].shape != tape.nodes[node.args[0]].shape:
            used = [node.args[1]]
        else:
            continue
        for a in used:
            name = tape.nodes[a].name if tape.nodes[a].op == INPUT else None
            if name is not None and name not in found:
                found[name] = tape.expression(i)
    return found


def index_only(tape: Tape) -> frozenset[str]:
    """The inputs used only as indices: they have no gradient at all."""
    uses = index_uses(tape)
    other = set()
    for i, node in enumerate(tape.nodes):
        for k, a in enumerate(node.args):
            as_index = (node.op == "index" and k > 0) or (node.op == "cross_entropy" and k == 1
                                                          and tape.nodes[a].shape != tape.nodes[node.args[0]].shape)
            if not as_index:
                other.add(a)
    return frozenset(name for name in uses if tape.inputs[name] not in other)


def _check_indices(tape: Tape, inputs: Mapping) -> None:
    for name, where in index_uses(tape).items():
        value = inputs[name]
        flat = [value]
        while flat and type(flat[0]) is list:
            flat = [x for row in flat for x in row]
        for x in flat:
            if x != int(x):  # a float or a fraction (the values are finite: bindings read them)
                shown = value if type(value) is not list else f"{x} (an element of {name}, of shape " \
                                                                f"{shape_text(value_shape(value))})"
                raise UsageError(f"{name} is an index in {where}, so its value is a whole number, not {shown}")
