"""`backprop jacobian`: d output / d input, every element by every element, of a tensor (or scalar) output."""
from __future__ import annotations

import sys

import click

from ..base.errors import OK
from ..engine.arithmetic import EXACT, FLOAT
from .options import ProgramCommand, digits_option, exact_option, json_option, load, program_options

EXAMPLES = """
\b
Examples:
  backprop jacobian "softmax(z)" z=[1,2,3]
  backprop jacobian "tanh(dot(W, x) + b)" W="[[0.1,0.2],[0.3,0.4]]" x=[1,2] b=[0,0.5] --wrt W
  backprop jacobian "y = x / sum(x)" x=[1,2,3] --exact --json

\b
Reference (in the source tree):
  docs/tensors.md                     vectors and matrices
  docs/commands.md#backprop-jacobian  every option
  docs/json.md                        the --json document
"""


@click.command("jacobian", cls=ProgramCommand, epilog=EXAMPLES)
@program_options
@click.option("--wrt", metavar="NAMES", multiple=True,
              help="Only these inputs (comma-separated, or the option repeated).")
@json_option
@exact_option
@digits_option
@click.pass_context
def jacobian_command(ctx, program, file, color, debug, wrt, as_json, exact, digits):
    """The Jacobian of PROGRAM's output at a point, with respect to each input.

    One table per input: a row per element of the output (out[0], out[1]...),
    a column per element of the input (x[0], x[1]...); with --json, nested
    lists of shape output.shape + input.shape. One reverse sweep per element
    of the output. Give each input a value: x=[1,2,3], -x VALUE or NAME=VALUE.
    """
    from ..engine.bindings import select_inputs
    from ..engine.tensor_compute import jacobian
    from ..render.progress import Progress

    progress = ctx.with_resource(Progress("backprop jacobian", as_json))  # a bar on a terminal's stderr
    progress.stage("reading the program")
    arithmetic = EXACT if exact else FLOAT
    loaded = load(ctx, program, file, arithmetic)
    names = select_inputs(loaded.tape, wrt, "--wrt")
    progress.stage("one reverse sweep per element of the output")
    result = jacobian(loaded.tape, loaded.inputs, arithmetic, names)
    progress.output("writing the tables")
    if as_json:
        from ..render.json_report import dumps
        from ..render.tensor_json import jacobian_document

        sys.stdout.write(dumps(jacobian_document(result), pretty=sys.stdout.isatty()) + "\n")
    else:
        from ..render.console import make_console
        from ..render.tensor_tables import jacobian_view

        make_console(color).print(jacobian_view(result, digits, loaded.from_program), crop=False)
    return OK
