"""Rich tables for programs with vectors and matrices: `backprop eval` and `backprop jacobian`.

The same tables as tables.py, a shape column added: a tensor is written in full when small
(`[[0.1, 0.2], [0.3, 0.4]]`), else with its shape and its first elements (`(64, 32) [[0.12, -0.3, 0.5,
...], ...]`); each gradient has its node's shape, and the backward table gives each node's local rule at
tensor level (`∂L/∂W = ∂L/∂y · xᵀ`). Numbers are formatted element by element (base/numbers.py);
nothing here computes.
"""
from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..base.numbers import format_number
from ..engine.conventions import LABELS
from ..engine.tensor.shapes import element_text, shape_text, size, unravel
from .tables import GRAD_STYLE, VALUE_STYLE, _lines, _table, exact_notes, program_title, whole_words
from .tensor_text import FULL_ELEMENTS, KEEP_LAST, KEEP_OUTER, nested_text  # noqa: F401 (named here too)

KINK_NOTES = 5  # notes per node on a kink; the other elements are counted in one more note
JACOBIAN_COLUMNS = 16  # a Jacobian with more columns (input elements) than this is left to --json


def _cell(result, value, shape, digits, style: str) -> Text:
    if value is None:
        return Text("—")
    return Text(nested_text(result.nested(value), digits, shape), style=style)


def headline(result, digits: int | None, from_program: tuple = ()) -> Text:
    """`L = 2.17552   (5 nodes, 2 inputs)`, or a tensor output with its value in full or abbreviated."""
    tape = result.tape
    name = tape.output_name or program_title(tape.source) or tape.nodes[tape.output].id
    text = Text()
    text.append(f"{name} = ", style="bold")
    text.append(nested_text(result.nested(result.value), digits, result.shape(tape.output)), style="bold " + VALUE_STYLE)
    nodes, inputs = len(tape.nodes), len(tape.inputs)
    given = ""
    if from_program:
        values = ", ".join(f"{n} = {nested_text(result.inputs[n], digits, result.shape(tape.inputs[n]))}"
                           for n in from_program)
        given = f"; {values} from the program"
    shape = result.shape(tape.output)
    shown = f"shape {shape_text(shape)}; " if shape else ""
    text.append(f"   ({shown}{nodes} node{'s' * (nodes != 1)}, {inputs} input{'s' * (inputs != 1)}{given})",
                style="dim")
    for note in tape.notes:
        text.append(f"\nnote: {note}", style="dim")
    return text


def forward_table(result, digits: int | None) -> Table:
    tape = result.tape
    table = _table("Forward pass", ("node", "left"), ("name", "left"), ("operation", "left"), ("shape", "left"),
                   ("value", "right"))
    for i, node in enumerate(tape.nodes):
        table.add_row(Text(node.id), Text(node.display_name or ""), Text(tape.expression(i)),
                      Text(shape_text(node.shape)), _cell(result, result.values[i], node.shape, digits, VALUE_STYLE))
    return whole_words(table)


def backward_table(result, digits: int | None) -> Table:
    """One row per node a gradient reached, output first: where it came from, the gradient (in the node's
    shape), and the local rule that sends it on to each argument."""
    tape = result.tape
    table = _table("Backward pass (reverse mode)", ("node", "left"), ("upstream", "left"), ("gradient", "right"),
                   ("local rule", "left"))
    received = result.received()
    for i in range(len(tape.nodes) - 1, -1, -1):
        node = tape.nodes[i]
        if result.grads[i] is None:
            continue
        if i == tape.output:
            upstream = ["1 (seed)"]
        else:
            upstream = [f"from {tape.label(c)}" for c, _ in received[i]] or ["none"]
        table.add_row(Text(f"{node.id} {node.display_name}" if node.display_name else node.id), _lines(upstream),
                      _cell(result, result.grads[i], node.shape, digits, GRAD_STYLE),
                      _lines([text for _, text in result.rules(i)]))
    return whole_words(table)


def inputs_table(result, digits: int | None) -> Table:
    table = _table("Inputs: gradient of the output", ("input", "left"), ("shape", "left"), ("value", "right"),
                   ("reverse mode", "right"), ("forward mode", "right"))
    forward = result.forward_gradient or {}
    gradient = result.gradient()
    for name, at in result.tape.inputs.items():
        shape = result.shape(at)
        if name in result.no_gradient:
            reverse = backward = Text("none (an index)")
        else:
            reverse = _cell(result, gradient.get(name), shape, digits, GRAD_STYLE)
            backward = _cell(result, forward.get(name), shape, digits, GRAD_STYLE)
        table.add_row(Text(name), Text(shape_text(shape)),
                      Text(nested_text(result.inputs[name], digits, shape), style=VALUE_STYLE), reverse, backward)
    return whole_words(table)


def source_label(tape, i: int, source: tuple) -> str:
    """An operand element of a kink: `z[1]`, or the operand alone when it is a scalar."""
    k, index = source
    return tape.label(tape.nodes[i].args[k]) + (element_text(index) if index else "")


def kink_notes(result, digits: int | None) -> list[Text]:
    """One note per element sitting exactly on a kink (at most KINK_NOTES per node, the rest counted)."""
    tape = result.tape
    out: list[Text] = []
    shown: dict[int, int] = {}
    for kink in result.kinks:
        count = shown[kink.node] = shown.get(kink.node, 0) + 1
        if count > KINK_NOTES:
            continue
        sides = "; ".join(f"∂/∂{source_label(tape, kink.node, s)}: left {format_number(left, digits)}, right "
                          f"{format_number(right, digits)}, used {format_number(used, digits)}"
                          for s, (left, right), used in zip(kink.sources, kink.one_sided, kink.used))
        at = f" at {element_text(kink.at)}" if kink.at else ""
        out.append(Text(f"note: {tape.nodes[kink.node].id} = {tape.expression(kink.node)} sits exactly on its kink"
                        f"{at}, where the derivative is a convention ({LABELS[kink.convention]}), not a fact. "
                        f"One-sided derivatives: {sides}.", style="yellow"))
    for i, count in shown.items():
        if count > KINK_NOTES:
            out.append(Text(f"note: {count - KINK_NOTES} more elements of {tape.nodes[i].id} sit on a kink "
                            "(--json lists them all).", style="yellow"))
    return out


def notes(result, digits: int | None) -> list[Text]:
    out = []
    if result.forward_gradient is None and result.forward_skipped:
        out.append(Text(f"note: forward mode was skipped: {result.forward_skipped}; the reverse-mode gradients "
                        "above are complete.", style="yellow"))
    return out + exact_notes(result) + kink_notes(result, digits)


def _too_many_rows(nodes: int, max_rows: int) -> list:
    return [Text(f"The forward and backward tables are left out: the graph has {nodes} nodes and the tables show "
                 f"at most {max_rows} (--max-rows N to raise it; --json has every node).", style="dim"), Text("")]


def eval_view(result, digits: int | None, report=None, max_rows: int = 200, from_program: tuple = ()) -> Group:
    """The eval tables of a tensor program (tables.eval_view's signature); with --check's `report`, its table
    (render/tensor_check.py) after the inputs' and its notes last."""
    parts = [headline(result, digits, from_program), Text("")]
    nodes = len(result.tape.nodes)
    if nodes <= max_rows:
        parts += [forward_table(result, digits), Text(""), backward_table(result, digits), Text("")]
    elif max_rows > 0:
        parts += _too_many_rows(nodes, max_rows)
    parts.append(inputs_table(result, digits))
    if report is not None:
        from .tensor_check import check_table

        parts += [Text(""), check_table(report, digits)]
    parts += notes(result, digits)
    if report is not None:
        from .tensor_check import check_notes

        parts += check_notes(report, digits)
    return Group(*parts)


def values_view(result, digits: int | None, max_rows: int = 200, from_program: tuple = ()) -> Group:
    """A tensor output's values: the headline and the forward table (eval then asks for a scalar)."""
    parts = [headline(result, digits, from_program), Text("")]
    nodes = len(result.tape.nodes)
    if nodes <= max_rows:
        parts.append(forward_table(result, digits))
    elif max_rows > 0:
        parts += _too_many_rows(nodes, max_rows)[:1]
    return Group(*parts)


# -- backprop jacobian ---------------------------------------------------------------------------------

def element_labels(name: str, shape: tuple) -> list[str]:
    """`x[0]`, `x[1]`... (`W[0, 1]` for a matrix), row-major; a scalar is its name alone."""
    if not shape:
        return [name]
    return [name + element_text(unravel(j, shape)) for j in range(size(shape))]


def output_label(tape) -> str:
    return tape.output_name or "out"


def jacobian_table(result, name: str, digits: int | None) -> Table | Text:
    """d output / d `name`: a row per output element, a column per element of the input."""
    tape = result.tape
    out_shape, in_shape = result.shape(tape.output), result.shape(tape.inputs[name])
    out_label = output_label(tape)
    title = f"∂{out_label}/∂{name}" + (f"   {shape_text(out_shape)} × {shape_text(in_shape)}"
                                       if out_shape or in_shape else "")
    jacobian = result.jacobians[name]
    if jacobian is None:
        return Text(f"{title}: none ({name} is an index)", style="bold")
    rows, columns = element_labels(out_label, out_shape), element_labels(name, in_shape)
    if len(columns) > JACOBIAN_COLUMNS:
        return Text(f"{title}: {len(rows)} × {len(columns)} numbers, more columns than a table shows "
                    f"(at most {JACOBIAN_COLUMNS}); --json has them all", style="bold")
    flat = result.flat(jacobian)
    table = _table(title, ("", "left"), *((label, "right") for label in columns))
    table.min_width = len(title)  # the title on one line
    width = len(columns)
    for r, label in enumerate(rows):
        table.add_row(Text(label), *(Text(format_number(x, digits), style=GRAD_STYLE)
                                     for x in flat[r * width:(r + 1) * width]))
    return whole_words(table)


def jacobian_view(result, digits: int | None, from_program: tuple = ()) -> Group:
    parts: list = [headline(result, digits, from_program), Text("")]
    for name in result.jacobians:
        parts += [jacobian_table(result, name, digits), Text("")]
    if result.exact:
        if result.all_exact():
            parts.append(Text("exact: every entry above is an exact fraction.", style="green"))
        else:
            parts.append(Text("exact: some entries are not rational and are shown as floats; the fractions shown "
                              "are exact.", style="yellow"))
    elif parts and isinstance(parts[-1], Text) and not parts[-1].plain:
        parts.pop()
    return Group(*parts)
