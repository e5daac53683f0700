"""`backprop generate`: a fresh exercise set from a template and a seed: sheet, answer key, answers files."""
from __future__ import annotations

import contextlib
import io
import os

import click

from ..base.errors import OK, UsageError

EXAMPLES = """
\b
Examples:
  backprop generate --list
  backprop generate chain --seed 7                 the student sheet (Markdown)
  backprop generate neuron --seed 3 --print answers
  backprop generate mazur --seed 1 --count 30 --out week5

\b
With --out DIR the whole set is written there: sheet.md and sheet.tex (the
student sheet), key.md (the answer key: each exercise's answers and the worked
solution backprop explain prints for it), answers-1.txt ... (one answers file
per exercise, for backprop check --answers; its first lines give the command).
Files already there are not overwritten without --force. Without --out, one
part goes to standard output (--print; the Markdown sheet by default).

\b
Reference (in the source tree):
  docs/generate.md                     exercise sets
  docs/commands.md#backprop-generate   every option
"""

PARTS = ("sheet", "latex", "key", "answers")


@click.command("generate", epilog=EXAMPLES)
@click.argument("template", required=False)
@click.option("--seed", metavar="N", help="Which set: the same template, seed and count always give the same set.")
@click.option("--count", metavar="K", default="1", show_default=True, help="How many exercises (1 to 1000).")
@click.option("--out", metavar="DIR", help="Write the whole set into DIR (made if missing).")
@click.option("--force", is_flag=True, help="With --out: overwrite the set's files if they are already there.")
@click.option("--print", "part", type=click.Choice(PARTS),
              help="Write one part to standard output: the sheet (Markdown), latex (the sheet), the key, "
                   "or the answers files one after the other. The default without --out: sheet.")
@click.option("--list", "listing", is_flag=True, help="List the templates, one line each.")
def generate_command(template, seed, count, out, force, part, listing):
    """Write a fresh exercise set of TEMPLATE: the student sheet, the answer key and answers files.

    The numbers are chosen so that every answer is exact and short (a small
    fraction or a short decimal) and no point sits on a kink; each answer is
    computed by the same engine as eval and check.
    """
    from ..teaching.exercises import generate, templates

    if listing:
        table = templates()
        width = max(map(len, table))
        click.echo("\n".join(f"{name.ljust(width)}   {t.summary}" for name, t in table.items()))
        return OK
    if template is None:
        raise UsageError(f"give a template: {', '.join(templates())} (backprop generate --list describes each)")
    if seed is None:
        raise UsageError("give --seed N, a whole number such as --seed 1: the same seed always gives the same "
                         "exercises, so a set can be made again")
    if out is not None and part is not None:
        raise UsageError("give either --out DIR (the whole set, as files) or --print PART (one part, on standard "
                         "output), not both")
    if force and out is None:
        raise UsageError("--force only applies with --out DIR (it overwrites the set's files there)")
    exercises = generate(template, _whole(seed, "--seed"), _whole(count, "--count"))
    files = _files(exercises)
    if out is None:
        from .explain import _write

        _write(_part(files, part or "sheet"))
        return OK
    _write_files(out, files, force)
    click.echo(_summary(out, files, exercises))
    return OK


def _whole(text: str, option: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        from ..teaching.exercises import COUNT_RANGE, MAX_SEED

        allowed = f"from 0 to {MAX_SEED}" if option == "--seed" else f"from {COUNT_RANGE[0]} to {COUNT_RANGE[1]}"
        raise UsageError(f"{option} must be a whole number {allowed}, not {text!r}") from None


def _files(exercises) -> dict[str, str]:
    """Every file of the set, by name, in the order they are listed."""
    from ..render.sheets import KEY_MD, SHEET_MD, SHEET_TEX, answers_file, answers_name, latex_sheet, \
        markdown_key, markdown_sheet

    count = len(exercises.exercises)
    files = {SHEET_MD: markdown_sheet(exercises), SHEET_TEX: latex_sheet(exercises),
             KEY_MD: markdown_key(exercises, [worked_solution(e) for e in exercises.exercises])}
    for exercise in exercises.exercises:
        files[answers_name(exercise, count)] = answers_file(exercises, exercise)
    return files


def worked_solution(exercise) -> str:
    """What `backprop explain PROGRAM BINDINGS --format markdown` prints for the exercise: the explain
    command itself is run, so the key is always the tool's own worked solution, whatever its defaults."""
    from .explain import explain_command

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = explain_command.main(args=["--format", "markdown", "--", exercise.program, *exercise.bindings],
                                    prog_name="backprop explain", standalone_mode=False)
    if code not in (None, OK):  # pragma: no cover - exercises are solved before they are kept
        raise RuntimeError(f"explain exited {code} on exercise {exercise.number}")
    return buffer.getvalue()


def _part(files: dict[str, str], part: str) -> str:
    from ..render.sheets import KEY_MD, SHEET_MD, SHEET_TEX

    if part == "answers":
        return "\n".join(text for name, text in files.items() if name.startswith("answers-"))
    return files[{"sheet": SHEET_MD, "latex": SHEET_TEX, "key": KEY_MD}[part]]


def _write_files(out: str, files: dict[str, str], force: bool) -> None:
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"--out {out}: it is a file, and the set is written into a folder; give another --out")
    there = [name for name in files if os.path.lexists(os.path.join(out, name))]
    if there and not force:
        shown = ", ".join(there[:4]) + (f" and {len(there) - 4} more" if len(there) > 4 else "")
        raise UsageError(f"--out {out} already holds {shown}: give --force to overwrite them, or another --out")
    try:
        os.makedirs(out, exist_ok=True)
        for name, text in files.items():
            with open(os.path.join(out, name), "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
    except OSError as err:
        raise UsageError(f"--out {out}: cannot write the set there: {err.strerror or err}") from None


def _summary(out: str, files: dict[str, str], exercises) -> str:
    from ..render.sheets import command_line

    first = exercises.exercises[0]
    count = len(exercises.exercises)
    answers = [name for name in files if name.startswith("answers-")]
    shown = answers[0] if len(answers) == 1 else f"{answers[0]} ... {answers[-1]}"
    rows = [("sheet.md, sheet.tex", "the student sheet"), ("key.md", "the answer key, with the worked solutions"),
            (shown, "the answers, for backprop check --answers")]
    width = max(len(name) for name, _ in rows)
    return "\n".join([
        f"Wrote {count} exercise{'s' if count > 1 else ''} of {exercises.template} (seed {exercises.seed}) "
        f"into {out}:",
        *(f"  {name.ljust(width)}   {what}" for name, what in rows),
        "Grade a student's answers to exercise 1 there with:",
        f"  {command_line('check', first, '--answers', 'FILE')}",
    ])
