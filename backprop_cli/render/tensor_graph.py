"""What a --graph picture says of a program with vectors and matrices (graph_text.py and graph_tree.py ask).

A tensor node gets a line with its shape, then its value and its gradient as the eval tables write them
(tensor_tables.nested_text: in full up to 16 numbers, else the first elements and `...`; the shape, which
has its own line here, is not repeated), broken over lines of at most LINE_WIDTH characters after a row or
a comma, never inside a number. A node holding a number keeps the line of a program of numbers,
`value V | grad G`. An edge carries the local rule at tensor level for that argument (`∂L/∂W = ∂L/∂y ·
xᵀ`), as the backward table does, the local derivative of a tensor being a Jacobian; an edge no gradient
goes back along has none. Nothing is computed here.
"""
from __future__ import annotations

from ..base.numbers import format_number
from ..engine.tensor.shapes import shape_text, size
from .tensor_tables import FULL_ELEMENTS, nested_text

LINE_WIDTH = 40  # graph_text.LABEL_LIMIT (graph_text imports this module, so not the other way round)


def elements_text(result, value, shape: tuple, digits: int | None) -> str:
    """The value as the eval tables write it, without the shape they put before an abbreviated one."""
    text = nested_text(result.nested(value), digits, shape)
    if size(shape) > FULL_ELEMENTS:
        text = text[len(shape_text(shape)) + 1:]
    return text


def wrapped(first: str, text: str, width: int = LINE_WIDTH) -> list[str]:
    """`first` and `text` over lines of at most `width` characters, broken after a comma: after each row when
    the text does not fit on one line. A number is never cut (one longer than the width has a line of its
    own), and the `...` of an abbreviated row stays on the row's line."""
    if len(first) + len(text) <= width:
        return [first + text]
    pieces: list[str] = []
    for piece in text.split(", "):
        if piece.startswith("...") and pieces:
            pieces[-1] += ", " + piece
        else:
            pieces.append(piece)
    lines, line = [], first + pieces[0]
    for k, piece in enumerate(pieces[1:], start=2):
        room = len(line) + 2 + len(piece) + (k < len(pieces))  # the comma that ends a line but the last
        if piece.startswith("[") or room > width:  # a new row, or no room
            lines.append(line + ",")
            line = piece
        else:
            line += ", " + piece
    return lines + [line]


def number_lines(result, i: int, digits: int | None) -> list[tuple[str, str]]:
    """(text, what) per line of node i below its operation, `what` being "shape", "value" or "grad"."""
    shape = result.shape(i)
    grad = result.grads[i]
    if not shape:  # a number: the line of a program of numbers
        line = "value " + format_number(result.nested(result.values[i]), digits)
        return [(line, "value")] + ([("grad " + format_number(result.nested(grad), digits), "grad")]
                                    if grad is not None else [])
    lines = [(f"shape {shape_text(shape)}", "shape")]
    lines += [(text, "value") for text in wrapped("value ", elements_text(result, result.values[i], shape, digits))]
    if grad is not None:
        lines += [(text, "grad") for text in wrapped("grad ", elements_text(result, grad, shape, digits))]
    return lines


def tree_parts(result, i: int, digits: int | None) -> tuple[str, str, str | None]:
    """For the terminal tree, each on a line: (`shape (2, 2)` or "", `value ...`, `grad ...` or None)."""
    shape = result.shape(i)
    grad = result.grads[i]
    value = "value " + elements_text(result, result.values[i], shape, digits)
    return (f"shape {shape_text(shape)}" if shape else "", value,
            None if grad is None else "grad " + elements_text(result, grad, shape, digits))


def tensor_edges(result, nodes=None):
    """The argument edges of `nodes` (every node, by default), in tape order, one at a time, as (argument,
    node, the local rule of that argument, or None where no gradient went back)."""
    tape = result.tape
    for i in range(len(tape.nodes)) if nodes is None else nodes:
        if tape.nodes[i].args:
            for a, rule in zip(tape.nodes[i].args, result.local_rules(i)):
                yield a, i, rule


def bindings(result, digits: int | None) -> list[str]:
    """`W = [[1, 2], [3, 4]]` per input, for the caption (an abbreviated value with its shape, as in the tables)."""
    tape = result.tape
    return [f"{name} = {nested_text(result.inputs[name], digits, result.shape(at))}" for name, at in tape.inputs.items()]
