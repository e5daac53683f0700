"""`backprop eval`: every value and gradient of a program at a point."""
from __future__ import annotations

import sys

import click

from ..base.errors import CHECK_FAILED, MATH, OK, UsageError
from ..api import compute, tensor_output_error
from ..engine.arithmetic import EXACT, FLOAT
from .graph_output import GRAPH_FORMATS, check_graph_options, emit_graph, graph_progress
from .options import (
    ProgramCommand,
    convention_option,
    digits_option,
    exact_option,
    json_option,
    load,
    program_options,
    refuse_tensors,
)

# --check's default tolerances, equal to check.DEFAULT_RTOL and DEFAULT_ATOL (tests/test_imports.py keeps them
# so): check.py itself is imported only when --check is given.
DEFAULT_RTOL = 1e-6
DEFAULT_ATOL = 1e-9

EXAMPLES = """
\b
Examples:
  backprop eval "(a+b)*c/d" -a 5 -b 1 -c -2 -d -3
  backprop eval "e = a + b; f = e * c; g = f / d" -a 5 -b 1 -c -2 -d -3
  backprop eval "(a+b)*c/d" -a 5 -b 1 -c -2 -d -3 --exact
  backprop eval "tanh(w1*x1 + b)" w1=0.5 x1=2 b=-1 --check
  backprop eval - --json x=3 < program.txt
  backprop eval "(a+b)*(b+c)" -a -1 -b 3 -c 4 --graph tree
  backprop eval "(a+b)*(b+c)" -a -1 -b 3 -c 4 --graph svg --out graph.svg
  backprop eval "tanh(w*x + b)" --batch points.csv > gradients.csv
  backprop eval "tanh(w*x + b)" --batch points.parquet --out gradients.parquet

\b
Reference (in the source tree):
  docs/commands.md#backprop-eval  every option
  docs/language.md                the syntax and the functions
  docs/json.md                    the --json document
  docs/pictures.md                --graph
  docs/batch.md                   --batch
"""


@click.command("eval", cls=ProgramCommand, epilog=EXAMPLES)
@program_options
@json_option
@exact_option
@click.option("--check", is_flag=True, help="Compare each input's gradient with central finite differences.")
@click.option("--rtol", type=float, default=DEFAULT_RTOL, show_default=True, help="Relative tolerance of --check.")
@click.option("--atol", type=float, default=DEFAULT_ATOL, show_default=True, help="Absolute tolerance of --check.")
@click.option("--sample", type=click.IntRange(1), metavar="N", default=None,
              help="With vectors and matrices, --check compares N elements of each input, chosen at random "
                   "(by default every element, up to 1,000 in all).")
@click.option("--seed", type=int, metavar="S", default=None,
              help="The seed that chooses the elements --check samples (0).")
@digits_option
@convention_option
@click.option("--max-rows", type=click.IntRange(0), default=200, show_default=True,
              help="Largest graph whose forward and backward tables are printed in full.")
@click.option("--graph", type=click.Choice(GRAPH_FORMATS), default=None,
              help="Draw the computational graph instead of the tables: a terminal tree, Graphviz DOT, a Mermaid "
                   "flowchart, or an SVG/PNG picture (needs Graphviz and --out). With --json, the JSON gains a "
                   "\"graph\" key.")
@click.option("--out", type=str, metavar="FILE", default=None,
              help="Write the --graph picture to FILE; with --batch, the rows (.csv, .parquet or .jsonl).")
@click.option("--symbolic", is_flag=True, help="Also write d output / d input for each input as a formula.")
@click.option("--direction", metavar="a=1,b=0.5", default=None,
              help="Also the directional derivative along this vector (inputs left out are 0), by one forward pass.")
@click.option("--batch", type=str, metavar="FILE", default=None,
              help="Evaluate at every point of FILE ('-' for standard input): a CSV file whose header names the "
                   "inputs, or JSON Lines. Writes one row per point, the value and every gradient, as CSV (JSON Lines "
                   "with --json or for JSON Lines input). Inputs bound on the command line are the same for all rows. "
                   "A .parquet FILE is read as Parquet (needs the [batch] extra).")
@click.option("--with-inputs", is_flag=True, help="With --batch, also copy the input columns into the rows.")
@click.pass_context
def eval_command(ctx, program, file, color, debug, as_json, exact, check, rtol, atol, sample, seed, digits, convention,
                 max_rows, graph, out, symbolic, direction, batch, with_inputs):
    """Evaluate PROGRAM at a point and print every value and gradient.

    PROGRAM is an expression, or assignments separated by ';' or new lines
    ('-' reads it from standard input, as does no PROGRAM when standard
    input is not a terminal). Give each input a value: -x VALUE for
    single-letter names, NAME=VALUE for any name.
    """
    if with_inputs and batch is None:
        raise UsageError("--with-inputs copies the inputs into the rows of --batch: use it with --batch FILE")
    if batch is not None:
        for given, option in ((exact, "--exact"), (check, "--check"), (graph is not None, "--graph"),
                              (symbolic, "--symbolic"), (direction is not None, "--direction")):
            if given:
                raise UsageError(f"--batch computes in 64-bit floats and writes rows: it cannot be used with {option}")
        if batch == "-" and program is None and file is None:  # standard input holds the points
            from ..language.source import NO_PROGRAM

            raise UsageError(NO_PROGRAM)
        from ..batch.run import run_batch
        from ..render.progress import Progress

        with Progress("backprop --batch", as_json, streams=out is None) as progress:
            return run_batch(ctx, program, file, batch, as_json, convention, out, with_inputs, progress.update)
    check_graph_options(graph, out, as_json)
    progress = graph_progress(ctx, graph, as_json)  # a bar on a terminal for a big graph, or None
    for given, option in ((sample is not None, "--sample N"), (seed is not None, "--seed S")):
        if given and not check:
            raise UsageError(f"{option} chooses the elements --check compares: use it with --check")
    if check:  # a bad --rtol or --atol is a usage error, even where the program then fails (exit 4)
        from ..engine.finite_differences import check_tolerances

        check_tolerances(rtol, atol)
    loaded = load(ctx, program, file, EXACT if exact else FLOAT)
    if loaded.tape.tensor:
        for given, option in ((symbolic, "--symbolic"), (direction is not None, "--direction")):
            if given:
                refuse_tensors(loaded.tape, option)
    evaluated = compute(loaded, exact, convention)  # the public API's evaluate (api.py): the same numbers
    result = evaluated.raw
    if not evaluated.differentiated:
        return _tensor_output(result, as_json, digits, color, max_rows, loaded.from_program, graph, out)
    extras = evaluated.extras(symbolic, direction) if symbolic or direction is not None else None
    report = evaluated.check(rtol, atol, sample=sample, seed=seed) if check else None
    if as_json:
        from ..render.json_report import eval_document, with_extras, write

        doc = with_extras(eval_document(result, report, lazy=True), extras)  # evaluated.document(), made as written
        if graph is not None:
            emit_graph(result, graph, out, digits, color, doc, progress=progress)
        write(doc, sys.stdout, pretty=sys.stdout.isatty())
    elif graph is not None:
        emit_graph(result, graph, out, digits, color, None, report, progress)
    else:
        from ..render.console import make_console
        from ..render.formulas import extras_view

        console = make_console(color)
        console.print(evaluated.view(digits, max_rows, report), crop=False)  # numbers kept whole
        if extras is not None:
            console.print(extras_view(extras, loaded.tape.output_name or "out", digits, max_rows), crop=False)
    if result.undefined:
        return MATH  # as without the rest shown: scripts notice
    return CHECK_FAILED if report is not None and not report.ok else OK


def _tensor_output(result, as_json: bool, digits, color, max_rows: int, from_program: tuple, graph: str | None,
                   out: str | None) -> int:
    """A tensor output: its values (the tables, or the --graph picture, with no gradients), then a usage error
    asking for a scalar or for jacobian."""
    if graph is not None and not as_json:
        emit_graph(result, graph, out, digits, color, None)
    elif not as_json:
        from ..render.console import make_console
        from ..render.tensor_tables import values_view

        make_console(color).print(values_view(result, digits, max_rows, from_program), crop=False)
    raise tensor_output_error(result)
