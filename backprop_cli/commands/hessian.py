"""`backprop hessian`: the matrix of second derivatives of a program at a point."""
from __future__ import annotations

import sys

import click

from ..base.errors import OK, BackpropError
from ..engine.arithmetic import EXACT, FLOAT
from ..engine.compute import differentiate
from ..engine.conventions import LABELS
from .options import (
    ProgramCommand,
    convention_option,
    digits_option,
    exact_option,
    json_option,
    load,
    program_options,
)

EXAMPLES = """
\b
Examples:
  backprop hessian "x^2*y + sin(x*y)" -x 1 -y 2
  backprop hessian "(a+b)*c/d" -a 5 -b 1 -c -2 -d -3 --exact
  backprop hessian "sigmoid(w*x + b)" -w 0.5 -x 2 -b -1 --wrt w,b --json
  backprop hessian "L = sum((X @ w - y)^2) / 2" X="[[1, 2], [3, 4]]" w=[1,-1] y=[0,1] --wrt w

\b
Reference (in the source tree):
  docs/formulas-and-training.md      second derivatives
  docs/tensors.md                    vectors and matrices
  docs/commands.md#backprop-hessian  every option
"""


@click.command("hessian", cls=ProgramCommand, epilog=EXAMPLES)
@program_options
@click.option("--wrt", metavar="NAMES", multiple=True,
              help="Only these inputs (comma-separated, or the option repeated) as rows and columns.")
@json_option
@exact_option
@digits_option
@convention_option
@click.pass_context
def hessian_command(ctx, program, file, color, debug, wrt, as_json, exact, digits, convention):
    """The Hessian of PROGRAM at a point: d²out / d x_i d x_j for every pair of inputs.

    Computed forward-over-reverse: the gradient is built as an expression graph
    (symbol-to-symbol reverse mode), then forward mode over that graph, one pass
    per input, gives one column of the matrix. Give each input a value:
    -x VALUE or NAME=VALUE. With vectors and matrices, the matrix is over their
    elements (W[0, 1]), at most 64 in all: the program is written out element
    by element and differentiated twice as above.
    """
    from ..engine.bindings import select_inputs
    from ..engine.second import hessian
    from ..render.progress import Progress

    progress = ctx.with_resource(Progress("backprop hessian", as_json))  # a bar on a terminal's stderr
    progress.stage("reading the program")
    arithmetic = EXACT if exact else FLOAT
    loaded = load(ctx, program, file, arithmetic)
    progress.stage("second derivatives")
    if loaded.tape.tensor:
        return _tensor_hessian(loaded, wrt, as_json, exact, digits, convention, color, progress)
    tape = loaded.tape
    names = select_inputs(tape, wrt, "--wrt")
    # The matrix first, so its gradient graph is gone before the first derivatives are held (the peak
    # memory is the larger of the two, not their sum); a program whose first derivatives fail still
    # reports their error, as it did when they came first.
    try:
        matrix = hessian(tape, loaded.inputs, names, arithmetic, convention).matrix
    except BackpropError:
        differentiate(tape, loaded.inputs, arithmetic, forward_mode=False, convention=convention)
        raise
    result = differentiate(tape, loaded.inputs, arithmetic, forward_mode=False, convention=convention)
    gradient = result.gradient()
    progress.output()
    if as_json:
        from ..base.numbers import exact_text, json_number
        from ..render.json_report import dumps

        doc = {
            "program": tape.source,
            "value": json_number(result.value),
            "output": tape.output_name,
            "inputs": {name: json_number(v) for name, v in loaded.inputs.items()},
            "gradient": {name: json_number(gradient[name]) for name in tape.inputs},
            "convention": convention,
            "hessian": {"names": names, "matrix": [[json_number(v) for v in row] for row in matrix]},
        }
        if exact:
            doc["exact"] = {"hessian": [[exact_text(v) for v in row] for row in matrix]}
        sys.stdout.write(dumps(doc, pretty=sys.stdout.isatty()) + "\n")
        return OK

    from rich.text import Text

    from ..render.console import make_console
    from ..render.formulas import hessian_view, output_label
    from ..render.tables import headline

    notes = []
    if exact:
        exact_all = all(arithmetic.is_exact(v) for row in matrix for v in row)
        notes.append(Text("exact: every second derivative above is an exact fraction." if exact_all else
                          "exact where shown as a fraction; the others are not rational and are shown as floats.",
                          style="green" if exact_all else "yellow"))
    for kink in result.kinks:
        node = tape.nodes[kink.node]
        notes.append(Text(f"note: {node.id} = {tape.expression(kink.node)} sits exactly on its kink: its derivatives "
                          f"there are {LABELS[kink.convention]} conventions, not facts.", style="yellow"))
    rows = {name: (loaded.inputs[name], gradient[name]) for name in names}
    label = output_label(tape)
    view = hessian_view(headline(result, digits, loaded.from_program), label, names, matrix, rows, digits, notes)
    make_console(color).print(view, crop=False)  # a table wider than the terminal keeps its numbers whole
    return OK


def _tensor_hessian(loaded, wrt, as_json: bool, exact: bool, digits, convention: str, color, progress) -> int:
    """A program with vectors and matrices: the matrix over the elements of its inputs (engine/tensor_second.py)."""
    from ..engine.bindings import select_inputs
    from ..engine.tensor_second import tensor_hessian

    arithmetic = EXACT if exact else FLOAT
    names = select_inputs(loaded.tape, wrt, "--wrt") if wrt else None
    found = tensor_hessian(loaded.tape, loaded.inputs, names, arithmetic, convention)
    progress.output()
    if as_json:
        from ..render.json_report import dumps
        from ..render.tensor_hessian import hessian_document

        sys.stdout.write(dumps(hessian_document(found, convention, exact), pretty=sys.stdout.isatty()) + "\n")
        return OK
    from rich.text import Text

    from ..render.console import make_console
    from ..render.tensor_hessian import hessian_view

    notes = []
    if exact:
        exact_all = all(arithmetic.is_exact(v) for row in found.matrix for v in row)
        notes.append(Text("exact: every second derivative above is an exact fraction." if exact_all else
                          "exact where shown as a fraction; the others are not rational and are shown as floats.",
                          style="green" if exact_all else "yellow"))
    view = hessian_view(found, digits, loaded.from_program, notes)
    make_console(color).print(view, crop=False)  # a table wider than the terminal keeps its numbers whole
    return OK
