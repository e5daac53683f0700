"""`backprop explain`: the worked solution of a program at a point, as a textbook writes it."""
from __future__ import annotations

import sys

import click

from ..base.errors import MATH, OK, MathError, UsageError
from ..base.numbers import DEFAULT_DIGITS
from ..engine.arithmetic import EXACT, FLOAT
from ..api import explanation_lines, worked_lines
from ..engine.compute import differentiate
from .options import ProgramCommand, convention_option, exact_option, load, program_options, refuse_tensors

EXAMPLES = """
\b
Examples:
  backprop explain "e = a + b; f = e * c; g = f / d" -a 5 -b 1 -c -2 -d -3
  backprop explain "(a+b)*c/d" -a 5 -b 1 -c -2 -d -3 --exact
  backprop explain "o = tanh(x1*w1 + x2*w2 + b)" x1=1 w1=0.5 x2=2 w2=-0.3 b=0.1 --float
  backprop explain "(a+b)*(b+c)" -a -1 -b 3 -c 4 --wrt b
  backprop explain "e = a*b; d = e + c; L = d*f" -a 2 -b -3 -c 10 -f -2 --format latex > answer.tex
  backprop explain "L = sum(tanh(W @ x + b))" W="[[0.1, 0.2], [0.3, 0.4]]" x=[1,2] b=[0,0.5] --wrt "W[1, 0]"

\b
Reference (in the source tree):
  docs/explain.md                    worked solutions
  docs/commands.md#backprop-explain  every option
"""


@click.command("explain", cls=ProgramCommand, epilog=EXAMPLES)
@program_options
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "latex", "html"]), default="text",
              show_default=True, help="Plain text, Markdown for a homework sheet, a LaTeX document, or an HTML page "
              "with the circuit drawn (values above each wire, gradients below).")
@click.option("--wrt", metavar="NAME", help="Only the backward steps on the paths from the output to NAME; with "
              "vectors and matrices also an element, NAME[1, 0], written as the sum over the elements it reaches.")
@exact_option
@click.option("--float", "floats", is_flag=True,
              help="Compute in floats throughout, as eval does (where -0.1 + 0.1 can be 2.77556e-17); by "
                   "default every rational value is exact and written as a decimal.")
@click.option("--digits", type=click.IntRange(1, 17), default=DEFAULT_DIGITS, show_default=True,
              help="Significant digits of floats and of decimals that do not terminate (exact fractions are "
                   "always written in full).")
@click.option("--symbolic", is_flag=True, help="Also write d output / d input for each input as a formula.")
@convention_option
@click.pass_context
def explain_command(ctx, program, file, color, debug, fmt, wrt, exact, floats, digits, symbolic, convention):
    """Print the worked solution of PROGRAM at a point: forward pass, then the chain rule step by step.

    Each forward line is a node's definition, its operands' values and its value
    (e = a + b = 5 + 1 = 6); each backward line is a node's gradient by the chain
    rule, written symbolically with the operands' names, then with numbers
    (∂g/∂e = ∂g/∂f · ∂f/∂e = (1/d) · c = (-1/3) · (-2) = 2/3), sums written out
    where a node feeds several others. Unnamed intermediates are called by their
    names in order (u1, u2). Give each input a value: -x VALUE or NAME=VALUE.

    Values are computed exactly wherever they are rational and written as
    decimals (-0.1 + 0.1 = 0; 2/3 rounded to --digits); where a value is
    irrational (exp, sin, sqrt of a non-square) it is a float. --exact writes
    the exact values as fractions; --float computes in floats throughout.

    With vectors and matrices, each step is at tensor level with its shapes
    ((2, 2) @ (2,) -> (2,); ∂L/∂W = ∂L/∂u1 · xᵀ, (2, 1) · (1, 2) -> (2, 2)).
    """
    from ..render.progress import Progress

    if exact and floats:
        raise UsageError("--exact and --float ask for two different number systems: give one of them (without "
                         "either, values are exact where rational and written as decimals)")
    arithmetic = FLOAT if floats else EXACT
    with Progress("backprop explain") as progress:  # on standard error, on a terminal, after half a second
        progress.stage("reading the program")
        loaded = load(ctx, program, file, arithmetic)
        if loaded.tape.tensor:
            progress.stage("computing")
            lines = _explain_tensors(loaded, fmt, wrt, arithmetic, digits, symbolic, convention, exact)
            del loaded
            progress.output("writing the worked solution")  # the steps are made as their lines are written
            _write_lines(lines)
            return OK
        lines, undefined = _explain_numbers(loaded, fmt, wrt, arithmetic, digits, symbolic, convention, exact,
                                            progress)
        del loaded
        # the steps are made as their lines are written: the bar, moved by them, stays while the output goes to a
        # file or a pipe (on the terminal the output goes to, it is cleared first)
        progress.output("writing the worked solution")
        _write_lines(lines)
    return MATH if undefined else OK


def _explain_numbers(loaded, fmt, wrt, arithmetic, digits, symbolic, convention, exact, progress):
    """The worked solution of a program of numbers as its lines (made as they are read: api.worked_lines), and
    the numbers undefined in it (exit 4 if any)."""
    from ..teaching.steps import resolve_wrt, worked_solution

    if wrt is not None:
        resolve_wrt(loaded.tape, wrt)  # an unknown name is a usage error before any arithmetic
    # the steps that can be done are shown; an undefined one says so, and why (exit 4)
    progress.stage("computing")
    result = _differentiate(loaded, arithmetic, convention, strict=exact)
    worked = worked_solution(result, wrt, decimals=not exact, track=progress.track)
    lines = worked_lines(worked, result, fmt, digits)  # as the public API's Result.explain writes them
    if symbolic:  # worked out before the first line is written (they end it)
        progress.stage("formulas")
        from ..engine.symbolic.derive import gradient_formulas
        from ..render.formulas import with_formulas

        formulas = gradient_formulas(loaded.tape)
        if wrt in formulas:
            formulas = {wrt: formulas[wrt]}
        lines = with_formulas(lines, fmt, formulas, worked.output_label)
    return lines, result.undefined


def _differentiate(loaded, arithmetic, convention, strict: bool):
    """The Result to explain: in `arithmetic`; exact arithmetic that cannot go on (numbers past the exact
    limit) is done again in floats, unless --exact asked for it (`strict`: its MathError stands)."""
    try:
        return differentiate(loaded.tape, loaded.inputs, arithmetic, forward_mode=False, convention=convention,
                             keep_undefined=True)
    except MathError:
        if arithmetic is FLOAT or strict:
            raise
    inputs = {name: float(value) for name, value in loaded.inputs.items()}
    return differentiate(loaded.tape, inputs, FLOAT, forward_mode=False, convention=convention, keep_undefined=True)


# Past this much work (engine/tensor/sweeps.work, about one unit a multiply-add), a tensor program is explained
# in floats unless --exact asks: exact fractions cost some 2 µs a unit, and grow (check's EXACT_WORK).
EXACT_WORK = 200_000


def _explain_tensors(loaded, fmt, wrt, arithmetic, digits, symbolic, convention, exact):
    """The worked solution at tensor level (teaching/tensor_steps.py), as its lines (made as they are read)."""
    from ..engine.shaping import index_only
    from ..engine.tensor.shapes import shape_text
    from ..teaching.tensor_steps import check_wrt

    if symbolic:
        refuse_tensors(loaded.tape, "--symbolic")
    tape = loaded.tape
    shape = tape.nodes[tape.output].shape
    if shape != ():
        name = tape.output_name or "the output"
        raise UsageError(f"{name} is a tensor of shape {shape_text(shape)}, and explain differentiates a scalar: "
                         "reduce it to one (sum, mean, an element such as [0], or a loss such as cross_entropy or "
                         "mse), or use backprop jacobian for the derivatives of every element")
    if wrt is not None:
        check_wrt(tape, wrt, index_only(tape))  # before any arithmetic
    result = _differentiate_tensors(tape, loaded.inputs, arithmetic, convention, exact)
    return explanation_lines(result, fmt, wrt, digits, exact)  # as the public API's Result.explain writes them


def _differentiate_tensors(tape, inputs, arithmetic, convention, exact: bool):
    """A tensor program's Result: exact where rational unless the work is too big for fractions (and --exact
    was not asked) or exact arithmetic cannot go on; floats otherwise."""
    from ..engine.tensor import pure, sweeps

    if arithmetic is EXACT and (exact or sweeps.work(tape.nodes, [node.shape for node in tape.nodes]) <= EXACT_WORK):
        try:
            return differentiate(tape, inputs, EXACT, forward_mode=False, convention=convention)
        except MathError:
            if exact:
                raise
    floats = pure.backend(FLOAT)
    inputs = {name: floats.tolist(floats.array(value)) for name, value in inputs.items()}
    return differentiate(tape, inputs, FLOAT, forward_mode=False, convention=convention)


_ASCII = str.maketrans({"∂": "d", "·": "*", "≈": "~", "—": "-"})
CHUNK = 2000  # lines written at a time: few calls to write, and little text held
LONG_LINE = 100_000  # characters: a longer line is written by itself


def _write(text: str) -> None:
    """Write to standard output; on a terminal that cannot show ∂ and ·, write them as d and *."""
    _write_lines([text[:-1]] if text.endswith("\n") else [text], end="\n" if text.endswith("\n") else "")


def _write_lines(lines, end: str = "\n") -> None:
    """Write lines, each ended by a new line, to standard output as they come (CHUNK at a time); on a terminal
    that cannot show ∂ and ·, they are written as d and * (and what else it cannot show as ?)."""
    stream = sys.stdout
    encoding = getattr(stream, "encoding", None)
    try:  # decided before the first line, so every line is written alike (a StringIO takes any text)
        plain = encoding is None or bool("∂·≈—".encode(encoding, getattr(stream, "errors", None) or "strict"))
    except (UnicodeEncodeError, LookupError):
        plain = False
    encoding = encoding or "ascii"
    chunk: list[str] = []
    for line in lines:
        if len(line) > LONG_LINE:  # written as it is, not copied into a chunk (an MLP's ∂L/∂W sums every layer)
            chunk.append("")
            _write_text("\n".join(chunk), plain, encoding)
            chunk.clear()
            _write_text(line, plain, encoding)
            line = ""
        chunk.append(line)
        if len(chunk) >= CHUNK:
            _write_text("\n".join(chunk) + "\n", plain, encoding)
            chunk.clear()
    if chunk:
        _write_text("\n".join(chunk) + end, plain, encoding)


def _write_text(text: str, plain: bool, encoding: str) -> None:
    if plain:
        try:
            sys.stdout.write(text)
            return
        except UnicodeEncodeError:  # something else it cannot show (in a comment of the program): as ?
            pass
    sys.stdout.write(text.translate(_ASCII).encode(encoding, "replace").decode(encoding))
