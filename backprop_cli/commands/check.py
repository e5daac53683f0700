"""`backprop check`: grade a student's answers (values and gradients) against the computed ones."""
from __future__ import annotations

import math
import sys

import click

from ..api import grade_loaded
from ..base.errors import CHECK_FAILED, MATH, OK, USAGE, UsageError
from ..base.undefined import Undefined
from ..engine.arithmetic import EXACT
from ..language.limits import read_limited
from ..teaching.answers import parse_answers_text, split_expectation
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
  backprop check "(a+b)*c/d" -a 5 -b 1 -c -2 -d -3 --expect value=4 --expect a=6 --expect d=108
  backprop check "e = a + b; f = e * c; g = f / d" -a 5 -b 1 -c -2 -d -3
      --expect g=4 --expect dg/da=2/3 --expect d.grad=1.3 --expect e.value=6
  backprop check "e = a*b; d = e + c; L = d*f" -a 2 -b -3 -c 10 -f -2 --expect d=-2 --expect e=2
  backprop check "sigmoid(x)" -x 1 --expect value="1/(1+exp(-1))" --expect x=0.197
  backprop check "(a+b)*c/d" -a 5 -b 1 -c -2 -d -3 --answers alice.txt --json
  backprop check "e = a + b; f = e * c; g = f / d" -a 5 -b 1 -c -2 -d -3 --class class.csv --csv
  backprop check "D = W @ X; L = sum(D * dD)" W="[[1, 2], [0, -1]]" X="[[1, 0], [2, 1]]"
      dD="[[1, -1], [0, 2]]" --expect "W=[[1, 1], [0, 2]]" --expect "X[1, 0]=-1"

\b
ANSWER is an integer (108), a decimal (0.67, 1e-3), a fraction (-4/3) or a
constant expression (sqrt(2)/2). NAME is `value` or the output's name (the
output's value); NAME.value or NAME.data (a node's value); an input or
intermediate name, NAME.grad, dOUT/dNAME or ∂OUT/∂NAME (d output / d NAME).
For a vector or matrix, ANSWER is nested lists ([[0.1, 0.2], [0.3, 0.4]]),
graded element by element; NAME[1, 0] answers one element (dL/dW[1, 0] too).
Three verdicts: correct (integers, fractions and expressions to 1e-9 relative;
a decimal correctly rounded, within half a unit of its last digit: 0.67 for
2/3), accepted (a decimal one unit off its last digit, 0.66 for 2/3, with a
note; wrong under --strict), wrong. At a kink, grading follows --convention.
ANSWER may also be `undefined` (or `nan`): right where the number does not exist.
Exit status: 0 no answer wrong, 1 some answer wrong, 2 usage error, 4 something
asked about is undefined at the point (each answer is still graded).
With --class: 0 the class was graded (whatever the students answered), 2 the
file is unusable or some rows were malformed (reported; the others graded), 4 a
question is undefined at the point.

\b
--class FILE grades a whole class: a CSV file whose header row is the student
column then one target a column (student,value,a,d), then one row per student;
an empty cell is unanswered. --csv writes a gradebook instead of the tables.

\b
Reference (in the source tree):
  docs/grading.md                  how answers are graded
  docs/classes.md                  grading a whole class with --class
  docs/commands.md#backprop-check  every option
"""


def _read_answers(path: str, program: str | None) -> list[tuple[str, str]]:
    if path == "-":
        if program == "-":
            raise UsageError("standard input cannot hold both the program and the answers; use --answers FILE")
        if sys.stdin is None or not hasattr(sys.stdin, "buffer"):  # closed (`<&-`), or a test's text stream
            data, name = (sys.stdin.read() if sys.stdin is not None else ""), "standard input"
        else:  # at most as much as the longest program (limits.py): `--answers - < /dev/zero` ends
            data, name = read_limited(sys.stdin.buffer, "standard input").decode("utf-8-sig", "replace"), "standard input"
    else:
        try:
            with open(path, "rb") as handle:
                raw = read_limited(handle, path)
        except OSError as err:
            raise UsageError(f"cannot read the answers file {path}: {err.strerror or err}") from None
        try:
            data = raw.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise UsageError(f"the answers file {path} is not UTF-8 text (byte {err.start})") from None
        name = path
    return parse_answers_text(data, name)


@click.command("check", cls=ProgramCommand, epilog=EXAMPLES)
@program_options
@click.option("--expect", "expect", multiple=True, metavar="NAME=ANSWER",
              help="An answer to grade (repeatable): value=4, d=4/3, e.value=-6, W=[[1, 2], [3, 4]], W[1, 0]=0.25.")
@click.option("--answers", "answers", type=str, metavar="FILE",
              help="Read answers from FILE, one NAME=ANSWER a line ('#' comments; '-' for standard input).")
@click.option("--class", "class_file", type=str, metavar="FILE",
              help="Grade a whole class: a CSV file, a header of targets and one row of answers per student "
                   "('-' for standard input).")
@click.option("--csv", "as_csv", is_flag=True, help="With --class: write a CSV gradebook instead of tables.")
@click.option("--tolerance", type=float, default=None, metavar="T",
              help="Accept every answer within T relative of the true value, instead of the default rule.")
@click.option("--strict", is_flag=True,
              help="A decimal one unit off its last digit (0.66 for 2/3) is wrong, not accepted.")
@json_option
@exact_option
@digits_option
@convention_option
@click.pass_context
def check_command(ctx, program, file, color, debug, expect, answers, class_file, as_csv, tolerance, strict, as_json,
                  exact, digits, convention):
    """Grade answers to PROGRAM at a point: values and gradients, with the steps of wrong ones.

    Each answer is NAME=ANSWER; give them with --expect or in a file with
    --answers, or a whole class's with --class. Inputs are bound as for eval:
    -x VALUE or NAME=VALUE.
    """
    if class_file is not None or as_csv:
        return _check_class(ctx, program, file, color, expect, answers, class_file, as_csv, tolerance, strict,
                            as_json, exact, digits, convention)
    items = [(item, f"--expect {item}") for item in expect]
    for item, where in items:
        split_expectation(item, where)
    if answers is not None:
        items += _read_answers(answers, program)
    if not items:
        raise UsageError("nothing to check: give at least one answer with --expect NAME=ANSWER "
                         "(as in --expect d=4/3) or --answers FILE")
    if tolerance is not None and not (math.isfinite(tolerance) and tolerance >= 0):
        raise UsageError(f"--tolerance must be a finite number >= 0, not {tolerance}")
    loaded = load(ctx, program, file, EXACT, stdin_busy=answers == "-")  # the decimals as written: 0.1 is 1/10
    grading = grade_loaded(loaded, items, exact=exact, convention=convention, tolerance=tolerance, strict=strict)
    result, graded, diagnoses = grading.raw, grading.graded, grading.diagnoses  # the public API's grade (api.py)
    if as_json:
        from ..render.json_report import dumps

        sys.stdout.write(dumps(grading.document(), pretty=sys.stdout.isatty()) + "\n")
    else:
        from ..render.check_view import check_view
        from ..render.console import make_console

        make_console(color).print(check_view(result, graded, digits, diagnoses), crop=False)  # numbers kept whole
    if any(type(v.correct) is Undefined for v in graded.verdicts):
        return MATH  # something asked about has no number here: scripts notice, as with eval
    return OK if graded.ok else CHECK_FAILED


# ---------------------------------------------------------------- --class: a whole class (docs/classes.md)

MAX_REPORTED = 100  # malformed rows described on standard error; then how many more


def _read_class_file(path: str, program: str | None) -> tuple[bytes, str]:
    from ..language.limits import read_batch_limited

    if path == "-":
        if program == "-":
            raise UsageError("standard input cannot hold both the program and the class; use --class FILE")
        if sys.stdin is None:
            raise UsageError("--class - reads the class from standard input, but standard input is closed")
        stream = getattr(sys.stdin, "buffer", None)  # bounded as --batch is: /dev/zero ends
        return (read_batch_limited(stream, "standard input") if stream is not None
                else sys.stdin.read().encode()), "standard input"
    try:
        with open(path, "rb") as handle:
            return read_batch_limited(handle, path), path
    except OSError as err:
        raise UsageError(f"cannot read the class file {path}: {err.strerror or err}") from None


def _check_class(ctx, program, file, color, expect, answers, class_file, as_csv, tolerance, strict, as_json, exact,
                 digits, convention):
    """check --class: every row of the class file graded against the program computed once."""
    from ..render.progress import Progress
    from ..teaching.checking import graded_results, tensor_results
    from ..teaching.classroom import decode, grade_class, read_class, undefined_questions

    if class_file is None:
        raise UsageError("--csv writes the gradebook of a class: give the class with --class FILE")
    if expect or answers is not None:
        raise UsageError("--class grades the answers in its file: give --expect and --answers without it")
    if as_csv and as_json:
        raise UsageError("--csv and --json are two formats of the same gradebook: give one")
    if tolerance is not None and not (math.isfinite(tolerance) and tolerance >= 0):
        raise UsageError(f"--tolerance must be a finite number >= 0, not {tolerance}")
    # a bar on standard error for a big class (on a terminal, never with --json), closed when the command ends
    progress = ctx.with_resource(Progress("backprop check --class", as_json))
    data, name = _read_class_file(class_file, program)
    text = decode(data, name)
    loaded = load(ctx, program, file, EXACT, stdin_busy=class_file == "-")
    klass = read_class(text, name)
    if loaded.tape.tensor:
        result, truth = tensor_results(loaded, exact, convention)
    else:
        result, truth = graded_results(loaded, exact, convention)
    graded = grade_class(result, truth, klass, tolerance, strict=strict, diagnose=not as_csv,  # (a gradebook: none)
                         track=progress.track)
    progress.output("writing the gradebook" if as_csv else "writing the table")
    if as_json:
        from ..render.class_report import class_document
        from ..render.json_report import dumps

        sys.stdout.write(dumps(class_document(result, graded), pretty=sys.stdout.isatty()) + "\n")
    elif as_csv:
        from ..render.class_report import gradebook

        sys.stdout.write(gradebook(graded))
    else:
        from ..render.class_report import class_view
        from ..render.console import make_console

        console = make_console(color)
        console.print(class_view(result, graded, digits, console.width), crop=False)
    if klass.problems:
        sys.stdout.flush()
        problems = klass.problems
        sys.stderr.write("".join(f"backprop: {name} line {line}: {message}\n"
                                 for line, message in problems[:MAX_REPORTED]))
        if len(problems) > MAX_REPORTED:
            sys.stderr.write(f"backprop: ... and {len(problems) - MAX_REPORTED} more malformed rows\n")
        total = len(problems) + len(graded.students)
        sys.stderr.write(f"backprop: {len(problems)} of {total} rows {'was' if len(problems) == 1 else 'were'} "
                         "not graded (malformed); the others were\n")
        return USAGE
    if undefined_questions(graded):
        return MATH  # a question asks about a number that does not exist at the point, as check says
    return OK
