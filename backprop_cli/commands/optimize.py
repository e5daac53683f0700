"""`backprop optimize`: many steps of an optimizer (SGD, momentum, Adagrad, RMSprop, Adam) on a program's inputs."""
from __future__ import annotations

import json
import math
import sys

import click

from ..base.errors import OK, UsageError
from ..engine.arithmetic import FLOAT
from ..training.optimizers import DEFAULT_LR, OPTIMIZERS
from .options import ProgramCommand, convention_option, digits_option, load, program_options

EXAMPLES = """
\b
Examples:
  backprop optimize "(x - 3)^2 + (y + 1)^2" -x 0 -y 0 --lr 0.1 --steps 50
  backprop optimize "(x - 3)^2" -x 0 --optimizer adam --lr 0.5 --steps 200 --tol 1e-9
  backprop optimize "E = (y - w*x - b)^2" -w 0 -b 0 -x 2 -y 3 --update w,b --optimizer momentum --lr 0.01
  backprop optimize "(x - 3)^2" -x 0 --steps 10 --json | jq -c 'select(.step) | .value'
  backprop optimize "E = mse(W @ x, y)" W="[[0.5, -1], [2, 0]]" x=[1,2] y=[0,1] --update W --optimizer adam

\b
Reference (in the source tree):
  docs/formulas-and-training.md       optimizers
  docs/tensors.md                     vectors and matrices
  docs/commands.md#backprop-optimize  every option
"""

_LR_DEFAULTS = ", ".join(f"{name} {lr:g}" for name, lr in DEFAULT_LR.items())


@click.command("optimize", cls=ProgramCommand, epilog=EXAMPLES)
@program_options
@click.option("--optimizer", type=click.Choice(OPTIMIZERS), default="sgd", show_default=True,
              help="The update rule, as in torch.optim (momentum is SGD with momentum).")
@click.option("--lr", type=float, default=None, metavar="H",
              help=f"Learning rate. Default: PyTorch's for the optimizer ({_LR_DEFAULTS}).")
@click.option("--steps", type=click.IntRange(0, 10_000_000), default=100, show_default=True, metavar="N",
              help="Number of steps.")
@click.option("--update", metavar="NAMES", multiple=True,
              help="Move only these inputs (comma-separated, or the option repeated); the rest stay fixed. "
                   "Without it, the inputs given on the command line move, and those whose value the program "
                   "gives (x = 3) stay fixed, unless there are no others.")
@click.option("--ascent", is_flag=True, help="Maximise instead of minimise (PyTorch's maximize=True).")
@click.option("--tol", type=float, default=None,
              help="Stop early once the gradient's norm over the moving inputs, or the change of the value in the "
                   "last step, is at most this.")
@click.option("--momentum", type=float, default=None, help="momentum: 0.9; rmsprop: 0.")
@click.option("--nesterov", is_flag=True, default=None, help="momentum: Nesterov momentum.")
@click.option("--beta1", type=float, default=None, help="adam: 0.9.")
@click.option("--beta2", type=float, default=None, help="adam: 0.999.")
@click.option("--eps", type=float, default=None, help="adam and rmsprop: 1e-8; adagrad: 1e-10.")
@click.option("--alpha", type=float, default=None, help="rmsprop: 0.99 (the smoothing constant).")
@click.option("--centered", is_flag=True, default=None, help="rmsprop: the centered variant.")
@click.option("--lr-decay", type=float, default=None, help="adagrad: 0.")
@click.option("--initial-accumulator", type=float, default=None, help="adagrad: 0.")
@click.option("--weight-decay", type=float, default=0.0, show_default=True, help="L2 penalty, any optimizer.")
@click.option("--json", "as_json", is_flag=True,
              help="Stream JSON lines: one per step, then a summary line.")
@digits_option
@convention_option
@click.pass_context
def optimize_command(ctx, program, file, color, debug, optimizer, lr, steps, update, ascent, tol, momentum, nesterov,
                     beta1, beta2, eps, alpha, centered, lr_decay, initial_accumulator, weight_decay, as_json,
                     digits, convention):
    """Run an optimizer on the inputs of PROGRAM for --steps steps, with PyTorch's update rules and defaults.

    Each step evaluates the program and its gradient at the current inputs and
    moves them by the optimizer's rule (the formulas: docs/formulas-and-training.md).
    --update moves only some inputs (the weights) and keeps the others (the data)
    fixed. --json streams one line per step, {"step", "value", "inputs",
    "gradient"} at the point the step starts from, then {"summary": ...}.
    """
    from ..engine.bindings import select_inputs
    from .options import moving_inputs
    from ..training.optimizers import Finish, optimize, settings

    if tol is not None and (not math.isfinite(tol) or tol < 0):
        raise UsageError(f"--tol must be a finite number >= 0, not {tol}")
    s = settings(optimizer, lr, ascent, weight_decay, momentum=momentum, nesterov=nesterov, beta1=beta1,
                 beta2=beta2, eps=eps, alpha=alpha, centered=centered, lr_decay=lr_decay,
                 initial_accumulator=initial_accumulator)
    loaded = load(ctx, program, file, FLOAT)
    names = select_inputs(loaded.tape, update or moving_inputs(loaded), "--update")
    run = optimize(loaded.tape, loaded.inputs, s, steps, names, tol, convention)

    from ..render import training as view

    values: list = []
    if as_json:
        for item in run:
            if isinstance(item, Finish):
                finish = item
                line = view.summary_document(item, s, names, values)
            else:
                values.append(item.point.value)
                line = view.record_document(item)
            sys.stdout.write(json.dumps(line, allow_nan=False) + "\n")
            sys.stdout.flush()
        return done(finish)

    from ..render.console import can_encode, make_console
    from ..render.formulas import output_label
    from ..render.progress import Progress

    console = make_console(color)
    finish = None
    with Progress("backprop optimize") as progress:  # on standard error, on a terminal only
        for item in run:
            if isinstance(item, Finish):
                finish = item
            else:
                values.append(item.point.value)
                if progress.enabled:
                    progress.update(len(values), steps, f"{len(values):,}/{steps:,} steps",
                                    f"{s.optimizer}  value {item.point.value:.6g}")
    if finish.failure is None:  # else the last point reached is the one the failed step started from
        values.append(finish.final.value)
    unicode = can_encode(console.file, view.SPARK_UNICODE)
    console.print(view.optimize_view(output_label(loaded.tape), finish, s, names, values, digits, unicode,
                                     view.input_shapes(loaded.tape)),
                  crop=False)  # a table wider than the terminal keeps its numbers whole
    return done(finish)


def done(finish) -> int:
    """The exit: OK, or the error of a step that left the finite numbers, raised once the steps taken are shown
    (exit 4; a diverging run only warns, under the output)."""
    if finish.failure is not None:
        raise finish.failure
    return OK
