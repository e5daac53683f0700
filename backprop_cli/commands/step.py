"""`backprop step`: one gradient step on the inputs of a program, before and after."""
from __future__ import annotations

import math
import sys

import click

from ..base.errors import OK, UsageError
from ..engine.arithmetic import FLOAT
from .options import (
    ProgramCommand,
    convention_option,
    digits_option,
    json_option,
    load,
    program_options,
)

EXAMPLES = """
\b
Examples:
  backprop step "d = a + b; f = d * c" -a 5 -b -3 -c -2 --lr 0.01 --ascent
  backprop step "E = (y - w*x)^2" -w 0.5 -x 2 -y 3 --lr 0.1 --update w
  backprop step --file net.txt w1=0.15 x1=0.05 ... --lr 0.5 --update w1,w2 --json
  backprop step "E = mse(W @ x, y)" W="[[0.5, -1], [2, 0]]" x=[1,2] y=[0,1] --lr 0.1 --update W

\b
Reference (in the source tree):
  docs/formulas-and-training.md   gradient steps
  docs/tensors.md                 vectors and matrices
  docs/commands.md#backprop-step  every option
"""


def check_lr(lr: float) -> float:
    if not math.isfinite(lr) or lr < 0:
        raise UsageError(f"--lr must be a finite number >= 0, not {lr}")
    return lr


@click.command("step", cls=ProgramCommand, epilog=EXAMPLES)
@program_options
@click.option("--lr", type=float, required=True, metavar="H", help="The learning rate (step size) H.")
@click.option("--update", metavar="NAMES", multiple=True,
              help="Move only these inputs (comma-separated, or the option repeated); the rest stay fixed. "
                   "Without it, the inputs given on the command line move, and those whose value the program "
                   "gives (x = 3) stay fixed, unless there are no others.")
@click.option("--ascent", is_flag=True, help="Climb: x + H·∂f/∂x (the default descends: x - H·∂f/∂x).")
@json_option
@digits_option
@convention_option
@click.pass_context
def step_command(ctx, program, file, color, debug, lr, update, ascent, as_json, digits, convention):
    """One gradient step on the inputs of PROGRAM: x - H·∂f/∂x for each (or x + H·∂f/∂x with --ascent).

    Prints the inputs and the value before and after the step. --update moves
    only some inputs (the weights) and keeps the others (the data) fixed. Give
    each input a value: -x VALUE or NAME=VALUE (a vector or matrix as nested
    lists, W="[[0.1, 0.2], [0.3, 0.4]]": each element moves).
    """
    from ..engine.bindings import select_inputs
    from .options import moving_inputs
    from ..render.progress import Progress
    from ..training.optimizers import gradient_step

    check_lr(lr)
    progress = ctx.with_resource(Progress("backprop step", as_json))  # a bar on a terminal's stderr
    progress.stage("reading the program")
    loaded = load(ctx, program, file, FLOAT)
    names = select_inputs(loaded.tape, update or moving_inputs(loaded), "--update")
    progress.stage("the gradient and the step")
    stepped = gradient_step(loaded.tape, loaded.inputs, lr, names, ascent, convention)
    progress.output()
    if as_json:
        from ..render.json_report import dumps
        from ..render.training import step_document

        doc = step_document(loaded.tape, stepped, names, lr, ascent)
        sys.stdout.write(dumps(doc, pretty=sys.stdout.isatty()) + "\n")
        return OK
    from ..render.console import make_console
    from ..render.formulas import output_label
    from ..render.training import input_shapes, step_view

    view = step_view(output_label(loaded.tape), stepped, names, lr, ascent, digits, input_shapes(loaded.tape))
    make_console(color).print(view, crop=False)  # a table wider than the terminal keeps its numbers whole
    return OK
