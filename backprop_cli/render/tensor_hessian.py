"""`backprop hessian` of a program with vectors and matrices: its tables and its JSON document.

The inputs of the matrix with their shapes, values and gradients, as the eval tables write tensors
(tensor_tables.nested_text), then the matrix over their elements (`W[0, 1]`), or, past TABLE_COLUMNS
elements, a line that sends the reader to --json. Nothing here computes.
"""
from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..base.numbers import exact_text, format_number, json_number
from ..engine.tensor.shapes import shape_text
from .formulas import GRAD_STYLE, VALUE_STYLE, output_label
from .tables import whole_words
from .tensor_json import nested_numbers
from .tensor_tables import JACOBIAN_COLUMNS, headline, kink_notes, nested_text

TABLE_COLUMNS = JACOBIAN_COLUMNS  # a matrix over more elements than this is left to --json, as a Jacobian is


def _table(*columns: tuple[str, str]) -> Table:
    """A table as the scalar Hessian's (formulas.hessian_view)."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header, justify in columns:
        table.add_column(header, justify=justify)
    return table


def _cell(result, value, shape, digits, style) -> Text:
    return Text(nested_text(result.nested(value), digits, shape), style=style)


def hessian_view(found, digits: int | None, from_program: tuple = (), notes: list | None = None) -> Group:
    result = found.result
    tape = result.tape
    gradient = result.gradient()
    inputs = _table(("input", "left"), ("shape", "left"), ("value", "right"), ("gradient", "right"))
    for name in found.inputs:
        shape = tape.nodes[tape.inputs[name]].shape
        g = gradient.get(name)
        inputs.add_row(Text(name), Text(shape_text(shape)),
                       Text(nested_text(result.inputs[name], digits, shape), style=VALUE_STYLE),
                       _cell(result, g, shape, digits, GRAD_STYLE) if g is not None
                       else Text("0" if not shape else "0 everywhere", style=GRAD_STYLE))
    title = f"Hessian: ∂/∂row (∂{output_label(tape)}/∂column)"
    n = len(found.names)
    if n > TABLE_COLUMNS:
        matrix = [Text(f"{title}: {n} × {n} numbers, more columns than a table shows (at most {TABLE_COLUMNS}); "
                       "--json has them all, or name fewer inputs with --wrt", style="bold")]
    else:
        table = _table(("", "left"), *((name, "right") for name in found.names))
        for name, row in zip(found.names, found.matrix):
            table.add_row(Text(name, style="bold"), *(Text(format_number(v, digits), style=GRAD_STYLE) for v in row))
        whole_words(table)
        for column in table.columns:  # an element's name (`W[0, 1]`) is one word, on one line
            column.min_width = max(column.min_width or 0, max(len(str(column.header)), *map(len, found.names)))
        matrix = [Text(title, style="bold"), table]
    return Group(headline(result, digits, from_program), Text(""), Text("Inputs and gradient", style="bold"),
                 whole_words(inputs), Text(""), *matrix, *(notes or ()), *kink_notes(result, digits))


def hessian_document(found, convention: str, exact: bool) -> dict:
    """`backprop hessian --json` of a tensor program: values and gradients as nested lists, the matrix over
    the elements `names` (each input's elements row-major, `shapes` giving each input's shape)."""
    result = found.result
    tape = result.tape
    shapes = {name: tape.nodes[i].shape for name, i in tape.inputs.items()}
    gradient = result.gradient()
    doc = {
        "program": tape.source,
        "value": json_number(result.value),
        "output": tape.output_name,
        "inputs": {name: nested_numbers(result, result.inputs[name], shape) for name, shape in shapes.items()},
        "gradient": {name: nested_numbers(result, gradient[name], shape) for name, shape in shapes.items()
                     if name in gradient},
        "convention": convention,
        "hessian": {"names": list(found.names), "shapes": {name: list(shapes[name]) for name in found.inputs},
                    "matrix": [[json_number(v) for v in row] for row in found.matrix]},
    }
    if exact:
        doc["exact"] = {"hessian": [[exact_text(v) for v in row] for row in found.matrix]}
    return doc
